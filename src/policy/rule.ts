import type { z } from 'zod';
import type { Patch, Unfixable } from '../core/plan.js';
import type { Evidence, Reason } from '../core/verdict.js';

/**
 * The shape every policy rule has (one file each under rules/, registered in rules/index.ts): an
 * id, one line saying what it decides, the schema of its options, and a pure check. A check sees
 * one subject (a chosen patch, an alternative, or a finding nothing fixes) with its evidence and
 * returns what it has to say; `evaluatePolicy` stamps the rule's id on each reason and combines
 * them (the lowest cap wins).
 */

export type Subject =
  | { readonly kind: 'patch'; readonly patch: Patch }
  | { readonly kind: 'unfixable'; readonly unfixable: Unfixable };

/** A reason as a check returns it; `evaluatePolicy` adds the rule's id. */
export type RuleReason = Omit<Reason, 'rule'>;

export interface PolicyRule<S extends z.ZodType = z.ZodType> {
  /** kebab-case, the file's name: `semver-step` lives in rules/semver-step.ts. */
  readonly id: string;
  /** One line, shown by `explain` and listed in src/policy/README.md. */
  readonly description: string;
  /** Every option has a default, so `options.parse({})` gives the rule's default behaviour. */
  readonly options: S;
  // Method syntax on purpose: the registry lists rules of different option types as one type.
  check(subject: Subject, evidence: Evidence, options: z.output<S>): readonly RuleReason[];
}

/** Types a rule's check by its options schema. */
export const defineRule = <S extends z.ZodType>(rule: PolicyRule<S>): PolicyRule<S> => rule;
