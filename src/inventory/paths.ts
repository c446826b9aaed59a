import type { Inventory, InventoryEdge } from '../core/inventory.js';

/**
 * Dependency paths from an importer (the root or a workspace) to one installed package. A path
 * ends at the first importer it meets (the workspace that needs the package, not the root that
 * depends on that workspace) and never visits a package twice.
 *
 * Listing and counting are separate: the shortest `limit` paths are found best-first backwards
 * from the package, and the number of all paths is counted without listing them, by dynamic
 * programming over the package's ancestors. Only when those ancestors contain a cycle, where that
 * count is not defined by a simple sum, are paths enumerated up to a cap.
 */
export interface DependencyPaths {
  /** The shortest paths, at most `limit`; each a list of inventory ids, importer first. */
  readonly paths: readonly (readonly string[])[];
  /** How many paths exist; a lower bound when `complete` is false. */
  readonly count: number;
  readonly complete: boolean;
  /** Every importer from which the package is reached. */
  readonly importers: readonly string[];
}

export interface PathIndex {
  /** Incoming edges per package, one per dependent. */
  readonly incoming: ReadonlyMap<string, readonly InventoryEdge[]>;
  readonly importerIds: ReadonlySet<string>;
  /** Path counts per package; `cyclic` where an ancestor lies on a cycle. */
  readonly counts: Map<string, number | 'cyclic'>;
  /** Shortest distance from an importer, filled on first use. */
  readonly distances: Map<string, number>;
}

export const indexPaths = (inventory: Inventory): PathIndex => {
  const incoming = new Map<string, InventoryEdge[]>();
  for (const edge of inventory.edges) {
    const list = incoming.get(edge.to);
    // Two edges between the same pair of packages are one route.
    if (list) {
      if (!list.some((e) => e.from === edge.from)) list.push(edge);
    } else incoming.set(edge.to, [edge]);
  }
  return {
    incoming,
    importerIds: new Set(inventory.importers.map((i) => i.id)),
    counts: new Map(),
    distances: new Map(),
  };
};

interface Partial {
  readonly id: string;
  readonly next: Partial | undefined;
  /** Edges from this package down to the target. */
  readonly length: number;
  /** `length` plus the shortest distance from an importer to `id`: the best this path can do. */
  readonly bound: number;
}

const toList = (p: Partial): string[] => {
  const out: string[] = [];
  for (let at: Partial | undefined = p; at; at = at.next) out.push(at.id);
  return out;
};

const onPath = (p: Partial, id: string): boolean => {
  for (let at: Partial | undefined = p; at; at = at.next) if (at.id === id) return true;
  return false;
};

/** Shortest distance from any importer to each package, by one breadth-first pass from the importers. */
const distances = (index: PathIndex): Map<string, number> => {
  if (index.distances.size > 0 || index.importerIds.size === 0) return index.distances;
  const outgoing = new Map<string, string[]>();
  for (const [to, edges] of index.incoming) {
    for (const edge of edges) {
      const list = outgoing.get(edge.from);
      if (list) list.push(to);
      else outgoing.set(edge.from, [to]);
    }
  }
  const queue = [...index.importerIds];
  for (const id of queue) index.distances.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    const d = index.distances.get(id) as number;
    for (const to of outgoing.get(id) ?? []) {
      if (index.distances.has(to)) continue;
      index.distances.set(to, d + 1);
      queue.push(to);
    }
  }
  return index.distances;
};

/** A binary min-heap of partial paths: lowest bound first, then the one closest to an importer. */
class PartialHeap {
  private readonly items: Partial[] = [];
  get size(): number {
    return this.items.length;
  }
  private less(a: Partial, b: Partial): boolean {
    return a.bound < b.bound || (a.bound === b.bound && a.length > b.length);
  }
  push(item: Partial): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i] as Partial, items[parent] as Partial)) break;
      [items[i], items[parent]] = [items[parent] as Partial, items[i] as Partial];
      i = parent;
    }
  }
  pop(): Partial | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      items[0] = last;
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.less(items[l] as Partial, items[best] as Partial)) best = l;
        if (r < items.length && this.less(items[r] as Partial, items[best] as Partial)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best] as Partial, items[i] as Partial];
        i = best;
      }
    }
    return top;
  }
}

