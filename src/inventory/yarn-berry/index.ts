import { posix } from 'node:path';
import { PatchPilotError } from '../../core/errors.js';
import type {
  EdgeType,
  Importer,
  Inventory,
  InventoryEdge,
  InventoryPackage,
  SourceKind,
} from '../../core/inventory.js';
import { npmPurl } from '../../core/purl.js';
import { isStrictVersion } from '../../core/version.js';
import { parseJsonDocument } from '../json.js';
import { computeScopes } from '../scopes.js';
import type { LockfileInput } from '../source.js';
import {
  applyResolutions,
  classifyReference,
  type Ident,
  parseResolutions,
  type ResolutionRule,
  splitIdent,
  unbind,
} from './descriptors.js';
import { isYarnBerryLockfile } from './detect.js';
import { parseLockfileYaml } from './syml.js';

/**
 * Yarn berry's `yarn.lock` (yarn 2, 3 and 4). Yarn 1 writes a file of the same name in another
 * format; `isYarnBerryLockfile` tells them apart.
 *
 * The lockfile maps descriptors (what packages ask for, `ms@npm:^2.1.0`) to resolved packages (a
 * locator, `ms@npm:2.1.3`, with its version and its own dependencies as descriptors). It records no
 * dependency types: a workspace's `dependencies` merge its prod, dev and optional ones, so the
 * types of an importer's edges come from its package.json. Scopes are then derived from the graph
 * (`computeScopes`), and entries that no importer reaches are left out.
 *
 * - Package ids: `name@version` for registry packages (one per name and version: a `patch:` entry
 *   is the same registry package as its source, with the patch recorded in `resolved`); the locator
 *   for every other package. Workspaces are the importers: '' for the root, `./<folder>`
 *   for the others (`Importer.path` is the folder). A package id starts with its name, which may
 *   not start with `./`, so a folder named like a package cannot take its place.
 * - `peerDependencies` add no edge: berry never resolves a peer from the package that declares it,
 *   but from its parent, whose own dependency edge already installs it (and decides its scope).
 * - `integrity` stays undefined: berry's `checksum` hashes the zip archive yarn builds for its
 *   cache (`<cacheKey>/<sha512 hex>`), not the registry's tarball, so it is no SRI of anything the
 *   registry serves.
 */
export const lockfileNames = ['yarn.lock'] as const;

/**
 * `__metadata.version` values written by stable yarn releases, checked against the published
 * `@yarnpkg/cli-dist` bundles and `packages/yarnpkg-core/sources/Project.ts` (`LOCKFILE_VERSION`):
 * 4 (yarn 2.x and 3.0), 5 (3.1), 6 (3.2 to 3.8), 8 (4.0 to 4.13), 9 (4.14), 10 (4.15 and later).
 * 7 was never in a release; 1 to 3 only in yarn 2 release candidates.
 */
export const supportedVersions = [4, 5, 6, 8, 9, 10] as const;

export { isYarnBerryLockfile };

export const parseYarnBerryLockfile = (input: LockfileInput): Inventory =>
  readYarnBerryLockfile(input).inventory;

/** A dependency that names no entry of the lockfile (yarn would have to resolve it again). */
export interface UnresolvedDependency {
  readonly from: string;
  readonly name: string;
  readonly range: string;
}

interface Entry {
  readonly key: string;
  readonly resolution: string;
  readonly locator: Ident;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly optionalDependencies: Readonly<Record<string, string>>;
  readonly optionalNames: ReadonlySet<string>;
  /** The names its descriptors ask for (more than the package's own name when aliased). */
  readonly names: readonly string[];
}

interface Manifest {
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
  readonly optionalDependencies: Readonly<Record<string, string>>;
  readonly optionalNames: ReadonlySet<string>;
  readonly resolutions: Readonly<Record<string, string>>;
  readonly version: string | undefined;
}

