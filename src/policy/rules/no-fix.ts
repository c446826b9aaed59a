import { z } from 'zod';
import { defineRule } from '../rule.js';

/** A finding no patch fixes is reported (1), with the planner's reason and what would fix it anyway. */
export const noFix = defineRule({
  id: 'no-fix',
  description: "a finding the plan cannot fix is reported (1), with the planner's reason",
  options: z.strictObject({}),
  check: (subject) => {
    if (subject.kind !== 'unfixable') return [];
    const { reason, text, alternatives } = subject.unfixable;
    const anyway =
      alternatives.length === 0 ? '' : `; would fix it anyway: ${alternatives.map((a) => a.text).join('; ')}`;
    return [{ effect: 'cap', level: 1, evidence: `no fix (${reason}): ${text}${anyway}` }];
  },
});
