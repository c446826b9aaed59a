import { describe, expect, it } from 'vitest';
import {
  checkPatch,
  checkSubject,
  effects,
  patch,
  unfixable,
  unfixableEvidence,
} from '../../../test/helpers/policy.js';
import type { Unfixable } from '../../core/plan.js';
import { noFix } from './no-fix.js';

const judge = (u: Unfixable) =>
  checkSubject(noFix, { kind: 'unfixable', unfixable: u }, unfixableEvidence(u));

describe('no-fix', () => {
  it.each<[string, Partial<Unfixable>]>([
    ['no fixed version published', { reason: 'no-fix-published' }],
    ['ranges exclude every fix', { reason: 'ranges-exclude-fixes' }],
    ['every fix introduces a finding', { reason: 'would-introduce' }],
    ['not an npm lockfile', { reason: 'unsupported-lockfile' }],
  ])('reports (1): %s', (_name, over) => {
    expect(effects(judge(unfixable(over)))).toEqual(['cap 1']);
  });

  it('passes a patch (it fixes something)', () => {
    expect(checkPatch(noFix, patch())).toEqual([]);
  });

  it("states the planner's reason and what would fix it anyway", () => {
    const [reason] = judge(
      unfixable({
        reason: 'ranges-exclude-fixes',
        text: 'a@1.0.0 requires ^1.0.0, excluding every fixed version',
        alternatives: [{ kind: 'override', text: 'an npm "overrides" entry "lib": "2.0.0"' }],
      }),
    );
    expect(reason?.evidence).toBe(
      'no fix (ranges-exclude-fixes): a@1.0.0 requires ^1.0.0, excluding every fixed version; would fix it anyway: an npm "overrides" entry "lib": "2.0.0"',
    );
  });
});
