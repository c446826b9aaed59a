import type { Finding } from '../../core/finding.js';
import { levelAllows, upgradeLevelOf } from '../../core/plan.js';
import { compareVersions } from '../../core/version.js';
import type { Candidate, Strategy, StrategyContext } from '../context.js';
import { affectedByRecords, type Evaluation, findingKey, type Intent } from '../evaluate.js';
import type { OverrideRule } from '../overrides.js';
import { buildPatch } from '../patch.js';
import { effectiveSpec } from '../resolve.js';
import { isPrerelease, satisfiesSpec, sortedVersions, stepBetween } from '../versions.js';
import { groupTargets } from './in-place.js';

/**
 * override: the last resort. An entry in the root manifest's npm `overrides` forces a vulnerable
 * package to a fixed version past the ranges its dependents declare. Only findings that no
 * candidate of another strategy fixes (without introducing anything) are taken, and the ranking
 * picks an override only when nothing else fixes what is left.
 *
 * Per vulnerable name@version:
 * - when one of the project's own overrides holds it (its spec allows no fixed version), the
 *   entry is changed to the fixed version, and its removal is tried as well (the ranges under it
 *   may allow a fixed version by now);
 * - otherwise a new entry is added, scoped to the parent (`{ "parent": { "pkg": "x.y.z" } }`) when
 *   every vulnerable copy is a dependency of packages of one name, else at the top level keyed by
 *   the vulnerable version (`{ "pkg@1.2.3": "1.2.4" }`: npm applies it to the dependencies whose
 *   declared range allows 1.2.3, so copies of other majors are left alone). A package an importer
 *   depends on directly is left alone: npm refuses an override that contradicts a direct
 *   dependency (relax raises its range instead); for yarn berry, pnpm and bun, whose entries
 *   apply to the project's own dependencies, an entry of the project that pins one is changed.
 *
 * The value is an exact version: the lowest published version above the installed one that none
 * of the findings' vulnerabilities affect (highest first with `preferHighest`), within
 * `--upgrade-config`, that resolves and introduces no finding. The entry carries the ids of the
 * findings it fixes, and `outOfRange` says whether it forces a version some dependent's declared
 * range excludes.
 */

/** Target versions evaluated per vulnerable name@version. */
const maxTries = 10;

export const override: Strategy = async (ctx) => {
  const groups = groupTargets(ctx.targeted).filter((g) =>
    g.findings.some((f) => !ctx.covered.has(findingKey(f))),
  );
  await ctx.cache.fetch(groups.map((g) => g.name));
  const results = await Promise.all(groups.map((g) => planGroup(ctx, g.name, g.version, g.findings)));
  const candidates: Candidate[] = [];
  for (const c of results.flat()) {
    if (!candidates.some((x) => x.patch.id === c.patch.id)) candidates.push(c);
  }
  return { candidates, blocked: [] };
};

const toCandidate = (ctx: StrategyContext, evaluation: Evaluation): Candidate => ({
  strategy: 'override',
  intents: evaluation.intents,
  evaluation,
  patch: buildPatch('override', evaluation, ctx.baseline, ctx.cache.peek, ctx.now),
});

const planGroup = async (
  ctx: StrategyContext,
  name: string,
  version: string,
  findings: readonly Finding[],
): Promise<Candidate[]> => {
  const { baseline, options } = ctx;
  const meta = ctx.cache.peek(name);
  const level = upgradeLevelOf(options.upgradeConfig, name);
  if (!meta || level === 'none') return [];
  const wanted = findings.filter((f) => !ctx.covered.has(findingKey(f)));
  const wantedKeys = new Set(wanted.map(findingKey));
  const locations = [...baseline.reached].filter((at) => {
    const node = baseline.tree.nodes.get(at);
    return node?.source === 'registry' && node.name === name && node.version === version && !node.bundled;
  });
  if (locations.length === 0) return [];
  const dependents = locations.flatMap((l) => baseline.dependents.get(l) ?? []);
  if (dependents.length === 0) return [];
  // A package the project depends on itself: npm refuses an override that contradicts it; yarn
  // berry, pnpm and bun apply one to it, and there only an entry the project already has (which
  // pins it) is changed: for a new one, relax raising the range is the plain fix.
  // npm's reach a workspace's own dependency as any package's (`OverridesReach`).
  const reach = baseline.overridesReachImporters;
  const fromImporter = dependents.some((d) => {
    const node = baseline.tree.nodes.get(d.from);
    return node?.importer === true && !(reach === 'workspaces' && node.location !== '');
  });
  if (fromImporter && reach !== true) return [];

  // The project's own entry that holds the package, if one does.
  let existing: OverrideRule | undefined;
  for (const d of dependents) {
    const rule = effectiveSpec(baseline, baseline.tree, d.from, d.decl).rule;
    if (rule && (!existing || rule.parents.length > existing.parents.length)) existing = rule;
  }
  if (fromImporter && !existing) return [];
  let path: readonly string[];
  if (existing) path = existing.path;
  else {
    const parents = [...new Set(dependents.map((d) => baseline.tree.nodes.get(d.from)?.name ?? ''))];
    if (parents.length === 1 && parents[0] !== '') path = [parents[0] as string, name];
    else {
      // `name@version` matches only dependencies whose declared range allows the vulnerable
      // version (npm compares the key's range with the declared one), so other copies of the
      // package, other majors, keep their own versions.
      path = [`${name}@${version}`];
      // npm refuses an entry that contradicts the root's own dependency (EOVERRIDE); the
      // package managers that apply one to an importer change only an entry it already has.
      const direct = baseline.tree.importers.some(
        (id) =>
          (reach !== 'workspaces' || id === '') &&
          baseline.tree.nodes.get(id)?.deps.some((d) => d.key === name && satisfiesSpec(version, d.spec)),
      );
      if (direct) return [];
    }
  }

  const fixes = (e: Evaluation): boolean =>
    e.ok && e.fixes.some((f) => wantedKeys.has(findingKey(f))) && e.introduces.length === 0;
  const candidates: Candidate[] = [];
  if (existing) {
    const removal = await ctx.evaluate([{ kind: 'override', path, name, value: undefined }]);
    if (fixes(removal)) candidates.push(toCandidate(ctx, removal));
  }
  const records = new Set(wanted.flatMap((f) => f.advisories));
  const fixed = sortedVersions(meta).filter(
    (v) =>
      compareVersions(v, version) > 0 &&
      !isPrerelease(v) &&
      !affectedByRecords(baseline, name, v, records) &&
      levelAllows(level, stepBetween(version, v)),
  );
  const order = options.preferHighest ? [...fixed].reverse() : fixed;
  let fallback: Candidate | undefined;
  for (const to of order.slice(0, maxTries)) {
    if (existing && existing.value === to) continue;
    const intent: Intent = { kind: 'override', path, name, value: to };
    const evaluation = await ctx.evaluate([intent]);
    if (!evaluation.ok || !evaluation.fixes.some((f) => wantedKeys.has(findingKey(f)))) continue;
    if (evaluation.introduces.length > 0 && options.avoidIntroducing) {
      fallback ??= toCandidate(ctx, evaluation);
      continue;
    }
    candidates.push(toCandidate(ctx, evaluation));
    return candidates;
  }
  if (fallback) candidates.push(fallback);
  return candidates;
};
