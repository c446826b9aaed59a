import type { Importer, Inventory, InventoryEdge, InventoryPackage } from '../core/inventory.js';
import { npmPurl } from '../core/purl.js';
import { compareVersions, isStrictVersion } from '../core/version.js';
import { computeScopes } from '../inventory/scopes.js';
import type { PackageMetadata } from '../registry/types.js';
import type { MetadataLookup } from './metadata.js';
import { matchOverride, type OverrideRule } from './overrides.js';
import {
  bundleOf,
  compareDecls,
  type DepDecl,
  declarersOf,
  deleteNode,
  folderAt,
  installedDeps,
  isWithin,
  keyOf,
  levelOf,
  locationsHolding,
  makeTree,
  resolveDep,
  setNode,
  type Tree,
  type TreeNode,
} from './tree.js';
import { parseSpec, pickVersion, satisfiesSpec } from './versions.js';

/**
 * An npm-like resolver, good enough to predict what `npm install` puts in a tree when a range or
 * a locked version changes: the set of name@version installed and who depends on what, not the
 * byte-exact folder layout.
 *
 * - A dependency already visible from the dependent (Node's lookup up the node_modules folders)
 *   that satisfies the spec is kept (a linked workspace only when its version is in the range;
 *   `*` accepts any version); otherwise the version npm picks (`pickVersion`) is placed
 *   as high as it can go: the shallowest folder on the dependent's path where the name is free
 *   and no package below would be shadowed by a version it does not accept. An existing copy is
 *   replaced by a version at least as high when every package using it accepts it (npm's
 *   dedupe; a lower one goes deeper instead); at the dependent's own folder it is replaced
 *   anyway and the packages that rejected it get their own copy of what they had.
 * - A package replaced by another version first drops the copies it alone used that its new
 *   declarations reject, and what its old version alone used under names the new one no longer
 *   declares (`dropRejectedCopies`), so a satisfying copy further up is kept. Once a package is
 *   placed, deeper copies of its name that the copy above them can serve go (`dedupeBelow`). A
 *   version comes with what a copy of it in the lockfile ships bundled (`setPackage`).
 * - Packages are processed breadth first (by depth below their importer, then location),
 *   dependencies sorted by name, as arborist does. devDependencies are installed for importers only; optional
 *   dependencies that cannot be resolved are skipped; peers are installed (npm 7+) unless
 *   `peerDependenciesMeta` makes them optional or the registry does not have them at all (left
 *   unmet); `npm:` aliases install the real package under the alias; cycles end at the first
 *   visible copy.
 * - The project's `overrides` replace the spec of every dependency they cover.
 */

export interface ResolveContext {
  readonly meta: MetadataLookup;
  readonly overrides: readonly OverrideRule[];
  /**
   * Whether the overrides apply to the importers' own dependencies too: `true` as yarn berry's
   * resolutions and pnpm's and bun's overrides do (an unscoped entry); `'workspaces'` as npm's do,
   * to the workspaces' own dependencies like any package's but never to the root's (a root
   * dependency's own spec must then be the override's); false (yarn 1) only below the importers.
   */
  readonly overridesReachImporters?: OverridesReach | undefined;
  /** Names above a location, itself included (for scoped overrides). */
  readonly ancestors: (tree: Tree, location: string) => ReadonlySet<string>;
  /** The tree may not grow past this many packages. */
  readonly maxNodes: number;
  /** Locations never removed (the ones the caller moves itself). */
  readonly keep?: ReadonlySet<string>;
  /** The Node.js version versions are chosen for (`engines.node`); undefined: any. */
  readonly nodeVersion?: string | undefined;
  /**
   * Whether a dependency that does not change keeps the version it resolves to, as yarn 1 keeps
   * every lockfile entry whose pattern (`name@range`) is still declared: a new version is never
   * put where another package's copy is taken away or shadowed, and copies are deduplicated only
   * onto the same version. npm instead replaces a copy every user accepts.
   */
  readonly keepResolved?: boolean | undefined;
}

export interface ResolveProblem {
  readonly location: string;
  readonly dependency: string;
  readonly spec: string;
  readonly message: string;
}

/** Where a project's overrides reach (`ResolveContext.overridesReachImporters`). */
export type OverridesReach = boolean | 'workspaces';

