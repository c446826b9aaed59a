import { capRuleOptions, checkCaps } from '../match.js';
import { defineRule } from '../rule.js';

/**
 * Caps of `policy.caps` that name `severities` but no `packages` or `scopes`: the cap applies when
 * a finding the change fixes has one of them (and every other condition holds).
 * Each entry of `policy.caps` belongs to one cap rule, by its first condition in the order
 * packages, scopes, severities, facts (`capsFor` in ../index.ts), and that rule checks all of its
 * conditions: an entry is one cap, named once.
 */
export const severityCap = defineRule({
  id: 'severity-cap',
  description:
    'caps changes that fix a finding of a severity a policy.caps entry names (entries without packages or scopes)',
  options: capRuleOptions,
  check: (subject, evidence, options) => (subject.kind === 'patch' ? checkCaps(evidence, options) : []),
});
