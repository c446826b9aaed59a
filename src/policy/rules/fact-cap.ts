import { capRuleOptions, checkCaps } from '../match.js';
import { defineRule } from '../rule.js';

/**
 * Caps of `policy.caps` that name only `facts`: the cap applies when the change has one of the
 * facts (unknown counts as present; see `factsOf`).
 * Each entry of `policy.caps` belongs to one cap rule, by its first condition in the order
 * packages, scopes, severities, facts (`capsFor` in ../index.ts), and that rule checks all of its
 * conditions: an entry is one cap, named once.
 */
export const factCap = defineRule({
  id: 'fact-cap',
  description: 'caps changes with a risk fact a policy.caps entry names (entries with facts only)',
  options: capRuleOptions,
  check: (subject, evidence, options) => (subject.kind === 'patch' ? checkCaps(evidence, options) : []),
});
