import { type EdgeType, type Inventory, isUnderModules, type SourceKind } from '../core/inventory.js';

/**
 * An npm install tree the planner can change: packages by install location
 * (`node_modules/a/node_modules/b`), each with the dependencies it declares. Which package a
 * declaration resolves to is not stored but found as Node finds it, walking up the
 * `node_modules` folders, so replacing or adding a package re-points every dependent at once.
 *
 * A tree is changed only on a copy (`cloneTree`), and only through `setNode` and `deleteNode`:
 * nodes are immutable values, so a copy is one Map copy. Every copy shares its origin (the tree
 * as first built), whose resolutions are computed once: a resolution from anywhere of a folder
 * name that no change added or removed is the origin's.
 */

export interface DepDecl {
  /** The folder name it is installed under (the alias for `npm:` aliases). */
  readonly key: string;
  readonly spec: string;
  readonly type: EdgeType;
  /** An optional peer (`peerDependenciesMeta`): never installed for its own sake. */
  readonly optionalPeer?: boolean;
  /** A fixed target (a workspace or linked folder), never re-resolved. */
  readonly target?: string;
}

export interface TreeNode {
  readonly location: string;
  readonly name: string;
  readonly version: string;
  readonly source: SourceKind;
  readonly deps: readonly DepDecl[];
  /** Shipped inside another package's tarball: cannot be changed on its own. */
  readonly bundled: boolean;
  /** The root or a workspace: its devDependencies are installed. */
  readonly importer: boolean;
}

/** The tree as first built, shared by all its copies. */
interface Origin {
  readonly nodes: ReadonlyMap<string, TreeNode>;
  /** from → folder name → resolved location (null: nothing). */
  readonly resolved: Map<string, Map<string, string | null>>;
  /** Folder name → locations whose installed declarations name it. */
  readonly declarers: ReadonlyMap<string, readonly string[]>;
  /** Per node: where its declarations resolve in the origin, in declaration order. */
  readonly byNode: WeakMap<TreeNode, readonly (string | undefined)[]>;
  /** Folder name → its locations in the origin (built on first use). */
  byKey: Map<string, readonly string[]> | undefined;
  /** name@version → what a copy of it ships bundled, by path below it (built on first use). */
  bundles: Map<string, Bundle> | undefined;
}

/** The packages a version ships inside its tarball, as one copy in the origin holds them. */
export interface Bundle {
  /** The copy's location. */
  readonly at: string;
  /** Each bundled package, with its location relative to the copy (`/node_modules/x`). */
  readonly contents: readonly { readonly rel: string; readonly node: TreeNode }[];
}

export interface Tree {
  readonly nodes: Map<string, TreeNode>;
  /** `node_modules/<name>` links to workspace and linked folders. */
  readonly links: ReadonlyMap<string, string>;
  readonly importers: readonly string[];
  readonly origin: Origin;
  /** Folder names a location was added or removed under since the origin. */
  readonly dirtyKeys: Set<string>;
  /** For each of `dirtyKeys`: every location now holding that folder name, with its level. */
  readonly keyLocations: Map<string, Map<string, string>>;
  /** Locations set since the origin. */
  readonly changed: Set<string>;
  /** Folder name → locations set since the origin whose declarations name it (may be stale). */
  readonly changedDeclarers: Map<string, string[]>;
}

export const makeTree = (
  nodes: Map<string, TreeNode>,
  links: ReadonlyMap<string, string>,
  importers: readonly string[],
): Tree => {
  const declarers = new Map<string, string[]>();
  for (const node of nodes.values()) {
    for (const decl of installedDeps(node)) {
      if (decl.target !== undefined) continue;
      const list = declarers.get(decl.key);
      if (list) list.push(node.location);
      else declarers.set(decl.key, [node.location]);
    }
  }
  return {
    nodes,
    links,
    importers,
    origin: {
      nodes: new Map(nodes),
      resolved: new Map(),
      declarers,
      byNode: new WeakMap(),
      byKey: undefined,
      bundles: undefined,
    },
    dirtyKeys: new Set(),
    keyLocations: new Map(),
    changed: new Set(),
    changedDeclarers: new Map(),
  };
};

export const cloneTree = (tree: Tree): Tree => ({
  nodes: new Map(tree.nodes),
  links: tree.links,
  importers: tree.importers,
  origin: tree.origin,
  dirtyKeys: new Set(tree.dirtyKeys),
  keyLocations: new Map([...tree.keyLocations].map(([key, map]) => [key, new Map(map)])),
  changed: new Set(tree.changed),
  changedDeclarers: new Map([...tree.changedDeclarers].map(([key, list]) => [key, [...list]])),
});

/** The origin's locations by folder name (built on first use). */
const originByKey = (tree: Tree): Map<string, readonly string[]> => {
  let byKey = tree.origin.byKey;
  if (!byKey) {
    const built = new Map<string, string[]>();
    for (const location of tree.origin.nodes.keys()) {
      const k = keyOf(location);
      const list = built.get(k);
      if (list) list.push(location);
      else built.set(k, [location]);
    }
    byKey = built;
    tree.origin.byKey = built;
  }
  return byKey;
};

