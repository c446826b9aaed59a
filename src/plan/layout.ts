import { PatchPilotError } from '../core/errors.js';
import type { Inventory, InventoryEdge, InventoryPackage } from '../core/inventory.js';
import { folderAt, levelOf } from './tree.js';

/**
 * An npm install layout for a graph lockfile (yarn classic, yarn berry, pnpm, bun): the same
 * packages and the same resolutions, placed in `node_modules` folders so that Node's lookup from
 * every copy finds exactly the package the lockfile resolved. The planner's tree, resolver and
 * strategies work on install locations; this is what lets them plan these formats too.
 *
 * Placement: breadth-first from the importers (the root, then the workspaces by folder), each
 * dependency at the shallowest folder on the dependent's way up where nothing else of that name
 * is found first (the root's node_modules when it is free), else nested in the dependent's own
 * node_modules, but never above a package on the way that needs that name itself (it would find
 * the new copy instead of its own). A later placement can still hide an earlier one from a
 * package below it, off the way; a final pass checks every resolution and nests what it finds
 * wrong, until nothing changes.
 */

/**
 * Copies the layout may hold, per package of the lockfile, before it gives up: a guard against
 * a graph that would nest without end (many workspaces each needing their own copy stay far below).
 */
const maxCopiesPerPackage = 50;

export const npmLayout = (inventory: Inventory): Inventory => placeGraph(inventory).layout;

/** The lockfile formats that record a graph, not folders: planned on their npm layout. */
export const isGraphFormat = (format: string): boolean =>
  ['yarn-v1', 'yarn-berry-', 'pnpm-', 'bun-'].some((prefix) => format.startsWith(prefix));

/**
 * The inventory whose install locations a plan's changes name: the lockfile's own for npm, the
 * npm layout for a graph format (policy reads the scope of each moved location from it).
 */
export const plannedInventory = (inventory: Inventory): Inventory =>
  isGraphFormat(inventory.format) ? npmLayout(inventory) : inventory;

export interface Placement {
  readonly layout: Inventory;
  /** Install location → the id of the graph record placed there. */
  readonly recordAt: ReadonlyMap<string, string>;
}

/**
 * Placements already computed, by inventory: a plan and the policy verdicts on it (and an apply
 * after them) each need the layout of the same read-only inventory, which takes 50 to 150 ms on a
 * lockfile of 4,000 packages.
 */
const placements = new WeakMap<Inventory, Placement>();

export const placeGraph = (inventory: Inventory): Placement => {
  let placement = placements.get(inventory);
  if (!placement) {
    placement = place(inventory);
    placements.set(inventory, placement);
  }
  return placement;
};

