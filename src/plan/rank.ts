import type { Patch, PlanOptions } from '../core/plan.js';
import { compareVersions } from '../core/version.js';
import type { Candidate } from './context.js';
import {
  annotateOverrides,
  type Baseline,
  diffTrees,
  type Evaluation,
  findingKey,
  type Intent,
  stillAffectedBy,
} from './evaluate.js';
import { buildPatch, type PeekMetadata } from './patch.js';

/**
 * Ranking: which candidates to apply, and in which order.
 *
 * A weighted set cover, greedy: the next patch is the one whose still-unfixed targeted findings
 * weigh most (each finding weighs its priority score, 0-100; at least 1), override patches only
 * once no other candidate fixes anything still unfixed; ties go to the least change (fewer
 * packages changed, then smaller semver steps, then lockfile-only before manifest edits), then
 * to the lowest target version (highest with `preferHighest`), then to the patch id.
 *
 * Patches are applied one after the other, each installed on the tree the ones before it left
 * (as `fix` applies them), so each pick after the first is evaluated again on that tree: it is
 * kept only if it still resolves cleanly, introduces no finding, keeps every fix made so far and
 * fixes something more; its patch then states what it changes on that tree. The project after
 * the last pick is the plan's outcome. A candidate that introduces a finding (malicious records
 * included), or that edits a manifest entry (a range, an override) an earlier pick edited, is
 * never picked.
 */

const primaryVersion = (patch: Patch): string | undefined => {
  for (const c of patch.changes) if (c.kind === 'lock' || c.kind === 'manifest') return c.to;
  return undefined;
};

