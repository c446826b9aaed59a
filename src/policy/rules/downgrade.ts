import { z } from 'zod';
import { changesWhere } from '../match.js';
import { defineRule } from '../rule.js';

/** Moving a package to a lower version undoes its fixes and features; a human decides. */
export const downgrade = defineRule({
  id: 'downgrade',
  description: 'a change that moves a package to a lower version is proposed (2)',
  options: z.strictObject({}),
  check: (subject, evidence) => {
    if (subject.kind !== 'patch' || !evidence.risk?.downgrade) return [];
    return [
      {
        effect: 'cap',
        level: 2,
        evidence: `moves a package to a lower version: ${changesWhere(subject.patch, (c) => c.downgrade)}`,
      },
    ];
  },
});
