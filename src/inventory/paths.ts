import type { Inventory, InventoryEdge } from '../core/inventory.js';

/**
 * Dependency paths from an importer (the root or a workspace) to one installed package. Paths are
 * found breadth-first backwards from the package, so they come out shortest first; a package that
 * appears twice on one path (a cycle) ends that path. Enumeration stops at `limit` paths.
 */
export interface DependencyPaths {
  /** Each path is a list of inventory ids, importer first, the package last. */
  readonly paths: readonly (readonly string[])[];
  /** Number of paths found; a lower bound when `complete` is false. */
  readonly count: number;
  readonly complete: boolean;
  /** Importers at the start of at least one path found. */
  readonly importers: readonly string[];
}

export interface PathIndex {
  readonly incoming: ReadonlyMap<string, readonly InventoryEdge[]>;
  readonly importerIds: ReadonlySet<string>;
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
  return { incoming, importerIds: new Set(inventory.importers.map((i) => i.id)) };
};

interface Partial {
  readonly id: string;
  readonly next: Partial | undefined;
  readonly length: number;
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

export const dependencyPaths = (
  index: PathIndex,
  target: string,
  options: { limit: number; maxFrontier?: number } = { limit: 1000 },
): DependencyPaths => {
  const maxFrontier = options.maxFrontier ?? 50_000;
  const found: string[][] = [];
  const importers = new Set<string>();
  let frontier: Partial[] = [{ id: target, next: undefined, length: 1 }];
  let complete = true;
  while (frontier.length > 0) {
    const next: Partial[] = [];
    for (const partial of frontier) {
      if (index.importerIds.has(partial.id)) {
        if (found.length === options.limit) {
          return { paths: found, count: found.length, complete: false, importers: [...importers] };
        }
        found.push(toList(partial));
        importers.add(partial.id);
        // A path ends at the first importer: the workspace that needs the package, not the root
        // that happens to depend on that workspace.
        continue;
      }
      for (const edge of index.incoming.get(partial.id) ?? []) {
        if (onPath(partial, edge.from)) continue;
        if (next.length >= maxFrontier) {
          complete = false;
          break;
        }
        next.push({ id: edge.from, next: partial, length: partial.length + 1 });
      }
    }
    frontier = next;
  }
  return { paths: found, count: found.length, complete, importers: [...importers] };
};
