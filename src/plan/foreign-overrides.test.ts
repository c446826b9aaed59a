import { describe, expect, it } from 'vitest';
import { fromPnpmOverrides, fromYarnResolutions } from './foreign-overrides.js';

describe('yarn resolutions as npm overrides', () => {
  it('reads every copy, a parent’s copies and a range, and skips what npm cannot say', () => {
    const read = fromYarnResolutions({
      lodash: '4.17.21',
      '**/minimist': 'npm:1.2.8',
      'ansi-escapes/type-fest': '^2.0.0',
      '@scope/parent/**/@scope/child': '2.0.0',
      'debug@npm:^2': '2.6.9',
      'left-pad': 'portal:./vendor/left-pad',
      'a/b': '1.0.0',
      a: '2.0.0',
    });
    expect(read.overrides).toEqual({
      lodash: '4.17.21',
      minimist: '1.2.8',
      'ansi-escapes': { 'type-fest': '^2.0.0' },
      '@scope/parent': { '@scope/child': '2.0.0' },
      'debug@^2': '2.6.9',
      a: { b: '1.0.0', '.': '2.0.0' },
    });
    expect(read.skipped).toEqual(['left-pad']);
    // Each entry's key as written, by its path in npm's shape.
    expect(read.written.get('minimist')).toBe('**/minimist');
    expect(read.written.get('@scope/parent\u0000@scope/child')).toBe('@scope/parent/**/@scope/child');
    expect(read.written.get('debug@^2')).toBe('debug@npm:^2');
    expect(read.written.get('a')).toBe('a');
  });

  it('reads nothing from what is not an object', () => {
    expect(fromYarnResolutions(undefined)).toEqual({ overrides: {}, written: new Map(), skipped: [] });
    expect(fromYarnResolutions(['x'])).toEqual({ overrides: {}, written: new Map(), skipped: [] });
  });
});

describe('pnpm overrides as npm overrides', () => {
  it('reads names, ranges and parent chains, and skips removals', () => {
    const read = fromPnpmOverrides({
      foo: '^1.0.0',
      'quux@<2': '2.0.0',
      'bar@^2.1.0>qar': '3.0.0',
      '@s/a>@s/b': '1.2.3',
      gone: '-',
    });
    expect(read.overrides).toEqual({
      foo: '^1.0.0',
      'quux@<2': '2.0.0',
      'bar@^2.1.0': { qar: '3.0.0' },
      '@s/a': { '@s/b': '1.2.3' },
    });
    expect(read.skipped).toEqual(['gone']);
  });
});
