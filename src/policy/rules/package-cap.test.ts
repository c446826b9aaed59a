import { describe, expect, it } from 'vitest';
import { checkPatch, effects, evidence, patch } from '../../../test/helpers/policy.js';
import type { Evidence } from '../../core/verdict.js';
import type { CapOption } from '../match.js';
import { packageCap } from './package-cap.js';

const judge = (caps: Partial<CapOption>[], over: Partial<Evidence> = {}) => {
  const p = patch();
  return checkPatch(packageCap, p, evidence(p, over), {
    caps: caps.map((c, index) => ({ index, maxLevel: 2, ...c })),
  });
};

describe('package-cap', () => {
  it.each<[string, Partial<CapOption>[], Partial<Evidence>]>([
    ['no caps configured', [], {}],
    ['@types/* does not match lib', [{ packages: ['@types/*'] }], {}],
    ['react* does not match preact', [{ packages: ['react*'] }], { packages: ['preact'] }],
    ['the package matches but the scope does not', [{ packages: ['lib'], scopes: ['dev'] }], {}],
    [
      'the package matches but no finding has the severity',
      [{ packages: ['lib'], severities: ['critical'] }],
      {},
    ],
  ])('passes: %s', (_name, caps, over) => {
    expect(judge(caps, over)).toEqual([]);
  });

  it.each<[string, Partial<CapOption>[], Partial<Evidence>, string[]]>([
    ['an exact name', [{ packages: ['lib'] }], {}, ['cap 2']],
    ['a whole scope, @types/*', [{ packages: ['@types/*'] }], { packages: ['@types/node'] }, ['cap 2']],
    ['a prefix, react*', [{ packages: ['react*'], maxLevel: 1 }], { packages: ['react-dom'] }, ['cap 1']],
    ['any package, *', [{ packages: ['*'] }], {}, ['cap 2']],
    ['names are matched case-insensitively', [{ packages: ['LIB'] }], {}, ['cap 2']],
    ['the package and the scope both match', [{ packages: ['lib'], scopes: ['prod'] }], {}, ['cap 2']],
    [
      'two caps match: both are named',
      [{ packages: ['lib'] }, { packages: ['l*'], maxLevel: 1 }],
      {},
      ['cap 2', 'cap 1'],
    ],
    ['a cap of 4 (assist) is 3 for a dependency change', [{ packages: ['lib'], maxLevel: 4 }], {}, ['cap 3']],
  ])('caps: %s', (_name, caps, over, want) => {
    expect(effects(judge(caps, over))).toEqual(want);
  });

  it('names the entry, what matched and its reason', () => {
    const [reason] = judge([{ packages: ['@acme/*'], reason: 'billing is regulated' }], {
      packages: ['@acme/billing'],
    });
    expect(reason?.evidence).toBe(
      'policy.caps[0] limits it to 2 (propose): the change package @acme/billing matches @acme/*: billing is regulated',
    );
  });
});
