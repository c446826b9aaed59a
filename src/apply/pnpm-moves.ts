import { join } from 'node:path';
import type { LockChange } from '../core/plan.js';
import { readInventory } from '../inventory/index.js';
import { parseJsonDocument } from '../inventory/json.js';
import { placeGraph } from '../plan/layout.js';
import { keyOf } from '../plan/tree.js';
import { readText } from '../util/fs.js';
import { detectJsonFormat, formatJson } from './json-format.js';
import { escapes } from './paths.js';

/**
 * How `fix` moves locked packages in a pnpm project without touching what the plan did not
 * move. pnpm resolves each range anew only when its lockfile no longer satisfies it, and then
 * prefers the versions the lockfile holds; so a package is moved by two `pnpm install
 * --lockfile-only` runs:
 *
 * 1. `during`: for each dependent of a moved copy, an override scoped to it
 *    (`parent@1.2.3>lib: 1.0.1` in `pnpm.overrides`), or for an importer's direct dependency an
 *    exact range (`1.0.1`);
 * 2. `after`: the manifests as they were; pnpm keeps 1.0.1, which the ranges accept.
 *
 * Which copies move comes from the plan's install locations, which are the npm layout of this
 * lockfile (`plan/layout.ts`): laid out again here, each must still hold the version the plan saw.
 */

export interface PnpmMoves {
  /** File → content for the first run. */
  readonly during: ReadonlyMap<string, string>;
  /** File → content to restore before the second run. */
  readonly after: ReadonlyMap<string, string>;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const dependencyFields = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;

/** The temporary edits that move `moves`, or what does not match the plan. */
export const pnpmMovesFor = async (
  folder: string,
  lockPath: string,
  moves: readonly LockChange[],
): Promise<PnpmMoves | string> => {
  const inventory = await readInventory(lockPath);
  const { layout, recordAt } = placeGraph(inventory);
  const importerPath = new Map(inventory.importers.map((i) => [i.id, i.path]));
  const dependentsOf = new Map<string, string[]>();
  for (const edge of layout.edges) {
    const list = dependentsOf.get(edge.to);
    if (list) list.push(edge.from);
    else dependentsOf.set(edge.to, [edge.from]);
  }
  const overrides = new Map<string, string>();
  /** Importer folder → dependency → exact version. */
  const exact = new Map<string, Map<string, string>>();
  for (const move of moves) {
    for (const location of move.locations) {
      const pkg = inventory.packages.get(recordAt.get(location) ?? '');
      if (!pkg || pkg.name !== move.name || pkg.version !== move.from) {
        return `${move.name}@${move.from} is not where the plan found it (${location})`;
      }
      // The folder name: the alias when the dependent declares one (`debug: npm:obug@…`), whose
      // value then names the package as well.
      const key = keyOf(location);
      const value = key === move.name ? move.to : `npm:${move.name}@${move.to}`;
      for (const from of dependentsOf.get(location) ?? []) {
        const record = recordAt.get(from) ?? '';
        const importer = importerPath.get(record);
        if (importer !== undefined) {
          let deps = exact.get(importer);
          if (!deps) {
            deps = new Map();
            exact.set(importer, deps);
          }
          deps.set(key, value);
          continue;
        }
        const parent = inventory.packages.get(record);
        if (!parent) return `${move.name}@${move.from}: its dependent at ${from} is not in the lockfile`;
        overrides.set(`${parent.name}@${parent.version}>${key}`, value);
      }
    }
  }

  const during = new Map<string, string>();
  const after = new Map<string, string>();
  const edit = (importer: string, change: (doc: Json) => string | undefined): string | undefined => {
    const path = join(folder, importer, 'package.json');
    const outside = escapes(folder, path);
    if (outside) return `${join(importer, 'package.json')} ${outside}: not edited`;
    const original = during.get(path) ?? readText(path);
    const doc = parseJsonDocument(original, path, 'MANIFEST_INVALID');
    if (!isObject(doc)) return `${path}: not a JSON object`;
    const problem = change(doc);
    if (problem) return problem;
    if (!after.has(path)) after.set(path, original);
    during.set(path, formatJson(doc, detectJsonFormat(original)));
    return undefined;
  };
  for (const [importer, deps] of exact) {
    const problem = edit(importer, (doc) => {
      for (const [name, version] of deps) {
        const field = dependencyFields.find((f) => isObject(doc[f]) && Object.hasOwn(doc[f] as Json, name));
        if (!field) return `${importer || '.'}: ${name} is not declared in package.json`;
        (doc[field] as Json)[name] = version;
      }
      return undefined;
    });
    if (problem) return problem;
  }
  if (overrides.size > 0) {
    const problem = edit('', (doc) => {
      const pnpm = doc.pnpm ?? {};
      if (!isObject(pnpm)) return 'package.json: "pnpm" is not an object';
      const existing = pnpm.overrides ?? {};
      if (!isObject(existing)) return 'package.json: "pnpm.overrides" is not an object';
      pnpm.overrides = { ...existing, ...Object.fromEntries(overrides) };
      doc.pnpm = pnpm;
      return undefined;
    });
    if (problem) return problem;
  }
  return { during, after };
};
