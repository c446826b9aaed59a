import type { Finding } from '../../core/finding.js';
import { levelAllows, upgradeLevelOf } from '../../core/plan.js';
import { compareVersions } from '../../core/version.js';
import type { PackageMetadata } from '../../registry/types.js';
import type { BlockedFix, Candidate, Strategy, StrategyContext } from '../context.js';
import { affectedByRecords, type Evaluation, findingKey, type Intent, subtreePackages } from '../evaluate.js';
import { buildPatch } from '../patch.js';
import { resolveDep } from '../tree.js';
import { isPrerelease, parseSpec, satisfiesSpec, sortedVersions, stepBetween } from '../versions.js';
import { dependentSpecs } from './in-place.js';
import { type DirectDependency, directDependencies, manifestIntent, raisedRange } from './relax.js';

/**
 * parent-upgrade: move a direct dependency to a newer version whose resolved subtree no longer
 * holds an affected version of a package below it. It takes the targeted findings that no
 * in-place candidate fixes (`covered`): moving the vulnerable package itself is the smaller change.
 *
 * For each direct dependency D whose subtree holds such findings on other packages, D's
 * published versions above the installed one are tried in order (lowest first, highest first with
 * `preferHighest`); each is applied as npm would install it (D moved, what its new version declares
 * resolved, what nothing needs pruned: `evaluate.ts`), and D's subtree in the result is checked for
 * every affected version of each finding's package. A version is kept as a candidate when it is
 * the first to clear some finding and fixes a targeted finding overall (another dependent may
 * still hold the package); the search ends when every finding is cleared.
 *
 * A version every dependent of D already accepts is a lockfile-only change. One outside the
 * declared range raises the range as relax does (operator kept, floor raised); while the relax
 * strategy is enabled those are left to it, so the same change is not proposed twice. Versions
 * whose dependency declarations equal the last one tried are skipped: npm keeps the copies they
 * already have, so the subtree would be the same. `--upgrade-config` bounds D's step; the first
 * forbidden version that would clear a finding is kept to explain it. At most `maxRelaxVersions`
 * versions are evaluated per direct dependency.
 */

interface Target {
  readonly key: string;
  readonly finding: Finding;
}

const declSignature = (meta: PackageMetadata, version: string): string => {
  const v = meta.versions[version];
  if (!v) return '';
  return JSON.stringify([v.dependencies, v.optionalDependencies, v.peerDependencies]);
};

/** Forbidden versions evaluated per dependency, to explain what `--upgrade-config` holds back. */
const maxBlockedTries = 3;

export const parentUpgrade: Strategy = async (ctx) => {
  const targetedByPackage = new Map<string, Finding[]>();
  for (const f of ctx.targeted) {
    if (ctx.covered.has(findingKey(f))) continue;
    const key = `${f.package.name}@${f.package.version}`;
    const list = targetedByPackage.get(key);
    if (list) list.push(f);
    else targetedByPackage.set(key, [f]);
  }
  const directs = directDependencies(ctx, targetedByPackage)
    .map((d) => ({ ...d, targets: d.targets.filter((f) => f.package.name !== d.name) }))
    .filter((d) => d.targets.length > 0);
  await ctx.cache.fetch(directs.map((d) => d.name));
  const results = await Promise.all(directs.map((d) => searchDependency(ctx, d)));
  const candidates: Candidate[] = [];
  for (const c of results.flatMap((r) => r.candidates)) {
    if (!candidates.some((x) => x.patch.id === c.patch.id)) candidates.push(c);
  }
  return { candidates, blocked: results.flatMap((r) => r.blocked) };
};

const toCandidate = (ctx: StrategyContext, evaluation: Evaluation): Candidate => ({
  strategy: 'parent-upgrade',
  intents: evaluation.intents,
  evaluation,
  patch: buildPatch('parent-upgrade', evaluation, ctx.baseline, ctx.cache.peek, ctx.now),
});

