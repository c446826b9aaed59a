import type { Finding } from '../../core/finding.js';
import { levelAllows, type UpgradeLevel, upgradeLevelOf } from '../../core/plan.js';
import { compareVersions, parseVersion } from '../../core/version.js';
import type { PackageMetadata } from '../../registry/types.js';
import type { BlockedFix, Candidate, Strategy, StrategyContext } from '../context.js';
import {
  affectedByRecords,
  type Baseline,
  type Evaluation,
  findingKey,
  type Intent,
  intentKey,
  subtreePackages,
} from '../evaluate.js';
import type { MetadataLookup } from '../metadata.js';
import { buildPatch } from '../patch.js';
import { effectiveSpec } from '../resolve.js';
import { type DepDecl, resolveDep } from '../tree.js';
import {
  isPrerelease,
  maxSatisfying,
  parseSpec,
  pickVersion,
  rangeText,
  satisfiesRange,
  satisfiesSpec,
  sortedVersions,
  stepBetween,
  withRange,
} from '../versions.js';
import { dependentSpecs } from './in-place.js';

/**
 * relax: raise a direct dependency's declared range above its current upper bound, so that the
 * version npm then installs, and the subtree it resolves, no longer holds the findings.
 *
 * For each direct dependency whose subtree holds a targeted finding, target ranges are tried in
 * order of preference and each is evaluated by re-resolving (`evaluate.ts`). A range is kept when
 * it fixes something and no range kept before it fixes at least as much while introducing at most
 * as much; the search stops at the first range that fixes, without introducing anything, every
 * finding only this dependency holds in place, or, when a range fixes nothing because other
 * dependencies hold the findings too, at the first that leaves none of them in this dependency's
 * subtree (capped at `maxRelaxVersions` ranges).
 *
 * A finding that several direct dependencies hold in place (each path to it constrains it to an
 * affected version; a range that would allow a fixed one does not count, osv-scanner's
 * "constraining subgraph" rule) is fixed by relaxing all of them together: for each, the first
 * range that removes the affected version from its own subtree.
 *
 * Ranges (`relaxRanges`):
 * - `floor` (default): the range keeps its operator (exact, `~` or `^`; anything else becomes `^`)
 *   and its floor is the lowest version, above the current upper bound and not affected by the
 *   dependency's own findings, that installs a given version; lowest such version first, or
 *   highest with `preferHighest`. `^1.0.0` with a fix in 3.0.0 becomes `^3.0.0`.
 * - `osv-scanner`: osv-scanner's steps, one at a time until the findings are gone: an exact
 *   version to `~` its highest patch, then `^` its highest minor, then `^` the highest of each next
 *   major.
 */

/** A dependency an importer declares, whose installed subtree holds targeted findings. */
export interface DirectDependency {
  readonly id: string;
  readonly importer: string;
  readonly decl: DepDecl;
  readonly location: string;
  readonly name: string;
  readonly installed: string;
  readonly targets: readonly Finding[];
}

interface Step {
  readonly range: string;
  readonly install: string;
}

interface Tried {
  readonly step: Step;
  readonly allowed: boolean;
  readonly evaluation: Evaluation;
}

const depId = (importer: string, key: string): string => `${importer}\u0000${key}`;

// Each tried range's subtree is looked at for every finding several dependencies hold: once.
const subtrees = new WeakMap<Tried, ReadonlySet<string>>();

/** The name@version set of the dependency's subtree after a tried range. */
const subtreeOf = (t: Tried, d: DirectDependency): ReadonlySet<string> => {
  let set = subtrees.get(t);
  if (!set) {
    const at = resolveDep(t.evaluation.tree, d.importer, d.decl);
    set = at === undefined ? new Set() : subtreePackages(t.evaluation.tree, at);
    subtrees.set(t, set);
  }
  return set;
};