/**
 * A dependency's spec after the project's overrides. An importer's own dependencies are
 * overridden only by an unscoped entry, and only where the package manager does that (yarn
 * berry, pnpm, bun; not yarn 1); npm's reach a workspace's as any package's, never the root's.
 */
export const effectiveSpec = (
  ctx: Pick<ResolveContext, 'overrides' | 'ancestors' | 'overridesReachImporters'>,
  tree: Tree,
  from: string,
  decl: DepDecl,
): { spec: string; rule: OverrideRule | undefined } => {
  if (ctx.overrides.length === 0) return { spec: decl.spec, rule: undefined };
  const node = tree.nodes.get(from);
  const reach = ctx.overridesReachImporters;
  if (!node) return { spec: decl.spec, rule: undefined };
  const asPackage = node.importer && reach === 'workspaces' && node.location !== '';
  if (node.importer && reach !== true && !asPackage) return { spec: decl.spec, rule: undefined };
  const parsed = parseSpec(decl.spec);
  const name = parsed.name ?? decl.key;
  // On the project's own dependency: an unscoped entry, not a `$name` reference to that very
  // declaration (which moves with it), and a range selector only for a range spec.
  const rules =
    node.importer && !asPackage
      ? ctx.overrides.filter(
          (r) =>
            r.parents.length === 0 &&
            !r.written.startsWith('$') &&
            (r.target.range === undefined || parsed.kind === 'range'),
        )
      : ctx.overrides;
  const rule = matchOverride(rules, name, decl.spec, () => ctx.ancestors(tree, from));
  return rule ? { spec: rule.value, rule } : { spec: decl.spec, rule: undefined };
};

const declsCache = new WeakMap<object, readonly DepDecl[]>();

/** A published version's declarations, sorted by name; computed once per version document. */
const declsOf = (meta: PackageMetadata, version: string): readonly DepDecl[] => {
  const pv = meta.versions[version];
  if (!pv) return [];
  let decls = declsCache.get(pv);
  if (!decls) {
    const list: DepDecl[] = [];
    for (const [key, spec] of Object.entries(pv.dependencies)) list.push({ key, spec, type: 'prod' });
    for (const [key, spec] of Object.entries(pv.optionalDependencies))
      list.push({ key, spec, type: 'optional' });
    for (const [key, spec] of Object.entries(pv.peerDependencies)) {
      list.push({ key, spec, type: 'peer', optionalPeer: pv.peerDependenciesMeta[key]?.optional === true });
    }
    decls = list.sort(compareDecls);
    declsCache.set(pv, decls);
  }
  return decls;
};

/** A tree node for a published version: its dependencies as the registry states them. */
export const nodeFor = (location: string, meta: PackageMetadata, version: string): TreeNode => ({
  location,
  name: meta.name,
  version,
  source: 'registry',
  deps: declsOf(meta, version),
  bundled: false,
  importer: false,
});

/**
 * Sets a registry package at its location with what its version ships bundled (copied from a
 * copy of the same version in the original tree, when one has bundled packages: the registry
 * does not say what a tarball holds); the bundled packages of the version that was there go.
 */
export const setPackage = (tree: Tree, node: TreeNode, previous: TreeNode | undefined): void => {
  if (previous && (previous.name !== node.name || previous.version !== node.version)) {
    for (const { rel } of bundleOf(tree, previous.name, previous.version)?.contents ?? []) {
      if (tree.nodes.get(node.location + rel)?.bundled) deleteNode(tree, node.location + rel);
    }
  }
  setNode(tree, node);
  for (const { rel, node: shipped } of bundleOf(tree, node.name, node.version)?.contents ?? []) {
    const at = node.location + rel;
    if (!tree.nodes.has(at)) setNode(tree, { ...shipped, location: at });
  }
};

/**
 * How many node_modules folders deep a location is below its importer, as arborist counts depth:
 * 0 for the root and each workspace, 1 for a package in an importer's own node_modules.
 */
const depthOf = (location: string): number => {
  let depth = location.startsWith('node_modules/') ? 1 : 0;
  for (
    let at = location.indexOf('/node_modules/');
    at !== -1;
    at = location.indexOf('/node_modules/', at + 1)
  )
    depth++;
  return depth;
};

/** The folders from the root down to `from`, each a place a dependency of `from` could go. */
const levelsTo = (from: string): string[] => {
  const levels: string[] = [];
  let level = from;
  while (true) {
    levels.unshift(level);
    if (level === '') return levels;
    level = levelOf(level);
  }
};

