import { describe, expect, it } from 'vitest';
import {
  checkPatch,
  effects,
  evidence,
  patch,
  planTimeEvidence,
  risk,
} from '../../../test/helpers/policy.js';
import type { RiskFact } from '../../config/schema.js';
import type { RiskFacts } from '../../core/plan.js';
import type { Evidence } from '../../core/verdict.js';
import { factCap } from './fact-cap.js';

const judge = (
  facts: RiskFact[],
  r: Partial<RiskFacts> = {},
  over: Partial<Evidence> = {},
  planTime = false,
) => {
  const p = patch({ risk: risk(r) });
  const ev = planTime ? planTimeEvidence(p, over) : evidence(p, over);
  return checkPatch(factCap, p, ev, { caps: [{ index: 0, facts, maxLevel: 1 }] });
};

describe('fact-cap', () => {
  it.each<[string, RiskFact[], Partial<RiskFacts>, Partial<Evidence>]>([
    ['major on a patch step', ['major'], {}, {}],
    ['downgrade on an upgrade', ['downgrade'], {}, {}],
    ['override on an in-place change', ['override'], {}, {}],
    ['adds-install-script when none is added', ['adds-install-script'], {}, {}],
    ['young-release on a 30-day-old target', ['young-release'], {}, {}],
    ['deprecated on a maintained target', ['deprecated'], {}, {}],
    ['still-affected on a clean target', ['still-affected'], {}, {}],
    ['untested when the tests passed and loaded the package', ['untested'], {}, {}],
    ['in-range on a manifest edit', ['in-range'], { inRange: false }, {}],
  ])('passes: %s', (_name, facts, r, over) => {
    expect(judge(facts, r, over)).toEqual([]);
  });

  it.each<[string, RiskFact[], Partial<RiskFacts>, Partial<Evidence>, boolean]>([
    ['major', ['major'], { step: 'major' }, {}, false],
    ['minor', ['minor', 'major'], { step: 'minor' }, {}, false],
    ['patch', ['patch'], {}, {}, false],
    ['in-range', ['in-range'], {}, {}, false],
    ['downgrade', ['downgrade'], { downgrade: true }, {}, false],
    ['override', ['override'], {}, { override: true }, false],
    ['adds-install-script', ['adds-install-script'], { addsInstallScript: true }, {}, false],
    [
      'adds-install-script when unknown',
      ['adds-install-script'],
      { addsInstallScript: undefined },
      {},
      false,
    ],
    ['young-release', ['young-release'], { ageDays: 1 }, {}, false],
    [
      'young-release when the age is unknown',
      ['young-release'],
      { ageDays: undefined, publishedAt: undefined },
      {},
      false,
    ],
    ['deprecated', ['deprecated'], { deprecated: 'lib@1.0.1: unmaintained' }, {}, false],
    ['still-affected', ['still-affected'], { stillAffectedBy: ['GHSA-2'] }, {}, false],
    ['untested at plan time', ['untested'], {}, {}, true],
    ['untested: the tests failed', ['untested'], {}, { tests: { passed: false, exercised: ['lib'] } }, false],
    ['untested: never loaded', ['untested'], {}, { tests: { passed: true, exercised: [] } }, false],
  ])('caps: %s', (_name, facts, r, over, planTime) => {
    expect(effects(judge(facts, r, over, planTime))).toEqual(['cap 1']);
  });

  it('names the facts that matched', () => {
    expect(judge(['major', 'downgrade'], { step: 'major', downgrade: true })[0]?.evidence).toBe(
      'policy.caps[0] limits it to 1 (report): the change has major, downgrade',
    );
  });
});
