import { z } from 'zod';
import { defineRule } from '../rule.js';

/** A target still affected by another advisory trades one known vulnerability for another. */
export const stillAffected = defineRule({
  id: 'still-affected',
  description: 'a change whose targets are still affected by an advisory is proposed (2)',
  options: z.strictObject({}),
  check: (subject, evidence) => {
    const ids = evidence.risk?.stillAffectedBy ?? [];
    if (subject.kind !== 'patch' || ids.length === 0) return [];
    return [
      { effect: 'cap', level: 2, evidence: `the target versions are still affected by ${ids.join(', ')}` },
    ];
  },
});