export const relax: Strategy = async (ctx) => {
  const { baseline } = ctx;
  const targetedByPackage = new Map<string, Finding[]>();
  for (const f of ctx.targeted) {
    const key = `${f.package.name}@${f.package.version}`;
    const list = targetedByPackage.get(key);
    if (list) list.push(f);
    else targetedByPackage.set(key, [f]);
  }
  const directs = directDependencies(ctx, targetedByPackage);
  await ctx.cache.fetch([...directs.map((d) => d.name), ...ctx.targeted.map((f) => f.package.name)]);
  const constraining = new Map<string, Set<string>>();
  for (const f of ctx.targeted)
    constraining.set(findingKey(f), constrainingDependencies(baseline, f, ctx.cache.peek));
  const searches = await Promise.all(
    directs.map(async (d) => {
      const exclusive = d.targets.map(findingKey).filter((k) => {
        const set = constraining.get(k);
        return set !== undefined && set.size === 1 && set.has(d.id);
      });
      return { direct: d, ...(await searchDependency(ctx, d, new Set(exclusive))) };
    }),
  );
  const candidates: Candidate[] = searches.flatMap((s) => s.candidates);
  const blocked: BlockedFix[] = searches.flatMap((s) => s.blocked);

  // Findings that no single relaxation fixes, held in place by several direct dependencies.
  const fixedSomehow = new Set(candidates.flatMap((c) => c.evaluation.fixes.map(findingKey)));
  const searchOf = new Map(searches.map((s) => [s.direct.id, s]));
  const tried = new Set<string>();

  for (const f of ctx.targeted) {
    const key = findingKey(f);
    const deps = constraining.get(key);
    if (fixedSomehow.has(key) || !deps || deps.size === 0) continue;
    // The copies no constraining dependency holds, whose dependents' ranges already accept a
    // fixed version (another workspace's nested copy): moved in place in the same patch.
    const rest = restInPlace(ctx, f, deps);
    if (deps.size < 2 && rest === undefined) continue;
    const intents: Intent[] = [];
    for (const id of [...deps].sort()) {
      const search = searchOf.get(id);
      const pick = search?.tried.find((t) => {
        if (!t.allowed || !t.evaluation.ok) return false;
        if (resolveDep(t.evaluation.tree, search.direct.importer, search.direct.decl) === undefined)
          return false;
        return !subtreeOf(t, search.direct).has(`${f.package.name}@${f.package.version}`);
      });
      if (!search || !pick) {
        intents.length = 0;
        break;
      }
      intents.push(manifestIntent(search.direct, pick.step.range));
    }
    if (intents.length === 0 || (intents.length < 2 && rest === undefined)) continue;
    if (rest !== undefined) intents.push(rest);
    const id = intentKey(intents);
    if (tried.has(id)) continue;
    tried.add(id);
    const evaluation = await ctx.evaluate(intents);
    if (!evaluation.ok || !evaluation.fixes.some((x) => findingKey(x) === key)) continue;
    const candidate = toCandidate(ctx, evaluation);
    if (!candidates.some((c) => c.patch.id === candidate.patch.id)) candidates.push(candidate);
    for (const x of evaluation.fixes) fixedSomehow.add(findingKey(x));
  }
  return { candidates, blocked };
};

/**
 * A lock intent for the copies of a finding's package that the constraining dependencies do not
 * hold: those whose every dependent's range (after overrides) accepts a version the finding's
 * vulnerabilities do not affect, moved to the lowest such. undefined when there are none, or when
 * every copy is held.
 */
const restInPlace = (ctx: StrategyContext, f: Finding, deps: ReadonlySet<string>): Intent | undefined => {
  const { baseline } = ctx;
  const meta = ctx.cache.peek(f.package.name);
  // yarn 1 moves a version's lockfile entry for every pattern it serves, never some copies of it.
  if (!meta || deps.size === 0 || baseline.keepResolved) return undefined;
  const level = upgradeLevelOf(ctx.options.upgradeConfig, f.package.name);
  const fixes = sortedVersions(meta).filter(
    (v) =>
      compareVersions(v, f.package.version) > 0 &&
      !affectedByRecords(baseline, f.package.name, v, f.advisories) &&
      levelAllows(level, stepBetween(f.package.version, v)),
  );
  // Only registry copies move (a bundled one ships in its parent's tarball): any other holds.
  const locations = f.locations.filter((at) => baseline.reached.has(at));
  const movable = (at: string): boolean => {
    const node = baseline.tree.nodes.get(at);
    return node?.source === 'registry' && !node.bundled;
  };
  const specsOf = (at: string) => dependentSpecs(baseline, [at]).map((spec) => parseSpec(spec));
  // A copy is free when every dependent's range accepts some fixed version.
  const free = locations.filter((at) => {
    if (!movable(at)) return false;
    const specs = specsOf(at);
    return specs.length > 0 && fixes.some((v) => specs.every((spec) => satisfiesSpec(v, spec)));
  });
  if (free.length === 0 || free.length === locations.length) return undefined;
  const specs = free.flatMap(specsOf);
  const to = fixes.find((v) => specs.every((spec) => satisfiesSpec(v, spec)));
  if (to === undefined) return undefined;
  return { kind: 'lock', name: f.package.name, from: f.package.version, to, locations: [...free].sort() };
};

