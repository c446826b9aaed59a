import { describe, expect, it } from 'vitest';
import { checkPatch, evidence, patch, planTimeEvidence } from '../../../test/helpers/policy.js';
import type { ProofEvidence } from '../../core/verdict.js';
import { proofOfFix } from './proof-of-fix.js';

const judge = (proof: ProofEvidence | undefined) => {
  const p = patch();
  return checkPatch(proofOfFix, p, proof ? evidence(p, { proof }) : planTimeEvidence(p));
};

describe('proof-of-fix', () => {
  it('allows: the re-resolved tree has none of the findings', () => {
    expect(judge({ proven: true, stillPresent: [] })).toEqual([
      { effect: 'allow', evidence: 'proven: no finding it fixes is left in the re-resolved tree' },
    ]);
  });

  it.each<[string, ProofEvidence | undefined, string]>([
    [
      'not proven yet (plan time)',
      undefined,
      'not proven yet (fix re-resolves the tree and looks for the findings)',
    ],
    [
      'a finding is left on another path',
      { proven: false, stillPresent: ['GHSA-aaaa-bbbb-cccc lib@1.0.0'] },
      'the re-resolved tree still has GHSA-aaaa-bbbb-cccc lib@1.0.0',
    ],
    [
      'a new finding appeared',
      { proven: false, stillPresent: [], introduced: ['GHSA-dddd-eeee-ffff dep@2.0.0'] },
      'the re-resolved tree has new findings: GHSA-dddd-eeee-ffff dep@2.0.0',
    ],
    [
      'disproven without detail',
      { proven: false, stillPresent: [] },
      'the re-resolved tree still has a finding',
    ],
  ])('proposes (2): %s', (_name, proof, text) => {
    expect(judge(proof)).toEqual([{ effect: 'cap', level: 2, evidence: text }]);
  });
});
