import { z } from 'zod';
import { overrideField } from '../../core/plan.js';
import { defineRule } from '../rule.js';

/**
 * An `overrides` / `resolutions` entry forces a version on dependents whose ranges did not ask
 * for it: they were never tested with it upstream, and the entry outlives the vulnerability.
 */
export const override = defineRule({
  id: 'override',
  description: 'a change that needs an overrides/resolutions entry is proposed (2)',
  options: z.strictObject({}),
  check: (subject, evidence) => {
    if (subject.kind !== 'patch' || !evidence.override) return [];
    const overrides = subject.patch.changes.flatMap((c) =>
      c.kind === 'override' && c.action !== 'remove' ? [c] : [],
    );
    const entries = overrides.map((c) => `"${c.key}": "${c.to ?? ''}"`);
    const field = overrideField(overrides[0]?.manager ?? 'npm');
    const what = entries.length === 0 ? 'an overrides entry' : `${field} ${entries.join(', ')}`;
    const forced = evidence.risk?.outOfRange
      ? 'it forces a version outside a range a dependent declares'
      : 'it pins a version for every dependent, and outlives the vulnerability';
    return [{ effect: 'cap', level: 2, evidence: `needs ${what}: ${forced}` }];
  },
});
