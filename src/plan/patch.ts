import {
  compareSteps,
  type PackageChange,
  type Patch,
  patchId,
  type RiskFacts,
  type SemverStep,
  type StrategyName,
  stepCost,
} from '../core/plan.js';
import type { PackageMetadata } from '../registry/types.js';
import { type Baseline, type Evaluation, findingKey, refOf } from './evaluate.js';

/** An evaluated change as a `Patch`: its risk facts and its score. */

const dayMs = 24 * 60 * 60 * 1000;

/** Metadata as known when the facts are stated: `full` documents carry publish times. */
export type PeekMetadata = (name: string) => PackageMetadata | null | undefined;

export const riskFacts = (
  changes: readonly PackageChange[],
  stillAffectedBy: readonly string[],
  peek: PeekMetadata,
  now: Date,
): RiskFacts => {
  let step: SemverStep = 'none';
  let downgrade = false;
  let inRange = true;
  let publishedAt: string | undefined;
  let deprecated: string | undefined;
  let scripts: boolean | undefined = false;
  let outOfRange: boolean | undefined;
  const addScripts = (value: boolean | undefined): void => {
    if (value === true) scripts = true;
    else if (value === undefined && scripts === false) scripts = undefined;
  };
  for (const change of changes) {
    if (change.kind === 'remove') continue;
    if (change.kind === 'override') {
      // The versions it forces are stated by the lock changes beside it.
      inRange = false;
      outOfRange = (outOfRange ?? false) || change.outOfRange;
      continue;
    }
    const meta = peek(change.name) ?? undefined;
    const target = meta?.versions[change.to];
    if (target?.deprecated !== undefined) deprecated ??= `${change.name}@${change.to}: ${target.deprecated}`;
    if (change.kind === 'add') {
      addScripts(target?.hasInstallScript);
      continue;
    }
    if (compareSteps(change.step, step) > 0) step = change.step;
    downgrade ||= change.downgrade;
    if (change.kind === 'manifest') inRange = false;
    if (
      target?.publishedAt !== undefined &&
      (publishedAt === undefined || target.publishedAt > publishedAt)
    ) {
      publishedAt = target.publishedAt;
    }
    const before = change.from === undefined ? undefined : meta?.versions[change.from];
    if (target?.hasInstallScript === true) {
      addScripts(
        before === undefined || before.hasInstallScript === undefined ? undefined : !before.hasInstallScript,
      );
    } else if (target?.hasInstallScript === undefined) {
      addScripts(undefined);
    }
  }
  const facts: RiskFacts = {
    step,
    downgrade,
    inRange,
    ...(publishedAt === undefined
      ? {}
      : { publishedAt, ageDays: Math.floor((now.getTime() - Date.parse(publishedAt)) / dayMs) }),
    ...(deprecated === undefined ? {} : { deprecated }),
    ...(scripts === undefined ? {} : { addsInstallScript: scripts }),
    stillAffectedBy: [...stillAffectedBy],
    ...(outOfRange === undefined ? {} : { outOfRange }),
  };
  return facts;
};

export const buildPatch = (
  strategy: StrategyName,
  evaluation: Pick<Evaluation, 'changes' | 'fixes' | 'introduces' | 'stillAffectedBy'>,
  baseline: Baseline,
  peek: PeekMetadata,
  now: Date,
): Patch => {
  let weight = 0;
  let fixed = 0;
  for (const f of evaluation.fixes) {
    const key = findingKey(f);
    if (!baseline.targeted.has(key)) continue;
    fixed++;
    weight += baseline.weights.get(key) ?? 1;
  }
  let cost = 0;
  for (const c of evaluation.changes)
    if (c.kind === 'lock' || c.kind === 'manifest') cost += stepCost(c.step, c.downgrade);
  return {
    id: patchId(strategy, evaluation.changes),
    strategy,
    changes: evaluation.changes,
    fixes: evaluation.fixes.map(refOf),
    introduces: evaluation.introduces,
    risk: riskFacts(evaluation.changes, evaluation.stillAffectedBy, peek, now),
    score: {
      weight: Math.round(weight * 10) / 10,
      fixed,
      packagesChanged: evaluation.changes.length,
      stepCost: cost,
    },
  };
};
