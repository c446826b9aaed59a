import { describe, expect, it } from 'vitest';
import { matchWorkspaceFolders, memoryInput, workspaceGlobToRegExp } from './source.js';

describe('workspace globs', () => {
  it('matches one level with * and any depth with **', () => {
    expect(workspaceGlobToRegExp('packages/*').test('packages/a')).toBe(true);
    expect(workspaceGlobToRegExp('packages/*').test('packages/a/b')).toBe(false);
    expect(workspaceGlobToRegExp('./tools/**').test('tools/x/y')).toBe(true);
    expect(workspaceGlobToRegExp('**/__tests__/**').test('__tests__/a')).toBe(true);
    expect(workspaceGlobToRegExp('packages/**/__tests__/**').test('packages/vite/src/__tests__/x')).toBe(
      true,
    );
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
