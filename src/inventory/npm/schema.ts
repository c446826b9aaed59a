/**
 * The shape of package-lock.json / npm-shrinkwrap.json and package.json after JSON.parse: unknown
 * fields pass, known fields must have the type npm writes. Checked by hand rather than with zod
 * because `scan` runs on every commit and zod's start-up cost alone is larger than reading a
 * 2,000-package lockfile (docs/decisions/0001-lockfile-validation.md).
 */
import { registryTarball } from '../registry-tarball.js';

export type DepMap = Record<string, string>;

export interface PackageEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: unknown;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  inBundle?: boolean;
  dependencies?: DepMap;
  devDependencies?: DepMap;
  optionalDependencies?: DepMap;
  peerDependencies?: DepMap;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  workspaces?: string[] | { packages?: string[] };
}

export interface LegacyEntry {
  version: string;
  resolved?: string | undefined;
  integrity?: string | undefined;
  dev?: boolean | undefined;
  optional?: boolean | undefined;
  bundled?: boolean | undefined;
  requires?: DepMap | undefined;
  dependencies?: Record<string, LegacyEntry> | undefined;
}

export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  packages?: Record<string, PackageEntry>;
  dependencies?: Record<string, LegacyEntry>;
}

export interface Manifest {
  name?: string;
  version?: string;
  dependencies?: DepMap;
  devDependencies?: DepMap;
  optionalDependencies?: DepMap;
  peerDependencies?: DepMap;
  workspaces?: string[] | { packages?: string[] };
}

/** Where a value sits in the document and what is wrong with it. */
export class ShapeError extends Error {
  readonly at: readonly string[];
  constructor(at: readonly string[], message: string) {
    super(message);
    this.at = at;
  }
}

const kind = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const shapeError = (at: readonly string[], expected: string, value: unknown): ShapeError =>
  new ShapeError(at, `expected ${expected}, received ${kind(value)}`);

const fail = (at: readonly string[], expected: string, value: unknown): never => {
  throw shapeError(at, expected, value);
};

const optionalOf = (
  obj: Record<string, unknown>,
  key: string,
  type: 'string' | 'boolean',
  at: string[],
): void => {
  const value = obj[key];
  if (value !== undefined && typeof value !== type) fail([...at, key], type, value);
};

const depMapValue = (value: unknown, at: readonly string[], key: string): void => {
  if (value === undefined) return;
  if (!isObject(value)) fail([...at, key], 'object', value);
  for (const name in value as Record<string, unknown>) {
    const spec = (value as Record<string, unknown>)[name];
    if (typeof spec !== 'string') fail([...at, key, name], 'string', spec);
  }
};

const depMap = (obj: Record<string, unknown>, key: string, at: string[]): void =>
  depMapValue(obj[key], at, key);

const workspaces = (obj: Record<string, unknown>, at: string[]): void => {
  const value = obj.workspaces;
  if (value === undefined) return;
  const list = isObject(value) ? value.packages : value;
  if (list === undefined && isObject(value)) return;
  if (!Array.isArray(list)) throw shapeError([...at, 'workspaces'], 'array', value);
  list.forEach((item, i) => {
    if (typeof item !== 'string') fail([...at, 'workspaces', String(i)], 'string', item);
  });
};

const depFields = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

const string = (value: unknown, at: readonly string[], key: string): void => {
  if (value !== undefined && typeof value !== 'string') fail([...at, key], 'string', value);
};
const boolean = (value: unknown, at: readonly string[], key: string): void => {
  if (value !== undefined && typeof value !== 'boolean') fail([...at, key], 'boolean', value);
};

/**
 * One `packages` entry. Every field is read by its name: a lockfile holds thousands of entries,
 * and this runs once per entry on code not yet optimised, where a read by name is much cheaper
 * than one by a computed key.
 */
