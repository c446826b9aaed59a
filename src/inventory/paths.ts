import type { Inventory } from '../core/inventory.js';

/**
 * Dependency paths from an importer (the root or a workspace) to one installed package. A path
 * ends at the first importer it meets (the workspace that needs the package, not the root that
 * depends on that workspace) and never visits a package twice.
 *
 * Listing and counting are separate: the shortest `limit` paths are found best-first backwards
 * from the package, and the number of all paths is counted without listing them, by dynamic
 * programming over the package's ancestors. Only when those ancestors contain a cycle, where that
 * count is not defined by a simple sum, are paths enumerated up to a cap.
 *
 * A scan runs this once, cold, over a few thousand packages: the graph is numbered once, and
 * every search after that walks typed arrays rather than maps keyed by id.
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

/** Path counts not known yet, and counts an ancestor on a cycle leaves undefined. */
const UNCOUNTED = -1;
const CYCLIC = -2;

export interface PathIndex {
  /** The inventory id of each node; a node's number indexes the arrays below. */
  readonly ids: readonly string[];
  readonly nodeOf: ReadonlyMap<string, number>;
  /**
   * The dependents of node `n`, one per dependent, in edge order, are
   * `dependents[dependentsStart[n]]` up to (not including) `dependents[dependentsEnd[n]]`.
   */
  readonly dependentsStart: Int32Array;
  readonly dependentsEnd: Int32Array;
  readonly dependents: Int32Array;
  /** 1 for the importers (the root and the workspaces). */
  readonly importer: Uint8Array;
  /** Paths from importers per node: `UNCOUNTED`, `CYCLIC`, or the count. */
  readonly counts: Float64Array;
  /** Shortest distance from an importer (-1: none), filled on first use. */
  distances: Int32Array | undefined;
}

export const indexPaths = (inventory: Inventory): PathIndex => {
  const nodeOf = new Map<string, number>();
  const ids: string[] = [];
  const node = (id: string): number => {
    let n = nodeOf.get(id);
    if (n === undefined) {
      n = ids.length;
      nodeOf.set(id, n);
      ids.push(id);
    }
    return n;
  };
  for (const importer of inventory.importers) node(importer.id);
  const edges = inventory.edges;
  const from = new Int32Array(edges.length);
  const to = new Int32Array(edges.length);
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i] as (typeof edges)[number];
    from[i] = node(edge.from);
    to[i] = node(edge.to);
  }
  const size = ids.length;
  // Each node's slice of `dependents` starts after those of the nodes before it.
  const dependentsStart = new Int32Array(size);
  for (let i = 0; i < to.length; i++)
    dependentsStart[to[i] as number] = (dependentsStart[to[i] as number] as number) + 1;
  for (let n = 0, sum = 0; n < size; n++) {
    const incoming = dependentsStart[n] as number;
    dependentsStart[n] = sum;
    sum += incoming;
  }
  const dependentsEnd = dependentsStart.slice();
  const dependents = new Int32Array(edges.length);
  for (let i = 0; i < edges.length; i++) {
    const t = to[i] as number;
    const f = from[i] as number;
    const end = dependentsEnd[t] as number;
    // Two edges between the same pair of packages are one route.
    let seen = false;
    for (let k = dependentsStart[t] as number; k < end; k++) {
      if (dependents[k] === f) {
        seen = true;
        break;
      }
    }
    if (!seen) {
      dependents[end] = f;
      dependentsEnd[t] = end + 1;
    }
  }
  const importer = new Uint8Array(size);
  for (const { id } of inventory.importers) importer[nodeOf.get(id) as number] = 1;
  return {
    ids,
    nodeOf,
    dependentsStart,
    dependentsEnd,
    dependents,
    importer,
    counts: new Float64Array(size).fill(UNCOUNTED),
    distances: undefined,
  };
};

/** The ids of the packages that depend on `id`, one per dependent, in the inventory's edge order. */
export const dependentsOf = (index: PathIndex, id: string): string[] => {
  const n = index.nodeOf.get(id);
  const out: string[] = [];
  if (n === undefined) return out;
  const end = index.dependentsEnd[n] as number;
  for (let k = index.dependentsStart[n] as number; k < end; k++)
    out.push(index.ids[index.dependents[k] as number] as string);
  return out;
};

