import { describe, expect, it } from 'vitest';
import { matchWorkspaceFolders, memoryInput, workspaceGlobMatcher } from './source.js';

describe('workspace globs', () => {
  it('matches one level with * and any depth with **', () => {
    expect(workspaceGlobMatcher('packages/*')('packages/a')).toBe(true);
    expect(workspaceGlobMatcher('packages/*')('packages/a/b')).toBe(false);
    expect(workspaceGlobMatcher('./tools/**')('tools/x/y')).toBe(true);
    expect(workspaceGlobMatcher('**/__tests__/**')('__tests__/a')).toBe(true);
    expect(workspaceGlobMatcher('packages/**/__tests__/**')('packages/vite/src/__tests__/x')).toBe(true);
  });

  it('matches ? and several stars in a segment, and ** as zero or more segments', () => {
    expect(workspaceGlobMatcher('pkg-?')('pkg-a')).toBe(true);
    expect(workspaceGlobMatcher('pkg-?')('pkg-ab')).toBe(false);
    expect(workspaceGlobMatcher('*-ui-*')('packages')).toBe(false);
    expect(workspaceGlobMatcher('*-ui-*')('web-ui-kit')).toBe(true);
    expect(workspaceGlobMatcher('tools/**')('tools')).toBe(true);
    expect(workspaceGlobMatcher('a/**/b')('a/b')).toBe(true);
    expect(workspaceGlobMatcher('a/**/b')('a/x/y/b')).toBe(true);
    expect(workspaceGlobMatcher('a/**/b')('a/x/y/c')).toBe(false);
  });

  it('never backtracks exponentially, whatever the stars', () => {
    // With a backtracking regular expression this pair takes hours; segment matching is instant.
    const hostile = `${'*a'.repeat(30)}b`;
    expect(workspaceGlobMatcher(hostile)('a'.repeat(60))).toBe(false);
    expect(workspaceGlobMatcher(`${'**/'.repeat(200)}x`)(`${'d/'.repeat(200)}y`)).toBe(false);
  });

  it('applies ! exclusions and never returns the root', () => {
    const folders = ['', 'packages/a', 'packages/b', 'packages/private', 'docs'];
    expect(matchWorkspaceFolders(folders, ['packages/*', '!packages/private', 'docs'])).toEqual([
      'docs',
      'packages/a',
      'packages/b',
    ]);
  });

  it('memoryInput expands workspaces from the files it holds', () => {
    const input = memoryInput('yarn.lock', {
      'yarn.lock': '',
      'package.json': '{}',
      'packages/a/package.json': '{}',
      'packages/a/node_modules/x/package.json': '{}',
    });
    expect(input.expandWorkspaces(['packages/*'])).toEqual(['packages/a']);
    expect(input.readFile('./packages/a/package.json')).toBe('{}');
    expect(input.readFile('missing')).toBeUndefined();
  });
});
