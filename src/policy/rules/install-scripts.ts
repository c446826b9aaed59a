import { z } from 'zod';
import { defineRule } from '../rule.js';

/**
 * A target that runs install scripts its current version did not is how many compromised releases
 * act; so is one the registry did not describe (fail closed). Planning never runs them
 * (--ignore-scripts); the first developer to install the merged change would.
 */
export const installScripts = defineRule({
  id: 'install-scripts',
  description: 'a change whose targets add install scripts (or may: unknown) is proposed (2)',
  options: z.strictObject({}),
  check: (subject, evidence) => {
    const risk = evidence.risk;
    if (subject.kind !== 'patch' || !risk || risk.addsInstallScript === false) return [];
    return [
      risk.addsInstallScript === true
        ? {
            effect: 'cap',
            level: 2,
            evidence:
              'a target version runs install scripts (preinstall, install or postinstall) its current version did not',
          }
        : {
            effect: 'cap',
            level: 2,
            evidence:
              'unknown whether a target version adds install scripts: the registry answer does not say',
          },
    ];
  },
});
