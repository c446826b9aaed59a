import { PatchPilotError } from '../core/errors.js';
import { isUnderModules, resolveFrom } from '../core/inventory.js';
import type { AddedPackage, LockChange, PackageChange, RemovedPackage } from '../core/plan.js';
import { parseJsonDocument } from '../inventory/json.js';
import { checkLockfile, ShapeError } from '../inventory/npm/schema.js';
import type { PackageDist, PackageVersion } from '../registry/types.js';
import { detectJsonFormat, formatJson } from './json-format.js';

/**
 * Writes a patch's lock-level changes (`lock`, `add`, `remove`) into package-lock.json or
 * npm-shrinkwrap.json content, the way npm would have written them: lockfileVersion 1 (the
 * nested `dependencies` tree of npm 5 and 6), 2 (the `packages` map and that tree, kept in step)
 * and 3 (`packages` only). Pure: the caller passes the registry metadata of the target versions.
 *
 * What is written for a version comes from its registry metadata: `version`, `resolved` (the
 * tarball URL), `integrity` (or `sha1-` from an old version's shasum), the dependency maps
 * (`requires` in the legacy tree: dependencies and optional ones, never peers, as npm writes it),
 * `hasInstallScript` and `deprecated`. Fields the metadata does not carry (`license`, `engines`,
 * `bin`, `funding`, `os`, `cpu`) are kept as they were on a changed entry: npm only warns about a
 * stale `engines` or `license`, and a regeneration with npm (or the next `npm install`) refreshes
 * them; dropping them would lose facts that are still true for most releases (a stale `os` or
 * `cpu` is the one that matters, and only for platform packages, which plans rarely move). An
 * unknown `hasInstallScript` (universe metadata) keeps the old value for the same reason. No
 * tarball or checksum in the metadata (a universe) removes `resolved` and `integrity` rather than
 * leave the old version's: npm then fetches by version. An entry written without `resolved`
 * (npm's omit-lockfile-registry-resolved) stays without it.
 *
 * Every location is checked before it is written: an entry that is missing, is another package,
 * holds another version than `from` (a stale plan), is a link, ships inside its parent's
 * tarball or (for a version move) does not come from a registry, and a location that leaves the
 * project, is reported in `problems` and that location stays as it was (both sections of a v2
 * file are checked before either is written). The caller treats any problem as the patch failing to apply.
 *
 * Output keeps the file's indent, newline style and final newline, the key order of every entry
 * it does not touch, and puts new keys where npm puts them: `packages` and legacy `dependencies`
 * keys sorted with `localeCompare(…, 'en')` (npm 7+; npm 6 sorted lockfileVersion 1 by code unit),
 * and the fields of an entry in json-stringify-nice's order (npm's lockfile writer): `name`,
 * `version`, `resolved`, `integrity` first, other scalars alphabetically, then objects
 * (`requires`, `dependencies` first).
 */

export type MetadataLookup = (name: string, version: string) => PackageVersion | undefined;

export interface LockEditResult {
  readonly content: string;
  readonly problems: readonly string[];
}

type Json = Record<string, unknown>;
type LockVersion = 1 | 2 | 3;
type LockLevelChange = LockChange | AddedPackage | RemovedPackage;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const invalid = (path: string, detail: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_INVALID', `${path}: ${detail}`, {
    hint: 'the lockfile does not have the shape npm writes; regenerate it with npm',
  });

const readLockfile = (content: string, path: string): { doc: Json; version: LockVersion } => {
  const doc = parseJsonDocument(content, path, 'LOCKFILE_INVALID_JSON');
  if (!isObject(doc)) throw invalid(path, 'the document is not a JSON object');
  const version = doc.lockfileVersion;
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new PatchPilotError(
      'LOCKFILE_UNSUPPORTED_VERSION',
      version === undefined
        ? `${path}: lockfileVersion is missing (known: 1, 2, 3)`
        : `${path}: lockfileVersion ${JSON.stringify(version)} is not supported (known: 1, 2, 3)`,
      { hint: 'regenerate the lockfile with npm 6 or later, or report the new version' },
    );
  }
  try {
    // The check normalises npm 6's `false` values in place; the copy we edit must keep them.
    checkLockfile(structuredClone(doc));
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    const where = error.at.map((p) => JSON.stringify(p)).join(' → ') || '(document)';
    throw invalid(path, `${where}: ${error.message}`);
  }
  if (version === 3 && !isObject(doc.packages))
    throw invalid(path, '"packages": lockfileVersion 3 requires it');
  return { doc, version };
};