interface Dependent {
  readonly location: string;
  readonly decl: DepDecl;
}

/** Packages whose declaration named `key` resolves to `target`. */
const dependentsOf = (tree: Tree, target: string, key: string): Dependent[] => {
  const level = levelOf(target);
  const out: Dependent[] = [];
  for (const location of declarersOf(tree, key)) {
    const node = tree.nodes.get(location);
    if (!node || !isWithin(location, level)) continue;
    for (const decl of installedDeps(node)) {
      if (decl.key === key && decl.target === undefined && resolveDep(tree, node.location, decl) === target) {
        out.push({ location: node.location, decl });
      }
    }
  }
  return out;
};

/**
 * What a metadata-driven step asks for: the names it needs before it can go on. The driver
 * (`runWithMetadata`) fetches them and resumes the step, so a decision never depends on what
 * happened to be fetched before: each batch states everything it will look at up front.
 */
export type NeedsMetadata<T> = Generator<readonly string[], T, void>;

/** The package names a package's declarations resolve to (after overrides). */
const namesNeeded = (tree: Tree, ctx: ResolveContext, location: string): string[] => {
  const node = tree.nodes.get(location);
  if (!node) return [];
  const names: string[] = [];
  for (const decl of installedDeps(node)) {
    if (decl.target !== undefined) continue;
    const parsed = parseSpec(effectiveSpec(ctx, tree, location, decl).spec);
    if (parsed.kind !== 'other') names.push(parsed.name ?? decl.key);
  }
  return names;
};

/**
 * Installs what the given packages (and whatever they pull in) need and does not have. The tree
 * changes in place; problems are returned, not thrown. Yields the names each batch needs
 * metadata for and that the lookup does not have yet.
 */
export function* installDependencies(
  tree: Tree,
  start: Iterable<string>,
  ctx: ResolveContext,
  prefer: Map<string, string> = new Map(),
): NeedsMetadata<ResolveProblem[]> {
  const problems: ResolveProblem[] = [];
  const done = new Set<TreeNode>();
  let batch = [...new Set(start)];
  while (batch.length > 0) {
    batch.sort((a, b) => depthOf(a) - depthOf(b) || (a < b ? -1 : a > b ? 1 : 0));
    const wanted = new Set<string>();
    for (const location of batch) for (const name of namesNeeded(tree, ctx, location)) wanted.add(name);
    const missing = [...wanted].filter((name) => ctx.meta(name) === undefined);
    if (missing.length > 0) yield missing;
    const next = new Set<string>();
    for (const location of batch) {
      const node = tree.nodes.get(location);
      if (!node || done.has(node)) continue;
      done.add(node);
      for (const decl of installedDeps(node)) {
        if (decl.target !== undefined) continue;
        ensureDependency(tree, location, decl, ctx, prefer, next, problems);
        // Placing a dependency can replace or remove this package (a cycle back to it): what is
        // left of its declarations is resolved again for its new version, or not at all.
        if (tree.nodes.get(location) !== node) break;
        if (tree.nodes.size > ctx.maxNodes) {
          problems.push({
            location,
            dependency: decl.key,
            spec: decl.spec,
            message: `the tree grew past ${ctx.maxNodes} packages`,
          });
          return problems;
        }
      }
      // A node replaced while its own dependencies were placed is processed again.
      const now = tree.nodes.get(location);
      if (now && now !== node) next.add(location);
    }
    batch = [...next];
  }
  return problems;
}

