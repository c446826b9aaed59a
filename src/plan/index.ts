import { priorityOf } from '../assess/priority.js';
import type { Advisory, SeverityLabel } from '../core/advisory.js';
import { severityRank } from '../core/advisory.js';
import { PatchPilotError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import type { Inventory } from '../core/inventory.js';
import {
  compareFindingRefs,
  type FindingRef,
  findingRefKey,
  type IgnoredFinding,
  overrideField,
  overrideManagerOf,
  type Patch,
  type Plan,
  type PlanOptions,
  type StaleOverride,
  type StrategyName,
  strategyNames,
  type Unfixable,
  type UpgradeConfig,
  type UpgradeLevel,
} from '../core/plan.js';
import type { PackageMetadata, RegistrySource } from '../registry/types.js';
import type { BlockedFix, Candidate, StrategyContext, StrategyResult } from './context.js';
import {
  affectedByRecords,
  type Baseline,
  countAfter,
  createBaseline,
  type Evaluation,
  evaluateIntents,
  findingKey,
  grownVersions,
  type Intent,
  intentKey,
  refOf,
} from './evaluate.js';
import { isGraphFormat, npmLayout } from './layout.js';
import { createMetadataCache, type MetadataCache, runWithMetadata } from './metadata.js';
import { overrideKeyShown, parseOverrides } from './overrides.js';
import { riskFacts } from './patch.js';
import { withDeclaredRanges } from './pnpm-ranges.js';
import { choosePatches, comparePatches } from './rank.js';
import { inventoryFromTree, type ManifestDependencies, resolveManifestTree } from './resolve.js';
import { strategies } from './strategies/index.js';
import { treeFromInventory } from './tree.js';
import { explainUnfixable, overrideNotes } from './unfixable.js';

/**
 * plan: findings × registry metadata → Plan. `assemblePlan` is async only because metadata comes
 * through a RegistrySource (fetched as the decisions need it, in parallel); every decision is a
 * pure function of the inventory, the findings, the advisories and the metadata fetched.
 */

export interface PlanInput {
  readonly inventory: Inventory;
  readonly findings: readonly Finding[];
  /** The advisory store's lookup: every record naming a package (malicious ones included). */
  readonly advisoriesFor: (name: string) => readonly Advisory[];
  readonly registry: RegistrySource;
  readonly now: Date;
  /** The root package.json's npm `overrides`, honoured when resolving. */
  readonly overrides?: unknown;
  /**
   * For yarn `resolutions` and pnpm `pnpm.overrides` converted to npm's shape: each entry's key
   * as written, by `writtenKeyOf` its path (`ForeignOverrides.written`).
   */
  readonly overrideKeys?: ReadonlyMap<string, string>;
}

export const defaultPlanOptions: PlanOptions = {
  strategies: [...strategyNames],
  preferHighest: false,
  maxDepth: 0,
  minSeverity: undefined,
  ignoreDev: false,
  upgradeConfig: { default: 'major', packages: {} },
  dependencies: 'resolve',
  relaxRanges: 'floor',
  avoidIntroducing: true,
  maxRelaxVersions: 40,
  nodeVersion: undefined,
};

/**
 * The settings under which PatchPilot's strategies reproduce `osv-scanner fix` where the two agree
 * on what a fix is (the conformance tests run them): highest version first, a new version's
 * dependencies must be met by the current ones, osv-scanner's relaxation steps, and the first fix
 * found is taken even when it introduces a finding (the plan still never applies it).
 */
export const osvScannerCompatible: Partial<PlanOptions> = {
  preferHighest: true,
  dependencies: 'existing',
  relaxRanges: 'osv-scanner',
  avoidIntroducing: false,
  maxRelaxVersions: 1000,
};

export const planOptions = (partial: Partial<PlanOptions> = {}): PlanOptions => ({
  ...defaultPlanOptions,
  ...partial,
});

const levels: readonly UpgradeLevel[] = ['major', 'minor', 'patch', 'none'];

/**
 * `--upgrade-config` values as osv-scanner reads them: `PKG:LEVEL` for one package, a bare
 * `LEVEL` for every package not named (the last one wins).
 */
export const parseUpgradeConfig = (entries: readonly string[]): UpgradeConfig => {
  let fallback: UpgradeLevel = 'major';
  const packages: Record<string, UpgradeLevel> = {};
  for (const entry of entries) {
    const colon = entry.lastIndexOf(':');
    const name = colon === -1 ? '' : entry.slice(0, colon);
    const level = (colon === -1 ? entry : entry.slice(colon + 1)) as UpgradeLevel;
    if (!levels.includes(level)) {
      throw new PatchPilotError(
        'USAGE',
        `--upgrade-config ${entry}: the level must be one of ${levels.join(', ')}`,
        {
          hint: 'write PKG:LEVEL (for example lodash:minor) or a bare LEVEL for every package',
        },
      );
    }
    if (name === '') fallback = level;
    else packages[name] = level;
  }
  return { default: fallback, packages };
};

/** Why the options leave a finding out, if they do. */
export const ignoreReason = (f: Finding, options: PlanOptions): IgnoredFinding['reason'] | undefined => {
  // A `not_affected` VEX statement: there is nothing to fix.
  if (f.vex?.suppressed === true) return 'suppressed';
  if (options.ignoreDev && f.scope === 'dev') return 'dev';
  if (f.kind !== 'malicious' && options.minSeverity !== undefined) {
    if (typeof options.minSeverity === 'number') {
      if (f.cvssScore !== undefined && Math.round(f.cvssScore * 10) < Math.round(options.minSeverity * 10)) {
        return 'severity';
      }
    } else if (
      f.severity !== 'unknown' &&
      severityRank[f.severity] < severityRank[options.minSeverity as SeverityLabel]
    ) {
      return 'severity';
    }
  }
  if (options.maxDepth > 0) {
    const shortest = f.paths[0];
    if (shortest !== undefined && shortest.length - 1 > options.maxDepth) return 'depth';
  }
  return undefined;
};

/** Everything the strategies and the ranking share for one project. */
export interface Planning {
  /** The inventory's lockfile format. */
  readonly format: string;
  readonly baseline: Baseline;
  readonly options: PlanOptions;
  readonly cache: MetadataCache;
  readonly targeted: readonly Finding[];
  readonly ignored: readonly IgnoredFinding[];
  readonly context: StrategyContext;
}

/** npm lockfiles are install trees already; the graph formats are planned on an npm layout. */
const supportedFormat = (format: string): boolean => format.startsWith('npm') || isGraphFormat(format);

/**
 * The input the planner works on. npm lockfiles are install trees already. A graph lockfile
 * (yarn, pnpm, bun) is planned on its npm layout (`layout.ts`), with the findings' locations
 * moved to the layout's; for pnpm, the ranges its packages declare come from the registry first.
 */
export const plannableInput = async (input: PlanInput): Promise<PlanInput> => {
  const { format } = input.inventory;
  if (format.startsWith('npm') || !supportedFormat(format)) return input;
  const ranged = format.startsWith('pnpm-') ? await withDeclaredRanges(input) : input;
  const layout = npmLayout(ranged.inventory);
  const locations = new Map<string, string[]>();
  for (const pkg of layout.packages.values()) {
    const key = `${pkg.name}@${pkg.version}`;
    const list = locations.get(key);
    if (list) list.push(pkg.id);
    else locations.set(key, [pkg.id]);
  }
  const findings = input.findings.map((f) => ({
    ...f,
    locations: locations.get(`${f.package.name}@${f.package.version}`) ?? [],
  }));
  return { ...ranged, inventory: layout, findings };
};

/** Sets up planning: the tree, the targeted findings, the metadata cache, the memoised evaluator. */
export const preparePlanning = (input: PlanInput, partial: Partial<PlanOptions> = {}): Planning => {
  const options = planOptions(partial);
  const tree = treeFromInventory(input.inventory);
  const targeted: Finding[] = [];
  const ignored: IgnoredFinding[] = [];
  const weights = new Map<string, number>();
  for (const f of input.findings) {
    const reason = ignoreReason(f, options);
    if (reason) {
      ignored.push({ finding: refOf(f), reason });
      continue;
    }
    targeted.push(f);
    weights.set(findingKey(f), Math.max(1, f.priority?.score ?? priorityOf(f).score));
  }
  targeted.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : compareFindingRefs(refOf(a), refOf(b))));
  ignored.sort((a, b) => compareFindingRefs(a.finding, b.finding));
  const root = tree.nodes.get('');
  const rootSpecs: Record<string, string> = {};
  for (const d of root?.deps ?? []) rootSpecs[d.key] = d.spec;
  const baseline = createBaseline({
    tree,
    findings: input.findings,
    targeted: new Set(targeted.map(findingKey)),
    weights,
    advisoriesFor: input.advisoriesFor,
    overrides: parseOverrides(input.overrides, rootSpecs, input.overrideKeys),
    options,
    manager: overrideManagerOf(input.inventory.format),
    // yarn 1 applies resolutions below the project only; npm its overrides to workspaces too.
    overridesReachImporters: /^(yarn-berry|pnpm|bun)/.test(input.inventory.format)
      ? true
      : input.inventory.format.startsWith('npm')
        ? 'workspaces'
        : false,
    // yarn 1 keeps every lockfile entry whose pattern is still declared.
    keepResolved: input.inventory.format === 'yarn-v1',
  });
  const cache = createMetadataCache(input.registry);
  const memo = new Map<string, Promise<Evaluation>>();
  const evaluate = (intents: readonly Intent[]): Promise<Evaluation> => {
    const key = intentKey(intents);
    let pending = memo.get(key);
    if (!pending) {
      pending = runWithMetadata(cache, (lookup) => evaluateIntents(baseline, intents, lookup));
      memo.set(key, pending);
    }
    return pending;
  };
  const memoOn = new WeakMap<Evaluation, Map<string, Promise<Evaluation>>>();
  const evaluateOn = (on: Evaluation, intents: readonly Intent[]): Promise<Evaluation> => {
    let byIntents = memoOn.get(on);
    if (!byIntents) {
      byIntents = new Map();
      memoOn.set(on, byIntents);
    }
    const key = intentKey(intents);
    let pending = byIntents.get(key);
    if (!pending) {
      pending = runWithMetadata(cache, (lookup) => evaluateIntents(baseline, intents, lookup, { on }));
      byIntents.set(key, pending);
    }
    return pending;
  };
  const context: StrategyContext = {
    baseline,
    options,
    cache,
    targeted,
    now: input.now,
    covered: new Set(),
    evaluate,
    evaluateOn,
  };
  return { format: input.inventory.format, baseline, options, cache, targeted, ignored, context };
};

