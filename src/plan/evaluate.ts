import { groupByAlias, preferredId } from '../assess/index.js';
import type { Advisory } from '../core/advisory.js';
import { effectiveSeverity, severityRank } from '../core/advisory.js';
import type { Finding } from '../core/finding.js';
import type {
  AddedPackage,
  FindingRef,
  IntroducedFinding,
  LockChange,
  ManifestChange,
  OverrideChange,
  OverrideManager,
  PackageChange,
  PlanOptions,
  RemovedPackage,
} from '../core/plan.js';
import { matchAffected } from '../intel/ranges.js';
import type { MetadataLookup } from './metadata.js';
import { type OverrideRule, overrideKeyShown, ruleAt, samePath } from './overrides.js';
import {
  dropRejectedCopies,
  effectiveSpec,
  installDependencies,
  type NeedsMetadata,
  nodeFor,
  type OverridesReach,
  type ResolveContext,
  setPackage,
} from './resolve.js';
import {
  cloneTree,
  type DepDecl,
  declarersOf,
  installedDeps,
  keyOf,
  levelOf,
  prune,
  reachable,
  reachableFrom,
  resolveDep,
  setNode,
  type Tree,
  type TreeNode,
} from './tree.js';
import { isDowngrade, parseSpec, satisfiesSpec, stepBetween } from './versions.js';

/**
 * What a change would do to the project: the intents (move a locked package, raise a declared
 * range) are applied to a copy of the tree, what they need is resolved, what nothing needs any
 * more is pruned, and the result is compared with the original: which packages changed, which
 * findings are gone, which new ones appear. Pure given the metadata lookup.
 */

export type Intent =
  | {
      readonly kind: 'lock';
      readonly name: string;
      readonly from: string;
      readonly to: string;
      readonly locations: readonly string[];
    }
  | { readonly kind: 'manifest'; readonly importer: string; readonly key: string; readonly spec: string }
  | {
      /** Set (or, with no value, remove) an entry of the root manifest's npm `overrides`. */
      readonly kind: 'override';
      /** The JSON keys from `overrides` down to the entry. */
      readonly path: readonly string[];
      /** The package the entry overrides. */
      readonly name: string;
      readonly value: string | undefined;
    };

export const intentKey = (intents: readonly Intent[]): string =>
  intents
    .map((i) =>
      i.kind === 'lock'
        ? `L\u0000${i.name}\u0000${i.from}\u0000${i.to}\u0000${[...i.locations].sort().join(',')}`
        : i.kind === 'manifest'
          ? `M\u0000${i.importer}\u0000${i.key}\u0000${i.spec}`
          : `O\u0000${i.path.join('\u0002')}\u0000${i.value === undefined ? '\u0003' : i.value}`,
    )
    .sort()
    .join('\u0001');

/** The project's overrides with the intents' entries set or removed; new entries first. */
export const overridesWith = (
  existing: readonly OverrideRule[],
  intents: readonly Intent[],
): readonly OverrideRule[] => {
  const edits = intents.filter((i): i is Extract<Intent, { kind: 'override' }> => i.kind === 'override');
  if (edits.length === 0) return existing;
  const kept = existing.filter((rule) => !edits.some((e) => samePath(e.path, rule.path)));
  const added = edits.flatMap((e) => (e.value === undefined ? [] : [ruleAt(e.path, e.value)]));
  return [...added, ...kept];
};

export interface Dependent {
  readonly from: string;
  readonly decl: DepDecl;
}

/** The project as it is: the tree, what it reaches, its findings, and indexes the strategies share. */
export interface Baseline {
  readonly manager: OverrideManager;
  readonly tree: Tree;
  readonly reached: ReadonlySet<string>;
  /** `name@version` → copies the importers reach (registry packages). */
  readonly counts: ReadonlyMap<string, number>;
  readonly findings: readonly Finding[];
  /** Each finding's index in `findings`, to list fixes in the input's order. */
  readonly order: ReadonlyMap<Finding, number>;
  readonly findingsByName: ReadonlyMap<string, readonly Finding[]>;
  /** Findings the options target, by `findingKey`. */
  readonly targeted: ReadonlySet<string>;
  readonly weights: ReadonlyMap<string, number>;
  /** Who depends on each reached location, and with which declaration. */
  readonly dependents: ReadonlyMap<string, readonly Dependent[]>;
  readonly overrides: readonly OverrideRule[];
  /** Whether the overrides reach the importers' own dependencies (`ResolveContext`). */
  readonly overridesReachImporters: OverridesReach;
  /** Whether unchanged dependencies keep their versions, as yarn 1 does (`ResolveContext`). */
  readonly keepResolved: boolean;
  readonly options: PlanOptions;
  advisoriesFor(name: string): readonly Advisory[];
  /** Whether a version is affected by one advisory (memoised). */
  affects(advisory: Advisory, name: string, version: string): boolean;
  /** Names above a location in the original tree, itself included. */
  ancestors(tree: Tree, location: string): ReadonlySet<string>;
}

