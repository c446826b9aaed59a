import { capRuleOptions, checkCaps } from '../match.js';
import { defineRule } from '../rule.js';

/**
 * Caps of `policy.caps` that name `scopes` but no `packages`: the cap applies when a changed
 * package is installed in one of the scopes (and every other condition holds).
 * Each entry of `policy.caps` belongs to one cap rule, by its first condition in the order
 * packages, scopes, severities, facts (`capsFor` in ../index.ts), and that rule checks all of its
 * conditions: an entry is one cap, named once.
 */
export const scopeCap = defineRule({
  id: 'scope-cap',
  description:
    'caps changes of packages installed in a scope a policy.caps entry names (entries without packages)',
  options: capRuleOptions,
  check: (subject, evidence, options) => (subject.kind === 'patch' ? checkCaps(evidence, options) : []),
});
