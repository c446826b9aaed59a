import { z } from 'zod';
import { changesWhere } from '../match.js';
import { defineRule } from '../rule.js';

const major = (version: string | undefined): string | undefined => version?.split('.')[0];

/**
 * The size of the change. A patch step, or any step the declared ranges already accept (a
 * lockfile-only change: the dependents asked for it), may merge; a minor step that needs a new
 * range, and every major step, is proposed. Any change inside 0.x counts as major (the planner's
 * step says so: 0.x releases promise nothing).
 */
export const semverStep = defineRule({
  id: 'semver-step',
  description:
    'patch steps and in-range steps may merge; minors that edit a range and all majors (0.x included) are proposed (2)',
  options: z.strictObject({}),
  check: (subject, evidence) => {
    const risk = evidence.risk;
    if (subject.kind !== 'patch' || !risk) return [];
    const { patch } = subject;
    const largest = changesWhere(patch, (c) => c.step === risk.step);
    switch (risk.step) {
      case 'none':
        return [
          { effect: 'allow', evidence: 'no installed version moves (packages are only added or removed)' },
        ];
      case 'patch':
        return [{ effect: 'allow', evidence: `patch step: ${largest}` }];
      case 'minor':
        return risk.inRange
          ? [
              {
                effect: 'allow',
                evidence: `minor step inside the declared ranges (lockfile-only): ${largest}`,
              },
            ]
          : [{ effect: 'cap', level: 2, evidence: `minor step that raises a declared range: ${largest}` }];
      default: {
        const zero = changesWhere(
          patch,
          (c) => c.step === 'major' && major(c.from) === '0' && major(c.to) === '0',
        );
        const note = zero === '' ? '' : ' (a change inside 0.x counts as major)';
        return [{ effect: 'cap', level: 2, evidence: `major step${note}: ${largest}` }];
      }
    }
  },
});