/** The inventory, and the dependencies it could not follow (for diagnostics and tests). */
export const readYarnBerryLockfile = (
  input: LockfileInput,
): { inventory: Inventory; unresolved: UnresolvedDependency[] } => {
  const path = input.path;
  const root = posix.dirname(path.split('\\').join('/'));
  if (
    /^#\s*yarn lockfile v1\r?$/m.test(input.content.slice(0, 2000)) &&
    !isYarnBerryLockfile(input.content)
  ) {
    throw unsupported(path, 'this is a yarn 1 lockfile (`# yarn lockfile v1`), not a yarn berry one');
  }
  const doc = parseLockfileYaml(input.content, path);
  if (!isRecord(doc)) throw invalid(path, 'the document is not a YAML mapping');
  const metadata = doc.__metadata;
  const rawVersion = isRecord(metadata) ? metadata.version : undefined;
  const version =
    typeof rawVersion === 'string' && /^\d+$/.test(rawVersion) ? Number(rawVersion) : rawVersion;
  if (!(supportedVersions as readonly unknown[]).includes(version)) {
    throw unsupported(
      path,
      rawVersion === undefined
        ? '__metadata.version is missing'
        : `__metadata.version ${JSON.stringify(rawVersion)} is not supported`,
    );
  }

  // Entries, and the descriptors that lead to them.
  const entries: Entry[] = [];
  const byDescriptor = new Map<string, Entry>();
  /** Descriptors bound to the package that declared them (`::locator=`), keyed by range and locator. */
  const byBoundDescriptor = new Map<string, Entry>();
  for (const key of Object.keys(doc)) {
    if (key === '__metadata') continue;
    // Keys and locators may name folders (`workspace:`, `portal:`, `link:`, `file:`): no NUL byte.
    if (key.includes('\0')) throw invalid(path, `${JSON.stringify(key)}: the key holds a NUL byte`);
    const value = doc[key];
    if (!isRecord(value)) throw invalid(path, `${JSON.stringify(key)}: the entry is not a mapping`);
    const resolution = value.resolution;
    if (typeof resolution !== 'string')
      throw invalid(path, `${JSON.stringify(key)}: "resolution" is missing`);
    if (resolution.includes('\0'))
      throw invalid(
        path,
        `${JSON.stringify(key)}: "resolution" ${JSON.stringify(resolution)} holds a NUL byte`,
      );
    const locator = splitIdent(resolution);
    if (!locator)
      throw invalid(path, `${JSON.stringify(key)}: "resolution" ${JSON.stringify(resolution)} is no locator`);
    const names: string[] = [];
    const entry: Entry = {
      key,
      resolution,
      locator,
      version: scalarString(value.version) ?? '0.0.0',
      dependencies: stringMap(value.dependencies, path, key, 'dependencies'),
      optionalDependencies: stringMap(value.optionalDependencies, path, key, 'optionalDependencies'),
      optionalNames: optionalMeta(value.dependenciesMeta),
      names,
    };
    entries.push(entry);
    for (const descriptor of key.includes(',') ? key.split(/ *, */) : [key]) {
      if (descriptor === '') continue;
      byDescriptor.set(descriptor, entry);
      const ident = splitIdent(descriptor);
      if (!ident)
        throw invalid(path, `${JSON.stringify(key)}: ${JSON.stringify(descriptor)} is no descriptor`);
      if (!names.includes(ident.name)) names.push(ident.name);
      if (ident.range.includes('::')) {
        const bound = unbind(ident.range);
        if (bound.locator !== undefined) {
          byBoundDescriptor.set(`${ident.name}@${bound.range}\0${bound.locator}`, entry);
        }
      }
    }
  }

  // Importers: the workspaces the lockfile lists.
  const workspaces = new Map<Entry, string>();
  for (const entry of entries) {
    const reference = classifyReference(entry.locator.range);
    if (reference.kind !== 'workspace') continue;
    workspaces.set(entry, workspacePath(reference.path, path));
  }
  const rootEntry = [...workspaces].find(([, folder]) => folder === '')?.[0];
  if (!rootEntry) throw invalid(path, 'no entry resolves to the root workspace (`<name>@workspace:.`)');
  const manifests = new Map<string, Manifest | undefined>();
  for (const folder of workspaces.values()) {
    const file = folder === '' ? 'package.json' : `${folder}/package.json`;
    const content = input.readFile(file);
    manifests.set(folder, content === undefined ? undefined : readManifest(content, posix.join(root, file)));
  }
  const rulesByName = new Map<string, ResolutionRule[]>();
  for (const rule of parseResolutions(manifests.get('')?.resolutions ?? {})) {
    const list = rulesByName.get(rule.name);
    if (list) list.push(rule);
    else rulesByName.set(rule.name, [rule]);
  }

  // Packages. Each id has one entry whose dependencies are read: for a registry package that is
  // both patched and not, the patch (the lockfile keeps the unpatched source as a separate entry).
  const packages = new Map<string, InventoryPackage>();
  const importers: Importer[] = [];
  const idOf = new Map<Entry, string>();
  const primary = new Map<string, Entry>();
  const aliases = new Map<string, Set<string>>();
  const askedByOwnName = new Set<string>();
  for (const entry of entries) {
    const folder = workspaces.get(entry);
    if (folder !== undefined) {
      const id = importerId(folder);
      idOf.set(entry, id);
      if (primary.has(id)) continue;
      primary.set(id, entry);
      const manifestVersion = manifests.get(folder)?.version;
      const kind = folder === '' ? 'root' : 'workspace';
      importers.push({ id, name: entry.locator.name, path: folder });
      packages.set(id, pkg(id, entry.locator.name, manifestVersion ?? entry.version, kind, entry.resolution));
      continue;
    }
    const { id, name, version, source } = identify(entry);
    if (id.startsWith(importerIdPrefix)) {
      throw invalid(
        path,
        `${JSON.stringify(entry.key)}: "resolution" ${JSON.stringify(entry.resolution)} is no locator`,
      );
    }
    idOf.set(entry, id);
    const known = primary.get(id);
    if (!known || (entry.locator.range.startsWith('patch:') && !known.locator.range.startsWith('patch:'))) {
      primary.set(id, entry);
      packages.set(id, pkg(id, name, version, source, entry.resolution));
    }
    if (entry.names.includes(name)) askedByOwnName.add(id);
    for (const other of entry.names) {
      if (other === name) continue;
      const names = aliases.get(id) ?? new Set<string>();
      names.add(other);
      aliases.set(id, names);
    }
  }
  for (const [id, names] of aliases) {
    // Asked for only under other names: the alias. A package also asked for by its own name has none.
    if (!askedByOwnName.has(id))
      packages.set(id, { ...(packages.get(id) as InventoryPackage), alias: [...names][0] });
  }

  // Edges.
  const edges: InventoryEdge[] = [];
  const unresolved: UnresolvedDependency[] = [];
  const lookup = (parent: Entry, name: string, range: string): Entry | undefined => {
    const rules = rulesByName.get(name);
    const replaced = rules === undefined ? undefined : applyResolutions(rules, parent.locator, name, range);
    const wanted = replaced ?? range;
    const binder = replaced === undefined ? parent.resolution : rootEntry.resolution;
    return (
      byDescriptor.get(`${name}@${wanted}`) ??
      byDescriptor.get(`${name}@npm:${wanted}`) ??
      byBoundDescriptor.get(`${name}@${wanted}\0${binder}`)
    );
  };
  const addEdge = (parent: Entry, name: string, range: string, type: EdgeType, spec: string): void => {
    const from = idOf.get(parent) as string;
    const target = lookup(parent, name, range);
    if (target) {
      const to = idOf.get(target) as string;
      if (name !== packages.get(to)?.name) edges.push({ from, to, type, spec, alias: name });
      else edges.push({ from, to, type, spec });
    } else unresolved.push({ from, name, range });
  };
  for (const entry of primary.values()) {
    const folder = workspaces.get(entry);
    const manifest = folder === undefined ? undefined : manifests.get(folder);
    for (const [name, range] of Object.entries(entry.dependencies)) {
      if (Object.hasOwn(entry.optionalDependencies, name)) continue;
      const optional = entry.optionalNames.has(name) || (manifest?.optionalNames.has(name) ?? false);
      let type: EdgeType = optional ? 'optional' : 'prod';
      let spec = range;
      if (manifest) {
        // The lockfile merges a workspace's dependency lists; its package.json tells them apart.
        const { dependencies, devDependencies, optionalDependencies } = manifest;
        if (Object.hasOwn(optionalDependencies, name)) {
          type = 'optional';
          spec = optionalDependencies[name] as string;
        } else if (Object.hasOwn(dependencies, name)) spec = dependencies[name] as string;
        else if (Object.hasOwn(devDependencies, name)) {
          type = 'dev';
          spec = devDependencies[name] as string;
        }
      }
      addEdge(entry, name, range, type, spec);
    }
    for (const [name, range] of Object.entries(entry.optionalDependencies)) {
      addEdge(entry, name, range, 'optional', range);
    }
  }

  // Scopes; what no importer reaches is not installed.
  const { scopes, unreachable } = computeScopes(packages.keys(), importers, edges);
  for (const id of unreachable) packages.delete(id);
  for (const [id, scope] of scopes) {
    const known = packages.get(id);
    if (known) packages.set(id, { ...known, scope });
  }
  const kept = edges.filter((e) => packages.has(e.from) && packages.has(e.to));
  return {
    inventory: {
      root,
      lockfile: path,
      format: `yarn-berry-v${version as number}`,
      importers,
      packages,
      edges: kept,
    },
    unresolved: unresolved.filter((u) => packages.has(u.from)),
  };
};

