import { capRuleOptions, checkCaps } from '../match.js';
import { defineRule } from '../rule.js';

/**
 * Caps of `policy.caps` that name `packages`: the cap applies when a changed package matches one
 * of the patterns (and every other condition of the entry holds).
 * Each entry of `policy.caps` belongs to one cap rule, by its first condition in the order
 * packages, scopes, severities, facts (`capsFor` in ../index.ts), and that rule checks all of its
 * conditions: an entry is one cap, named once.
 */
export const packageCap = defineRule({
  id: 'package-cap',
  description:
    'caps changes of packages matching a policy.caps entry with packages (all its other conditions must hold too)',
  options: capRuleOptions,
  check: (subject, evidence, options) => (subject.kind === 'patch' ? checkCaps(evidence, options) : []),
});
