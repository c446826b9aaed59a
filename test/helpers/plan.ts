import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { matchAdvisories } from '../../src/assess/index.js';
import type { Advisory } from '../../src/core/advisory.js';
import type { Finding } from '../../src/core/finding.js';
import type { Inventory } from '../../src/core/inventory.js';
import type { PackageChange, Patch } from '../../src/core/plan.js';
import { parseOsvRecord } from '../../src/intel/osv.js';
import { parseNpmLockfile } from '../../src/inventory/npm/index.js';
import type { Candidate, PlanInput } from '../../src/plan/index.js';
import type { RegistrySource } from '../../src/registry/types.js';
import { parseUniverse } from '../../src/registry/universe.js';

/** Helpers for planner tests on osv-scanner's fixtures: read them as PatchPilot's inputs, compare outputs. */

/** An OSV `{ "vulns": [...] }` file; the hand-written fixtures lack `modified`, which OSV requires. */
export const readVulns = (path: string): Advisory[] => {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { vulns: Record<string, unknown>[] };
  return doc.vulns.map((raw) => {
    const parsed = parseOsvRecord({ modified: '2020-01-01T00:00:00Z', ...raw });
    if (!parsed.ok) throw new Error(`${path}: ${parsed.id}: ${parsed.reason}`);
    return parsed.advisory;
  });
};

export const byName = (advisories: readonly Advisory[]): Map<string, Advisory[]> => {
  const map = new Map<string, Advisory[]>();
  for (const a of advisories) {
    for (const name of new Set(a.affected.map((x) => x.name))) {
      const list = map.get(name);
      if (list) list.push(a);
      else map.set(name, [a]);
    }
  }
  return map;
};

/** A package-lock.json (and the package.json beside it, when there is one) as an Inventory. */
export const readNpmProject = (lockfile: string): Inventory => {
  let manifest: { content: string; path: string } | undefined;
  try {
    const path = join(dirname(lockfile), 'package.json');
    manifest = { content: readFileSync(path, 'utf8'), path };
  } catch {
    manifest = undefined;
  }
  return parseNpmLockfile(readFileSync(lockfile, 'utf8'), lockfile, { manifest });
};

export const findingsOf = (
  inventory: Inventory,
  advisories: ReadonlyMap<string, readonly Advisory[]>,
): Finding[] => matchAdvisories(inventory, advisories);

/** osv-scanner's `result.Patch` JSON. */
export interface ScalibrPatch {
  packageUpdates?: { name: string; versionFrom: string; versionTo: string; transitive?: boolean }[];
  fixed?: { id: string; packages: { name: string; version: string }[] }[];
  introduced?: { id: string; packages: { name: string; version: string }[] }[];
}

interface Comparable {
  updates: string[];
  fixed: string[];
  introduced: string[];
}

const vulnKeys = (list: ScalibrPatch['fixed']): string[] =>
  (list ?? []).flatMap((v) => v.packages.map((p) => `${v.id} ${p.name}@${p.version}`)).sort();

/** A scalibr patch reduced to what both tools state: the updates and the vulnerabilities. */
export const fromScalibr = (p: ScalibrPatch): Comparable => ({
  updates: (p.packageUpdates ?? []).map((u) => `${u.name} ${u.versionFrom} -> ${u.versionTo}`).sort(),
  fixed: vulnKeys(p.fixed),
  introduced: vulnKeys(p.introduced),
});

const updateOf = (c: PackageChange): string | undefined => {
  if (c.kind === 'lock') return `${c.name} ${c.from} -> ${c.to}`;
  if (c.kind === 'manifest') return `${c.dependency} ${c.fromRange} -> ${c.toRange}`;
  return undefined;
};

/**
 * A PatchPilot patch in the same terms. osv-scanner lists what its strategy edits: locked versions
 * for in-place, manifest ranges for relax (the lockfile changes relax implies are not listed).
 */
export const fromPatch = (p: Patch): Comparable => ({
  updates: p.changes
    .filter((c) => (p.strategy === 'relax' ? c.kind === 'manifest' : c.kind === 'lock'))
    .map(updateOf)
    .filter((x): x is string => x !== undefined)
    .sort(),
  fixed: p.fixes.map((f) => `${f.id} ${f.name}@${f.version}`).sort(),
  introduced: p.introduces.map((f) => `${f.id} ${f.name}@${f.version}`).sort(),
});