const pkg = (
  id: string,
  name: string,
  version: string,
  source: SourceKind,
  resolved: string,
): InventoryPackage => ({
  id,
  name,
  version,
  purl: source === 'registry' ? npmPurl(name, version) : undefined,
  integrity: undefined,
  resolved: source === 'root' || source === 'workspace' ? undefined : resolved,
  source,
  scope: 'prod',
  bundled: false,
  alias: undefined,
  license: undefined,
});

/** The id, real name, version and source of a non-workspace entry. */
const identify = (entry: Entry): { id: string; name: string; version: string; source: SourceKind } => {
  const { name, range } = entry.locator;
  let reference = classifyReference(range);
  if (reference.kind === 'patch') {
    // A patch of a registry package is that package (name@version); of anything else, its own locator.
    const source = splitIdent(reference.source);
    const inner = source ? classifyReference(source.range) : undefined;
    if (source && inner?.kind === 'registry' && isStrictVersion(inner.version)) {
      return {
        id: `${source.name}@${inner.version}`,
        name: source.name,
        version: inner.version,
        source: 'registry',
      };
    }
    reference =
      inner && inner.kind !== 'patch' && inner.kind !== 'registry' && inner.kind !== 'workspace'
        ? inner
        : { kind: 'file' };
  }
  if (reference.kind === 'registry' && isStrictVersion(reference.version)) {
    return { id: `${name}@${reference.version}`, name, version: reference.version, source: 'registry' };
  }
  const source: SourceKind =
    reference.kind === 'registry' || reference.kind === 'workspace' ? 'file' : reference.kind;
  return { id: entry.resolution, name, version: entry.version, source };
};

