import { z } from 'zod';
import { defineRule } from '../rule.js';

/** A deprecated target is one its own maintainers advise against; a human decides. */
export const deprecated = defineRule({
  id: 'deprecated',
  description: 'a change to a deprecated version is proposed (2)',
  options: z.strictObject({}),
  check: (subject, evidence) => {
    const message = evidence.risk?.deprecated;
    if (subject.kind !== 'patch' || message === undefined) return [];
    return [{ effect: 'cap', level: 2, evidence: `deprecated target: ${message}` }];
  },
});
