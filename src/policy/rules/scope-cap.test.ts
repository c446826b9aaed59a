import { describe, expect, it } from 'vitest';
import { checkPatch, effects, evidence, patch } from '../../../test/helpers/policy.js';
import type { Evidence } from '../../core/verdict.js';
import type { CapOption } from '../match.js';
import { scopeCap } from './scope-cap.js';

const judge = (caps: Partial<CapOption>[], over: Partial<Evidence> = {}) => {
  const p = patch();
  return checkPatch(scopeCap, p, evidence(p, over), {
    caps: caps.map((c, index) => ({ index, maxLevel: 2, ...c })),
  });
};

describe('scope-cap', () => {
  it.each<[string, Partial<CapOption>[], Partial<Evidence>]>([
    ['a dev cap on a prod package', [{ scopes: ['dev'] }], { scopes: ['prod'] }],
    ['a prod cap on a dev package', [{ scopes: ['prod'] }], { scopes: ['dev'] }],
    [
      'the scope matches but the fact does not',
      [{ scopes: ['prod'], facts: ['major'] }],
      { scopes: ['prod'] },
    ],
  ])('passes: %s', (_name, caps, over) => {
    expect(judge(caps, over)).toEqual([]);
  });

  it.each<[string, Partial<CapOption>[], Partial<Evidence>, string[]]>([
    ['prod changes proposed only', [{ scopes: ['prod'] }], { scopes: ['prod'] }, ['cap 2']],
    [
      'one of the installed scopes matches',
      [{ scopes: ['peer', 'optional'], maxLevel: 1 }],
      { scopes: ['prod', 'optional'] },
      ['cap 1'],
    ],
    [
      'the scope and the fact both match',
      [{ scopes: ['dev'], facts: ['patch'] }],
      { scopes: ['dev'] },
      ['cap 2'],
    ],
  ])('caps: %s', (_name, caps, over, want) => {
    expect(effects(judge(caps, over))).toEqual(want);
  });

  it('names the scope that matched', () => {
    expect(judge([{ scopes: ['prod'], reason: 'production changes get a review' }])[0]?.evidence).toBe(
      'policy.caps[0] limits it to 2 (propose): the change installed in scope prod: production changes get a review',
    );
  });
});