const order = (a: Comparable, b: Comparable): number => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

export const comparableSet = (patches: readonly Comparable[]): Comparable[] => [...patches].sort(order);

export const candidatePatches = (candidates: readonly Candidate[]): Comparable[] =>
  comparableSet(candidates.map((c) => fromPatch(c.patch)));

/** A universe (OSV-Scanner's mock registry) written inline, one level of indentation per two spaces. */
export const universe = (schema: string): RegistrySource => {
  const lines = schema.split('\n');
  while (lines.length > 0 && (lines[0] as string).trim() === '') lines.shift();
  while (lines.length > 0 && (lines.at(-1) as string).trim() === '') lines.pop();
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== '').map((l) => (/^ */.exec(l) as RegExpExecArray)[0].length),
  );
  const body = lines.map((l) => `  ${l.slice(indent)}`).join('\n');
  const packages = parseUniverse(`system: npm\nschema: |\n${body}\n`, 'inline-universe.yaml');
  return { kind: 'universe', getPackage: async (name) => packages.get(name) };
};

/** An npm advisory affecting `name` from `introduced` until `fixed` (no fix when undefined). */
export const advisory = (
  id: string,
  name: string,
  range: { introduced?: string; fixed?: string },
  extra: Partial<Advisory> = {},
): Advisory => ({
  id,
  aliases: [],
  modified: '2025-01-01T00:00:00Z',
  published: undefined,
  withdrawn: undefined,
  summary: undefined,
  kind: id.startsWith('MAL-') ? 'malicious' : 'vulnerability',
  severityLabel: 'high',
  cvss: [],
  affected: [
    {
      name,
      ranges: [
        {
          type: 'SEMVER',
          events: [
            { introduced: range.introduced ?? '0' },
            ...(range.fixed === undefined ? [] : [{ fixed: range.fixed }]),
          ],
        },
      ],
      versions: [],
    },
  ],
  ...extra,
});

/** A package-lock.json (v3) from its `packages` map; the root entry gets a name and version. */
export const npmInventory = (packages: Record<string, Record<string, unknown>>): Inventory => {
  const lock = {
    name: 'app',
    version: '1.0.0',
    lockfileVersion: 3,
    packages: { '': { name: 'app', version: '1.0.0', ...(packages[''] ?? {}) }, ...withoutRoot(packages) },
  };
  return parseNpmLockfile(JSON.stringify(lock), '/project/package-lock.json');
};

const withoutRoot = (
  packages: Record<string, Record<string, unknown>>,
): Record<string, Record<string, unknown>> => {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(packages)) if (key !== '') out[key] = value;
  return out;
};

/** Everything `assemblePlan` takes, with the findings matched as `scan` would. */
export const planInput = (
  inventory: Inventory,
  advisories: readonly Advisory[],
  registry: RegistrySource,
  extra: { overrides?: unknown; overrideKeys?: ReadonlyMap<string, string>; now?: Date } = {},
): PlanInput => {
  const map = byName(advisories);
  return {
    inventory,
    findings: findingsOf(inventory, map),
    advisoriesFor: (name) => map.get(name) ?? [],
    registry,
    now: extra.now ?? new Date('2026-01-01T00:00:00Z'),
    overrides: extra.overrides,
    ...(extra.overrideKeys ? { overrideKeys: extra.overrideKeys } : {}),
  };
};

/**
 * A plan's chosen changes in one line each: `lib 1.0.0 -> 1.0.1`, `dep ^1 -> ^2`, `+helper@1.1.0`,
 * `overrides a > lib: 1.0.0 -> 1.0.1`.
 */
export const describeChanges = (patch: Patch): string[] =>
  patch.changes.map((c) =>
    c.kind === 'lock'
      ? `${c.name} ${c.from} -> ${c.to}`
      : c.kind === 'manifest'
        ? `${c.dependency} ${c.fromRange} -> ${c.toRange}`
        : c.kind === 'add'
          ? `+${c.name}@${c.to}`
          : c.kind === 'override'
            ? `overrides ${c.key}: ${c.from ?? '(none)'} -> ${c.to ?? '(removed)'}`
            : `-${c.name}@${c.from}`,
  );