// ---------------------------------------------------------------------------------------------
// Key order

/** npm's lockfile writer (json-stringify-nice with these preferred keys): scalars before objects. */
const preferredFields = [
  'name',
  'version',
  'lockfileVersion',
  'resolved',
  'integrity',
  'requires',
  'packages',
  'dependencies',
];

const compareFields = (ak: string, av: unknown, bk: string, bv: unknown): number => {
  const ao = isObject(av);
  const bo = isObject(bv);
  if (ao !== bo) return ao ? 1 : -1;
  const ai = preferredFields.indexOf(ak);
  const bi = preferredFields.indexOf(bk);
  if (ai !== -1 || bi !== -1) return ai === -1 ? 1 : bi === -1 ? -1 : ai - bi;
  return ak.localeCompare(bk, 'en');
};

type Compare = (ak: string, av: unknown, bk: string, bv: unknown) => number;

/**
 * Sets `key` in `obj`, in place. An existing key keeps its position; a new one goes before the
 * first key that sorts after it, so a sorted object stays sorted and an unsorted one keeps its order.
 */
const insertKey = (obj: Json, key: string, value: unknown, compare: Compare): void => {
  if (Object.hasOwn(obj, key)) {
    setOwn(obj, key, value);
    return;
  }
  const keys = Object.keys(obj);
  const at = keys.findIndex((k) => compare(key, value, k, obj[k]) < 0);
  if (at === -1) {
    setOwn(obj, key, value);
    return;
  }
  // Objects keep insertion order: move the keys after the new one behind it.
  const tail = keys.slice(at).map((k) => [k, obj[k]] as const);
  for (const [k] of tail) delete obj[k];
  setOwn(obj, key, value);
  for (const [k, v] of tail) setOwn(obj, k, v);
};

/** An own, enumerable property even for a key like `__proto__`, which JSON.parse makes own. */
const setOwn = (obj: Json, key: string, value: unknown): void => {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
};

/** Sets (or, for `undefined`, deletes) fields of an entry in place, new ones in npm's order. */
const updateEntry = (entry: Json, fields: Readonly<Record<string, unknown>>): void => {
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) delete entry[key];
    else insertKey(entry, key, value, compareFields);
  }
};

// ---------------------------------------------------------------------------------------------
// Locations

/** An install location: the inventory id, which is the `packages` key of lockfileVersion 2 and 3. */
interface Location {
  readonly key: string;
  /** The folder holding the first node_modules: '' for the project root, else a workspace folder. */
  readonly base: string;
  /** The folder names from `base` down, one per node_modules level (`@scope/name` for scoped ones). */
  readonly names: readonly string[];
}

const keyOf = (base: string, names: readonly string[]): string =>
  [...(base === '' ? [] : [base]), ...names.map((n) => `node_modules/${n}`)].join('/');

/** Parses a location; a string is the reason it is refused. */
const parseLocation = (key: string): Location | string => {
  if (key === '') return 'the project root is not a package location';
  if (key.startsWith('/') || key.includes('\\') || /^[A-Za-z]:/.test(key) || key.includes('\0'))
    return 'points outside the project';
  const parts = key.split('/');
  if (parts.includes('..')) return 'points outside the project';
  if (parts.some((p) => p === '' || p === '.')) return 'is not a normalised install location';
  const first = parts.indexOf('node_modules');
  if (first === -1) return 'is not a node_modules location';
  const names: string[] = [];
  let i = first;
  while (i < parts.length) {
    const head = parts[i + 1];
    if (parts[i] !== 'node_modules' || head === undefined) return 'is not a node_modules location';
    if (head.startsWith('@')) {
      const tail = parts[i + 2];
      if (head === '@' || tail === undefined) return 'is not a node_modules location';
      names.push(`${head}/${tail}`);
      i += 3;
    } else {
      names.push(head);
      i += 2;
    }
  }
  return { key, base: parts.slice(0, first).join('/'), names };
};

