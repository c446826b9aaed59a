import type { Importer, InventoryEdge, Scope } from '../core/inventory.js';

/**
 * Derives each package's scope from the graph, for formats whose lockfile does not record it
 * (yarn, pnpm 9, bun), with npm's rules (arborist's dependency flags):
 * - `prod`: reached from an importer along a path with no dev and no optional edge;
 * - `dev`: reached only through an importer's devDependencies;
 * - `optional`: reached only through an optional edge, never only through dev;
 * - `devOptional`: not prod, but needed both by the dev tree and by the optional tree.
 * Every importer is a root. Packages that no importer reaches are returned as `unreachable`.
 */
export const computeScopes = (
  packageIds: Iterable<string>,
  importers: readonly Importer[],
  edges: readonly InventoryEdge[],
): { scopes: Map<string, Scope>; unreachable: Set<string> } => {
  const out = new Map<string, InventoryEdge[]>();
  for (const edge of edges) {
    const list = out.get(edge.from);
    if (list) list.push(edge);
    else out.set(edge.from, [edge]);
  }
  const importerIds = new Set(importers.map((i) => i.id));
  // The four reaches are found in one pass: each package holds a bit per kind of path that
  // reaches it, an edge passes on the bits its type allows, and a package goes back on the
  // queue only when it gains a bit (so at most four times).
  const reached = new Map<string, number>();
  const queue: string[] = [];
  const follow = (edge: InventoryEdge, bits: number): void => {
    if (importerIds.has(edge.to)) return;
    const had = reached.get(edge.to) ?? 0;
    const now = had | (bits & passes(edge.type));
    if (now === had) return;
    reached.set(edge.to, now);
    queue.push(edge.to);
  };
  for (const id of importerIds) for (const edge of out.get(id) ?? []) follow(edge, ALL);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    const bits = reached.get(id) as number;
    for (const edge of out.get(id) ?? []) follow(edge, bits);
  }

  const scopes = new Map<string, Scope>();
  const unreachable = new Set<string>();
  for (const id of packageIds) {
    if (importerIds.has(id)) continue;
    const bits = reached.get(id) ?? 0;
    if (bits === 0) unreachable.add(id);
    else if (bits & PROD) scopes.set(id, 'prod');
    else if (!(bits & NOT_DEV)) scopes.set(id, 'dev');
    else if (!(bits & NOT_OPTIONAL)) scopes.set(id, 'optional');
    else scopes.set(id, 'devOptional');
  }
  return { scopes, unreachable };
};

/** Reached along any edges. */
const ANY = 1;
/** Reached along a path with no dev edge. */
const NOT_DEV = 2;
/** Reached along a path with no optional edge. */
const NOT_OPTIONAL = 4;
/** Reached along a path with neither. */
const PROD = 8;
const ALL = ANY | NOT_DEV | NOT_OPTIONAL | PROD;

/** The kinds of path an edge of this type continues. */
const passes = (type: InventoryEdge['type']): number =>
  type === 'dev' ? ANY | NOT_OPTIONAL : type === 'optional' ? ANY | NOT_DEV : ALL;
