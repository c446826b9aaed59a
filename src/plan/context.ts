import type { Finding } from '../core/finding.js';
import type { Patch, PlanOptions, SemverStep, StrategyName, UpgradeLevel } from '../core/plan.js';
import type { Baseline, Evaluation, Intent } from './evaluate.js';
import type { MetadataCache } from './metadata.js';

/** What every strategy gets, and the one shape each returns. */

export interface StrategyContext {
  readonly baseline: Baseline;
  readonly options: PlanOptions;
  readonly cache: MetadataCache;
  /** The findings the options target, in id order. */
  readonly targeted: readonly Finding[];
  readonly now: Date;
  /**
   * `findingKey`s of the targeted findings that a candidate of another strategy already fixes
   * without introducing anything: the override strategy, run last, leaves them alone.
   */
  readonly covered: ReadonlySet<string>;
  /** Applies intents to the original tree (fetching the metadata it needs); memoised per intent set. */
  evaluate(intents: readonly Intent[]): Promise<Evaluation>;
  /** The intents applied after an earlier evaluation's, on the tree it left (memoised). */
  evaluateOn(on: Evaluation, intents: readonly Intent[]): Promise<Evaluation>;
}

/** One possible patch: the intents that make it, what they do, and the patch describing it. */
export interface Candidate {
  readonly strategy: StrategyName;
  readonly intents: readonly Intent[];
  readonly evaluation: Evaluation;
  readonly patch: Patch;
}

/** A fix that exists but that `--upgrade-config` forbids: kept to explain the finding. */
export interface BlockedFix {
  readonly strategy: StrategyName;
  /** `findingKey`s of the findings it would fix. */
  readonly findings: readonly string[];
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly step: SemverStep;
  readonly level: UpgradeLevel;
  /** For relax: the direct dependency and the range it would need. */
  readonly dependency?: string;
  readonly range?: string;
}

export interface StrategyResult {
  readonly candidates: readonly Candidate[];
  readonly blocked: readonly BlockedFix[];
}

/** A strategy: a leaf of `strategies/`, registered in `strategies/index.ts`. */
export type Strategy = (context: StrategyContext) => Promise<StrategyResult>;