// ---------------------------------------------------------------------------------------------
// What a version's metadata says

/** npm records an old version's SHA-1 shasum as a Subresource Integrity string. */
const integrityOf = (dist: PackageDist | undefined): string | undefined => {
  if (dist?.integrity) return dist.integrity;
  if (dist?.shasum && /^[0-9a-f]{40}$/i.test(dist.shasum))
    return `sha1-${Buffer.from(dist.shasum, 'hex').toString('base64')}`;
  return undefined;
};

const sortedMap = <T>(
  map: Readonly<Record<string, T>>,
  compareKeys: (a: string, b: string) => number,
): Record<string, T> | undefined => {
  const keys = Object.keys(map);
  if (keys.length === 0) return undefined;
  const out: Record<string, T> = {};
  for (const key of keys.sort(compareKeys)) out[key] = map[key] as T;
  return out;
};

/** Whether a locked entry came from a registry (a tarball URL a registry serves, or none recorded). */
const fromRegistry = (resolved: unknown, name: string, version: string): boolean => {
  if (resolved === undefined || resolved === false || resolved === '') return true;
  if (typeof resolved !== 'string' || !/^https?:/.test(resolved)) return false;
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  const url = resolved.split(/[?#]/)[0] ?? resolved;
  return url.endsWith(`/-/${base}-${version}.tgz`);
};

interface Flags {
  readonly dev: boolean;
  readonly optional: boolean;
  /** npm's internal flag: in the dev tree or the optional tree (written only when neither of those is). */
  readonly devOptional: boolean;
  readonly peer: boolean;
}

const noFlags: Flags = { dev: false, optional: false, devOptional: false, peer: false };
const allFlags: Flags = { dev: true, optional: true, devOptional: true, peer: true };

const flagsOfEntry = (entry: Json): Flags => ({
  dev: entry.dev === true,
  optional: entry.optional === true,
  devOptional: entry.devOptional === true || entry.dev === true || entry.optional === true,
  peer: entry.peer === true,
});

const sameFlags = (a: Flags, b: Flags): boolean =>
  a.dev === b.dev && a.optional === b.optional && a.devOptional === b.devOptional && a.peer === b.peer;

/** The flags npm writes for a node (`legacy`: npm 6 knew only `dev` and `optional`). */
const flagFields = (flags: Flags, npm6: boolean): Record<string, true | undefined> => ({
  dev: flags.dev || undefined,
  optional: flags.optional || undefined,
  devOptional: (!npm6 && flags.devOptional && !flags.dev && !flags.optional) || undefined,
  peer: (!npm6 && flags.peer) || undefined,
});

interface Declaration {
  readonly from: string;
  readonly dev: boolean;
  readonly optional: boolean;
  readonly peer: boolean;
}

// ---------------------------------------------------------------------------------------------
// The editor

interface Found {
  readonly entry: Json;
  /** The real package name (the folder name, or the aliased package). */
  readonly name: string;
  readonly version: string;
  readonly alias: boolean;
}

const legacyAlias = /^npm:((?:@[^/]+\/)?[^@]+)@(.+)$/;

export const editNpmLockfile = (
  content: string,
  path: string,
  changes: readonly PackageChange[],
  lookup: MetadataLookup,
): LockEditResult => {
  const { doc, version } = readLockfile(content, path);
  const edits = changes.filter(
    (c): c is LockLevelChange => c.kind === 'lock' || c.kind === 'add' || c.kind === 'remove',
  );
  if (edits.length === 0) return { content, problems: [] };

  const problems: string[] = [];
  const npm6 = version === 1;
  const compareKeys = npm6
    ? (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
    : (a: string, b: string): number => a.localeCompare(b, 'en');
  const compareMapKeys: Compare = (ak, _av, bk) => compareKeys(ak, bk);
  const packages = version !== 1 && isObject(doc.packages) ? doc.packages : undefined;
  const hasLegacy = version !== 3 && (isObject(doc.dependencies) || version === 1);
  let dirty = false;

  // --- the `packages` map (lockfileVersion 2 and 3)

  const packageEntry = (key: string): Json | undefined => {
    const entry = packages && Object.hasOwn(packages, key) ? packages[key] : undefined;
    return isObject(entry) ? entry : undefined;
  };

  const foundInPackages = (loc: Location): Found | undefined => {
    const entry = packageEntry(loc.key);
    if (!entry) return undefined;
    const folder = loc.names.at(-1) as string;
    const name = typeof entry.name === 'string' ? entry.name : folder;
    return { entry, name, version: String(entry.version), alias: name !== folder };
  };

  // --- the legacy `dependencies` tree (lockfileVersion 1 and 2)

  /** The legacy tree's folder names for a location: a workspace's folders hang under its link. */
  const legacyNames = (loc: Location): readonly string[] | undefined => {
    if (loc.base === '') return loc.names;
    if (!packages) return undefined;
    for (const [key, entry] of Object.entries(packages)) {
      if (!isObject(entry) || entry.link !== true || entry.resolved !== loc.base) continue;
      const link = parseLocation(key);
      if (typeof link !== 'string' && link.base === '') return [...link.names, ...loc.names];
    }
    return undefined;
  };

  /** The map that holds a legacy entry (`undefined` when a folder above it is missing). */
  const legacyMap = (names: readonly string[], create: boolean): Json | undefined => {
    if (!isObject(doc.dependencies)) {
      if (!create) return undefined;
      updateEntry(doc, { dependencies: {} });
    }
    let map = doc.dependencies as Json;
    for (const folder of names.slice(0, -1)) {
      const entry = map[folder];
      if (!Object.hasOwn(map, folder) || !isObject(entry)) return undefined;
      if (!isObject(entry.dependencies)) {
        if (!create) return undefined;
        updateEntry(entry, { dependencies: {} });
      }
      map = entry.dependencies as Json;
    }
    return map;
  };

  const legacyEntry = (names: readonly string[]): Json | undefined => {
    const map = legacyMap(names, false);
    const folder = names.at(-1) as string;
    const entry = map && Object.hasOwn(map, folder) ? map[folder] : undefined;
    return isObject(entry) ? entry : undefined;
  };

  const foundInLegacy = (names: readonly string[]): Found | undefined => {
    const entry = legacyEntry(names);
    if (!entry) return undefined;
    const folder = names.at(-1) as string;
    const text = String(entry.version);
    const alias = legacyAlias.exec(text);
    return alias
      ? { entry, name: alias[1] as string, version: alias[2] as string, alias: true }
      : { entry, name: folder, version: text, alias: false };
  };

  // --- checks

  interface Target {
    readonly loc: Location;
    readonly pkg: Found | undefined;
    readonly legacy: Found | undefined;
    readonly legacyNames: readonly string[] | undefined;
  }

  const show = (name: string, version: string, folder: string): string =>
    name === folder ? version : `${name}@${version}`;

  /** Finds the entries of an existing package, or says why this location cannot be changed. */
  const locate = (
    key: string,
    name: string,
    expected: string,
    options: { registryOnly: boolean },
  ): Target | string => {
    const loc = parseLocation(key);
    if (typeof loc === 'string') return `${JSON.stringify(key)}: ${loc}; not written`;
    const folder = loc.names.at(-1) as string;
    const check = (found: Found | undefined, where: string): string | undefined => {
      if (!found) return `${key}${where}: not in the lockfile (expected ${show(name, expected, folder)})`;
      if (found.entry.link === true) return `${key}${where}: is a link, not an installed package`;
      if (found.name !== name || found.version !== expected) {
        // Names are shown when they are what differs (or the folder is an alias).
        const named = found.name !== name || name !== folder;
        return `${key}${where}: expected ${named ? `${name}@` : ''}${expected}, found ${named ? `${found.name}@` : ''}${found.version}`;
      }
      if (options.registryOnly && (found.entry.inBundle === true || found.entry.bundled === true)) {
        return `${key}${where}: ships inside its parent's tarball (bundled); it cannot be changed on its own`;
      }
      if (options.registryOnly && !fromRegistry(found.entry.resolved, name, expected)) {
        return `${key}${where}: is not installed from a registry (resolved ${JSON.stringify(found.entry.resolved)})`;
      }
      return undefined;
    };
    let pkg: Found | undefined;
    if (packages) {
      pkg = foundInPackages(loc);
      const problem = check(pkg, '');
      if (problem) return problem;
    }
    let legacy: Found | undefined;
    let names: readonly string[] | undefined;
    if (hasLegacy) {
      names = legacyNames(loc);
      const where = packages ? ' (legacy "dependencies" tree)' : '';
      if (!names) return `${key}${where}: no folder in the lockfile maps to ${JSON.stringify(loc.base)}`;
      legacy = foundInLegacy(names);
      const problem = check(legacy, where);
      if (problem) return problem;
    }
    return { loc, pkg, legacy, legacyNames: names };
  };

  const metadataFor = (name: string, to: string): PackageVersion | undefined => {
    const meta = lookup(name, to);
    if (!meta)
      problems.push(`${name}@${to}: no registry metadata for this version; its locations were not written`);
    return meta;
  };

  // --- what a version's metadata writes

  const packageFields = (meta: PackageVersion): Record<string, unknown> => ({
    resolved: meta.dist?.tarball,
    integrity: integrityOf(meta.dist),
    dependencies: sortedMap(meta.dependencies, compareKeys),
    optionalDependencies: sortedMap(meta.optionalDependencies, compareKeys),
    peerDependencies: sortedMap(meta.peerDependencies, compareKeys),
    peerDependenciesMeta: sortedMap(
      Object.fromEntries(
        Object.entries(meta.peerDependenciesMeta).map(([n, m]) => [n, { optional: m.optional }]),
      ),
      compareKeys,
    ),
    deprecated: meta.deprecated,
  });

  const legacyFields = (
    meta: PackageVersion,
    name: string,
    version: string,
    alias: boolean,
  ): Record<string, unknown> => ({
    version: alias ? `npm:${name}@${version}` : version,
    resolved: meta.dist?.tarball,
    integrity: integrityOf(meta.dist),
    // npm writes dependencies and optional ones; peers are left out (npm 6 did not know them).
    requires: sortedMap({ ...meta.dependencies, ...meta.optionalDependencies }, compareKeys),
  });

  const installScript = (meta: PackageVersion): Record<string, unknown> =>
    meta.hasInstallScript === undefined ? {} : { hasInstallScript: meta.hasInstallScript || undefined };

  // --- removals: deepest first, so a nested entry is checked before its folder goes

  const addedKeys = new Set(edits.flatMap((c) => (c.kind === 'add' ? c.locations : [])));
  /** Nested legacy entries of a folder that is removed and added again (a replaced package). */
  const keptNested = new Map<string, unknown>();
  /** The flags of a replaced package: its successor's when nothing in the lockfile says otherwise. */
  const replacedFlags = new Map<string, Flags>();
  const removals = edits
    .flatMap((c) => (c.kind === 'remove' ? c.locations.map((key) => ({ change: c, key })) : []))
    .sort((a, b) => depth(b.key) - depth(a.key) || compareKeys(a.key, b.key));
  for (const { change, key } of removals) {
    const target = locate(key, change.name, change.from, { registryOnly: false });
    if (typeof target === 'string') {
      problems.push(target);
      continue;
    }
    const replaced = addedKeys.has(key);
    if (replaced) replacedFlags.set(key, flagsOfEntry((target.pkg ?? target.legacy)?.entry ?? {}));
    if (packages) {
      delete packages[key];
      if (!replaced) {
        const below = `${key}/node_modules/`;
        for (const k of Object.keys(packages)) if (k.startsWith(below)) delete packages[k];
      }
    }
    if (target.legacyNames) {
      const map = legacyMap(target.legacyNames, false) as Json;
      const folder = target.legacyNames.at(-1) as string;
      if (replaced && target.legacy?.entry.dependencies !== undefined)
        keptNested.set(key, target.legacy.entry.dependencies);
      delete map[folder];
      // npm writes no empty `dependencies` under an entry.
      const parent = target.legacyNames.length > 1 ? legacyEntry(target.legacyNames.slice(0, -1)) : undefined;
      if (parent && Object.keys(map).length === 0) delete parent.dependencies;
    }
    dirty = true;
  }

  // --- version moves

  for (const change of edits) {
    if (change.kind !== 'lock') continue;
    const targets: Target[] = [];
    for (const key of change.locations) {
      const target = locate(key, change.name, change.from, { registryOnly: true });
      if (typeof target === 'string') problems.push(target);
      else targets.push(target);
    }
    if (targets.length === 0) continue;
    const meta = metadataFor(change.name, change.to);
    if (!meta) continue;
    for (const target of targets) {
      if (target.pkg) {
        const resolved = Object.hasOwn(target.pkg.entry, 'resolved')
          ? { resolved: meta.dist?.tarball }
          : // npm's omit-lockfile-registry-resolved leaves `resolved` out: keep it out.
            { resolved: undefined };
        updateEntry(target.pkg.entry, {
          version: change.to,
          ...packageFields(meta),
          ...resolved,
          ...installScript(meta),
        });
      }
      if (target.legacy) {
        const fields = legacyFields(meta, change.name, change.to, target.legacy.alias);
        if (!Object.hasOwn(target.legacy.entry, 'resolved')) fields.resolved = undefined;
        updateEntry(target.legacy.entry, fields);
      }
      dirty = true;
    }
  }

  // --- additions: shallowest first, so a nested one finds its folder

  const added: { loc: Location; pkg: Json | undefined; legacy: Json | undefined }[] = [];
  const additions = edits
    .flatMap((c) => (c.kind === 'add' ? c.locations.map((key) => ({ change: c, key })) : []))
    .sort((a, b) => depth(a.key) - depth(b.key) || compareKeys(a.key, b.key));
  const metas = new Map<AddedPackage, PackageVersion | undefined>();
  for (const { change, key } of additions) {
    const loc = parseLocation(key);
    if (typeof loc === 'string') {
      problems.push(`${JSON.stringify(key)}: ${loc}; not written`);
      continue;
    }
    const folder = loc.names.at(-1) as string;
    const names = hasLegacy ? legacyNames(loc) : undefined;
    const problem = (() => {
      if (packages) {
        const existing = foundInPackages(loc);
        if (existing) return `${key}: already holds ${show(existing.name, existing.version, folder)}`;
        const parent = loc.names.length > 1 ? keyOf(loc.base, loc.names.slice(0, -1)) : loc.base;
        if (parent !== '' && !packageEntry(parent))
          return `${key}: its folder ${parent} is not in the lockfile`;
      }
      if (hasLegacy) {
        const where = packages ? ' (legacy "dependencies" tree)' : '';
        if (!names) return `${key}${where}: no folder in the lockfile maps to ${JSON.stringify(loc.base)}`;
        const existing = foundInLegacy(names);
        if (existing) return `${key}${where}: already holds ${show(existing.name, existing.version, folder)}`;
        if (names.length > 1 && !legacyEntry(names.slice(0, -1))) {
          return `${key}${where}: its folder ${keyOf('', names.slice(0, -1))} is not in the lockfile`;
        }
      }
      return undefined;
    })();
    if (problem) {
      problems.push(problem);
      continue;
    }
    if (!metas.has(change)) metas.set(change, metadataFor(change.name, change.to));
    const meta = metas.get(change);
    if (!meta) continue;
    const alias = folder !== change.name;
    let pkg: Json | undefined;
    if (packages) {
      pkg = {};
      updateEntry(pkg, {
        name: alias ? change.name : undefined,
        version: change.to,
        ...packageFields(meta),
        hasInstallScript: meta.hasInstallScript === true || undefined,
      });
      insertKey(packages, key, pkg, compareMapKeys);
    }
    let legacy: Json | undefined;
    if (names) {
      legacy = {};
      updateEntry(legacy, legacyFields(meta, change.name, change.to, alias));
      const nested = keptNested.get(key);
      if (nested !== undefined) updateEntry(legacy, { dependencies: nested });
      insertKey(legacyMap(names, true) as Json, folder, legacy, compareMapKeys);
    }
    added.push({ loc, pkg, legacy });
    dirty = true;
  }

  if (added.length > 0) {
    const flags = flagsOfAdded(
      added.map((a) => a.loc),
      packages ? declarationsOfPackages(packages) : declarationsOfLegacy(doc.dependencies),
      replacedFlags,
    );
    for (const { loc, pkg, legacy } of added) {
      const f = flags.get(loc.key) ?? noFlags;
      if (pkg) updateEntry(pkg, flagFields(f, false));
      if (legacy) updateEntry(legacy, flagFields(f, npm6));
    }
  }

  if (!dirty) return { content, problems };
  const bom = content.charCodeAt(0) === 0xfeff ? '\uFEFF' : '';
  return { content: bom + formatJson(doc, detectJsonFormat(content)), problems };
};

const depth = (key: string): number => key.split('/node_modules/').length;

// ---------------------------------------------------------------------------------------------
// Flags of added packages

/**
 * Who declares what, for the flags of added packages: per dependency name (as declared, the
 * alias for aliases), the folders that declare it and how.
 */
interface Declarations {
  readonly byName: ReadonlyMap<string, readonly Declaration[]>;
  readonly has: (key: string) => boolean;
  readonly flags: (key: string) => Flags;
}

const pushTo = (map: Map<string, Declaration[]>, name: string, declaration: Declaration): void => {
  const list = map.get(name);
  if (list) list.push(declaration);
  else map.set(name, [declaration]);
};

const declarationsOfPackages = (packages: Json): Declarations => {
  const byName = new Map<string, Declaration[]>();
  const linkFlags = new Map<string, Flags>();
  for (const [key, entry] of Object.entries(packages)) {
    if (!isObject(entry)) continue;
    if (entry.link === true) {
      if (typeof entry.resolved === 'string') linkFlags.set(entry.resolved, flagsOfEntry(entry));
      continue;
    }
    const top = key === '' || !isUnderModules(key);
    const seen = new Set<string>();
    const visit = (field: string, kind: 'dev' | 'optional' | 'prod' | 'peer'): void => {
      const map = entry[field];
      if (!isObject(map)) return;
      for (const name of Object.keys(map)) {
        // npm's precedence when a name is declared twice: dev (top folders), optional, prod, peer.
        if (seen.has(name)) continue;
        seen.add(name);
        const meta = isObject(entry.peerDependenciesMeta) ? entry.peerDependenciesMeta[name] : undefined;
        const peerOptional = kind === 'peer' && isObject(meta) && meta.optional === true;
        pushTo(byName, name, {
          from: key,
          dev: kind === 'dev',
          optional: kind === 'optional' || peerOptional,
          peer: kind === 'peer',
        });
      }
    };
    if (top) visit('devDependencies', 'dev');
    visit('optionalDependencies', 'optional');
    visit('dependencies', 'prod');
    visit('peerDependencies', 'peer');
  }
  return {
    byName,
    has: (key) => key !== '' && isObject(packages[key]),
    // The project and its workspaces are in no subtree, except a workspace linked as a dev dependency.
    flags: (key) =>
      key === '' || !isUnderModules(key)
        ? (linkFlags.get(key) ?? noFlags)
        : isObject(packages[key])
          ? flagsOfEntry(packages[key] as Json)
          : noFlags,
  };
};

/** lockfileVersion 1 records `requires` without saying which are optional; each counts as a plain dependency. */
const declarationsOfLegacy = (tree: unknown): Declarations => {
  const byName = new Map<string, Declaration[]>();
  const entries = new Map<string, Json>();
  const walk = (map: unknown, parent: string): void => {
    if (!isObject(map)) return;
    for (const [folder, entry] of Object.entries(map)) {
      if (!isObject(entry)) continue;
      const key = parent === '' ? `node_modules/${folder}` : `${parent}/node_modules/${folder}`;
      entries.set(key, entry);
      if (isObject(entry.requires)) {
        for (const name of Object.keys(entry.requires))
          pushTo(byName, name, { from: key, dev: false, optional: false, peer: false });
      }
      walk(entry.dependencies, key);
    }
  };
  walk(tree, '');
  return {
    byName,
    has: (key) => entries.has(key),
    flags: (key) => {
      const entry = entries.get(key);
      return entry ? flagsOfEntry(entry) : noFlags;
    },
  };
};

/**
 * npm's flags for the added packages (arborist's calcDepFlags, limited to them): an added package
 * is `dev` when every dependent that reaches it is dev or declares it as a devDependency,
 * `optional` when every one is optional or declares it optional, `peer` likewise, and
 * `devOptional` when every one is in the dev or the optional tree. Dependents are the entries,
 * after the edit, whose declaration resolves to the location (so a new version's own new
 * dependencies count). The flags of existing entries are taken as they are. Added packages that
 * depend on each other start with every flag set and lose them until nothing changes. An added
 * package nothing in the lockfile declares (npm would call it extraneous; in lockfileVersion 1 the
 * root's own dependencies are not recorded) takes the flags of the package it replaces in the
 * same folder, else its folder's flags when nested, else none.
 */
const flagsOfAdded = (
  added: readonly Location[],
  declarations: Declarations,
  replaced: ReadonlyMap<string, Flags>,
): Map<string, Flags> => {
  const flags = new Map<string, Flags>(added.map((loc) => [loc.key, allFlags]));
  const flagsAt = (key: string): Flags => flags.get(key) ?? declarations.flags(key);
  const dependents = new Map<string, Declaration[]>();
  for (const loc of added) {
    const folder = loc.names.at(-1) as string;
    dependents.set(
      loc.key,
      (declarations.byName.get(folder) ?? []).filter(
        (d) => resolveFrom(d.from, folder, declarations.has) === loc.key,
      ),
    );
  }
  // Flags only ever clear, four per package: the loop ends; the bound is a guard.
  let changed = true;
  for (let round = 0; changed && round <= 4 * added.length + 1; round++) {
    changed = false;
    for (const loc of added) {
      const edges = dependents.get(loc.key) ?? [];
      let next: Flags;
      if (edges.length === 0) {
        next =
          replaced.get(loc.key) ??
          (loc.names.length > 1 ? flagsAt(keyOf(loc.base, loc.names.slice(0, -1))) : noFlags);
      } else {
        let dev = true;
        let optional = true;
        let devOptional = true;
        let peer = true;
        for (const edge of edges) {
          const from = flagsAt(edge.from);
          dev &&= from.dev || edge.dev;
          optional &&= from.optional || edge.optional;
          devOptional &&= from.devOptional || from.dev || from.optional || edge.dev || edge.optional;
          peer &&= from.peer || edge.peer;
        }
        next = { dev, optional, devOptional, peer };
      }
      if (!sameFlags(next, flags.get(loc.key) as Flags)) {
        flags.set(loc.key, next);
        changed = true;
      }
    }
  }
  return flags;
};

/**
 * Removes every copy of the named packages from the lockfile (the `packages` map and the legacy
 * tree), with whatever is nested inside them, so that the package manager resolves them afresh.
 * npm applies an `overrides` entry only to what it resolves: a copy already locked keeps its
 * version (`npm install --package-lock-only` leaves it), so a new override first needs this.
 * Links and workspace folders are never removed.
 */
export const dropNpmPackages = (content: string, path: string, names: readonly string[]): string => {
  const { doc } = readLockfile(content, path);
  const wanted = new Set(names);
  let dirty = false;
  const folderName = (key: string): string | undefined => {
    const at = key.lastIndexOf('node_modules/');
    return at < 0 ? undefined : key.slice(at + 'node_modules/'.length);
  };
  if (isObject(doc.packages)) {
    const packages = doc.packages;
    const doomed = Object.keys(packages).filter((key) => {
      const entry = packages[key];
      if (!isObject(entry) || entry.link === true) return false;
      const folder = folderName(key);
      const name = typeof entry.name === 'string' ? entry.name : folder;
      return folder !== undefined && name !== undefined && wanted.has(name);
    });
    for (const key of Object.keys(packages)) {
      if (doomed.some((d) => key === d || key.startsWith(`${d}/`))) {
        delete packages[key];
        dirty = true;
      }
    }
  }
  const prune = (tree: unknown): void => {
    if (!isObject(tree) || !isObject(tree.dependencies)) return;
    const deps = tree.dependencies;
    for (const key of Object.keys(deps)) {
      if (wanted.has(key)) {
        delete deps[key];
        dirty = true;
      } else prune(deps[key]);
    }
  };
  prune(doc);
  if (!dirty) return content;
  const bom = content.startsWith('\uFEFF') ? '\uFEFF' : '';
  return bom + formatJson(doc, detectJsonFormat(content));
};