const importerIdPrefix = './';

/** A workspace's id: '' for the root, `./<folder>` for the others. */
const importerId = (folder: string): string => (folder === '' ? '' : `${importerIdPrefix}${folder}`);

/**
 * A workspace's folder from its `workspace:` reference; '' for the root (`.`, `./`, ``), without a
 * trailing slash (`./a/` → `a`). Never outside the project, and never with a NUL byte.
 */
const workspacePath = (reference: string, path: string): string => {
  if (reference.includes('\0')) {
    throw invalid(path, `workspace ${JSON.stringify(reference)}: the path holds a NUL byte`);
  }
  const normalised = posix.normalize(reference === '' ? '.' : reference).replace(/\/+$/, '');
  if (
    reference.startsWith('/') ||
    reference.includes('\\') ||
    /^[A-Za-z]:/.test(reference) ||
    reference.split('/').includes('..') ||
    normalised === '..' ||
    normalised.startsWith('../')
  ) {
    throw new PatchPilotError(
      'LOCKFILE_KEY_ESCAPES',
      `${path}: workspace ${JSON.stringify(reference)} points outside the project`,
      {
        hint: 'a lockfile workspace may only name folders inside the project; refusing to read this lockfile',
      },
    );
  }
  return normalised === '.' || normalised === '' ? '' : normalised;
};

