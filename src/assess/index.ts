import { type Advisory, effectiveSeverity, primaryCvss, severityRank } from '../core/advisory.js';
import { isoTimeMs } from '../core/date.js';
import type { Finding } from '../core/finding.js';
import { type Inventory, type InventoryPackage, widestScope } from '../core/inventory.js';
import { compareVersions } from '../core/version.js';
import { matchAffected } from '../intel/ranges.js';
import { dependencyPaths, hasImporterDependent, indexPaths } from '../inventory/paths.js';
import { malwareRemedy } from './remedy.js';

/**
 * Inventory × advisories → findings. Pure: the advisories come in as values (from the store).
 * One finding per (vulnerability, installed name@version); records that share an id or alias are
 * one vulnerability.
 */
export interface AssessOptions {
  /** Paths kept per finding (the shortest); the full count is still reported. */
  readonly maxPaths: number;
  /** Paths enumerated to count them when a package's dependents form a cycle. */
  readonly countCap: number;
}

export const defaultAssessOptions: AssessOptions = { maxPaths: 10, countCap: 100 };

interface Hit {
  readonly advisory: Advisory;
  readonly fixed: readonly string[];
}

const idPreference = (id: string): number =>
  id.startsWith('GHSA-') ? 0 : id.startsWith('MAL-') ? 1 : id.startsWith('CVE-') ? 2 : 3;

/** The id a vulnerability is shown under: GHSA first, then MAL, CVE, others; alphabetical within. */
export const preferredId = (ids: Iterable<string>): string =>
  [...ids].sort((a, b) => idPreference(a) - idPreference(b) || (a < b ? -1 : a > b ? 1 : 0))[0] as string;

/**
 * Groups records that name each other (id or alias, transitively) into one vulnerability, each
 * record once; `advisoryOf` reads the record of an item. The planner groups the same way.
 */
export const groupByAlias = <T>(items: readonly T[], advisoryOf: (item: T) => Advisory): T[][] => {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    let at = x;
    while (at !== root) {
      const up = parent.get(at) as string;
      parent.set(at, root);
      at = up;
    }
    return root;
  };
  const add = (x: string) => {
    if (!parent.has(x)) parent.set(x, x);
  };
  for (const item of items) {
    const advisory = advisoryOf(item);
    add(advisory.id);
    for (const alias of advisory.aliases) {
      add(alias);
      const a = find(advisory.id);
      const b = find(alias);
      if (a !== b) parent.set(b, a);
    }
  }
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const id = advisoryOf(item).id;
    const root = find(id);
    const group = groups.get(root);
    if (group) {
      if (!group.some((other) => advisoryOf(other).id === id)) group.push(item);
    } else groups.set(root, [item]);
  }
  return [...groups.values()];
};

