/**
 * The shape of bun.lock, checked by hand (it is small). Mirrors what bun's own parser
 * (`src/install/lockfile/bun.lock.zig`, now `bun.lock.rs`, `parseIntoBinaryLockfile`) requires;
 * fields PatchPilot does not use (bin, os, cpu, trustedDependencies, patchedDependencies) are
 * left unchecked.
 */

export class ShapeError extends Error {
  constructor(
    readonly at: readonly (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

export type DependencyMap = Readonly<Record<string, string>>;

export interface DependencyGroups {
  readonly dependencies?: DependencyMap | undefined;
  readonly devDependencies?: DependencyMap | undefined;
  readonly optionalDependencies?: DependencyMap | undefined;
  readonly peerDependencies?: DependencyMap | undefined;
  /** Names in peerDependencies that may stay unresolved. */
  readonly optionalPeers?: readonly string[] | undefined;
}

export interface WorkspaceEntry extends DependencyGroups {
  readonly name?: string | undefined;
  readonly version?: string | undefined;
}

export interface PackageInfo extends DependencyGroups {
  readonly bundled?: boolean | undefined;
}

/** Overrides: `name: spec`, or (lockfileVersion 3) `parent: { child: spec, '.': spec }`. */
export type Overrides = Readonly<Record<string, string | Readonly<Record<string, string>>>>;

export interface Lockfile {
  readonly lockfileVersion: number;
  readonly workspaces: Readonly<Record<string, WorkspaceEntry>>;
  /** Install path → `[ "name@resolution", ...resolution-specific elements ]`. */
  readonly packages: Readonly<Record<string, readonly unknown[]>>;
  readonly overrides?: Overrides | undefined;
  readonly catalog?: DependencyMap | undefined;
  readonly catalogs?: Readonly<Record<string, DependencyMap>> | undefined;
}

type Path = readonly (string | number)[];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const record = (value: unknown, at: Path): Record<string, unknown> => {
  if (!isRecord(value)) throw new ShapeError(at, 'expected an object');
  return value;
};

const optionalString = (value: unknown, at: Path): string | undefined => {
  if (value !== undefined && typeof value !== 'string') throw new ShapeError(at, 'expected a string');
  return value;
};

export const stringMap = (value: unknown, at: Path): DependencyMap | undefined => {
  if (value === undefined) return undefined;
  const map = record(value, at);
  for (const key in map) {
    if (typeof map[key] !== 'string') throw new ShapeError([...at, key], 'expected a string');
  }
  return map as DependencyMap;
};

const groups = (value: Record<string, unknown>, at: Path): DependencyGroups => {
  const optionalPeers = value.optionalPeers;
  if (
    optionalPeers !== undefined &&
    (!Array.isArray(optionalPeers) || !optionalPeers.every((p) => typeof p === 'string'))
  ) {
    throw new ShapeError([...at, 'optionalPeers'], 'expected an array of strings');
  }
  return {
    dependencies: stringMap(value.dependencies, [...at, 'dependencies']),
    devDependencies: stringMap(value.devDependencies, [...at, 'devDependencies']),
    optionalDependencies: stringMap(value.optionalDependencies, [...at, 'optionalDependencies']),
    peerDependencies: stringMap(value.peerDependencies, [...at, 'peerDependencies']),
    optionalPeers: optionalPeers as string[] | undefined,
  };
};

export const checkWorkspace = (value: unknown, at: Path): WorkspaceEntry => {
  const entry = record(value, at);
  return {
    ...groups(entry, at),
    name: optionalString(entry.name, [...at, 'name']),
    version: optionalString(entry.version, [...at, 'version']),
  };
};

export const checkPackageInfo = (value: unknown, at: Path): PackageInfo => {
  const info = record(value, at);
  return { ...groups(info, at), bundled: info.bundled === true };
};

/** The top level; `packages` values are checked entry by entry where they are read. */
export const checkLockfile = (doc: Record<string, unknown>): Lockfile => {
  const workspaces = record(doc.workspaces, ['workspaces']);
  if (!Object.hasOwn(workspaces, ''))
    throw new ShapeError(['workspaces'], 'the root workspace "" is missing');
  const packages = doc.packages === undefined ? {} : record(doc.packages, ['packages']);
  for (const key in packages) {
    const value = packages[key];
    if (!Array.isArray(value) || value.length === 0) {
      throw new ShapeError(['packages', key], 'expected a non-empty array');
    }
  }
  let overrides: Overrides | undefined;
  if (doc.overrides !== undefined) {
    const map = record(doc.overrides, ['overrides']);
    for (const key in map) {
      if (typeof map[key] !== 'string') stringMap(map[key], ['overrides', key]);
    }
    overrides = map as Overrides;
  }
  let catalogs: Record<string, DependencyMap> | undefined;
  if (doc.catalogs !== undefined) {
    // No prototype: a catalog named `__proto__` is a key like any other.
    catalogs = Object.create(null) as Record<string, DependencyMap>;
    const map = record(doc.catalogs, ['catalogs']);
    for (const key in map) catalogs[key] = stringMap(map[key], ['catalogs', key]) ?? {};
  }
  return {
    lockfileVersion: doc.lockfileVersion as number,
    workspaces: workspaces as Record<string, WorkspaceEntry>,
    packages: packages as Record<string, unknown[]>,
    overrides,
    catalog: stringMap(doc.catalog, ['catalog']),
    catalogs,
  };
};