/** The order of candidates of equal weight: least change, preferred version, id. */
export const compareByChange = (a: Patch, b: Patch, preferHighest: boolean): number => {
  const byChange =
    a.score.packagesChanged - b.score.packagesChanged ||
    a.score.stepCost - b.score.stepCost ||
    Number(!a.risk.inRange) - Number(!b.risk.inRange);
  if (byChange !== 0) return byChange;
  const va = primaryVersion(a);
  const vb = primaryVersion(b);
  if (va !== undefined && vb !== undefined && va !== vb) {
    const c = compareVersions(va, vb);
    if (c !== 0) return preferHighest ? -c : c;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};

/** Best first: overrides after every other strategy, then weight, then `compareByChange`. */
export const comparePatches = (a: Patch, b: Patch, preferHighest: boolean): number =>
  Number(a.strategy === 'override') - Number(b.strategy === 'override') ||
  b.score.weight - a.score.weight ||
  compareByChange(a, b, preferHighest);

export interface Chosen {
  readonly candidate: Candidate;
  /** The patch as applied after the ones before it. */
  readonly patch: Patch;
}

export interface Ranking {
  readonly chosen: readonly Chosen[];
  /** The project after every chosen patch. */
  readonly final: Evaluation;
  /** Candidates not chosen, best first. */
  readonly alternatives: readonly Candidate[];
}

export interface RankContext {
  readonly baseline: Baseline;
  readonly options: PlanOptions;
  readonly peek: PeekMetadata;
  readonly now: Date;
  evaluate(intents: readonly Intent[]): Promise<Evaluation>;
  evaluateOn(on: Evaluation, intents: readonly Intent[]): Promise<Evaluation>;
}

export const choosePatches = async (ctx: RankContext, candidates: readonly Candidate[]): Promise<Ranking> => {
  const pool = candidates.filter(
    (c) => c.evaluation.ok && c.evaluation.introduces.length === 0 && c.patch.score.fixed > 0,
  );
  const picked = await greedy(ctx, pool);
  const taken = new Set(picked.chosen.map((c) => c.candidate));
  const alternatives = candidates
    .filter((c) => !taken.has(c))
    .sort((a, b) => comparePatches(a.patch, b.patch, ctx.options.preferHighest));
  return { chosen: picked.chosen, final: picked.final, alternatives };
};

/** The manifest entry an intent edits, if any. */
const entryOf = (intent: Intent): string[] =>
  intent.kind === 'manifest'
    ? [`${intent.importer}\u0000${intent.key}`]
    : intent.kind === 'override'
      ? [`override\u0000${intent.path.join('\u0000')}`]
      : [];

/** The greedy pick: each pick evaluated on the tree the picks before it leave. */
const greedy = async (
  ctx: RankContext,
  candidates: readonly Candidate[],
): Promise<{ chosen: Chosen[]; final: Evaluation }> => {
  const { baseline, options } = ctx;
  const weightOf = (key: string): number =>
    baseline.targeted.has(key) ? (baseline.weights.get(key) ?? 1) : 0;
  const targetedFixes = (e: Evaluation): Set<string> =>
    new Set(e.fixes.map(findingKey).filter((k) => baseline.targeted.has(k)));
  let pool = [...candidates];
  /** The project after the picks so far; undefined before the first. */
  let state: Evaluation | undefined;
  const fixed = new Set<string>();
  const chosen: Chosen[] = [];
  /** The manifest entries (dependency ranges, overrides) chosen patches edit. */
  const edited = new Set<string>();
  while (pool.length > 0) {
    // Overrides are the last resort: one is picked only when no other candidate fixes anything
    // still unfixed.
    const best: (Candidate | undefined)[] = [undefined, undefined];
    const bestWeight = [0, 0];
    for (const c of pool) {
      let weight = 0;
      for (const f of c.evaluation.fixes) {
        const key = findingKey(f);
        if (!fixed.has(key)) weight += weightOf(key);
      }
      weight = Math.round(weight * 10) / 10;
      const tier = c.strategy === 'override' ? 1 : 0;
      const current = best[tier];
      if (
        current === undefined ||
        weight > (bestWeight[tier] as number) ||
        (weight === bestWeight[tier] && compareByChange(c.patch, current.patch, options.preferHighest) < 0)
      ) {
        best[tier] = c;
        bestWeight[tier] = weight;
      }
    }
    const tier = (bestWeight[0] as number) > 0 ? 0 : 1;
    if (!best[tier] || bestWeight[tier] === 0) break;
    const pick = best[tier] as Candidate;
    pool = pool.filter((c) => c !== pick);
    // One patch per manifest entry: a second raise of a range an earlier patch raised would
    // depend on that patch, and could not be applied or rolled back on its own.
    const entries = pick.intents.flatMap(entryOf);
    if (entries.some((e) => edited.has(e))) continue;
    if (state === undefined) {
      chosen.push({ candidate: pick, patch: pick.patch });
      for (const e of entries) edited.add(e);
      for (const k of targetedFixes(pick.evaluation)) fixed.add(k);
      state = pick.evaluation;
      continue;
    }
    const combined = await ctx.evaluateOn(state, pick.intents);
    if (!combined.ok || combined.introduces.length > 0) continue;
    const now = targetedFixes(combined);
    if (![...fixed].every((k) => now.has(k)) || [...now].every((k) => fixed.has(k))) continue;
    const diff = diffTrees(state, combined, pick.intents, baseline.overrides, baseline.manager);
    const previous = new Set(state.fixes.map(findingKey));
    const fixes = combined.fixes.filter((f) => !previous.has(findingKey(f)));
    const patch = buildPatch(
      pick.strategy,
      {
        changes: annotateOverrides(diff.changes, fixes),
        fixes,
        introduces: [],
        stillAffectedBy: stillAffectedBy(baseline, diff.changes),
      },
      baseline,
      ctx.peek,
      ctx.now,
    );
    chosen.push({ candidate: pick, patch });
    for (const e of entries) edited.add(e);
    for (const k of now) fixed.add(k);
    state = combined;
  }
  return { chosen, final: state ?? (await ctx.evaluate([])) };
};