const ensureDependency = (
  tree: Tree,
  from: string,
  decl: DepDecl,
  ctx: ResolveContext,
  prefer: Map<string, string>,
  queue: Set<string>,
  problems: ResolveProblem[],
): void => {
  const { spec } = effectiveSpec(ctx, tree, from, decl);
  const parsed = parseSpec(spec);
  if (parsed.kind === 'other') return;
  const name = parsed.name ?? decl.key;
  const visible = resolveDep(tree, from, decl);
  if (visible !== undefined) {
    const node = tree.nodes.get(visible);
    if (!node) return;
    // A linked workspace stands in for a registry range only when its version is in it, as npm
    // has it; other sources (git, file, tarball) are kept as they are.
    if (!node.importer && node.source !== 'registry') return;
    // A `*` range accepts any version, a prerelease too (arborist's depValid).
    const any = parsed.kind === 'range' && parsed.range === '*';
    if (node.name === name && (any || satisfiesSpec(node.version, parsed))) return;
    if (node.importer && (parsed.kind !== 'range' || !isStrictVersion(node.version))) return;
  } else if (decl.type === 'peer' && decl.optionalPeer) {
    return;
  }
  const optional = decl.type === 'optional' || decl.optionalPeer === true;
  const meta = ctx.meta(name);
  if (meta === undefined) return;
  if (meta === null) {
    // A peer the registry does not know is left to the consumer, as an unmet peer; registry
    // slices (osv-scanner universes) leave out peers that were never installed.
    if (!optional && decl.type !== 'peer') {
      problems.push({
        location: from,
        dependency: decl.key,
        spec,
        message: `${name} is not in the registry`,
      });
    }
    return;
  }
  const version = pickVersion(meta, parsed, prefer.get(name), ctx.nodeVersion);
  if (version === undefined) {
    if (!optional) {
      problems.push({
        location: from,
        dependency: decl.key,
        spec,
        message: `no version of ${name} satisfies ${spec}`,
      });
    }
    return;
  }
  if (!place(tree, from, decl, meta, version, visible, ctx, prefer, queue)) {
    problems.push({
      location: from,
      dependency: decl.key,
      spec,
      message: `${name}@${version} cannot be placed without breaking another dependent`,
    });
  }
};

const place = (
  tree: Tree,
  from: string,
  decl: DepDecl,
  meta: PackageMetadata,
  version: string,
  visible: string | undefined,
  ctx: ResolveContext,
  prefer: Map<string, string>,
  queue: Set<string>,
): boolean => {
  const levels = levelsTo(from);
  const start = visible === undefined ? 0 : Math.max(0, levels.indexOf(levelOf(visible)));
  const accepts = (location: string, d: DepDecl): boolean => {
    const spec = parseSpec(effectiveSpec(ctx, tree, location, d).spec);
    return (spec.name ?? d.key) === meta.name && satisfiesSpec(version, spec);
  };
  for (let i = start; i < levels.length; i++) {
    const level = levels[i] as string;
    const target = folderAt(level, decl.key);
    if (tree.links.has(target)) continue;
    const existing = tree.nodes.get(target);
    const last = i === levels.length - 1;
    if (existing) {
      if (existing.importer || existing.source !== 'registry') continue;
      if (existing.name === meta.name && existing.version === version) return true;
      // Above the dependent's own folder, npm replaces a copy only with a version at least as
      // high, and only when every package using it accepts the new one (yarn 1: uses none).
      if (!last && compareVersions(version, existing.version) < 0) continue;
      const rejecting = dependentsOf(tree, target, decl.key).filter(
        (d) => d.location !== from && (ctx.keepResolved === true || !accepts(d.location, d.decl)),
      );
      if (rejecting.length > 0 && !last) continue;
      setPackage(tree, nodeFor(target, meta, version), existing);
      dropRejectedCopies(tree, target, ctx, ctx.keep, existing);
      dedupeBelow(tree, target, ctx);
      queue.add(target);
      if (rejecting.length > 0 && ctx.keepResolved && existing.name === meta.name) {
        // yarn 1: each keeps the version its pattern resolved to, in a folder of its own.
        for (const d of rejecting) {
          const own = folderAt(d.location, decl.key);
          if (tree.nodes.has(own) || tree.links.has(own)) continue;
          setPackage(tree, nodeFor(own, meta, existing.version), undefined);
          queue.add(own);
        }
      } else if (rejecting.length > 0) {
        // npm gives the packages that rejected the new version a copy of their own.
        if (existing.name === meta.name) prefer.set(meta.name, existing.version);
        for (const d of rejecting) {
          const node = tree.nodes.get(d.location);
          if (node) {
            ensureDependency(tree, d.location, d.decl, ctx, prefer, queue, []);
          }
        }
      }
      return true;
    }
    // A package below that resolves elsewhere now would find the new copy instead: it must take
    // it (yarn 1: only when it is the version it has).
    const takes = ctx.keepResolved
      ? (location: string, d: DepDecl): boolean => {
          // The dependent being resolved takes what it accepts.
          if (location === from && d.key === decl.key) return accepts(location, d);
          const now = resolveDep(tree, location, d);
          const current = now === undefined ? undefined : tree.nodes.get(now);
          return current === undefined
            ? accepts(location, d)
            : current.name === meta.name && current.version === version;
        }
      : accepts;
    // yarn 1, in the dependent's own folder: placed anyway, and each package below that would
    // lose the version it has keeps it in a folder of its own.
    let shadowed: { location: string; node: TreeNode }[] = [];
    if ((level !== '' || ctx.keepResolved) && !canPlaceBelow(tree, level, decl.key, takes)) {
      if (!(ctx.keepResolved && last)) continue;
      shadowed = shadowedBelow(tree, level, decl.key, from, version);
    }
    setPackage(tree, nodeFor(target, meta, version), undefined);
    for (const { location, node } of shadowed) {
      const own = folderAt(location, decl.key);
      if (tree.nodes.has(own) || tree.links.has(own) || node.name !== meta.name) continue;
      setPackage(tree, nodeFor(own, meta, node.version), undefined);
      queue.add(own);
    }
    dedupeBelow(tree, target, ctx);
    queue.add(target);
    return true;
  }
  return false;
};