/** The targets no affected version of which is left in the dependency's subtree after a change. */
const clearedBy = (
  ctx: StrategyContext,
  d: DirectDependency,
  evaluation: Evaluation,
  open: readonly Target[],
): Target[] => {
  const at = resolveDep(evaluation.tree, d.importer, d.decl);
  if (at === undefined) return [];
  const byName = new Map<string, string[]>();
  for (const key of subtreePackages(evaluation.tree, at)) {
    const split = key.lastIndexOf('@');
    const name = key.slice(0, split);
    const list = byName.get(name);
    if (list) list.push(key.slice(split + 1));
    else byName.set(name, [key.slice(split + 1)]);
  }
  return open.filter(
    (t) =>
      !(byName.get(t.finding.package.name) ?? []).some((v) =>
        affectedByRecords(ctx.baseline, t.finding.package.name, v, t.finding.advisories),
      ),
  );
};

const searchDependency = async (
  ctx: StrategyContext,
  d: DirectDependency,
): Promise<{ candidates: Candidate[]; blocked: BlockedFix[] }> => {
  const { baseline, options } = ctx;
  const candidates: Candidate[] = [];
  const blocked: BlockedFix[] = [];
  const meta = ctx.cache.peek(d.name);
  const level = upgradeLevelOf(options.upgradeConfig, d.name);
  if (!meta || level === 'none') return { candidates, blocked };
  const relaxEnabled = options.strategies.includes('relax');
  const specs = dependentSpecs(baseline, [d.location]).map((s) => parseSpec(s));
  const upgrades = sortedVersions(meta).filter(
    (v) => compareVersions(v, d.installed) > 0 && !isPrerelease(v),
  );
  const order = options.preferHighest ? [...upgrades].reverse() : upgrades;
  const seen = new Set<string>();
  let open: Target[] = [];
  for (const f of d.targets) {
    const key = findingKey(f);
    if (!seen.has(key)) {
      seen.add(key);
      open.push({ key, finding: f });
    }
  }
  let lastSignature = declSignature(meta, d.installed);
  let tried = 0;
  let blockedTries = 0;
  let fallback: Candidate | undefined;
  for (const version of order) {
    if (open.length === 0 || tried >= options.maxRelaxVersions) break;
    const inRange = specs.every((s) => satisfiesSpec(version, s));
    if (!inRange && relaxEnabled) continue;
    const signature = declSignature(meta, version);
    if (inRange && signature === lastSignature) continue;
    lastSignature = signature;
    const step = stepBetween(d.installed, version);
    const allowed = levelAllows(level, step);
    if (!allowed && (blocked.length > 0 || blockedTries >= maxBlockedTries)) {
      if (options.preferHighest) continue;
      break;
    }
    const intent: Intent = inRange
      ? { kind: 'lock', name: d.name, from: d.installed, to: version, locations: [d.location] }
      : manifestIntent(d, raisedRange(d.decl.spec, version));
    const evaluation = await ctx.evaluate([intent]);
    if (allowed) tried++;
    else blockedTries++;
    if (!evaluation.ok) continue;
    const cleared = clearedBy(ctx, d, evaluation, open);
    if (cleared.length === 0) continue;
    const fixes = evaluation.fixes.map(findingKey).filter((k) => baseline.targeted.has(k));
    if (!allowed) {
      if (fixes.length > 0) {
        blocked.push({
          strategy: 'parent-upgrade',
          findings: fixes,
          name: d.name,
          from: d.installed,
          to: version,
          step,
          level,
          ...(inRange ? {} : { dependency: d.decl.key, range: raisedRange(d.decl.spec, version) }),
        });
      }
      continue;
    }
    if (fixes.length === 0) continue;
    const candidate = toCandidate(ctx, evaluation);
    if (options.avoidIntroducing && evaluation.introduces.length > 0) {
      fallback ??= candidate;
      continue;
    }
    candidates.push(candidate);
    const done = new Set(cleared.map((t) => t.key));
    open = open.filter((t) => !done.has(t.key));
  }
  if (candidates.length === 0 && fallback) candidates.push(fallback);
  return { candidates, blocked };
};