export const manifestIntent = (d: DirectDependency, range: string): Intent => ({
  kind: 'manifest',
  importer: d.importer,
  key: d.decl.key,
  spec: range,
});

const toCandidate = (ctx: StrategyContext, evaluation: Evaluation): Candidate => ({
  strategy: 'relax',
  intents: evaluation.intents,
  evaluation,
  patch: buildPatch('relax', evaluation, ctx.baseline, ctx.cache.peek, ctx.now),
});

export const directDependencies = (
  ctx: StrategyContext,
  targetedByPackage: ReadonlyMap<string, readonly Finding[]>,
): DirectDependency[] => {
  const { baseline, options } = ctx;
  const out: DirectDependency[] = [];
  for (const importer of baseline.tree.importers) {
    const node = baseline.tree.nodes.get(importer);
    if (!node) continue;
    for (const decl of node.deps) {
      if (decl.target !== undefined || decl.type === 'peer') continue;
      if (options.ignoreDev && decl.type === 'dev') continue;
      if (parseSpec(decl.spec).kind === 'other') continue;
      const location = resolveDep(baseline.tree, importer, decl);
      const target = location === undefined ? undefined : baseline.tree.nodes.get(location);
      if (target?.source !== 'registry' || location === undefined) continue;
      const targets: Finding[] = [];
      for (const key of subtreePackages(baseline.tree, location))
        targets.push(...(targetedByPackage.get(key) ?? []));
      if (targets.length === 0) continue;
      out.push({
        id: depId(importer, decl.key),
        importer,
        decl,
        location,
        name: target.name,
        installed: target.version,
        targets,
      });
    }
  }
  return out;
};

/**
 * The direct dependencies that hold a finding in place: follow the dependents of the affected
 * copies up to the importers, starting only from dependents whose range allows no fixed version
 * (its highest match is affected); if none is such, from all of them.
 */
export const constrainingDependencies = (
  baseline: Baseline,
  f: Finding,
  peek: MetadataLookup,
): Set<string> => {
  const meta = peek(f.package.name) ?? undefined;
  const locations = f.locations.filter((at) => baseline.reached.has(at));
  const edges = locations.flatMap((to) => baseline.dependents.get(to) ?? []);
  const constraining = edges.filter((e) => {
    const spec = parseSpec(effectiveSpec(baseline, baseline.tree, e.from, e.decl).spec);
    const best = meta ? maxSatisfying(meta, spec) : undefined;
    return best === undefined || affectedByRecords(baseline, f.package.name, best, f.advisories);
  });
  const out = new Set<string>();
  const seen = new Set<string>();
  const queue: string[] = [];
  const visit = (e: { from: string; decl: DepDecl }): void => {
    if (baseline.tree.nodes.get(e.from)?.importer) out.add(depId(e.from, e.decl.key));
    else if (!seen.has(e.from)) {
      seen.add(e.from);
      queue.push(e.from);
    }
  };
  for (const e of constraining.length > 0 ? constraining : edges) visit(e);
  for (let i = 0; i < queue.length; i++) {
    for (const e of baseline.dependents.get(queue[i] as string) ?? []) visit(e);
  }
  return out;
};