/** The locations holding a folder name, tracked from its first addition or removal on. */
const locationsOf = (tree: Tree, key: string): Map<string, string> => {
  let set = tree.keyLocations.get(key);
  if (!set) {
    // Until the first addition or removal, a name is where the origin has it.
    set = new Map((originByKey(tree).get(key) ?? []).map((location) => [location, levelOf(location)]));
    tree.keyLocations.set(key, set);
    tree.dirtyKeys.add(key);
  }
  return set;
};

/**
 * What a name@version ships bundled, from a copy of it in the origin that has bundled packages
 * (the same version is the same tarball, so every copy ships the same); undefined when none has.
 */
export const bundleOf = (tree: Tree, name: string, version: string): Bundle | undefined => {
  let bundles = tree.origin.bundles;
  if (!bundles) {
    bundles = new Map();
    for (const [location, node] of tree.origin.nodes) {
      if (!node.bundled) continue;
      // The owner: the nearest folder up that is not itself bundled.
      let owner = levelOf(location);
      while (owner !== '' && tree.origin.nodes.get(owner)?.bundled) owner = levelOf(owner);
      const ownerNode = tree.origin.nodes.get(owner);
      if (!ownerNode || ownerNode.importer) continue;
      const key = `${ownerNode.name}@${ownerNode.version}`;
      let bundle = bundles.get(key);
      if (!bundle) {
        bundle = { at: owner, contents: [] };
        bundles.set(key, bundle);
      }
      if (bundle.at === owner)
        (bundle.contents as { rel: string; node: TreeNode }[]).push({
          rel: location.slice(owner.length),
          node,
        });
    }
    tree.origin.bundles = bundles;
  }
  return bundles.get(`${name}@${version}`);
};

/** Every location now holding a folder name. */
export const locationsHolding = (tree: Tree, key: string): string[] => {
  const held = tree.keyLocations.get(key);
  return held ? [...held.keys()] : [...(originByKey(tree).get(key) ?? [])];
};

export const setNode = (tree: Tree, node: TreeNode): void => {
  if (!tree.nodes.has(node.location))
    locationsOf(tree, keyOf(node.location)).set(node.location, levelOf(node.location));
  tree.nodes.set(node.location, node);
  tree.changed.add(node.location);
  for (const decl of node.deps) {
    const list = tree.changedDeclarers.get(decl.key);
    if (list) list.push(node.location);
    else tree.changedDeclarers.set(decl.key, [node.location]);
  }
};

export const deleteNode = (tree: Tree, location: string): void => {
  if (tree.nodes.has(location)) {
    locationsOf(tree, keyOf(location)).delete(location);
    tree.nodes.delete(location);
  }
};

/** Locations that may declare `key`: the origin's declarers and every location set since. */
export const declarersOf = (tree: Tree, key: string): string[] => {
  const out: string[] = [];
  for (const location of tree.origin.declarers.get(key) ?? [])
    if (tree.nodes.has(location)) out.push(location);
  const changed = tree.changedDeclarers.get(key);
  if (changed) {
    const seen = new Set(out);
    for (const location of changed) {
      if (seen.has(location) || !tree.nodes.get(location)?.deps.some((d) => d.key === key)) continue;
      seen.add(location);
      out.push(location);
    }
  }
  return out;
};

/** The folder whose node_modules holds a location: '' for top-level packages and workspaces. */
export const levelOf = (location: string): string => {
  const at = location.lastIndexOf('/node_modules/');
  return at === -1 ? '' : location.slice(0, at);
};

export const folderAt = (level: string, key: string): string =>
  level === '' ? `node_modules/${key}` : `${level}/node_modules/${key}`;

export const keyOf = (location: string): string => {
  const at = location.lastIndexOf('node_modules/');
  return at === -1 ? location : location.slice(at + 'node_modules/'.length);
};

/** Whether `location` is `level` or inside its node_modules. */
export const isWithin = (location: string, level: string): boolean =>
  level === '' || location === level || location.startsWith(`${level}/node_modules/`);

/** The location a declaration resolves to from `from`, as Node's module resolution finds it. */
export const resolveDep = (tree: Tree, from: string, decl: DepDecl): string | undefined => {
  if (decl.target !== undefined) return decl.target;
  if (tree.dirtyKeys.has(decl.key)) return lookUp(tree, from, decl.key);
  let byKey = tree.origin.resolved.get(from);
  if (!byKey) {
    byKey = new Map();
    tree.origin.resolved.set(from, byKey);
  }
  let hit = byKey.get(decl.key);
  if (hit === undefined) {
    hit = walk(tree.origin.nodes, tree.links, from, decl.key) ?? null;
    byKey.set(decl.key, hit);
  }
  return hit ?? undefined;
};

/**
 * Node's lookup for a folder name that changed since the origin, from the locations holding it:
 * the deepest one in a folder on the way up from `from` (the first one the walk up would meet);
 * at the top, a package before a link, as the walk has it.
 */