const checkPackageEntry = (entry: unknown, at: readonly string[]): void => {
  if (!isObject(entry)) throw shapeError(at, 'object', entry);
  const e = entry as Partial<Record<keyof PackageEntry | 'peerDependenciesMeta', unknown>>;
  string(e.name, at, 'name');
  string(e.version, at, 'version');
  string(e.resolved, at, 'resolved');
  string(e.integrity, at, 'integrity');
  boolean(e.link, at, 'link');
  boolean(e.dev, at, 'dev');
  boolean(e.optional, at, 'optional');
  boolean(e.devOptional, at, 'devOptional');
  boolean(e.peer, at, 'peer');
  boolean(e.inBundle, at, 'inBundle');
  depMapValue(e.dependencies, at, 'dependencies');
  depMapValue(e.devDependencies, at, 'devDependencies');
  depMapValue(e.optionalDependencies, at, 'optionalDependencies');
  depMapValue(e.peerDependencies, at, 'peerDependencies');
  const meta = e.peerDependenciesMeta;
  if (meta !== undefined) {
    if (!isObject(meta)) fail([...at, 'peerDependenciesMeta'], 'object', meta);
    for (const name in meta as Record<string, unknown>) {
      const item = (meta as Record<string, unknown>)[name];
      if (!isObject(item)) fail([...at, 'peerDependenciesMeta', name], 'object', item);
      boolean((item as Record<string, unknown>).optional, [...at, 'peerDependenciesMeta', name], 'optional');
    }
  }
  if (e.workspaces !== undefined) workspaces(entry, at as string[]);
};

/** npm 5 and 6 sometimes wrote `"resolved": false` or `"integrity": false`; both mean "not recorded". */
const dropFalse = (entry: Record<string, unknown>, key: string, at: string[]): void => {
  const value = entry[key];
  if (value === false || value === true) entry[key] = undefined;
  else if (value !== undefined && typeof value !== 'string') fail([...at, key], 'string', value);
};

/**
 * How deep lockfileVersion 1's `dependencies` may nest. npm nests a copy only where the one above
 * conflicts, so real trees are a few levels deep; a crafted one thousands deep would exhaust the
 * call stack (and each level's key holds every name above it).
 */
export const MAX_LEGACY_DEPTH = 200;

const checkLegacyTree = (tree: unknown, at: string[]): void => {
  if (!isObject(tree)) throw shapeError(at, 'object', tree);
  if (at.length > MAX_LEGACY_DEPTH * 2) {
    throw new ShapeError(at.slice(0, 4), `nests more than ${MAX_LEGACY_DEPTH} levels of dependencies`);
  }
  for (const name in tree) {
    const entry = tree[name];
    const here = [...at, name];
    if (!isObject(entry)) fail(here, 'object', entry);
    const e = entry as Record<string, unknown>;
    if (typeof e.version !== 'string') fail([...here, 'version'], 'string', e.version);
    dropFalse(e, 'resolved', here);
    dropFalse(e, 'integrity', here);
    for (const field of ['dev', 'optional', 'bundled'] as const) optionalOf(e, field, 'boolean', here);
    // lockfileVersion 1 written by npm 5 used `requires: true` at the top; only maps name ranges.
    if (typeof e.requires === 'boolean') e.requires = undefined;
    else depMap(e, 'requires', here);
    if (e.dependencies !== undefined) checkLegacyTree(e.dependencies, [...here, 'dependencies']);
  }
};

/** A `resolved` that names where a package came from other than a registry's tarball layout. */
const fromOutsideRegistry = (resolved: string | undefined): boolean =>
  resolved !== undefined && resolved !== '' && registryTarball(resolved) === undefined;

/** Checks a parsed lockfile in place (normalising npm 6's `false` values) and returns it typed. */
export const checkLockfile = (doc: Record<string, unknown>): Lockfile => {
  optionalOf(doc, 'name', 'string', []);
  optionalOf(doc, 'version', 'string', []);
  if (doc.packages !== undefined) {
    if (!isObject(doc.packages)) fail(['packages'], 'object', doc.packages);
    const packages = doc.packages as Record<string, unknown>;
    for (const key in packages) {
      const entry = packages[key];
      checkPackageEntry(entry, ['packages', key]);
      // Every installed copy records its version; only links and project folders may omit it, and
      // a copy from outside the registry npm could not fetch (it writes `resolved` and no version).
      const installed = key.startsWith('node_modules/') || key.includes('/node_modules/');
      const e = entry as PackageEntry;
      if (installed && !e.link && e.version === undefined && !fromOutsideRegistry(e.resolved))
        throw new ShapeError(['packages', key, 'version'], 'missing');
    }
  }
  if (doc.dependencies !== undefined) checkLegacyTree(doc.dependencies, ['dependencies']);
  return doc as unknown as Lockfile;
};

export const checkManifest = (doc: unknown): Manifest => {
  if (!isObject(doc)) return fail([], 'object', doc);
  optionalOf(doc, 'name', 'string', []);
  optionalOf(doc, 'version', 'string', []);
  for (const field of depFields) depMap(doc, field, []);
  workspaces(doc, []);
  return doc as Manifest;
};
