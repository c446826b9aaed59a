import type { Inventory, InventoryPackage } from '../../src/core/inventory.js';
import { npmPurl } from '../../src/core/purl.js';

/** Helpers for tests that build inventories by hand or check what a parser read. */

/**
 * An installed package: by default a registry package in the prod scope, with its npm purl (a
 * package of another source has none unless `extra` gives one); `extra` overrides any field.
 */
export const inventoryPackage = (
  id: string,
  name: string,
  version: string,
  extra: Partial<InventoryPackage> = {},
): InventoryPackage => ({
  id,
  name,
  version,
  purl: (extra.source ?? 'registry') === 'registry' ? npmPurl(name, version) : undefined,
  integrity: undefined,
  resolved: undefined,
  source: 'registry',
  scope: 'prod',
  bundled: false,
  alias: undefined,
  license: undefined,
  ...extra,
});

/** A package id as the rows below show it: the root's empty id as `(root)`. */
export const shownId = (id: string): string => id || '(root)';

/** One line per package, sorted: the facts a regression would change. */
export const packageRows = (inventory: Inventory): string[] =>
  [...inventory.packages.values()]
    .map((p) => `${shownId(p.id)} ${p.name}@${p.version} (${p.scope}, ${p.source})`)
    .sort();

/** One line per edge, sorted. */
export const edgeRows = (inventory: Inventory): string[] =>
  inventory.edges.map((e) => `${shownId(e.from)} -> ${shownId(e.to)} [${e.type}] ${e.spec}`).sort();

/** The package at `id`; a missing one fails the test with the ids there are. */
export const packageAt = (inventory: Inventory, id: string): InventoryPackage => {
  const found = inventory.packages.get(id);
  if (!found) throw new Error(`no package at ${JSON.stringify(id)}; have ${[...inventory.packages.keys()]}`);
  return found;
};