/**
 * What npm removes when it replaces a package with another version (arborist's pruning on
 * replacement). The candidates are the copies its new declarations resolve to but reject, and
 * what the old version used under a name the new one no longer declares; with them goes
 * everything they use in turn. Of that set, a package some package outside it still uses stays
 * (`location` itself does not count), and so does what it uses; the rest is removed, each with
 * its own node_modules folder. Its declarations are then resolved again, so one finds what is
 * visible further up, kept when it satisfies: a nested `minimist@0.0.8` under `mkdirp` is not
 * replaced in place once `mkdirp@0.5.2` asks for `^1.2.5` and the root's `minimist@1.2.5` gives
 * it. Bundled copies, locations in `keep` (what the caller moves itself) and the folders
 * `location` sits in are never removed.
 */
export const dropRejectedCopies = (
  tree: Tree,
  location: string,
  ctx: Pick<ResolveContext, 'overrides' | 'ancestors'>,
  keep: ReadonlySet<string> = new Set(),
  old?: TreeNode,
): void => {
  const node = tree.nodes.get(location);
  if (!node) return;
  const seeds: string[] = [];
  const consider = (decl: DepDecl, rejectedOnly: boolean): void => {
    if (decl.target !== undefined) return;
    const at = resolveDep(tree, location, decl);
    if (at === undefined || at === location || isWithin(location, at)) return;
    const copy = tree.nodes.get(at);
    if (!copy || !removable(copy)) return;
    if (rejectedOnly) {
      const parsed = parseSpec(effectiveSpec(ctx, tree, location, decl).spec);
      if (parsed.kind === 'other') return;
      if (copy.name === (parsed.name ?? decl.key) && satisfiesSpec(copy.version, parsed)) return;
    }
    seeds.push(at);
  };
  const declared = installedDeps(node);
  for (const decl of declared) consider(decl, true);
  if (old) {
    const keys = new Set(declared.map((d) => d.key));
    for (const decl of installedDeps(old)) if (!keys.has(decl.key)) consider(decl, false);
  }
  if (seeds.length === 0) return;
  removeWithFolders(tree, usedOnlyBy(tree, seeds, location, keep));
};

const removable = (node: TreeNode): boolean => !node.importer && node.source === 'registry' && !node.bundled;

/**
 * Removes the locations, each with everything in its node_modules folder (what it ships bundled
 * included: a folder goes as a whole).
 */
const removeWithFolders = (tree: Tree, set: ReadonlySet<string>): void => {
  if (set.size === 0) return;
  for (const location of tree.nodes.keys()) {
    for (let at = location; at !== ''; at = levelOf(at)) {
      if (!set.has(at)) continue;
      deleteNode(tree, location);
      break;
    }
  }
};

/**
 * The seeds and what they use, less every package a package outside the set (other than
 * `except`) uses and what that package uses in turn; each member with the packages in its own
 * node_modules folder, which go with it. Never a location in `keep`, nor a folder `except` sits in.
 */