export interface CandidateSet {
  readonly candidates: readonly Candidate[];
  readonly blocked: readonly BlockedFix[];
}

/** Runs the enabled strategies: every candidate patch, before ranking. */
export const computeCandidates = async (planning: Planning): Promise<CandidateSet> => {
  if (!supportedFormat(planning.format)) return { candidates: [], blocked: [] };
  // Strategies share the metadata cache and the memoised evaluations; their results are joined
  // in the order the options list them, so running them at once changes nothing but the wait.
  // The override strategy runs last, on what the others leave.
  // parent-upgrade takes the findings in-place does not fix; override, last, those no other
  // strategy fixes.
  const enabled = (name: StrategyName): boolean => planning.options.strategies.includes(name);
  const none: StrategyResult = { candidates: [], blocked: [] };
  const run = (name: StrategyName, covered: ReadonlySet<string>): Promise<StrategyResult> =>
    enabled(name) ? strategies[name]({ ...planning.context, covered }) : Promise.resolve(none);
  const relaxed = run('relax', new Set());
  const inPlace = await run('in-place', new Set());
  const upgraded = await run('parent-upgrade', coveredBy([inPlace]));
  const results = [inPlace, await relaxed, upgraded];
  results.push(await run('override', coveredBy(results)));
  // Joined in the order of the options, whatever order they ran in.
  const order = strategyNames.filter(enabled);
  const byName = new Map<StrategyName, StrategyResult>([
    ['in-place', inPlace],
    ['relax', results[1] as StrategyResult],
    ['parent-upgrade', upgraded],
    ['override', results[3] as StrategyResult],
  ]);
  const joined = planning.options.strategies
    .filter((name, i, all) => all.indexOf(name) === i && order.includes(name))
    .map((name) => byName.get(name) as StrategyResult);
  return { candidates: joined.flatMap((r) => r.candidates), blocked: joined.flatMap((r) => r.blocked) };
};

