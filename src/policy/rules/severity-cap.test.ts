import { describe, expect, it } from 'vitest';
import { checkPatch, effects, evidence, facts, patch } from '../../../test/helpers/policy.js';
import type { Evidence } from '../../core/verdict.js';
import type { CapOption } from '../match.js';
import { severityCap } from './severity-cap.js';

const judge = (caps: Partial<CapOption>[], over: Partial<Evidence> = {}) => {
  const p = patch();
  return checkPatch(severityCap, p, evidence(p, over), {
    caps: caps.map((c, index) => ({ index, maxLevel: 2, ...c })),
  });
};

describe('severity-cap', () => {
  it.each<[string, Partial<CapOption>[], Partial<Evidence>]>([
    ['a critical cap on a high finding', [{ severities: ['critical'] }], {}],
    [
      'a low cap on a moderate finding',
      [{ severities: ['low'] }],
      { findings: [facts({ severity: 'moderate' })] },
    ],
  ])('passes: %s', (_name, caps, over) => {
    expect(judge(caps, over)).toEqual([]);
  });

  it.each<[string, Partial<CapOption>[], Partial<Evidence>, string[]]>([
    ['a high finding under a high cap', [{ severities: ['high'] }], {}, ['cap 2']],
    [
      'one of the fixed findings is critical',
      [{ severities: ['critical'], maxLevel: 1 }],
      { findings: [facts(), facts({ id: 'GHSA-2', severity: 'critical' })] },
      ['cap 1'],
    ],
    [
      'an unrated finding',
      [{ severities: ['unknown'] }],
      { findings: [facts({ severity: 'unknown' })] },
      ['cap 2'],
    ],
  ])('caps: %s', (_name, caps, over, want) => {
    expect(effects(judge(caps, over))).toEqual(want);
  });

  it('names the severity that matched', () => {
    expect(judge([{ severities: ['high', 'critical'] }])[0]?.evidence).toBe(
      'policy.caps[0] limits it to 2 (propose): the change fixes a high finding',
    );
  });
});