/** Whether an importer (the root or a workspace) depends on `id` directly. */
export const hasImporterDependent = (index: PathIndex, id: string): boolean => {
  const n = index.nodeOf.get(id);
  if (n === undefined) return false;
  const end = index.dependentsEnd[n] as number;
  for (let k = index.dependentsStart[n] as number; k < end; k++) {
    if (index.importer[index.dependents[k] as number] === 1) return true;
  }
  return false;
};

interface Partial {
  readonly node: number;
  readonly next: Partial | undefined;
  /** Edges from this package down to the target. */
  readonly length: number;
  /** `length` plus the shortest distance from an importer to `node`: the best this path can do. */
  readonly bound: number;
}

const toList = (index: PathIndex, p: Partial): string[] => {
  const out: string[] = [];
  for (let at: Partial | undefined = p; at; at = at.next) out.push(index.ids[at.node] as string);
  return out;
};

const onPath = (p: Partial, node: number): boolean => {
  for (let at: Partial | undefined = p; at; at = at.next) if (at.node === node) return true;
  return false;
};

/** Shortest distance from any importer to each package, by one breadth-first pass from the importers. */
const distances = (index: PathIndex): Int32Array => {
  if (index.distances) return index.distances;
  const size = index.ids.length;
  // The edges turned around: each package's dependencies, from its dependents' lists.
  const { dependentsStart, dependentsEnd, dependents } = index;
  const degree = new Int32Array(size + 1);
  for (let t = 0; t < size; t++) {
    const end = dependentsEnd[t] as number;
    for (let k = dependentsStart[t] as number; k < end; k++) {
      const f = (dependents[k] as number) + 1;
      degree[f] = (degree[f] as number) + 1;
    }
  }
  for (let n = 1; n <= size; n++) degree[n] = (degree[n] as number) + (degree[n - 1] as number);
  const fill = degree.slice(0, size);
  const dependencies = new Int32Array(degree[size] as number);
  for (let t = 0; t < size; t++) {
    const end = dependentsEnd[t] as number;
    for (let k = dependentsStart[t] as number; k < end; k++) {
      const f = dependents[k] as number;
      dependencies[fill[f] as number] = t;
      fill[f] = (fill[f] as number) + 1;
    }
  }
  const distance = new Int32Array(size).fill(-1);
  const queue = new Int32Array(size);
  let tail = 0;
  for (let n = 0; n < size; n++) {
    if (index.importer[n] === 1) {
      distance[n] = 0;
      queue[tail++] = n;
    }
  }
  for (let head = 0; head < tail; head++) {
    const n = queue[head] as number;
    const d = (distance[n] as number) + 1;
    const end = degree[n + 1] as number;
    for (let k = degree[n] as number; k < end; k++) {
      const t = dependencies[k] as number;
      if (distance[t] !== -1) continue;
      distance[t] = d;
      queue[tail++] = t;
    }
  }
  index.distances = distance;
  return distance;
};

/** Whether `a` comes out of the heap before `b`: lower bound first, then the one closer to an importer. */
const before = (a: Partial, b: Partial): boolean =>
  a.bound < b.bound || (a.bound === b.bound && a.length > b.length);

/**
 * A binary min-heap of partial paths, in `before` order. Items move by shifting the others into
 * the hole rather than by swaps: this runs mostly cold, where a destructuring swap builds an array.
 */
class PartialHeap {
  private readonly items: Partial[] = [];
  get size(): number {
    return this.items.length;
  }
  push(item: Partial): void {
    const items = this.items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent] as Partial;
      if (!before(item, above)) break;
      items[i] = above;
      i = parent;
    }
    items[i] = item;
  }
  pop(): Partial | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop() as Partial;
    const size = items.length;
    if (size === 0) return top;
    let i = 0;
    while (true) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let child = l;
      if (r < size && before(items[r] as Partial, items[l] as Partial)) child = r;
      const candidate = items[child] as Partial;
      if (!before(candidate, last)) break;
      items[i] = candidate;
      i = child;
    }
    items[i] = last;
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
  target: number,
  limit: number,
  maxFrontier: number,
): { paths: string[][]; more: boolean } => {
  const found: string[][] = [];
  const distance = distances(index);
  const start = distance[target] as number;
  if (start === -1) return { paths: found, more: false };
  const { dependentsStart, dependentsEnd, dependents } = index;
  const heap = new PartialHeap();
  heap.push({ node: target, next: undefined, length: 0, bound: start });
  while (heap.size > 0) {
    const partial = heap.pop() as Partial;
    if (index.importer[partial.node] === 1) {
      if (found.length === limit) return { paths: found, more: true };
      found.push(toList(index, partial));
      continue;
    }
    const end = dependentsEnd[partial.node] as number;
    for (let k = dependentsStart[partial.node] as number; k < end; k++) {
      const f = dependents[k] as number;
      const d = distance[f] as number;
      if (d === -1 || onPath(partial, f)) continue;
      if (heap.size >= maxFrontier) return { paths: found, more: true };
      heap.push({ node: f, next: partial, length: partial.length + 1, bound: partial.length + 1 + d });
    }
  }
  return { paths: found, more: false };
};

