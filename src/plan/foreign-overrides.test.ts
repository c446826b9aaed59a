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
  });

  it('reads nothing from what is not an object', () => {
    expect(fromYarnResolutions(undefined)).toEqual({ overrides: {}, skipped: [] });
    expect(fromYarnResolutions(['x'])).toEqual({ overrides: {}, skipped: [] });
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