const searchDependency = async (
  ctx: StrategyContext,
  d: DirectDependency,
  exclusive: ReadonlySet<string>,
): Promise<{ candidates: Candidate[]; blocked: BlockedFix[]; tried: Tried[] }> => {
  const { baseline, options } = ctx;
  const candidates: Candidate[] = [];
  const blocked: BlockedFix[] = [];
  const tried: Tried[] = [];
  const meta = ctx.cache.peek(d.name);
  const level = upgradeLevelOf(options.upgradeConfig, d.name);
  if (!meta || level === 'none') return { candidates, blocked, tried };
  const own = d.targets.filter((f) => f.package.name === d.name && f.package.version === d.installed);
  const ownRecords = new Set(own.flatMap((f) => f.advisories));
  const steps =
    options.relaxRanges === 'osv-scanner'
      ? osvScannerSteps(d.decl.spec, meta, level, options.nodeVersion)
      : floorSteps(
          d.decl.spec,
          meta,
          d.installed,
          options.preferHighest,
          (v) => (ownRecords.size > 0 ? affectedByRecords(baseline, d.name, v, ownRecords) : false),
          options.nodeVersion,
        );
  const tries = steps.slice(0, options.maxRelaxVersions);
  // The floors skip versions still affected by one of the dependency's findings; when the upgrade
  // level allows none of them, the highest version it allows may still fix some: tried last, kept
  // only if it fixes something, and never a pick for a finding several dependencies hold.
  const partial =
    options.relaxRanges === 'floor' &&
    !tries.some((s) => levelAllows(level, stepBetween(d.installed, s.install)))
      ? highestAllowed(d, meta, level, options.nodeVersion)
      : undefined;
  if (partial && !tries.some((s) => s.install === partial.install)) tries.push(partial);
  const kept: { allowed: boolean; fixes: Set<string>; introduces: Set<string> }[] = [];
  for (const step of tries) {
    const allowed =
      options.relaxRanges === 'osv-scanner' || levelAllows(level, stepBetween(d.installed, step.install));
    const evaluation = await ctx.evaluate([manifestIntent(d, step.range)]);
    const attempt: Tried = { step, allowed, evaluation };
    if (step !== partial) tried.push(attempt);
    if (!evaluation.ok) continue;
    const fixes = new Set(evaluation.fixes.map(findingKey).filter((k) => baseline.targeted.has(k)));
    if (fixes.size === 0) {
      if (step === partial) continue;
      // The findings are held by other dependencies as well. Ranges are tried on only until one
      // leaves none of them in this dependency's subtree: that is the one a combination with the
      // other dependencies takes, and a higher one would not change what this one alone fixes.
      const subtree = subtreeOf(attempt, d);
      if (allowed && d.targets.every((f) => !subtree.has(`${f.package.name}@${f.package.version}`))) break;
      continue;
    }
    const introduces = new Set(evaluation.introduces.map((i) => `${i.id}\u0000${i.name}@${i.version}`));
    const dominated = kept.some(
      (k) =>
        k.allowed === allowed &&
        [...fixes].every((x) => k.fixes.has(x)) &&
        [...k.introduces].every((x) => introduces.has(x)),
    );
    if (dominated) continue;
    kept.push({ allowed, fixes, introduces });
    if (allowed) {
      candidates.push(toCandidate(ctx, evaluation));
      if (introduces.size === 0 && [...exclusive].every((k) => fixes.has(k))) break;
    } else {
      blocked.push({
        strategy: 'relax',
        findings: [...fixes],
        name: d.name,
        from: d.installed,
        to: step.install,
        step: stepBetween(d.installed, step.install),
        level,
        dependency: d.decl.key,
        range: step.range,
      });
    }
  }
  return { candidates, blocked, tried };
};

/** The highest release above the declared range the upgrade level allows, as a raised range. */
const highestAllowed = (
  d: DirectDependency,
  meta: PackageMetadata,
  level: UpgradeLevel,
  node: string | undefined,
): Step | undefined => {
  if (level === 'major' || level === 'none') return undefined;
  const top = maxSatisfying(meta, parseSpec(d.decl.spec)) ?? d.installed;
  const allowed = sortedVersions(meta).filter(
    (v) => compareVersions(v, top) > 0 && !isPrerelease(v) && levelAllows(level, stepBetween(d.installed, v)),
  );
  const version = allowed.at(-1);
  if (version === undefined) return undefined;
  // Under patch steps a caret would let npm install a later minor.
  const raised = raisedRange(d.decl.spec, version);
  const range = level === 'patch' ? raised.replace(/\^(?=\d)/, '~') : raised;
  const install = pickVersion(meta, parseSpec(range), undefined, node);
  return install === undefined ? undefined : { range, install };
};

