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
 * weigh most (override patches only once no other candidate fixes anything still unfixed) (each finding weighs its priority score, 0-100; at least 1); ties go to the least
 * change (fewer packages changed, then smaller semver steps, then lockfile-only before manifest
 * edits), then to the lowest target version (highest with `preferHighest`), then to the patch id.
 * A pick that touches packages (install locations, manifest entries) an earlier pick touched is
 * re-evaluated together with those picks (and with the picks whose packages that evaluation
 * touches in turn); it is kept only if together they still fix everything
 * they fixed, fix something more, resolve cleanly, and introduce no finding. Picks touching
 * nothing in common are independent and taken as evaluated; the whole plan is evaluated once at
 * the end, and if that disagrees the greedy runs again re-evaluating every pick on top of all
 * before it. A candidate that introduces a finding (malicious records included) is never picked.
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
}

export const choosePatches = async (ctx: RankContext, candidates: readonly Candidate[]): Promise<Ranking> => {
  const pool = candidates.filter(
    (c) => c.evaluation.ok && c.evaluation.introduces.length === 0 && c.patch.score.fixed > 0,
  );
  // Patches that touch disjoint parts of the tree are taken as evaluated alone, and checked once
  // together at the end; only when that check fails is every pick re-evaluated on the ones before.
  const fast = await greedy(ctx, pool, true);
  if (fast) return finish(ctx, candidates, fast);
  return finish(ctx, candidates, (await greedy(ctx, pool, false)) as Picked);
};

interface Picked {
  readonly chosen: Chosen[];
  readonly final: Evaluation;
}

const finish = (ctx: RankContext, candidates: readonly Candidate[], picked: Picked): Ranking => {
  const taken = new Set(picked.chosen.map((c) => c.candidate));
  const alternatives = candidates
    .filter((c) => !taken.has(c))
    .sort((a, b) => comparePatches(a.patch, b.patch, ctx.options.preferHighest));
  return { chosen: picked.chosen, final: picked.final, alternatives };
};

const disjoint = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => {
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  for (const x of small) if (large.has(x)) return false;
  return true;
};

/** Picks taken so far whose footprints meet: they are evaluated together, apart from the rest. */
interface Group {
  readonly intents: readonly Intent[];
  readonly footprint: ReadonlySet<string>;
}

/**
 * The greedy pick. With `trustDisjoint`, a pick whose footprint does not meet the footprint of
 * any pick taken so far is accepted as evaluated alone, and one that does is evaluated together
 * with the picks it meets (transitively); everything is then verified by one evaluation of all
 * picks together, and undefined is returned when that fails. Without it, every pick is evaluated
 * on top of all picks before it.
 */
const greedy = async (
  ctx: RankContext,
  candidates: readonly Candidate[],
  trustDisjoint: boolean,
): Promise<Picked | undefined> => {
  const { baseline, options } = ctx;
  const weightOf = (key: string): number =>
    baseline.targeted.has(key) ? (baseline.weights.get(key) ?? 1) : 0;
  const targetedFixes = (e: Evaluation): Set<string> =>
    new Set(e.fixes.map(findingKey).filter((k) => baseline.targeted.has(k)));
  let pool = [...candidates];
  let groups: Group[] = [];
  const fixed = new Set<string>();
  const chosen: Chosen[] = [];
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
    let meeting = trustDisjoint
      ? groups.filter((g) => !disjoint(g.footprint, pick.evaluation.footprint))
      : groups;
    if (meeting.length === 0) {
      chosen.push({ candidate: pick, patch: pick.patch });
      for (const k of targetedFixes(pick.evaluation)) fixed.add(k);
      groups.push({ intents: pick.intents, footprint: pick.evaluation.footprint });
      continue;
    }
    let before = meeting.flatMap((g) => g.intents);
    let state = await ctx.evaluate(before);
    let combined = await ctx.evaluate([...before, ...pick.intents]);
    // Together with the picks it meets, the pick may reach further than it does alone (an
    // override that drops a subtree once another pick moved its parent): the picks that further
    // reach touched join the evaluation, or the patch would claim what they already fixed.
    for (;;) {
      const reached = combined.footprint;
      const more = groups.filter((g) => !meeting.includes(g) && !disjoint(g.footprint, reached));
      if (more.length === 0) break;
      meeting = [...meeting, ...more];
      before = meeting.flatMap((g) => g.intents);
      state = await ctx.evaluate(before);
      combined = await ctx.evaluate([...before, ...pick.intents]);
    }
    if (!combined.ok || combined.introduces.length > 0) continue;
    const was = targetedFixes(state);
    const now = targetedFixes(combined);
    if (![...was].every((k) => now.has(k)) || [...now].every((k) => fixed.has(k))) continue;
    const diff = diffTrees(state, combined, pick.intents, baseline.overrides, baseline.manager);
    const previous = new Set(state.fixes.map(findingKey));
    const patch = buildPatch(
      pick.strategy,
      {
        changes: annotateOverrides(
          diff.changes,
          combined.fixes.filter((f) => !previous.has(findingKey(f))),
        ),
        fixes: combined.fixes.filter((f) => !previous.has(findingKey(f))),
        introduces: [],
        stillAffectedBy: stillAffectedBy(baseline, diff.changes),
      },
      baseline,
      ctx.peek,
      ctx.now,
    );
    chosen.push({ candidate: pick, patch });
    for (const k of now) fixed.add(k);
    groups = [
      ...groups.filter((g) => !meeting.includes(g)),
      {
        intents: combined.intents,
        footprint: new Set([...combined.footprint, ...pick.evaluation.footprint]),
      },
    ];
  }
  const final = await ctx.evaluate(chosen.flatMap((c) => c.candidate.intents));
  const now = targetedFixes(final);
  if (!final.ok || final.introduces.length > 0 || ![...fixed].every((k) => now.has(k))) {
    if (trustDisjoint) return undefined;
  }
  return { chosen, final };
};
