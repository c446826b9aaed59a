import { describe, expect, it } from 'vitest';
import { compareVersions, isStrictVersion, parseVersion } from './version.js';

describe('compareVersions (SemVer 2.0 precedence)', () => {
  const ascending = [
    '0.0.1',
    '0.1.0',
    '1.0.0-0',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.2.0',
    '1.10.0',
    '2.0.0',
    '10.0.0',
    '99999999999999999999.0.0',
  ];
  it('orders the SemVer specification examples and numeric identifiers', () => {
    const shuffled = [...ascending].reverse();
    expect(shuffled.sort(compareVersions)).toEqual(ascending);
  });

  it.each([
    ['1.0.0+build.1', '1.0.0', 0],
    ['v1.2.3', '1.2.3', 0],
    ['1.78', '1.78.0', 0],
    ['1', '1.0.0', 0],
    ['1.0.0-beta.11', '1.0.0-beta.2', 1],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0', '1.0.0-rc.1', 1],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(Math.sign(compareVersions(a, b))).toBe(expected);
  });

  it('sorts unparseable versions before valid ones', () => {
    expect(compareVersions('not-a-version', '0.0.0')).toBe(-1);
    expect(parseVersion('1.0.rc')).toBeUndefined();
  });

  it('tells strict npm versions from padded ones', () => {
    expect(isStrictVersion('1.2.3-beta.1+sha')).toBe(true);
    expect(isStrictVersion('1.2')).toBe(false);
    expect(isStrictVersion('github:user/repo#abc')).toBe(false);
  });
});
