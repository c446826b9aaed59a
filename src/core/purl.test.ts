import { describe, expect, it } from 'vitest';
import { npmPurl, parseNpmPurl } from './purl.js';

/** The purl as the spec builds it: each of namespace, name and version percent-encoded. */
const encodedPurl = (name: string, version: string): string => {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const namespace = slash === -1 ? '' : `${encodeURIComponent(name.slice(0, slash))}/`;
  const bare = slash === -1 ? name : name.slice(slash + 1);
  return `pkg:npm/${namespace}${encodeURIComponent(bare)}@${encodeURIComponent(version)}`;
};

describe('npmPurl', () => {
  it.each([
    ['lodash', '4.17.21', 'pkg:npm/lodash@4.17.21'],
    ['@babel/core', '7.24.0', 'pkg:npm/%40babel/core@7.24.0'],
    ['JSONStream', '1.3.5', 'pkg:npm/JSONStream@1.3.5'],
    ['lodash.merge', '4.6.2-rc_1~x', 'pkg:npm/lodash.merge@4.6.2-rc_1~x'],
    ['pkg', '1.0.0+build.5', 'pkg:npm/pkg@1.0.0%2Bbuild.5'],
    ['@scope/name', '1.0.0+sha.1', 'pkg:npm/%40scope/name@1.0.0%2Bsha.1'],
    ["it's", '1.0.0', "pkg:npm/it's@1.0.0"],
    ['a b', '1.0.0', 'pkg:npm/a%20b@1.0.0'],
    ['@a/b/c', '1.0.0', 'pkg:npm/%40a/b%2Fc@1.0.0'],
  ])('%s@%s → %s', (name, version, purl) => {
    expect(npmPurl(name, version)).toBe(purl);
    expect(npmPurl(name, version)).toBe(encodedPurl(name, version));
  });

  it('equals the encoded form for every character a name or version may hold', () => {
    // Every printable ASCII character, alone and around plain text, in the name, the scope and the version.
    for (let code = 32; code < 127; code++) {
      const c = String.fromCharCode(code);
      for (const [name, version] of [
        [`a${c}b`, '1.0.0'],
        [`@s${c}/n`, '1.0.0'],
        [`@s/n${c}`, '1.0.0'],
        ['n', `1.0.0${c}x`],
      ] as const) {
        expect(npmPurl(name, version), `${name}@${version}`).toBe(encodedPurl(name, version));
      }
    }
  });

  it('round-trips through parseNpmPurl', () => {
    for (const [name, version] of [
      ['@babel/core', '7.24.0'],
      ['pkg', '1.0.0+build.5'],
    ]) {
      expect(parseNpmPurl(npmPurl(name as string, version as string))).toEqual({ name, version });
    }
  });
});