/** The findings some candidate fixes without introducing anything. */
const coveredBy = (results: readonly StrategyResult[]): Set<string> => {
  const covered = new Set<string>();
  for (const c of results.flatMap((r) => r.candidates)) {
    if (!c.evaluation.ok || c.evaluation.introduces.length > 0) continue;
    for (const f of c.evaluation.fixes) covered.add(findingKey(f));
  }
  return covered;
};

/** Plans the remediation of one project. */
export const assemblePlan = async (given: PlanInput, partial: Partial<PlanOptions> = {}): Promise<Plan> => {
  const input = await plannableInput(given);
  const planning = preparePlanning(input, partial);
  const { baseline, options, cache } = planning;
  const supported = supportedFormat(planning.format);
  const { candidates, blocked } = await computeCandidates(planning);
  const peek = (name: string): PackageMetadata | null | undefined => cache.peek(name);
  const ranking = await choosePatches(
    {
      baseline,
      options,
      peek,
      now: input.now,
      evaluate: planning.context.evaluate,
      evaluateOn: planning.context.evaluateOn,
    },
    candidates,
  );

  // Publish times of the chosen patches' target versions come from the full documents, which
  // can be a hundred times larger than the abbreviated ones: they are fetched only for the
  // packages a patch moves (lock and manifest changes). Deprecation and install scripts of added
  // packages are in the abbreviated documents already.
  const names = new Set<string>();
  for (const c of ranking.chosen)
    for (const x of c.patch.changes) if (x.kind === 'lock' || x.kind === 'manifest') names.add(x.name);
  const full = new Map<string, PackageMetadata | null>();
  await Promise.all(
    [...names].map(async (n) => {
      full.set(n, await cache.full(n));
    }),
  );
  const fullPeek = (name: string): PackageMetadata | null | undefined => full.get(name) ?? cache.peek(name);
  const patches: Patch[] = ranking.chosen.map((c) => ({
    ...c.patch,
    risk: riskFacts(c.patch.changes, c.patch.risk.stillAffectedBy, fullPeek, input.now),
  }));

  const final = ranking.final;
  const fixedKeys = new Set(final.fixes.map(findingKey));
  const unfixable: Unfixable[] = [];
  for (const f of planning.targeted) {
    if (fixedKeys.has(findingKey(f))) continue;
    if (!supported) {
      unfixable.push({
        finding: refOf(f),
        reason: 'unsupported-lockfile',
        text: `planning for ${input.inventory.format} lockfiles is not supported; PatchPilot plans npm, yarn, pnpm and bun lockfiles`,
        alternatives: [],
      });
      continue;
    }
    unfixable.push(
      explainUnfixable(
        { baseline, options, peek, candidates, blocked, chosen: ranking.chosen.map((c) => c.candidate) },
        f,
      ),
    );
  }

  const remaining = predictRemaining(baseline, final);
  const seen = new Set<string>();
  const alternatives: Patch[] = [];
  for (const c of ranking.alternatives) {
    if (seen.has(c.patch.id) || patches.some((p) => p.id === c.patch.id)) continue;
    seen.add(c.patch.id);
    alternatives.push(c.patch);
  }
  alternatives.sort((a, b) => comparePatches(a, b, options.preferHighest));
  const notes = overrideNotes(baseline, peek, input.findings);
  return {
    schemaVersion: 1,
    lockfile: input.inventory.lockfile,
    format: input.inventory.format,
    options,
    patches,
    alternatives,
    unfixable,
    ignored: planning.ignored,
    remaining,
    overrides: notes,
    staleOverrides: supported ? await findStaleOverrides(planning, new Set(notes.map((n) => n.key))) : [],
    summary: {
      findings: input.findings.length,
      targeted: planning.targeted.length,
      fixed: [...fixedKeys].filter((k) => baseline.targeted.has(k)).length,
      alsoFixed: [...fixedKeys].filter((k) => !baseline.targeted.has(k)).length,
      remaining: remaining.length,
      unfixable: unfixable.length,
    },
  };
};

