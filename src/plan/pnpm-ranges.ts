import type { Inventory, InventoryEdge } from '../core/inventory.js';
import type { PlanInput } from './index.js';

/**
 * pnpm lockfiles record what a package's dependencies resolved to, not the ranges it declares
 * (only importers keep their specifiers). The in-place strategy needs those ranges: a locked
 * package may move only to a version every dependent accepts. They come from the registry, for
 * the dependents of the packages with findings; every other package-to-package edge keeps the
 * exact version it resolved to, so the plan never moves those without a declared range to go by.
 */
export const withDeclaredRanges = async (input: PlanInput): Promise<PlanInput> => {
  const { inventory } = input;
  const importers = new Set(inventory.importers.map((i) => i.id));
  const affectedNames = new Set(input.findings.map((f) => f.package.name));
  const wanted = new Map<string, Set<string>>();
  for (const edge of inventory.edges) {
    if (importers.has(edge.from)) continue;
    const target = inventory.packages.get(edge.to);
    const from = inventory.packages.get(edge.from);
    if (!target || !from || from.source !== 'registry' || !affectedNames.has(target.name)) continue;
    let versions = wanted.get(from.name);
    if (!versions) {
      versions = new Set();
      wanted.set(from.name, versions);
    }
    versions.add(from.version);
  }
  const declared = new Map<string, Readonly<Record<string, string>>>();
  await Promise.all(
    [...wanted].map(async ([name, versions]) => {
      const metadata = await input.registry.getPackage(name);
      if (!metadata) return;
      for (const version of versions) {
        const v = metadata.versions[version];
        if (!v) continue;
        declared.set(`${name}@${version}`, {
          ...v.peerDependencies,
          ...v.dependencies,
          ...v.optionalDependencies,
        });
      }
    }),
  );
  const edges = inventory.edges.map((edge): InventoryEdge => {
    if (importers.has(edge.from)) return edge;
    const target = inventory.packages.get(edge.to);
    const from = inventory.packages.get(edge.from);
    if (!target || !from) return edge;
    const range = declared.get(`${from.name}@${from.version}`)?.[edge.alias ?? target.name];
    return { ...edge, spec: range ?? exactSpec(target.name, edge.alias, target.version) };
  });
  const out: Inventory = { ...inventory, edges };
  return { ...input, inventory: out };
};

/** The exact version an edge resolved to, as npm would declare it (an alias names its package). */
const exactSpec = (name: string, alias: string | undefined, version: string): string =>
  alias !== undefined && alias !== name ? `npm:${name}@${version}` : version;