const readManifest = (content: string, path: string): Manifest => {
  const doc = parseJsonDocument(content, path, 'MANIFEST_INVALID');
  if (!isRecord(doc)) throw manifestInvalid(path, '(document): not a JSON object');
  const map = (field: string): Record<string, string> => {
    const value = doc[field];
    if (value === undefined) return {};
    if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
      throw manifestInvalid(path, `${JSON.stringify(field)}: expected an object of strings`);
    }
    return value as Record<string, string>;
  };
  const dependencies = map('dependencies');
  const devDependencies = map('devDependencies');
  const optionalDependencies = map('optionalDependencies');
  const resolutions = map('resolutions');
  return {
    dependencies,
    devDependencies,
    optionalDependencies,
    optionalNames: optionalMeta(doc.dependenciesMeta),
    resolutions,
    version: typeof doc.version === 'string' ? doc.version : undefined,
  };
};

/** The names that `dependenciesMeta` marks `optional: true` (keys may carry a version: `name@1.0.0`). */
const optionalMeta = (meta: unknown): Set<string> => {
  const names = new Set<string>();
  if (!isRecord(meta)) return names;
  for (const [key, value] of Object.entries(meta)) {
    if (!isRecord(value) || (value.optional !== true && value.optional !== 'true')) continue;
    names.add(splitIdent(key)?.name ?? key);
  }
  return names;
};

const stringMap = (value: unknown, path: string, key: string, field: string): Record<string, string> => {
  if (value === undefined || value === null) return EMPTY;
  if (!isRecord(value)) throw invalid(path, `${JSON.stringify(key)}: "${field}" is not a mapping`);
  // Yarn writes every range as a string; YAML may type a bare one (`1`) as a number.
  for (const name in value) {
    const range = value[name];
    if (typeof range === 'string') continue;
    const text = scalarString(range);
    if (text === undefined) {
      throw invalid(path, `${JSON.stringify(key)}: "${field}" → ${JSON.stringify(name)} is not a string`);
    }
    value[name] = text;
  }
  return value as Record<string, string>;
};

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** YAML types `version: 2` as a number; yarn means the text. */
const scalarString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const invalid = (path: string, detail: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_INVALID', `${path}: ${detail}`, {
    hint: 'the lockfile does not have the shape yarn writes; regenerate it with `yarn install`',
  });

const manifestInvalid = (path: string, detail: string): PatchPilotError =>
  new PatchPilotError('MANIFEST_INVALID', `${path}: ${detail}`, { hint: 'fix this package.json' });

const unsupported = (path: string, detail: string): PatchPilotError =>
  new PatchPilotError(
    'LOCKFILE_UNSUPPORTED_VERSION',
    `${path}: ${detail} (supported: ${supportedVersions.join(', ')}, written by yarn 2, 3 and 4)`,
    { hint: 'regenerate the lockfile with yarn 2 or later, or report the new version' },
  );
