import type { LevelCap, ProjectConfig } from '../config/normalize.js';
import type { FindingRef, Plan } from '../core/plan.js';
import type { Evidence, Level, Reason, Verdict } from '../core/verdict.js';
import {
  type EvidenceContext,
  findingSubjectKey,
  gatherEvidence,
  patchEvidence,
  unfixableEvidence,
} from './evidence.js';
import type { CapOption } from './match.js';
import type { PolicyRule, Subject } from './rule.js';
import { policyRules } from './rules/index.js';

/**
 * policy: Plan × evidence × the project's policy → a `Verdict` per chosen patch and per finding
 * nothing fixes. Pure. Every subject starts at the project's ceiling (`policy.maxLevel`; 4 and 5
 * only when configured, and 3 for a dependency change), every rule is applied, the lowest cap
 * wins, and every cap is named in the reasons whether or not it is the one that decided.
 */

export type PolicyConfig = ProjectConfig['policy'];

export interface UnfixableVerdict {
  readonly finding: FindingRef;
  readonly verdict: Verdict;
}

export interface PolicyEvaluation {
  /** By patch id, for every chosen patch. */
  readonly patches: ReadonlyMap<string, Verdict>;
  /** One per `plan.unfixable` entry, in its order: level 1 with the planner's reason. */
  readonly unfixable: readonly UnfixableVerdict[];
}

type CapRuleId = 'package-cap' | 'scope-cap' | 'severity-cap' | 'fact-cap';

/** The cap rule an entry of `policy.caps` belongs to: its first condition, packages → scopes → severities → facts. */
export const capOwner = (cap: LevelCap): CapRuleId =>
  cap.packages ? 'package-cap' : cap.scopes ? 'scope-cap' : cap.severities ? 'severity-cap' : 'fact-cap';

const capsFor = (policy: PolicyConfig, owner: CapRuleId): CapOption[] =>
  policy.caps.flatMap((cap, index) =>
    capOwner(cap) === owner
      ? [
          {
            index,
            ...(cap.packages ? { packages: [...cap.packages] } : {}),
            ...(cap.scopes ? { scopes: [...cap.scopes] } : {}),
            ...(cap.severities ? { severities: [...cap.severities] } : {}),
            ...(cap.facts ? { facts: [...cap.facts] } : {}),
            maxLevel: cap.maxLevel,
            ...(cap.reason === undefined ? {} : { reason: cap.reason }),
          },
        ]
      : [],
  );

/** The project's policy as each rule's options (a rule not named here runs on its defaults). */
export const ruleOptions = (policy: PolicyConfig): Readonly<Record<string, unknown>> => {
  const capRule = (owner: CapRuleId) => ({
    caps: capsFor(policy, owner),
    minReleaseAgeDays: policy.minReleaseAgeDays,
  });
  return {
    'max-level': { maxLevel: policy.maxLevel },
    'release-age': { minReleaseAgeDays: policy.minReleaseAgeDays, epssThreshold: policy.epssThreshold },
    'package-cap': capRule('package-cap'),
    'scope-cap': capRule('scope-cap'),
    'severity-cap': capRule('severity-cap'),
    'fact-cap': capRule('fact-cap'),
  };
};

/** The rules with their options parsed: what one evaluation applies to every subject. */
export interface PreparedPolicy {
  readonly maxLevel: Level;
  readonly rules: readonly { readonly rule: PolicyRule; readonly options: unknown }[];
}

export const preparePolicy = (
  policy: PolicyConfig,
  rules: readonly PolicyRule[] = policyRules,
): PreparedPolicy => {
  const options = ruleOptions(policy);
  return {
    maxLevel: policy.maxLevel,
    rules: rules.map((rule) => ({ rule, options: rule.options.parse(options[rule.id] ?? {}) })),
  };
};

/** Combines reasons: the lowest cap (and the ceiling) wins; `cappedBy` names the caps at that level. */
export const combineReasons = (ceiling: Level, reasons: readonly Reason[]): Verdict => {
  let level = ceiling;
  for (const r of reasons)
    if (r.effect === 'cap' && r.level !== undefined && r.level < level) level = r.level;
  const cappedBy: string[] = [];
  for (const r of reasons) {
    if (r.effect === 'cap' && r.level === level && !cappedBy.includes(r.rule)) cappedBy.push(r.rule);
  }
  return { level, reasons, cappedBy };
};

/** One subject's verdict: every rule applied, in registry order. */
export const evaluateSubject = (subject: Subject, evidence: Evidence, prepared: PreparedPolicy): Verdict => {
  const reasons: Reason[] = [];
  for (const { rule, options } of prepared.rules) {
    for (const r of rule.check(subject, evidence, options)) reasons.push({ rule: rule.id, ...r });
  }
  return combineReasons(prepared.maxLevel, reasons);
};

/**
 * The verdicts of a plan. `evidence` is keyed by patch id (and by `findingSubjectKey` for
 * unfixable findings), as `gatherEvidence` builds it; a subject without an entry is judged on
 * what the plan alone says about it.
 */
export const evaluatePolicy = (
  plan: Plan,
  evidence: ReadonlyMap<string, Evidence>,
  policy: PolicyConfig,
): PolicyEvaluation => {
  const prepared = preparePolicy(policy);
  const patches = new Map<string, Verdict>();
  for (const patch of plan.patches) {
    patches.set(
      patch.id,
      evaluateSubject({ kind: 'patch', patch }, evidence.get(patch.id) ?? patchEvidence(patch), prepared),
    );
  }
  const unfixable = plan.unfixable.map((u) => ({
    finding: u.finding,
    verdict: evaluateSubject(
      { kind: 'unfixable', unfixable: u },
      evidence.get(findingSubjectKey(u.finding)) ?? unfixableEvidence(u),
      prepared,
    ),
  }));
  return { patches, unfixable };
};

/** The verdicts of a plan as plain data (for JSON): patch id → verdict, and one per unfixable finding. */
export interface PlanVerdicts {
  readonly patches: Readonly<Record<string, Verdict>>;
  readonly unfixable: readonly UnfixableVerdict[];
}

/**
 * Evidence and verdicts in one call, for a plan fresh from the planner: what `plan` shows beside
 * each patch and `explain` details. `tests` and `proofs` (from `fix`) are optional.
 */
export const judgePlan = (
  plan: Plan,
  context: EvidenceContext & { readonly policy: PolicyConfig },
): PlanVerdicts => {
  const { policy, ...evidenceContext } = context;
  const result = evaluatePolicy(plan, gatherEvidence(plan, evidenceContext), policy);
  return { patches: Object.fromEntries(result.patches), unfixable: result.unfixable };
};

export {
  changedPackages,
  type EvidenceContext,
  findingSubjectKey,
  gatherEvidence,
  patchEvidence,
  unfixableEvidence,
} from './evidence.js';
export type { PolicyRule, RuleReason, Subject } from './rule.js';
export { policyRules, ruleById } from './rules/index.js';
