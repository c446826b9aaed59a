import { describe, expect, it } from 'vitest';
import type { PackageMetadata, PackageVersion } from '../registry/types.js';
import { parseSpec, pickVersion, satisfiesSpec, stepBetween, withRange } from './versions.js';

describe('parseSpec', () => {
  it('tells ranges, tags, aliases and other sources apart', () => {
    expect(parseSpec('^1.2.3')).toEqual({ kind: 'range', name: undefined, range: '^1.2.3' });
    expect(parseSpec('')).toEqual({ kind: 'range', name: undefined, range: '*' });
    expect(parseSpec('~1.0.3')).toEqual({ kind: 'range', name: undefined, range: '~1.0.3' });
    expect(parseSpec('latest')).toEqual({ kind: 'tag', name: undefined, tag: 'latest' });
    expect(parseSpec('npm:@scope/d@^1.0.0')).toEqual({ kind: 'range', name: '@scope/d', range: '^1.0.0' });
    expect(parseSpec('npm:d')).toEqual({ kind: 'range', name: 'd', range: '*' });
    for (const other of [
      'file:../x',
      'git+https://x/y.git',
      'github:user/repo',
      'user/repo',
      'https://x/y.tgz',
      'workspace:*',
    ]) {
      expect(parseSpec(other).kind).toBe('other');
    }
  });

  it('keeps an alias prefix when the range changes', () => {
    expect(withRange('npm:d@^1.0.0', '^2.0.0')).toBe('npm:d@^2.0.0');
    expect(withRange('^1.0.0', '^2.0.0')).toBe('^2.0.0');
  });

  it('a dist-tag accepts any locked version; git and files accept none', () => {
    expect(satisfiesSpec('9.9.9', 'latest')).toBe(true);
    expect(satisfiesSpec('1.0.0', 'github:user/repo')).toBe(false);
    expect(satisfiesSpec('1.1.0-rc.1', '^1.0.0')).toBe(false);
  });
});

describe('stepBetween', () => {
  it('patch, minor, major, and any change inside 0.x as major', () => {
    expect(stepBetween('1.2.3', '1.2.3')).toBe('none');
    expect(stepBetween('1.2.3', '1.2.4')).toBe('patch');
    expect(stepBetween('1.2.3', '1.3.0')).toBe('minor');
    expect(stepBetween('1.2.3', '2.0.0')).toBe('major');
    expect(stepBetween('1.3.0', '1.2.9')).toBe('minor');
    expect(stepBetween('0.1.0', '0.2.0')).toBe('major');
    expect(stepBetween('0.1.0', '0.1.1')).toBe('major');
    expect(stepBetween('1.0.0-beta.1', '1.0.0')).toBe('patch');
  });
});

describe('pickVersion', () => {
  const version = (v: string, extra: Partial<PackageVersion> = {}): PackageVersion => ({
    version: v,
    dependencies: {},
    optionalDependencies: {},
    peerDependencies: {},
    peerDependenciesMeta: {},
    dist: undefined,
    deprecated: undefined,
    hasInstallScript: undefined,
    publishedAt: undefined,
    ...extra,
  });
  /** selenium-webdriver's shape: 4.47 and later want Node 22. */
  const meta: PackageMetadata = {
    name: 'sw',
    form: 'abbreviated',
    distTags: { latest: '4.49.0' },
    versions: {
      '4.46.0': version('4.46.0', { nodeEngine: '>= 20.0.0' }),
      '4.47.0': version('4.47.0', { nodeEngine: '>= 22.0.0' }),
      '4.49.0': version('4.49.0', { nodeEngine: '>= 22.0.0' }),
    },
    modified: undefined,
    skipped: [],
  };

  it('takes the latest tag only when it runs on the Node.js npm runs on, as npm does', () => {
    expect(pickVersion(meta, parseSpec('^4.0.0'), undefined, '22.11.0')).toBe('4.49.0');
    expect(pickVersion(meta, parseSpec('^4.0.0'), undefined, '20.20.2')).toBe('4.46.0');
    expect(pickVersion(meta, parseSpec('^4.0.0'))).toBe('4.49.0');
    // Nothing else fits: the one that does not run is still what npm installs (with a warning).
    expect(pickVersion(meta, parseSpec('^4.47.0'), undefined, '20.20.2')).toBe('4.49.0');
  });

  it('passes over a deprecated latest, and an unreadable engines range fails as npm has it', () => {
    const deprecated: PackageMetadata = {
      ...meta,
      versions: {
        '1.0.0': version('1.0.0'),
        '1.1.0': version('1.1.0', { deprecated: 'broken' }),
        '1.2.0': version('1.2.0', { nodeEngine: 'not a range' }),
      },
      distTags: { latest: '1.1.0' },
    };
    expect(pickVersion(deprecated, parseSpec('^1.0.0'), undefined, '20.20.2')).toBe('1.0.0');
    expect(pickVersion(deprecated, parseSpec('^1.0.0'))).toBe('1.2.0');
  });
});