/**
 * Paths from importers to `node`, summed over its dependents; memoised in the index. `open`
 * marks the nodes on the current chain of the depth-first walk, which keeps its own stack: a
 * dependency chain thousands of packages deep (a crafted lockfile) must not exhaust the call stack.
 */
const countPaths = (index: PathIndex, node: number, open: Uint8Array): number => {
  const { counts, importer, dependents, dependentsStart, dependentsEnd } = index;
  const known = counts[node] as number;
  if (known !== UNCOUNTED) return known;
  if (importer[node] === 1) return 1;
  // The chain being walked: each node, the next of its dependents to visit, its sum so far.
  const chain = new Int32Array(index.ids.length);
  const next = new Int32Array(index.ids.length);
  const sums = new Float64Array(index.ids.length);
  let depth = 0;
  const enter = (n: number): void => {
    open[n] = 1;
    chain[depth] = n;
    next[depth] = dependentsStart[n] as number;
    sums[depth] = 0;
    depth++;
  };
  enter(node);
  for (;;) {
    const top = depth - 1;
    const n = chain[top] as number;
    const k = next[top] as number;
    if (sums[top] !== CYCLIC && k < (dependentsEnd[n] as number)) {
      next[top] = k + 1;
      const d = dependents[k] as number;
      let value = counts[d] as number;
      if (value === UNCOUNTED) {
        if (importer[d] === 1) value = 1;
        else if (open[d] === 1) value = CYCLIC;
        else {
          enter(d);
          continue;
        }
      }
      sums[top] = value === CYCLIC ? CYCLIC : (sums[top] as number) + value;
      continue;
    }
    // Both answers are final: meeting an open node means `n` itself lies on a cycle or below
    // one, and a sum reached without meeting one covers an acyclic set of ancestors.
    const total = sums[top] as number;
    open[n] = 0;
    counts[n] = total;
    depth--;
    if (depth === 0) return total;
    const below = depth - 1;
    sums[below] = total === CYCLIC ? CYCLIC : (sums[below] as number) + total;
  }
};

const reachingImporters = (index: PathIndex, target: number): string[] => {
  const seen = new Uint8Array(index.ids.length);
  const queue = new Int32Array(index.ids.length);
  let tail = 0;
  seen[target] = 1;
  queue[tail++] = target;
  const importers: string[] = [];
  for (let head = 0; head < tail; head++) {
    const n = queue[head] as number;
    if (index.importer[n] === 1) {
      importers.push(index.ids[n] as string);
      continue;
    }
    const end = index.dependentsEnd[n] as number;
    for (let k = index.dependentsStart[n] as number; k < end; k++) {
      const f = index.dependents[k] as number;
      if (seen[f] === 0) {
        seen[f] = 1;
        queue[tail++] = f;
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
  const node = index.nodeOf.get(target);
  // A package no edge reaches and no importer is has no path.
  if (node === undefined) return { paths: [], count: 0, complete: true, importers: [] };
  const maxFrontier = options.maxFrontier ?? 50_000;
  const importers = reachingImporters(index, node);
  const exact = countPaths(index, node, new Uint8Array(index.ids.length));
  if (exact !== CYCLIC) {
    return {
      paths: enumerate(index, node, options.limit, maxFrontier).paths,
      count: exact,
      complete: true,
      importers,
    };
  }
  // One enumeration up to the cap both lists the shortest paths (its first ones, as it finds them
  // shortest first) and counts them.
  const counted = enumerate(index, node, Math.max(options.countCap ?? 100, options.limit), maxFrontier);
  return {
    paths: counted.paths.slice(0, options.limit),
    count: counted.paths.length,
    complete: !counted.more,
    importers,
  };
};