const exactPattern = /^=?v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * A declared spec with its floor raised to `version`, keeping its operator: exact stays exact, `~`
 * stays `~`, anything else becomes `^` (an `npm:` alias prefix is kept).
 */
export const raisedRange = (spec: string, version: string): string => {
  const text = rangeText(spec).trim();
  const operator = exactPattern.test(text) ? '' : text.startsWith('~') ? '~' : '^';
  return withRange(spec, `${operator}${version}`);
};

/** PatchPilot's ranges: the operator kept, the floor raised (see the module comment). */
export const floorSteps = (
  spec: string,
  meta: PackageMetadata,
  installed: string,
  preferHighest: boolean,
  floorAffected: (version: string) => boolean,
  node?: string | undefined,
): Step[] => {
  const parsed = parseSpec(spec);
  const top = maxSatisfying(meta, parsed) ?? installed;
  const above = sortedVersions(meta).filter((v) => compareVersions(v, top) > 0 && !isPrerelease(v));
  const steps: Step[] = [];
  const seen = new Set<string>();
  for (const v of preferHighest ? [...above].reverse() : above) {
    if (floorAffected(v)) continue;
    const range = raisedRange(spec, v);
    const install = pickVersion(meta, parseSpec(range), undefined, node);
    if (install === undefined || seen.has(install)) continue;
    seen.add(install);
    steps.push({ range, install });
  }
  return steps;
};

type Difference = 'same' | 'major' | 'minor' | 'patch' | 'prerelease';

const differenceRank: Record<Difference, number> = { major: 0, minor: 1, patch: 2, prerelease: 3, same: 4 };

/** The first component two versions differ in (no 0.x rule: osv-scanner's notion). */
const difference = (a: string, b: string): Difference => {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return 'major';
  if (x.major !== y.major) return 'major';
  if (x.minor !== y.minor) return 'minor';
  if (x.patch !== y.patch) return 'patch';
  return x.prerelease.join('.') === y.prerelease.join('.') ? 'same' : 'prerelease';
};

const osvAllows = (level: UpgradeLevel, diff: Difference): boolean =>
  diff === 'same' ||
  level === 'major' ||
  (level === 'minor' && diff !== 'major') ||
  (level === 'patch' && diff !== 'major' && diff !== 'minor');

/** One osv-scanner relaxation step from a range, or undefined when there is nowhere to go. */
export const nextOsvScannerRange = (
  range: string,
  meta: PackageMetadata,
  level: UpgradeLevel,
): string | undefined => {
  const parsed = parseSpec(range);
  let matches: (v: string) => boolean;
  if (parsed.kind === 'range') matches = (v) => satisfiesRange(v, parsed.range);
  else if (parsed.kind === 'tag') {
    const tagged = meta.distTags[parsed.tag];
    matches = (v) => v === tagged;
  } else return undefined;
  const versions = sortedVersions(meta);
  let last = -1;
  let next = -1;
  let nextIsPre = true;
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i] as string;
    if (matches(v)) {
      last = i;
      break;
    }
    if (!isPrerelease(v) || nextIsPre) {
      next = i;
      nextIsPre = isPrerelease(v);
    }
  }
  if (next === -1 || last === -1) return undefined;
  let base = versions[last] as string;
  let diff = difference(base, versions[next] as string);
  if (!osvAllows(level, diff)) return undefined;
  if (diff === 'major') {
    base = versions[next] as string;
    diff = 'minor';
  }
  let best = versions[next] as string;
  for (let i = next + 1; i < versions.length; i++) {
    const v = versions[i] as string;
    const d = difference(base, v);
    if (!osvAllows(level, d) || differenceRank[d] < differenceRank[diff]) break;
    if (!isPrerelease(v) || nextIsPre) best = v;
  }
  return withRange(range, `${diff === 'patch' ? '~' : '^'}${best}`);
};

export const osvScannerSteps = (
  spec: string,
  meta: PackageMetadata,
  level: UpgradeLevel,
  node?: string | undefined,
): Step[] => {
  const steps: Step[] = [];
  let range = spec;
  for (let i = 0; i < 100; i++) {
    const next = nextOsvScannerRange(range, meta, level);
    if (next === undefined) break;
    const install = pickVersion(meta, parseSpec(next), undefined, node);
    if (install === undefined) break;
    steps.push({ range: next, install });
    range = next;
  }
  return steps;
};