export const findingKey = (f: Pick<Finding, 'id' | 'package'>): string =>
  `${f.id}\u0000${f.package.name}@${f.package.version}`;

export const refOf = (f: Finding): FindingRef => ({
  id: f.id,
  name: f.package.name,
  version: f.package.version,
});

const packageCounts = (tree: Tree, reached: ReadonlySet<string>): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const location of reached) {
    const node = tree.nodes.get(location);
    if (node?.source !== 'registry') continue;
    const key = `${node.name}@${node.version}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
};

export interface BaselineInput {
  readonly tree: Tree;
  readonly findings: readonly Finding[];
  readonly targeted: ReadonlySet<string>;
  readonly weights: ReadonlyMap<string, number>;
  readonly advisoriesFor: (name: string) => readonly Advisory[];
  readonly overrides: readonly OverrideRule[];
  readonly options: PlanOptions;
  /** Whose override field the project's overrides and the planned ones are written in. */
  readonly manager?: OverrideManager;
  /** Whether the overrides reach the importers' own dependencies (`ResolveContext`). */
  readonly overridesReachImporters?: OverridesReach;
  /** Whether unchanged dependencies keep their versions, as yarn 1 does (`ResolveContext`). */
  readonly keepResolved?: boolean;
}

export const createBaseline = (input: BaselineInput): Baseline => {
  const { tree } = input;
  const reached = reachable(tree);
  const dependents = new Map<string, Dependent[]>();
  for (const from of reached) {
    const node = tree.nodes.get(from);
    if (!node) continue;
    for (const decl of installedDeps(node)) {
      const to = resolveDep(tree, from, decl);
      if (to === undefined) continue;
      const list = dependents.get(to);
      if (list) list.push({ from, decl });
      else dependents.set(to, [{ from, decl }]);
    }
  }
  const findingsByName = new Map<string, Finding[]>();
  for (const f of input.findings) {
    const list = findingsByName.get(f.package.name);
    if (list) list.push(f);
    else findingsByName.set(f.package.name, [f]);
  }
  const advisoryCache = new Map<string, readonly Advisory[]>();
  const affectCache = new Map<string, boolean>();
  const ancestorCache = new Map<string, Set<string>>();
  const reachWorkspaces = input.overridesReachImporters === 'workspaces';
  const baseline: Baseline = {
    manager: input.manager ?? 'npm',
    overridesReachImporters: input.overridesReachImporters ?? false,
    keepResolved: input.keepResolved ?? false,
    tree,
    reached,
    counts: packageCounts(tree, reached),
    findings: input.findings,
    order: new Map(input.findings.map((f, i) => [f, i])),
    findingsByName,
    targeted: input.targeted,
    weights: input.weights,
    dependents,
    overrides: input.overrides,
    options: input.options,
    advisoriesFor: (name) => {
      let list = advisoryCache.get(name);
      if (!list) {
        list = input.advisoriesFor(name).filter((a) => a.withdrawn === undefined);
        advisoryCache.set(name, list);
      }
      return list;
    },
    affects: (advisory, name, version) => {
      const key = `${advisory.id}\u0000${name}@${version}`;
      let hit = affectCache.get(key);
      if (hit === undefined) {
        hit = advisory.affected.some(
          (entry) => entry.name === name && matchAffected(entry, version).affected,
        );
        affectCache.set(key, hit);
      }
      return hit;
    },
    ancestors: (current, location) => {
      // The original tree's dependents, then the folders a new package sits in. Only locations
      // of the original tree are memoised: a new one may hold another package in each change.
      const original = tree.nodes.has(location);
      let names = original ? ancestorCache.get(location) : undefined;
      if (!names) {
        names = new Set<string>();
        const seen = new Set<string>([location]);
        const queue = [location];
        for (let i = 0; i < queue.length; i++) {
          const at = queue[i] as string;
          const node = tree.nodes.get(at) ?? current.nodes.get(at);
          // npm scopes an entry by a workspace's name too (`"w": { "lib": … }`), never the root's.
          if (node && (!node.importer || (reachWorkspaces && node.location !== ''))) names.add(node.name);
          for (const d of dependents.get(at) ?? []) {
            if (!seen.has(d.from)) {
              seen.add(d.from);
              queue.push(d.from);
            }
          }
          if (!tree.nodes.has(at) && at !== '') {
            const up = levelOf(at);
            if (!seen.has(up)) {
              seen.add(up);
              queue.push(up);
            }
          }
        }
        if (original) ancestorCache.set(location, names);
      }
      return names;
    },
  };
  return baseline;
};

/** Whether any of the given records affects name@version. */
export const affectedByRecords = (
  baseline: Baseline,
  name: string,
  version: string,
  records: ReadonlySet<string> | readonly string[],
): boolean => {
  const ids = records instanceof Set ? records : new Set(records);
  return baseline.advisoriesFor(name).some((a) => ids.has(a.id) && baseline.affects(a, name, version));
};

export interface Evaluation {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly intents: readonly Intent[];
  readonly tree: Tree;
  readonly reached: ReadonlySet<string>;
  /** `name@version` → how many more (or fewer) copies are reached than in the baseline; no zeros. */
  readonly delta: ReadonlyMap<string, number>;
  readonly changes: readonly PackageChange[];
  /** Input findings the change removes (targeted or not). */
  readonly fixes: readonly Finding[];
  readonly introduces: readonly IntroducedFinding[];
  /** Finding ids that still affect the versions the lock and manifest changes move to. */
  readonly stillAffectedBy: readonly string[];
  /** Locations that differ from the original, and `importer\0dependency` for manifest edits. */
  readonly footprint: ReadonlySet<string>;
}

/** Advisories grouped by shared ids and aliases, as assess groups them into one finding. */
const groupAdvisories = (advisories: readonly Advisory[]): Advisory[][] => groupByAlias(advisories, (a) => a);

/**
 * Applies intents to a copy of the baseline's tree, or of the tree an earlier evaluation left
 * (`on`: the intents then come after its own, as one install after another), and describes the
 * result against the baseline.
 */
export function* evaluateIntents(
  baseline: Baseline,
  given: readonly Intent[],
  meta: MetadataLookup,
  options: { readonly maxNodes?: number; readonly on?: Evaluation } = {},
): NeedsMetadata<Evaluation> {
  const { options: planOptions } = baseline;
  const start: TreeState = options.on ?? baseline;
  const intents = options.on ? [...options.on.intents, ...given] : given;
  const tree = cloneTree(start.tree);
  const problems: string[] = [];
  const install: string[] = [];
  const overrides = overridesWith(baseline.overrides, intents);
  /** Locations the lock intents move: never removed while their dependencies are placed. */
  const keep = new Set<string>();
  const resolveCtx: ResolveContext = {
    meta,
    overrides,
    overridesReachImporters: baseline.overridesReachImporters,
    keepResolved: baseline.keepResolved,
    ancestors: baseline.ancestors,
    maxNodes: options.maxNodes ?? Math.max(20_000, baseline.tree.nodes.size * 4),
    keep,
    nodeVersion: planOptions.nodeVersion,
  };
  const lockNames = [...new Set(given.flatMap((i) => (i.kind === 'lock' ? [i.name] : [])))];
  /**
   * Locations the lock intents move, with what was there: set first, then what they reject (and
   * what only the old version used) is dropped, never these.
   */
  const moved = new Map<string, TreeNode>();
  const missing = lockNames.filter((name) => meta(name) === undefined);
  if (missing.length > 0) yield missing;
  for (const intent of given) {
    if (intent.kind === 'lock') {
      const info = meta(intent.name);
      if (!info) {
        if (info === null) problems.push(`${intent.name} is not in the registry`);
        continue;
      }
      if (!Object.hasOwn(info.versions, intent.to)) {
        problems.push(`${intent.name}@${intent.to} is not published`);
        continue;
      }
      for (const location of intent.locations) {
        const old = tree.nodes.get(location);
        if (!old || old.name !== intent.name || old.version !== intent.from) continue;
        const node = nodeFor(location, info, intent.to);
        setPackage(tree, node, old);
        if (planOptions.dependencies === 'existing') {
          const unmet = unmetByExisting(baseline, start.tree, old, node);
          if (unmet) problems.push(unmet);
        } else {
          moved.set(location, old);
          install.push(location);
        }
      }
    } else if (intent.kind === 'manifest') {
      const importer = tree.nodes.get(intent.importer);
      if (!importer) {
        problems.push(`no importer at ${JSON.stringify(intent.importer)}`);
        continue;
      }
      const deps = importer.deps.map((d) => (d.key === intent.key ? { ...d, spec: intent.spec } : d));
      setNode(tree, { ...importer, deps });
      install.push(intent.importer);
    } else {
      // Every package declaring the overridden name is checked again: a copy its (new) effective
      // spec rejects is replaced, as npm does on the next install.
      for (const location of declarersOf(tree, intent.name)) {
        if (start.reached.has(location)) install.push(location);
      }
    }
  }
  for (const location of moved.keys()) keep.add(location);
  for (const [location, old] of moved) dropRejectedCopies(tree, location, resolveCtx, keep, old);
  // A raised range leaves the old version's subtree behind: prune it first, so that packages
  // nothing needs do not count as dependents when the new subtree is placed.
  if (given.some((i) => i.kind === 'manifest')) prune(tree, baseline.reached, baseline.tree);
  for (const p of yield* installDependencies(tree, install, resolveCtx)) {
    problems.push(`${p.location || '(root)'} → ${p.dependency}@${p.spec}: ${p.message}`);
  }
  if (problems.length > 0) {
    // Nothing is concluded from a change that cannot be resolved: no need to describe it.
    return {
      ok: false,
      problems,
      intents,
      tree,
      reached: new Set(),
      delta: new Map(),
      changes: [],
      fixes: [],
      introduces: [],
      stillAffectedBy: [],
      footprint: new Set(),
    };
  }
  const reached = prune(tree, baseline.reached, baseline.tree);
  return describe(baseline, intents, tree, reached, problems, overrides);
}

/**
 * osv-scanner's in-place rule: every dependency the new version declares must already be met by
 * what the old version's declarations resolve to (a missing optional one is fine).
 */
const unmetByExisting = (
  baseline: Baseline,
  tree: Tree,
  old: TreeNode,
  next: TreeNode,
): string | undefined => {
  for (const decl of installedDeps(next)) {
    const optional = decl.type === 'optional' || decl.optionalPeer === true;
    const before = old.deps.find((d) => d.key === decl.key);
    const at = before ? resolveDep(tree, old.location, before) : undefined;
    const target = at === undefined ? undefined : tree.nodes.get(at);
    if (!target) {
      if (optional) continue;
      return `${next.name}@${next.version} needs ${decl.key}@${decl.spec}, which ${old.name}@${old.version} does not have`;
    }
    const spec = parseSpec(effectiveSpec(baseline, tree, old.location, decl).spec);
    if ((spec.name ?? decl.key) !== target.name || !satisfiesSpec(target.version, spec)) {
      return `${next.name}@${next.version} needs ${decl.key}@${decl.spec}, but ${target.name}@${target.version} is installed`;
    }
  }
  return undefined;
};

interface GroupedChange {
  name: string;
  from?: string;
  to?: string;
  locations: string[];
}

/** A tree and what its importers reach. */
export interface TreeState {
  readonly tree: Tree;
  readonly reached: ReadonlySet<string>;
  /** The overrides it was resolved with, when they differ from the project's. */
  readonly overrides?: readonly OverrideRule[];
}

/**
 * Whether a copy of `name` that a change placed is outside a range its dependent declares: only
 * an override can put it there, and the dependent then runs with a version it did not ask for.
 */
const forcedOutOfRange = (state: TreeState, name: string): boolean => {
  const { tree, reached } = state;
  for (const location of tree.changed) {
    const node = tree.nodes.get(location);
    if (!node || node.name !== name || !reached.has(location)) continue;
    for (const from of declarersOf(tree, keyOf(location))) {
      if (!reached.has(from)) continue;
      for (const decl of tree.nodes.get(from)?.deps ?? []) {
        if (decl.key !== keyOf(location) || resolveDep(tree, from, decl) !== location) continue;
        const spec = parseSpec(decl.spec);
        if (spec.kind === 'range' && !satisfiesSpec(node.version, spec)) return true;
      }
    }
  }
  return false;
};

/** Override changes annotated with the finding ids they exist for: those fixed on their package. */
export const annotateOverrides = (
  changes: readonly PackageChange[],
  fixes: readonly Finding[],
): PackageChange[] =>
  changes.map((c) =>
    c.kind === 'override'
      ? {
          ...c,
          advisories: [...new Set(fixes.filter((f) => f.package.name === c.name).map((f) => f.id))].sort(),
        }
      : c,
  );

/**
 * The package changes between two states of a tree: manifest edits for the intents that made
 * them, then locked packages moved, added and removed (each grouped by name and versions).
 */
export const diffTrees = (
  before: TreeState,
  after: TreeState,
  intents: readonly Intent[],
  existingOverrides: readonly OverrideRule[] = [],
  manager: OverrideManager = 'npm',
): { changes: PackageChange[]; footprint: Set<string>; problems: string[] } => {
  const changes: PackageChange[] = [];
  const problems: string[] = [];
  const footprint = new Set<string>();
  const manifestTargets = new Set<string>();
  for (const intent of intents) {
    if (intent.kind !== 'override') continue;
    const old = existingOverrides.find((rule) => samePath(rule.path, intent.path));
    if (!old && intent.value === undefined) continue;
    const shown = intent.value === undefined ? (old as OverrideRule) : ruleAt(intent.path, intent.value);
    footprint.add(`override\u0000${intent.path.join('\u0000')}`);
    const change: OverrideChange = {
      kind: 'override',
      action: intent.value === undefined ? 'remove' : old ? 'change' : 'add',
      manager,
      file: 'package.json',
      path: [...intent.path],
      // The key as the manifest holds it: flat for yarn (`a/b`) and pnpm (`a>b`), and an
      // existing entry's as the project wrote it (`a/**/b`, `c@npm:^3`).
      key: overrideKeyShown(old ?? shown, manager),
      name: intent.name,
      ...(old ? { from: old.written } : {}),
      ...(intent.value === undefined ? {} : { to: intent.value }),
      advisories: [],
      outOfRange: forcedOutOfRange(after, intent.name),
    };
    changes.push(change);
  }
  for (const intent of intents) {
    if (intent.kind !== 'manifest') continue;
    const old = before.tree.nodes.get(intent.importer)?.deps.find((d) => d.key === intent.key);
    const now = after.tree.nodes.get(intent.importer)?.deps.find((d) => d.key === intent.key);
    if (!old || !now) continue;
    const fromAt = resolveDep(before.tree, intent.importer, old);
    const toAt = resolveDep(after.tree, intent.importer, now);
    const fromNode = fromAt === undefined ? undefined : before.tree.nodes.get(fromAt);
    const toNode = toAt === undefined ? undefined : after.tree.nodes.get(toAt);
    footprint.add(`${intent.importer}\u0000${intent.key}`);
    if (!toNode) {
      problems.push(`${intent.key}@${intent.spec} did not resolve`);
      continue;
    }
    if (toAt !== undefined && fromAt === toAt) manifestTargets.add(toAt);
    const change: ManifestChange = {
      kind: 'manifest',
      importer: intent.importer,
      dependency: intent.key,
      name: toNode.name,
      type: old.type,
      fromRange: old.spec,
      toRange: now.spec,
      from: fromNode?.version,
      to: toNode.version,
      step: fromNode ? stepBetween(fromNode.version, toNode.version) : 'none',
      downgrade: fromNode ? isDowngrade(fromNode.version, toNode.version) : false,
    };
    changes.push(change);
  }
  const locks = new Map<string, GroupedChange>();
  const adds = new Map<string, GroupedChange>();
  const removes = new Map<string, GroupedChange>();
  const group = (
    map: Map<string, GroupedChange>,
    key: string,
    change: Omit<GroupedChange, 'locations'>,
    at: string,
  ) => {
    const existing = map.get(key);
    if (existing) existing.locations.push(at);
    else map.set(key, { ...change, locations: [at] });
  };
  const visit = (location: string): void => {
    const b = before.reached.has(location) ? before.tree.nodes.get(location) : undefined;
    const a = after.reached.has(location) ? after.tree.nodes.get(location) : undefined;
    if (b?.importer || a?.importer) return;
    if (b && a && b.name === a.name && b.version === a.version) return;
    footprint.add(location);
    if (manifestTargets.has(location)) return;
    if (b && a && b.name === a.name) {
      group(
        locks,
        `${a.name}@${b.version}>${a.version}`,
        { name: a.name, from: b.version, to: a.version },
        location,
      );
    } else {
      if (b) group(removes, `${b.name}@${b.version}`, { name: b.name, from: b.version }, location);
      if (a) group(adds, `${a.name}@${a.version}`, { name: a.name, to: a.version }, location);
    }
  };
  // Only locations set since the origin, or reached by one state and not the other, can differ.
  const seen = new Set<string>();
  const once = (location: string): void => {
    if (seen.has(location)) return;
    seen.add(location);
    visit(location);
  };
  for (const location of before.tree.changed) once(location);
  for (const location of after.tree.changed) once(location);
  for (const location of before.reached) if (!after.reached.has(location)) once(location);
  for (const location of after.reached) if (!before.reached.has(location)) once(location);
  for (const g of [...locks.values()].sort(compareGrouped)) {
    const change: LockChange = {
      kind: 'lock',
      name: g.name,
      from: g.from as string,
      to: g.to as string,
      locations: g.locations.sort(),
      step: stepBetween(g.from as string, g.to as string),
      downgrade: isDowngrade(g.from as string, g.to as string),
    };
    changes.push(change);
  }
  for (const g of [...adds.values()].sort(compareGrouped)) {
    const change: AddedPackage = {
      kind: 'add',
      name: g.name,
      to: g.to as string,
      locations: g.locations.sort(),
    };
    changes.push(change);
  }
  for (const g of [...removes.values()].sort(compareGrouped)) {
    const change: RemovedPackage = {
      kind: 'remove',
      name: g.name,
      from: g.from as string,
      locations: g.locations.sort(),
    };
    changes.push(change);
  }
  return { changes, footprint, problems };
};

/** Compares a changed tree with the baseline. */
const describe = (
  baseline: Baseline,
  intents: readonly Intent[],
  tree: Tree,
  reached: ReadonlySet<string>,
  problems: string[],
  overrides: readonly OverrideRule[],
): Evaluation => {
  const diff = diffTrees(
    baseline,
    { tree, reached, overrides },
    intents,
    baseline.overrides,
    baseline.manager,
  );
  problems.push(...diff.problems);
  const delta = countDelta(baseline, tree, reached);
  const outcome = compareFindings(baseline, delta);
  return {
    ok: problems.length === 0,
    problems,
    intents,
    tree,
    reached,
    delta,
    changes: annotateOverrides(diff.changes, outcome.fixes),
    fixes: outcome.fixes,
    introduces: outcome.introduces,
    stillAffectedBy: stillAffectedBy(baseline, diff.changes),
    footprint: diff.footprint,
  };
};

const compareGrouped = (a: GroupedChange, b: GroupedChange): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : (a.from ?? a.to ?? '') < (b.from ?? b.to ?? '') ? -1 : 1;

/**
 * The vulnerabilities still affecting the versions lock and manifest changes move to: a known
 * finding's id when the project already has the vulnerability on that package, else the records'
 * preferred id.
 */
export const stillAffectedBy = (baseline: Baseline, changes: readonly PackageChange[]): string[] => {
  const ids = new Set<string>();
  for (const change of changes) {
    if (change.kind !== 'lock' && change.kind !== 'manifest') continue;
    const hits = baseline
      .advisoriesFor(change.name)
      .filter((a) => baseline.affects(a, change.name, change.to));
    const known = baseline.findingsByName.get(change.name) ?? [];
    for (const group of groupAdvisories(hits)) {
      const own = known.find((f) => group.some((a) => f.advisories.includes(a.id)));
      ids.add(own?.id ?? preferredId(group.map((a) => a.id)));
    }
  }
  return [...ids].sort();
};

interface FindingOutcome {
  readonly fixes: Finding[];
  readonly introduces: IntroducedFinding[];
  /** Per package name: advisory record id → the id of the finding it belonged to. */
  readonly carried: Map<string, Map<string, string>>;
}

/**
 * A finding is fixed when its name@version is no longer installed and no version of the package
 * that the change installs more copies of is affected by the same vulnerability (that would be the
 * finding moved, not fixed). A version installed anew introduces every vulnerability affecting it that
 * is not carried over from a finding on a version of the same package the change removed.
 */
/** How the reached copies of each name@version differ from the baseline. */
const countDelta = (baseline: Baseline, tree: Tree, reached: ReadonlySet<string>): Map<string, number> => {
  const delta = new Map<string, number>();
  const bump = (node: TreeNode | undefined, by: number): void => {
    if (node?.source !== 'registry') return;
    const key = `${node.name}@${node.version}`;
    const next = (delta.get(key) ?? 0) + by;
    if (next === 0) delta.delete(key);
    else delta.set(key, next);
  };
  for (const location of baseline.reached)
    if (!reached.has(location)) bump(baseline.tree.nodes.get(location), -1);
  for (const location of reached) if (!baseline.reached.has(location)) bump(tree.nodes.get(location), 1);
  for (const location of tree.changed) {
    if (!baseline.reached.has(location) || !reached.has(location)) continue;
    const b = baseline.tree.nodes.get(location);
    const a = tree.nodes.get(location);
    if (!b || !a || (b.name === a.name && b.version === a.version)) continue;
    bump(b, -1);
    bump(a, 1);
  }
  return delta;
};

/** Copies of name@version reached after a change. */
export const countAfter = (baseline: Baseline, delta: ReadonlyMap<string, number>, key: string): number =>
  (baseline.counts.get(key) ?? 0) + (delta.get(key) ?? 0);

/** Per package name, the versions installed more often than before (`added`: not installed before). */
export const grownVersions = (
  baseline: Baseline,
  delta: ReadonlyMap<string, number>,
): Map<string, { version: string; added: boolean }[]> => {
  const out = new Map<string, { version: string; added: boolean }[]>();
  for (const [key, change] of delta) {
    if (change <= 0) continue;
    const at = key.lastIndexOf('@');
    const name = key.slice(0, at);
    const entry = { version: key.slice(at + 1), added: !baseline.counts.has(key) };
    const list = out.get(name);
    if (list) list.push(entry);
    else out.set(name, [entry]);
  }
  return out;
};

const compareFindings = (baseline: Baseline, delta: ReadonlyMap<string, number>): FindingOutcome => {
  const grown = grownVersions(baseline, delta);
  const carried = new Map<string, Map<string, string>>();
  const fixes: Finding[] = [];
  for (const [key, change] of delta) {
    if (change >= 0) continue;
    const at = key.lastIndexOf('@');
    const name = key.slice(0, at);
    const version = key.slice(at + 1);
    for (const f of baseline.findingsByName.get(name) ?? []) {
      if (f.package.version !== version) continue;
      let map = carried.get(name);
      if (!map) {
        map = new Map();
        carried.set(name, map);
      }
      for (const record of f.advisories) if (!map.has(record)) map.set(record, f.id);
      if (!map.has(f.id)) map.set(f.id, f.id);
      if (countAfter(baseline, delta, key) > 0) continue;
      const moved = (grown.get(name) ?? []).some((g) =>
        affectedByRecords(baseline, name, g.version, f.advisories),
      );
      if (!moved) fixes.push(f);
    }
  }
  fixes.sort((a, b) => (baseline.order.get(a) ?? 0) - (baseline.order.get(b) ?? 0));
  const introduces: IntroducedFinding[] = [];
  for (const [name, versions] of grown) {
    const advisories = baseline.advisoriesFor(name);
    if (advisories.length === 0) continue;
    const carriedIds = carried.get(name);
    for (const version of versions
      .filter((g) => g.added)
      .map((g) => g.version)
      .sort()) {
      const hits = advisories.filter((a) => baseline.affects(a, name, version));
      for (const group of groupAdvisories(hits)) {
        if (carriedIds && group.some((a) => carriedIds.has(a.id))) continue;
        const kind = group.some((a) => a.kind === 'malicious') ? 'malicious' : 'vulnerability';
        const severity = group
          .map((a) => effectiveSeverity(a))
          .sort((x, y) => severityRank[y] - severityRank[x])[0] as IntroducedFinding['severity'];
        introduces.push({
          id: preferredId(group.map((a) => a.id)),
          name,
          version,
          kind,
          severity,
          advisories: group.map((a) => a.id).sort(),
        });
      }
    }
  }
  return { fixes, introduces, carried };
};

/** The name@version set reached from one location of an evaluated tree (for relax combinations). */
export const subtreePackages = (tree: Tree, start: string): Set<string> => {
  const out = new Set<string>();
  for (const location of reachableFrom(tree, start)) {
    const node = tree.nodes.get(location);
    if (node && node.source === 'registry') out.add(`${node.name}@${node.version}`);
  }
  return out;
};