export const matchAdvisories = (
  inventory: Inventory,
  advisoriesByName: ReadonlyMap<string, readonly Advisory[]>,
  options: AssessOptions = defaultAssessOptions,
): Finding[] => {
  // name@version → installed copies
  const copies = new Map<string, InventoryPackage[]>();
  for (const pkg of inventory.packages.values()) {
    if (pkg.source !== 'registry' || !advisoriesByName.has(pkg.name)) continue;
    const key = `${pkg.name}@${pkg.version}`;
    const list = copies.get(key);
    if (list) list.push(pkg);
    else copies.set(key, [pkg]);
  }
  const index = copies.size > 0 ? indexPaths(inventory) : undefined;
  const findings: Finding[] = [];
  for (const installed of copies.values()) {
    const first = installed[0] as InventoryPackage;
    const hits: Hit[] = [];
    for (const advisory of advisoriesByName.get(first.name) ?? []) {
      const fixed: string[] = [];
      let affected = false;
      for (const entry of advisory.affected) {
        if (entry.name !== first.name) continue;
        const match = matchAffected(entry, first.version);
        if (match.affected) {
          affected = true;
          fixed.push(...match.fixed);
        }
      }
      if (affected) hits.push({ advisory, fixed });
    }
    if (hits.length === 0 || !index) continue;

    const pathSets = installed.map((pkg) =>
      dependencyPaths(index, pkg.id, { limit: options.maxPaths, countCap: options.countCap }),
    );
    const allPaths = pathSets.flatMap((p) => p.paths).sort((a, b) => a.length - b.length);
    const importerIds = new Set(pathSets.flatMap((p) => p.importers));
    const label = (id: string): string => {
      const pkg = inventory.packages.get(id);
      if (!pkg) return id;
      return pkg.source === 'root' || pkg.source === 'workspace' ? pkg.name : `${pkg.name}@${pkg.version}`;
    };
    const scope = widestScope(installed.map((pkg) => pkg.scope));
    const workspaces = inventory.importers.filter((i) => importerIds.has(i.id)).map((i) => i.name);

    for (const group of groupByAlias(hits, (h) => h.advisory)) {
      const ids = new Set<string>();
      for (const { advisory } of group) {
        ids.add(advisory.id);
        for (const alias of advisory.aliases) ids.add(alias);
      }
      const id = preferredId(group.map((h) => h.advisory.id));
      const severity = group
        .map((h) => effectiveSeverity(h.advisory))
        .sort((a, b) => severityRank[b] - severityRank[a])[0] as Finding['severity'];
      const top = primaryCvss(group.flatMap((h) => h.advisory.cvss));
      const kind = group.some((h) => h.advisory.kind === 'malicious') ? 'malicious' : 'vulnerability';
      const fixedIn = [...new Set(group.flatMap((h) => h.fixed))].sort(compareVersions);
      const published = earliestPublished(group.map((h) => h.advisory));
      findings.push({
        id,
        aliases: [...ids].filter((x) => x !== id).sort(),
        advisories: group.map((h) => h.advisory.id).sort(),
        kind,
        severity,
        cvssScore: top?.score,
        cvssVector: top?.vector,
        summary: group.find((h) => h.advisory.id === id)?.advisory.summary ?? group[0]?.advisory.summary,
        package: { name: first.name, version: first.version, purl: first.purl },
        fixedIn,
        paths: allPaths.slice(0, options.maxPaths).map((path) => path.map(label)),
        pathCount: pathSets.reduce((n, p) => n + p.count, 0),
        pathsComplete: pathSets.every((p) => p.complete),
        scope,
        direct: installed.some((pkg) => hasImporterDependent(index, pkg.id)),
        workspaces,
        locations: installed.map((pkg) => pkg.id).sort(),
        ...(published !== undefined ? { published } : {}),
        ...(kind === 'malicious'
          ? {
              remedy: malwareRemedy(
                first.name,
                first.version,
                group.flatMap((h) => h.advisory.affected),
                fixedIn,
              ),
            }
          : {}),
      });
    }
  }
  return findings.sort(compareFindings);
};

/** The earliest `published` time of the records (the gate's SLA clock starts no sooner). */
const earliestPublished = (advisories: readonly Advisory[]): string | undefined => {
  let earliest: string | undefined;
  let earliestMs = Number.POSITIVE_INFINITY;
  for (const { published } of advisories) {
    const ms = published === undefined ? undefined : isoTimeMs(published);
    if (ms !== undefined && ms < earliestMs) {
      earliest = published;
      earliestMs = ms;
    }
  }
  return earliest;
};

const compareFindings = (a: Finding, b: Finding): number =>
  severityRank[b.severity] - severityRank[a.severity] ||
  (b.cvssScore ?? -1) - (a.cvssScore ?? -1) ||
  (a.kind === b.kind ? 0 : a.kind === 'malicious' ? -1 : 1) ||
  (a.package.name < b.package.name ? -1 : a.package.name > b.package.name ? 1 : 0) ||
  compareVersions(a.package.version, b.package.version) ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