const usedOnlyBy = (
  tree: Tree,
  seeds: readonly string[],
  except: string | undefined,
  keep: ReadonlySet<string>,
  free?: string,
): Set<string> => {
  const set = new Set<string>();
  /** Members in the set only as the contents of another member's folder: that member. */
  const folderOf = new Map<string, string>();
  const add = (l: string, folder?: string): void => {
    if (folder === undefined) folderOf.delete(l);
    if (set.has(l) || keep.has(l) || (except !== undefined && isWithin(except, l))) return;
    const target = tree.nodes.get(l);
    if (!target || !removable(target)) return;
    set.add(l);
    if (folder !== undefined) folderOf.set(l, folder);
  };
  /** Folder → the locations directly in its node_modules (built on first use, one pass). */
  let byFolder: Map<string, string[]> | undefined;
  const folderContents = (folder: string): readonly string[] => {
    if (!byFolder) {
      byFolder = new Map();
      for (const location of tree.nodes.keys()) {
        const level = levelOf(location);
        if (level === '') continue;
        const list = byFolder.get(level);
        if (list) list.push(location);
        else byFolder.set(level, [location]);
      }
    }
    return byFolder.get(folder) ?? [];
  };
  for (const seed of seeds) add(seed);
  for (const member of set) {
    const memberNode = tree.nodes.get(member);
    if (!memberNode) continue;
    for (const decl of installedDeps(memberNode)) {
      if (decl.target !== undefined) continue;
      const to = resolveDep(tree, member, decl);
      if (to !== undefined) add(to);
    }
    for (const inner of folderContents(member)) add(inner, member);
  }
  /** Whether a location in `keep` sits in the member's folder (it would go with the folder). */
  const holdsKept = (member: string): boolean => {
    const prefix = `${member}/node_modules/`;
    for (const l of keep) if (l.startsWith(prefix)) return true;
    return false;
  };
  /** In the set, or inside the folder of a member (removed with it). */
  const goes = (l: string): boolean => {
    for (let at = l; at !== ''; at = levelOf(at)) if (set.has(at)) return true;
    return false;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const member of set) {
      const folder = folderOf.get(member);
      const held =
        (folder !== undefined && !set.has(folder)) ||
        holdsKept(member) ||
        (member !== free &&
          dependentsOf(tree, member, keyOf(member)).some((d) => d.location !== except && !goes(d.location)));
      if (!held) continue;
      set.delete(member);
      changed = true;
    }
  }
  return set;
};

/**
 * What npm removes once it has placed a package (arborist's pruning of dedupable copies): every
 * deeper copy of the same folder name below it, outside the top level, that the copy its
 * parent's parent sees could stand in for (the same version, or a higher one every package
 * using the deeper copy accepts; or nobody uses the deeper copy), with what only that copy used.
 * Its dependents then find the other copy, as Node's lookup would.
 */
const dedupeBelow = (
  tree: Tree,
  placed: string,
  ctx: Pick<ResolveContext, 'overrides' | 'ancestors' | 'keep' | 'keepResolved'>,
): void => {
  const keep = ctx.keep ?? new Set<string>();
  const key = keyOf(placed);
  const level = levelOf(placed);
  for (const location of locationsHolding(tree, key)) {
    if (location === placed || keep.has(location) || !isWithin(location, level)) continue;
    const parent = levelOf(location);
    if (parent === '') continue;
    const node = tree.nodes.get(location);
    if (!node || !removable(node)) continue;
    const users = dependentsOf(tree, location, key);
    if (users.length > 0) {
      const otherAt = resolveDep(tree, levelOf(parent), { key, spec: '*', type: 'prod' });
      const other = otherAt === undefined ? undefined : tree.nodes.get(otherAt);
      if (!other || !removable(other) || other.name !== node.name) continue;
      if (other.version !== node.version) {
        if (ctx.keepResolved || compareVersions(other.version, node.version) < 0) continue;
        const accepted = users.every((d) => {
          const spec = parseSpec(effectiveSpec(ctx, tree, d.location, d.decl).spec);
          return (spec.name ?? d.decl.key) === other.name && satisfiesSpec(other.version, spec);
        });
        if (!accepted) continue;
      }
    }
    removeWithFolders(tree, usedOnlyBy(tree, [location], undefined, keep, location));
  }
};

/**
 * Whether a new package at `level/node_modules/key` would leave every package below `level`
 * that declares `key` with a version it accepts (they would all resolve to it).
 */