/**
 * The first `limit` paths in order of length (a best-first search backwards from the target,
 * guided by each package's distance from the importers, so it expands little beyond the paths it
 * returns); `more` tells whether any path was left out.
 */
const enumerate = (
  index: PathIndex,
  target: string,
  limit: number,
  maxFrontier: number,
): { paths: string[][]; more: boolean } => {
  const found: string[][] = [];
  const distance = distances(index);
  const start = distance.get(target);
  if (start === undefined) return { paths: found, more: false };
  const heap = new PartialHeap();
  heap.push({ id: target, next: undefined, length: 0, bound: start });
  while (heap.size > 0) {
    const partial = heap.pop() as Partial;
    if (index.importerIds.has(partial.id)) {
      if (found.length === limit) return { paths: found, more: true };
      found.push(toList(partial));
      continue;
    }
    for (const edge of index.incoming.get(partial.id) ?? []) {
      const d = distance.get(edge.from);
      if (d === undefined || onPath(partial, edge.from)) continue;
      if (heap.size >= maxFrontier) return { paths: found, more: true };
      heap.push({ id: edge.from, next: partial, length: partial.length + 1, bound: partial.length + 1 + d });
    }
  }
  return { paths: found, more: false };
};

/** Paths from importers to `id`, summed over its dependents; memoised in the index. */
const countPaths = (index: PathIndex, id: string, visiting: Set<string>): number | 'cyclic' => {
  const known = index.counts.get(id);
  if (known !== undefined) return known;
  if (index.importerIds.has(id)) return 1;
  if (visiting.has(id)) return 'cyclic';
  visiting.add(id);
  let total: number | 'cyclic' = 0;
  for (const edge of index.incoming.get(id) ?? []) {
    const n = countPaths(index, edge.from, visiting);
    if (n === 'cyclic') {
      total = 'cyclic';
      break;
    }
    total += n;
  }
  visiting.delete(id);
  // Both answers are final: meeting an open node means `id` itself lies on a cycle or below one,
  // and a sum reached without meeting one covers an acyclic set of ancestors.
  index.counts.set(id, total);
  return total;
};

const reachingImporters = (index: PathIndex, target: string): string[] => {
  const seen = new Set<string>([target]);
  const queue = [target];
  const importers: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    if (index.importerIds.has(id)) {
      importers.push(id);
      continue;
    }
    for (const edge of index.incoming.get(id) ?? []) {
      if (!seen.has(edge.from)) {
        seen.add(edge.from);
        queue.push(edge.from);
      }
    }
  }
  return importers;
};

export interface PathOptions {
  /** Paths listed (the shortest). */
  readonly limit: number;
  /** Paths enumerated to count them when the ancestors contain a cycle. */
  readonly countCap?: number;
  /** Partial paths held at once during a breadth-first search. */
  readonly maxFrontier?: number;
}

export const dependencyPaths = (index: PathIndex, target: string, options: PathOptions): DependencyPaths => {
  const maxFrontier = options.maxFrontier ?? 50_000;
  const importers = reachingImporters(index, target);
  const exact = countPaths(index, target, new Set());
  if (exact !== 'cyclic') {
    return {
      paths: enumerate(index, target, options.limit, maxFrontier).paths,
      count: exact,
      complete: true,
      importers,
    };
  }
  // One enumeration up to the cap both lists the shortest paths (its first ones, as it finds them
  // shortest first) and counts them.
  const counted = enumerate(index, target, Math.max(options.countCap ?? 100, options.limit), maxFrontier);
  return {
    paths: counted.paths.slice(0, options.limit),
    count: counted.paths.length,
    complete: !counted.more,
    importers,
  };
};