const lookUp = (tree: Tree, from: string, key: string): string | undefined => {
  const held = tree.keyLocations.get(key);
  // A name held in many places (`ms`, `debug`) is found faster by walking up the folders.
  if (!held || held.size > 4) return walk(tree.nodes, tree.links, from, key);
  let best: string | undefined;
  let depth = -1;
  for (const [location, level] of held) {
    if (level.length > depth && isWithin(from, level)) {
      best = location;
      depth = level.length;
    }
  }
  return best ?? tree.links.get(`node_modules/${key}`);
};

const walk = (
  nodes: ReadonlyMap<string, TreeNode>,
  links: ReadonlyMap<string, string>,
  from: string,
  key: string,
): string | undefined => {
  let level = from;
  while (true) {
    const candidate = folderAt(level, key);
    if (nodes.has(candidate)) return candidate;
    const link = links.get(candidate);
    if (link !== undefined) return link;
    if (level === '') return undefined;
    level = levelOf(level);
  }
};

/**
 * Declarations a node installs. Only importers install devDependencies, and only importers carry
 * them: a package's dev declarations are dropped when the tree is built.
 */
export const installedDeps = (node: TreeNode): readonly DepDecl[] => node.deps;

/** Where a node's declarations resolve in the origin, in declaration order (memoised per node). */
const originTargets = (tree: Tree, node: TreeNode): readonly (string | undefined)[] => {
  let targets = tree.origin.byNode.get(node);
  if (!targets) {
    targets = node.deps.map((d) => d.target ?? walk(tree.origin.nodes, tree.links, node.location, d.key));
    tree.origin.byNode.set(node, targets);
  }
  return targets;
};

/** Every location reached from the importers. */
export const reachable = (tree: Tree): Set<string> => {
  const seen = new Set<string>(tree.importers);
  const queue = [...tree.importers];
  const dirty = tree.dirtyKeys;
  for (let i = 0; i < queue.length; i++) {
    const node = tree.nodes.get(queue[i] as string);
    if (!node) continue;
    const targets = originTargets(tree, node);
    const deps = node.deps;
    for (let j = 0; j < deps.length; j++) {
      const decl = deps[j] as DepDecl;
      const to =
        dirty.size > 0 && decl.target === undefined && dirty.has(decl.key)
          ? lookUp(tree, node.location, decl.key)
          : targets[j];
      if (to !== undefined && !seen.has(to) && tree.nodes.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
};

/** Locations reached from one location (itself included). */
export const reachableFrom = (tree: Tree, start: string): Set<string> => {
  const seen = new Set<string>([start]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const from = queue[i] as string;
    const node = tree.nodes.get(from);
    if (!node) continue;
    for (const decl of installedDeps(node)) {
      const to = resolveDep(tree, from, decl);
      if (to !== undefined && !seen.has(to) && tree.nodes.has(to) && !tree.importers.includes(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
};

/**
 * Removes what no importer reaches any more. Only packages the original tree reached (or that
 * the change added) are removed: a package the lockfile lists but nothing reaches was left alone
 * by npm and is left alone here.
 */
export const prune = (tree: Tree, originallyReached: ReadonlySet<string>, original: Tree): Set<string> => {
  const reached = reachable(tree);
  // Deleting the current entry while iterating a Map is safe, and saves copying the keys.
  for (const location of tree.nodes.keys()) {
    if (reached.has(location)) continue;
    if (originallyReached.has(location) || !original.nodes.has(location)) deleteNode(tree, location);
  }
  return reached;
};

/** The tree of an npm inventory: locations are its ids, declarations its edges. */
export const treeFromInventory = (inventory: Inventory): Tree => {
  const nodes = new Map<string, TreeNode>();
  const links = new Map<string, string>();
  const importerIds = new Set(inventory.importers.map((i) => i.id));
  const depsOf = new Map<string, DepDecl[]>();
  for (const edge of inventory.edges) {
    const target = inventory.packages.get(edge.to);
    if (!target) continue;
    let decl: DepDecl;
    if (isUnderModules(edge.to)) {
      decl = { key: keyOf(edge.to), spec: edge.spec, type: edge.type };
    } else {
      decl = { key: target.name, spec: edge.spec, type: edge.type, target: edge.to };
      links.set(`node_modules/${target.name}`, edge.to);
    }
    const list = depsOf.get(edge.from);
    if (list) list.push(decl);
    else depsOf.set(edge.from, [decl]);
  }
  for (const pkg of inventory.packages.values()) {
    const importer = importerIds.has(pkg.id);
    const deps = depsOf.get(pkg.id) ?? [];
    nodes.set(pkg.id, {
      location: pkg.id,
      name: pkg.name,
      version: pkg.version,
      source: pkg.source,
      deps: (importer ? deps : deps.filter((d) => d.type !== 'dev')).sort(compareDecls),
      bundled: pkg.bundled,
      importer,
    });
  }
  return makeTree(
    nodes,
    links,
    inventory.importers.map((i) => i.id),
  );
};

export const compareDecls = (a: DepDecl, b: DepDecl): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