const canPlaceBelow = (
  tree: Tree,
  level: string,
  key: string,
  accepts: (location: string, decl: DepDecl) => boolean,
): boolean => {
  for (const location of declarersOf(tree, key)) {
    const node = tree.nodes.get(location);
    if (!node || !isWithin(location, level)) continue;
    for (const decl of installedDeps(node)) {
      if (decl.key !== key || decl.target !== undefined) continue;
      const now = resolveDep(tree, node.location, decl);
      if (now !== undefined && isWithin(now, level) && now !== folderAt(level, key)) continue;
      if (!accepts(node.location, decl)) return false;
    }
  }
  return true;
};

/**
 * The packages below `level` other than `from` that declare `key`, resolve it now to a copy
 * outside their own folders, of another version than `version`: a new copy at
 * `level/node_modules/key` would take their version away. With the node they resolve to.
 */
const shadowedBelow = (
  tree: Tree,
  level: string,
  key: string,
  from: string,
  version: string,
): { location: string; node: TreeNode }[] => {
  const out: { location: string; node: TreeNode }[] = [];
  for (const location of declarersOf(tree, key)) {
    const declarer = tree.nodes.get(location);
    if (!declarer || location === from || !isWithin(location, level)) continue;
    for (const decl of installedDeps(declarer)) {
      if (decl.key !== key || decl.target !== undefined) continue;
      const now = resolveDep(tree, location, decl);
      const node = now === undefined ? undefined : tree.nodes.get(now);
      if (now === undefined || node === undefined || isWithin(now, level)) continue;
      if (node.version !== version) out.push({ location, node });
    }
  }
  return out;
};

/** A manifest's dependencies as npm declares them for an importer. */
export interface ManifestDependencies {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

/** The declarations of a root manifest, with npm's precedence (dev over optional over prod). */
export const manifestDecls = (manifest: ManifestDependencies): DepDecl[] => {
  const decls = new Map<string, DepDecl>();
  for (const [key, spec] of Object.entries(manifest.dependencies ?? {}))
    decls.set(key, { key, spec, type: 'prod' });
  for (const [key, spec] of Object.entries(manifest.optionalDependencies ?? {})) {
    decls.set(key, { key, spec, type: 'optional' });
  }
  for (const [key, spec] of Object.entries(manifest.devDependencies ?? {}))
    decls.set(key, { key, spec, type: 'dev' });
  return [...decls.values()].sort(compareDecls);
};

/** Resolves a root manifest from scratch into a tree (no lockfile), as `npm install` would. */
export function* resolveManifestTree(
  manifest: ManifestDependencies,
  ctx: ResolveContext,
): NeedsMetadata<{ tree: Tree; problems: ResolveProblem[] }> {
  const root: TreeNode = {
    location: '',
    name: manifest.name ?? 'root',
    version: manifest.version ?? '0.0.0',
    source: 'root',
    deps: manifestDecls(manifest),
    bundled: false,
    importer: true,
  };
  const tree = makeTree(new Map([['', root]]), new Map(), ['']);
  const problems = yield* installDependencies(tree, [''], ctx);
  return { tree, problems };
}

/** An Inventory of a tree, as the npm lockfile parser would produce it for the same layout. */
export const inventoryFromTree = (
  tree: Tree,
  root: string,
  lockfile: string,
  format = 'npm-v3',
): Inventory => {
  const edges: InventoryEdge[] = [];
  for (const node of tree.nodes.values()) {
    for (const decl of installedDeps(node)) {
      const to = resolveDep(tree, node.location, decl);
      if (to !== undefined && tree.nodes.has(to))
        edges.push({ from: node.location, to, type: decl.type, spec: decl.spec });
    }
  }
  const importers: Importer[] = tree.importers.map((id) => {
    const node = tree.nodes.get(id);
    return { id, name: node?.name ?? id, path: id };
  });
  const { scopes } = computeScopes(tree.nodes.keys(), importers, edges);
  const packages = new Map<string, InventoryPackage>();
  for (const node of tree.nodes.values()) {
    const registry = node.source === 'registry';
    const folder = node.location.slice(node.location.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages.set(node.location, {
      id: node.location,
      name: node.name,
      version: node.version,
      purl: registry ? npmPurl(node.name, node.version) : undefined,
      integrity: undefined,
      resolved: undefined,
      source: node.source,
      scope: scopes.get(node.location) ?? 'prod',
      bundled: node.bundled,
      alias: registry && folder !== node.name ? folder : undefined,
      license: undefined,
    });
  }
  return { root, lockfile, format, importers, packages, edges };
};
