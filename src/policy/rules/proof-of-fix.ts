import { z } from 'zod';
import { defineRule } from '../rule.js';

/**
 * A change is a fix only when the re-resolved tree proves it: no finding it claims to fix is left
 * on any path. Until `fix` has checked (at plan time), or when the check finds one left, it is
 * proposed at most.
 */
export const proofOfFix = defineRule({
  id: 'proof-of-fix',
  description:
    'merging (3) needs the proof of fix (no finding left in the re-resolved tree); otherwise proposed (2)',
  options: z.strictObject({}),
  check: (subject, evidence) => {
    if (subject.kind !== 'patch') return [];
    const proof = evidence.proof;
    if (!proof) {
      return [
        {
          effect: 'cap',
          level: 2,
          evidence: 'not proven yet (fix re-resolves the tree and looks for the findings)',
        },
      ];
    }
    if (!proof.proven && proof.stillPresent.length === 0 && (proof.introduced ?? []).length > 0) {
      return [
        {
          effect: 'cap',
          level: 2,
          evidence: `the re-resolved tree has new findings: ${(proof.introduced ?? []).join(', ')}`,
        },
      ];
    }
    if (!proof.proven) {
      const left = proof.stillPresent.length === 0 ? 'a finding' : proof.stillPresent.join(', ');
      return [{ effect: 'cap', level: 2, evidence: `the re-resolved tree still has ${left}` }];
    }
    return [{ effect: 'allow', evidence: 'proven: no finding it fixes is left in the re-resolved tree' }];
  },
});