/**
 * The project's overrides that no known vulnerability needs: without the entry, the tree
 * resolves and installs no version that an advisory affects and that it did not have. Entries
 * that cover a finding (`covering`: keys of `Plan.overrides`) are left to the override notes and
 * patches.
 */
export const findStaleOverrides = async (
  planning: Planning,
  covering: ReadonlySet<string>,
): Promise<StaleOverride[]> => {
  const { baseline } = planning;
  const out: StaleOverride[] = [];
  for (const rule of baseline.overrides) {
    const key = overrideKeyShown(rule, baseline.manager);
    if (covering.has(key)) continue;
    const name = rule.target.name;
    const removal = await planning.context.evaluate([
      { kind: 'override', path: rule.path, name, value: undefined },
    ]);
    if (!removal.ok || removal.introduces.length > 0) continue;
    const installed = [...baseline.counts.keys()].some((k) => k.slice(0, k.lastIndexOf('@')) === name);
    const moved = removal.changes.filter((c) => c.kind === 'lock' && c.name === name);
    const what = !installed
      ? `no installed package is ${name}`
      : moved.length > 0
        ? `without it ${moved.map((c) => (c.kind === 'lock' ? `${c.from} → ${c.to}` : '')).join(', ')} installs no version an advisory affects`
        : `the declared ranges keep ${name} where it is without it`;
    out.push({
      key,
      path: rule.path,
      value: rule.written,
      name,
      text: `${overrideField(planning.baseline.manager)} "${key}": "${rule.written}" no longer fixes anything (${what}); remove it unless it is there for another reason`,
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
};

/**
 * The findings after the plan: each one whose name@version stays, and each one that moves to a
 * version the plan installs that its vulnerability still affects.
 */
export const predictRemaining = (baseline: Baseline, final: Evaluation): FindingRef[] => {
  const out = new Map<string, FindingRef>();
  const grown = grownVersions(baseline, final.delta);
  for (const f of baseline.findings) {
    const key = `${f.package.name}@${f.package.version}`;
    if (!baseline.counts.has(key) || countAfter(baseline, final.delta, key) > 0) {
      const ref = refOf(f);
      out.set(findingRefKey(ref), ref);
      continue;
    }
    for (const { version } of grown.get(f.package.name) ?? []) {
      if (!affectedByRecords(baseline, f.package.name, version, f.advisories)) continue;
      const ref = { id: f.id, name: f.package.name, version };
      out.set(findingRefKey(ref), ref);
    }
  }
  for (const i of final.introduces) {
    const ref = { id: i.id, name: i.name, version: i.version };
    out.set(findingRefKey(ref), ref);
  }
  return [...out.values()].sort(compareFindingRefs);
};

export type { BlockedFix, Candidate, Strategy, StrategyContext, StrategyResult } from './context.js';
export type { Evaluation, Intent } from './evaluate.js';
export { inventoryFromTree, type ManifestDependencies, resolveManifestTree } from './resolve.js';

/**
 * Resolves a root manifest from scratch (no lockfile) into an Inventory, as `npm install` would
 * lay it out: for manifest-only projects, and for osv-scanner's relax fixtures.
 */
export const resolveManifest = async (
  manifest: ManifestDependencies,
  registry: RegistrySource,
  where: { readonly root: string; readonly lockfile: string },
): Promise<{ inventory: Inventory; problems: readonly string[] }> => {
  const cache = createMetadataCache(registry);
  const { tree, problems } = await runWithMetadata(cache, (meta) =>
    resolveManifestTree(manifest, { meta, overrides: [], ancestors: () => new Set(), maxNodes: 100_000 }),
  );
  return {
    inventory: inventoryFromTree(tree, where.root, where.lockfile),
    problems: problems.map((p) => `${p.location || '(root)'} → ${p.dependency}@${p.spec}: ${p.message}`),
  };
};