const place = (inventory: Inventory): Placement => {
  const { packages } = inventory;
  const importerPath = new Map(inventory.importers.map((i) => [i.id, i.path]));
  const edgesFrom = new Map<string, InventoryEdge[]>();
  for (const edge of inventory.edges) {
    if (!packages.has(edge.to)) continue;
    // Only importers install their devDependencies.
    if (edge.type === 'dev' && !importerPath.has(edge.from)) continue;
    const list = edgesFrom.get(edge.from);
    if (list) list.push(edge);
    else edgesFrom.set(edge.from, [edge]);
  }
  for (const list of edgesFrom.values()) list.sort((a, b) => compare(keyFor(a), keyFor(b)));

  const declared = new Map<string, Set<string>>();
  const declares = (record: string | undefined, key: string): boolean => {
    if (record === undefined) return false;
    let keys = declared.get(record);
    if (!keys) {
      keys = new Set((edgesFrom.get(record) ?? []).map(keyFor));
      declared.set(record, keys);
    }
    return keys.has(key);
  };
  function keyFor(edge: InventoryEdge): string {
    if (edge.alias !== undefined) return edge.alias;
    return (packages.get(edge.to) as InventoryPackage).name;
  }

  /** Location → the record placed there. Importers sit at their folders. */
  const placed = new Map<string, string>();
  /** Workspace links: `node_modules/<name>` → the workspace folder. */
  const links = new Map<string, string>();
  for (const importer of inventory.importers) {
    placed.set(importer.path, importer.id);
    const pkg = packages.get(importer.id);
    if (importer.path !== '' && pkg) links.set(`node_modules/${pkg.name}`, importer.path);
  }
  const copyLimit = maxCopiesPerPackage * (packages.size + inventory.importers.length) + 10_000;

  const lookUp = (from: string, key: string): string | undefined => {
    let level = from;
    while (true) {
      const candidate = folderAt(level, key);
      if (placed.has(candidate)) return candidate;
      const link = links.get(candidate);
      if (link !== undefined) return link;
      if (level === '') return undefined;
      level = levelOf(level);
    }
  };

  const queue: string[] = [];
  /** Puts `edge.to` where the lookup from `from` finds it; returns false when it already does. */
  const place = (from: string, edge: InventoryEdge): boolean => {
    const target = edge.to;
    if (importerPath.has(target)) return false;
    const key = keyFor(edge);
    const hit = lookUp(from, key);
    const hitRecord = hit === undefined ? undefined : placed.get(hit);
    // Records with the same name and version but other dependencies (pnpm's peer variants, yarn
    // entries resolved apart) are different packages here: each must find its own dependencies.
    if (hitRecord === target) return false;
    // The levels the lookup passes, deepest first; a new copy must sit below the wrong hit.
    const levels: string[] = [];
    for (let level = from; ; level = levelOf(level)) {
      if (hit !== undefined && folderAt(level, key) === hit) break;
      if (hit !== undefined && links.get(folderAt(level, key)) === hit) break;
      // A package on the way up that needs this name itself finds it where `from` does: a copy
      // above it would change what it gets. So its own node_modules holds only its own needs.
      if (level !== from && declares(placed.get(level), key)) break;
      levels.push(level);
      if (level === '') break;
    }
    const level = levels[levels.length - 1];
    if (level === undefined) return false;
    const location = folderAt(level, key);
    if (placed.size > copyLimit) {
      throw new PatchPilotError(
        'INTERNAL',
        `${inventory.lockfile}: an npm layout of this lockfile needs more than ${copyLimit} copies of its packages; it cannot be planned`,
      );
    }
    placed.set(location, target);
    queue.push(location);
    return true;
  };

  const roots = [...inventory.importers].sort((a, b) => compare(a.path, b.path));
  for (const importer of roots) queue.push(importer.path);
  const drain = (): void => {
    for (let i = 0; i < queue.length; i++) {
      const from = queue[i] as string;
      for (const edge of edgesFrom.get(placed.get(from) as string) ?? []) place(from, edge);
    }
    queue.length = 0;
  };
  drain();
  // Later placements may hide earlier ones from the packages below them: nest until every
  // lookup finds what the lockfile resolved.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [from, record] of [...placed]) {
      for (const edge of edgesFrom.get(record) ?? []) {
        if (place(from, edge)) changed = true;
      }
    }
    drain();
  }

  const out = new Map<string, InventoryPackage>();
  const edges: InventoryEdge[] = [];
  for (const [location, record] of placed) {
    const pkg = packages.get(record);
    if (pkg) out.set(location, { ...pkg, id: location });
    for (const edge of edgesFrom.get(record) ?? []) {
      const workspace = importerPath.get(edge.to);
      const to = workspace ?? lookUp(location, keyFor(edge));
      if (to === undefined) continue;
      edges.push({ from: location, to, type: edge.type, spec: npmSpec(edge.spec) });
    }
  }
  const layout: Inventory = {
    root: inventory.root,
    lockfile: inventory.lockfile,
    format: inventory.format,
    importers: inventory.importers.map((i) => ({ id: i.path, name: i.name, path: i.path })),
    packages: out,
    edges,
  };
  return { layout, recordAt: placed };
};

/**
 * A declared spec as npm writes it: yarn berry's `npm:^1.2.0` is the range `^1.2.0`; an alias
 * (`npm:name@^1`) and every other protocol stay as they are.
 */
export const npmSpec = (spec: string): string => {
  if (!spec.startsWith('npm:')) return spec;
  const rest = spec.slice(4);
  const at = rest.lastIndexOf('@');
  return at > 0 ? spec : rest;
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
