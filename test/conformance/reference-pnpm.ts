import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';

/**
 * A deliberately separate reading of a pnpm-lock.yaml with lockfileVersion 9.0, to check
 * PatchPilot's parser against: js-yaml instead of `yaml`, its own key handling and its own walk.
 *
 * Registry packages are the `packages` entries whose key is `name@<semver>` with an `integrity`
 * and no tarball/directory/git resolution. Scopes come from one walk over (snapshot key, how it was
 * reached) states from the importers, where "how" is a pair of flags: reached through a dev
 * dependency of an importer, reached through an optional edge. A snapshot is then
 * - prod if some path has neither flag,
 * - dev if every path is a dev path,
 * - optional if every path has an optional edge,
 * - devOptional otherwise (some dev path and some optional path, no plain path),
 * and the scope of a name@version is the widest over its peer variants, in the order
 * prod > devOptional > optional > dev.
 */
export type RefScope = 'prod' | 'dev' | 'optional' | 'devOptional';

export interface RefPnpm {
  readonly importers: number;
  /** Registry name@version → scope. */
  readonly registry: Map<string, RefScope>;
  /** Reachable snapshot keys (any source). */
  readonly snapshots: number;
}

const rank: Record<RefScope, number> = { dev: 0, optional: 1, devOptional: 2, prod: 3 };
export const widest = (a: RefScope | undefined, b: RefScope): RefScope =>
  a === undefined || rank[b] > rank[a] ? b : a;

interface Snapshot {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
interface Lock {
  lockfileVersion: string;
  importers: Record<string, Record<string, Record<string, { specifier: string; version: string }>>>;
  packages?: Record<string, { resolution?: Record<string, string> }>;
  snapshots?: Record<string, Snapshot>;
}

/** `name@version(peers)` → [name, version without the peer groups]. */
const nameAndVersion = (key: string): [string, string] => {
  const at = key.indexOf('@', key.startsWith('@') ? 1 : 0);
  const rest = key.slice(at + 1);
  const paren = rest.indexOf('(');
  return [key.slice(0, at), paren === -1 ? rest : rest.slice(0, paren)];
};

const semverLike = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export const referencePnpm = (lockfile: string): RefPnpm => {
  const docs = yaml.loadAll(readFileSync(lockfile, 'utf8')) as Lock[];
  const lock = docs[docs.length - 1] as Lock;
  if (lock.lockfileVersion !== '9.0') throw new Error(`reference: only lockfileVersion 9.0 (${lockfile})`);
  // pnpm 11+ may put an env document (config dependencies, the package manager) first; its
  // packages count as dev tooling of the root, on the same terms as PatchPilot.
  const envDocs = docs.slice(0, -1);
  const snapshots: Record<string, Snapshot> = Object.assign({}, ...envDocs.map((d) => d.snapshots ?? {}));
  Object.assign(snapshots, lock.snapshots ?? {});
  const packages: NonNullable<Lock['packages']> = Object.assign({}, ...envDocs.map((d) => d.packages ?? {}));
  Object.assign(packages, lock.packages ?? {});

  const target = (name: string, version: string): string | undefined => {
    if (version.startsWith('link:')) return undefined;
    const direct = `${name}@${version}`;
    if (direct in snapshots) return direct;
    if (version in snapshots) return version; // an alias: `real@1.2.3(...)`
    throw new Error(`reference: no snapshot for ${name}: ${version}`);
  };

  // flags: bit 1 = dev path, bit 2 = optional path. A state is (key, flags).
  const seen = new Map<string, Set<number>>();
  const queue: [string, number][] = [];
  const visit = (key: string | undefined, flags: number): void => {
    if (key === undefined) return;
    let set = seen.get(key);
    if (!set) {
      set = new Set();
      seen.set(key, set);
    }
    if (set.has(flags)) return;
    set.add(flags);
    queue.push([key, flags]);
  };
  for (const importer of Object.values(lock.importers)) {
    for (const [field, flags] of [
      ['dependencies', 0],
      ['devDependencies', 1],
      ['optionalDependencies', 2],
    ] as const) {
      for (const [name, dep] of Object.entries(importer[field] ?? {}))
        visit(target(name, dep.version), flags);
    }
  }
  for (const env of envDocs) {
    const root = (env.importers?.['.'] ?? {}) as Record<string, Record<string, { version: string }>>;
    for (const field of ['configDependencies', 'packageManagerDependencies']) {
      for (const [name, dep] of Object.entries(root[field] ?? {})) visit(target(name, dep.version), 1);
    }
  }
  while (queue.length > 0) {
    const [key, flags] = queue.pop() as [string, number];
    const snapshot = snapshots[key] ?? {};
    const optional = snapshot.optionalDependencies ?? {};
    for (const [name, version] of Object.entries(snapshot.dependencies ?? {})) {
      if (!(name in optional)) visit(target(name, version), flags);
    }
    for (const [name, version] of Object.entries(optional)) visit(target(name, version), flags | 2);
  }

  const registry = new Map<string, RefScope>();
  for (const [key, set] of seen) {
    const [name, version] = nameAndVersion(key);
    const meta = packages[`${name}@${version}`];
    const resolution = meta?.resolution ?? {};
    const isRegistry =
      semverLike.test(version) &&
      typeof resolution.integrity === 'string' &&
      resolution.tarball === undefined &&
      resolution.type === undefined &&
      resolution.directory === undefined;
    if (!isRegistry) continue;
    const flags = [...set];
    let scope: RefScope;
    if (flags.includes(0)) scope = 'prod';
    else if (flags.every((f) => (f & 1) === 1)) scope = 'dev';
    else if (flags.every((f) => (f & 2) === 2)) scope = 'optional';
    else scope = 'devOptional';
    const id = `${name}@${version}`;
    registry.set(id, widest(registry.get(id), scope));
  }
  return { importers: Object.keys(lock.importers).length, registry, snapshots: seen.size };
};
