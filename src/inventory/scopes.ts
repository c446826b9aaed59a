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
  /** Everything reached from the importers along edges that `follow` accepts. */
  const reach = (follow: (edge: InventoryEdge, fromImporter: boolean) => boolean): Set<string> => {
    const seen = new Set<string>();
    const queue: string[] = [];
    for (const id of importerIds) {
      for (const edge of out.get(id) ?? []) {
        if (!importerIds.has(edge.to) && follow(edge, true) && !seen.has(edge.to)) {
          seen.add(edge.to);
          queue.push(edge.to);
        }
      }
    }
    for (let i = 0; i < queue.length; i++) {
      for (const edge of out.get(queue[i] as string) ?? []) {
        if (!importerIds.has(edge.to) && follow(edge, false) && !seen.has(edge.to)) {
          seen.add(edge.to);
          queue.push(edge.to);
        }
      }
    }
    return seen;
  };
  const any = reach(() => true);
  const notDev = reach((e) => e.type !== 'dev');
  const notOptional = reach((e) => e.type !== 'optional');
  const prod = reach((e) => e.type !== 'dev' && e.type !== 'optional');

  const scopes = new Map<string, Scope>();
  const unreachable = new Set<string>();
  for (const id of packageIds) {
    if (importerIds.has(id)) continue;
    if (!any.has(id)) unreachable.add(id);
    else if (prod.has(id)) scopes.set(id, 'prod');
    else if (!notDev.has(id)) scopes.set(id, 'dev');
    else if (!notOptional.has(id)) scopes.set(id, 'optional');
    else scopes.set(id, 'devOptional');
  }
  return { scopes, unreachable };
};
