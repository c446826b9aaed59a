import { posix } from 'node:path';
import { PatchPilotError } from '../../core/errors.js';
import {
  type Drift,
  type EdgeType,
  type Importer,
  type Inventory,
  type InventoryEdge,
  type InventoryPackage,
  isUnderModules,
  type MissingDependency,
  resolveFrom,
  type Scope,
  type SourceKind,
} from '../../core/inventory.js';
import { npmPurl } from '../../core/purl.js';
import { isStrictVersion } from '../../core/version.js';
import { parseJsonDocument } from '../json.js';
import { registryTarball } from '../registry-tarball.js';
import { workspaceGlobMatcher } from '../source.js';
import {
  checkLockfile,
  checkManifest,
  type LegacyEntry,
  type Lockfile,
  type Manifest,
  type PackageEntry,
  ShapeError,
} from './schema.js';

/**
 * npm's package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3. Version 2 carries
 * both layouts; the `packages` map (the one npm 7+ reads) is used whenever it is present.
 * Version 1 has no record of the root's direct dependencies, so the root package.json supplies them.
 */
export const lockfileNames = ['npm-shrinkwrap.json', 'package-lock.json'] as const;

export interface NpmContext {
  /** The package.json beside the lockfile, if there is one. */
  readonly manifest?: { readonly content: string; readonly path: string } | undefined;
}

export const parseNpmLockfile = (content: string, path: string, context: NpmContext = {}): Inventory => {
  const doc = parseJsonDocument(content, path, 'LOCKFILE_INVALID_JSON');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalid(path, 'the document is not a JSON object');
  }
  const version = (doc as { lockfileVersion?: unknown }).lockfileVersion;
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new PatchPilotError(
      'LOCKFILE_UNSUPPORTED_VERSION',
      version === undefined
        ? `${path}: lockfileVersion is missing (known: 1, 2, 3)`
        : `${path}: lockfileVersion ${JSON.stringify(version)} is not supported (known: 1, 2, 3)`,
      { hint: 'regenerate the lockfile with npm 6 or later, or report the new version' },
    );
  }
  const lock = validate(() => checkLockfile(doc as Record<string, unknown>), path, 'LOCKFILE_INVALID');
  const manifest = context.manifest
    ? readManifest(context.manifest.content, context.manifest.path)
    : undefined;
  const root = posix.dirname(path.split('\\').join('/'));
  if (lock.packages && version !== 1) return fromPackages(lock, manifest, path, root);
  // lockfileVersion 3 has only `packages`; 2 carries the legacy tree too, which npm 6 reads.
  if (version === 3) throw invalid(path, '"packages": lockfileVersion 3 requires it');
  return fromLegacy(lock, manifest, path, root, version);
};

const readManifest = (content: string, path: string): Manifest => {
  const doc = parseJsonDocument(content, path, 'MANIFEST_INVALID');
  return validate(() => checkManifest(doc), path, 'MANIFEST_INVALID');
};

const validate = <T>(check: () => T, path: string, code: 'LOCKFILE_INVALID' | 'MANIFEST_INVALID'): T => {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    const where = error.at.map((p) => JSON.stringify(p)).join(' → ') || '(document)';
    if (code === 'MANIFEST_INVALID') {
      throw new PatchPilotError(code, `${path}: ${where}: ${error.message}`, {
        hint: 'fix this package.json',
      });
    }
    throw invalid(path, `${where}: ${error.message}`);
  }
};

const invalid = (path: string, detail: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_INVALID', `${path}: ${detail}`, {
    hint: 'the lockfile does not have the shape npm writes; regenerate it with npm',
  });

/** A lockfile key is a folder below the project; one that leaves it is never trusted. */
const checkKey = (key: string, path: string): void => {
  const first = key.charCodeAt(0);
  // Fast path for the common key: relative, no dot-dot, no backslash, no drive letter.
  if (first !== 47 && !key.includes('..') && !key.includes('\\') && key.charCodeAt(1) !== 58) return;
  const normalised = posix.normalize(key);
  if (
    key.startsWith('/') ||
    key.startsWith('\\') ||
    /^[A-Za-z]:/.test(key) ||
    normalised === '..' ||
    normalised.startsWith('../') ||
    key.split(/[\\/]/).includes('..')
  ) {
    throw new PatchPilotError(
      'LOCKFILE_KEY_ESCAPES',
      `${path}: key ${JSON.stringify(key)} points outside the project`,
      {
        hint: 'a lockfile entry may only name folders inside the project; refusing to read this lockfile',
      },
    );
  }
};

/**
 * A key in the form npm writes it: `node_modules/./a` or `node_modules//a` is the folder npm
 * installs `a` into, but read as written it names no package `a`, which would go unscanned.
 */
const checkCanonical = (key: string, path: string): void => {
  if (!(key.includes('//') || key.includes('./') || key.endsWith('/') || key.endsWith('/.') || key === '.'))
    return;
  if (key.split('/').some((segment) => segment === '' || segment === '.')) {
    throw invalid(
      path,
      `key ${JSON.stringify(key)} is not a folder as npm writes it (${JSON.stringify(posix.normalize(key).replace(/\/$/, ''))})`,
    );
  }
};

const scopeOf = (flags: {
  dev?: boolean | undefined;
  optional?: boolean | undefined;
  devOptional?: boolean | undefined;
  peer?: boolean | undefined;
}): Scope => {
  // `dev` with `optional` is an optional dependency of a dev dependency: omitted with dev ones.
  // `devOptional` is needed by the dev tree and by the optional tree, so --omit=dev keeps it.
  if (flags.devOptional) return 'devOptional';
  if (flags.dev) return 'dev';
  if (flags.optional) return 'optional';
  if (flags.peer) return 'peer';
  return 'prod';
};

/**
 * A `resolved` URL in a registry's layout (`…/<name>/-/<basename>-<version>.tgz`) that names
 * another package or version than its entry: npm installs the tarball the URL names, so reading
 * the entry's name and version would scan a package that is not installed and miss the one that
 * is. Such a lockfile disagrees with itself and is refused. Other URLs are tarballs as before.
 */
const checkRegistryTarball = (
  resolved: string,
  key: string,
  name: string,
  version: string,
  path: string,
): void => {
  const named = registryTarball(resolved);
  if (named === undefined || (named.name === name && named.version === version)) return;
  throw invalid(
    path,
    `${JSON.stringify(key)}: its resolved URL names ${named.name}@${named.version} but the entry says ${name}@${version}; npm installs what resolved names`,
  );
};

/** Classifies a `resolved` (v2/v3) or `version` (v1) spec by where the package comes from. */
const sourceOf = (resolved: string | undefined, name: string, version: string): SourceKind => {
  if (resolved === undefined || resolved === '') return 'registry';
  // The common case first: a registry tarball URL.
  if (resolved.startsWith('https:') || resolved.startsWith('http:')) {
    // Registries (the public one, mirrors, Artifactory, Verdaccio) serve <name>/-/<basename>-<version>.tgz.
    // Checked in place, without building the expected ending: this runs once per entry.
    const base = name.charCodeAt(0) === 64 ? name.slice(name.indexOf('/') + 1) : name;
    const query = resolved.indexOf('?');
    const hash = resolved.indexOf('#');
    const end =
      query === -1 ? (hash === -1 ? resolved.length : hash) : hash === -1 ? query : Math.min(query, hash);
    // `/-/` + base + `-` + version + `.tgz`, ending at `end`
    const at = end - base.length - version.length - 8;
    return at >= 0 &&
      resolved.startsWith('/-/', at) &&
      resolved.startsWith(base, at + 3) &&
      resolved.charCodeAt(at + 3 + base.length) === 45 &&
      resolved.startsWith(version, at + 4 + base.length) &&
      resolved.startsWith('.tgz', end - 4)
      ? 'registry'
      : 'tarball';
  }
  if (/^(git\+|git:|github:|gitlab:|bitbucket:|gist:|git@|ssh:)/.test(resolved)) return 'git';
  if (resolved.startsWith('file:')) return 'file';
  if (resolved.startsWith('link:')) return 'link';
  return 'file';
};

const licenseOf = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') {
    return (value as { type: string }).type;
  }
  return undefined;
};

const workspacePatterns = (value: PackageEntry['workspaces'] | Manifest['workspaces']): string[] => {
  if (!value) return [];
  return Array.isArray(value) ? value : (value.packages ?? []);
};

const nameFromKey = (key: string): string => {
  const at = key.lastIndexOf('node_modules/');
  return at === -1 ? posix.basename(key) : key.slice(at + 'node_modules/'.length);
};

const own = Object.hasOwn;

/**
 * Visits the declared dependencies once per name, with the type npm gives it when a name is
 * declared more than once: dev (top-level folders only) over optional over prod over peer.
 */
const eachDependency = (
  entry: Pick<PackageEntry, 'dependencies' | 'optionalDependencies' | 'peerDependencies' | 'devDependencies'>,
  topLevel: boolean,
  visit: (name: string, spec: string, type: EdgeType) => void,
): void => {
  const dev = topLevel ? entry.devDependencies : undefined;
  const optional = entry.optionalDependencies;
  const prod = entry.dependencies;
  const peer = entry.peerDependencies;
  if (dev) for (const name in dev) visit(name, dev[name] as string, 'dev');
  if (optional) {
    for (const name in optional)
      if (!(dev && own(dev, name))) visit(name, optional[name] as string, 'optional');
  }
  if (prod) {
    for (const name in prod) {
      if (!(dev && own(dev, name)) && !(optional && own(optional, name)))
        visit(name, prod[name] as string, 'prod');
    }
  }
  if (peer) {
    for (const name in peer) {
      if (!(dev && own(dev, name)) && !(optional && own(optional, name)) && !(prod && own(prod, name))) {
        visit(name, peer[name] as string, 'peer');
      }
    }
  }
};

const fromPackages = (
  lock: Lockfile,
  manifest: Manifest | undefined,
  path: string,
  root: string,
): Inventory => {
  const entries = lock.packages ?? {};
  // npm leaves `name` out of a workspace's entry; the link that points at it carries the name.
  const linkNames = new Map<string, string>();
  for (const key in entries) {
    checkKey(key, path);
    checkCanonical(key, path);
    const entry = entries[key] as PackageEntry;
    if (entry.link && entry.resolved !== undefined) {
      checkKey(entry.resolved, path);
      linkNames.set(entry.resolved, nameFromKey(key));
    }
  }
  const rootEntry = entries[''] ?? {};
  const patterns = workspacePatterns(rootEntry.workspaces ?? manifest?.workspaces).map(workspaceGlobMatcher);
  const isWorkspaceFolder = (key: string): boolean =>
    key !== '' && !isUnderModules(key) && patterns.some((match) => match(key));

  const packages = new Map<string, InventoryPackage>();
  const importers: Importer[] = [];
  const rootName = rootEntry.name ?? manifest?.name ?? lock.name ?? posix.basename(root);
  packages.set('', {
    id: '',
    name: rootName,
    version: rootEntry.version ?? manifest?.version ?? lock.version ?? '0.0.0',
    purl: undefined,
    integrity: undefined,
    resolved: undefined,
    source: 'root',
    scope: 'prod',
    bundled: false,
    alias: undefined,
    license: licenseOf(rootEntry.license),
  });
  importers.push({ id: '', name: rootName, path: '' });

  for (const key in entries) {
    const entry = entries[key] as PackageEntry;
    if (key === '' || entry.link) continue;
    const underModules = isUnderModules(key);
    const folderName = nameFromKey(key);
    const name = entry.name ?? (underModules ? folderName : (linkNames.get(key) ?? folderName));
    // An installed copy without a version is one npm could not fetch from outside the registry
    // (the schema allows no other): its version is its source, as lockfileVersion 1 writes it.
    const version = entry.version ?? (underModules ? (entry.resolved as string) : '0.0.0');
    let source: SourceKind;
    if (!underModules) source = isWorkspaceFolder(key) ? 'workspace' : 'file';
    else {
      source = sourceOf(entry.resolved, name, version);
      if (source === 'tarball') checkRegistryTarball(entry.resolved as string, key, name, version, path);
    }
    if (source === 'registry' && !isStrictVersion(version)) source = 'file';
    packages.set(key, {
      id: key,
      name,
      version,
      purl: source === 'registry' ? npmPurl(name, version) : undefined,
      integrity: entry.integrity,
      resolved: entry.resolved,
      source,
      scope: scopeOf(entry),
      bundled: entry.inBundle === true,
      alias: underModules && entry.name && entry.name !== folderName ? folderName : undefined,
      license: licenseOf(entry.license),
    });
    if (source === 'workspace') importers.push({ id: key, name, path: key });
  }

  const has = (key: string): boolean => key !== '' && own(entries, key);
  const target = (key: string): string | undefined => {
    const entry = entries[key];
    if (!entry?.link) return key;
    const resolved = entry.resolved;
    return resolved !== undefined && packages.has(resolved) ? resolved : undefined;
  };

  const edges: InventoryEdge[] = [];
  const missing: MissingDependency[] = [];
  const importerIds = new Set(importers.map((i) => i.id));
  for (const from of packages.keys()) {
    // Every folder outside node_modules (root, workspaces, linked `file:` folders) is installed
    // with its devDependencies.
    eachDependency(entries[from] ?? {}, from === '' || !isUnderModules(from), (name, spec, type) => {
      const found = resolveFrom(from, name, has);
      const to = found === undefined ? undefined : target(found);
      // Unmet dependencies (optional platform packages, peers left to the consumer, or what npm
      // calls "missing") install nothing, so they add no edge.
      if (to !== undefined) edges.push({ from, to, type, spec });
      else if (found === undefined && importerIds.has(from) && (type === 'prod' || type === 'dev')) {
        missing.push({ from, name, spec });
      }
    });
  }
  // The lockfile's root entry is npm's copy of package.json from the last install: a dependency
  // added to package.json since is in neither, so package.json itself is read too.
  // One added since, which another package's copy at the top level happens to satisfy, is not
  // in the root entry (npm ci takes it; scan sees that copy as transitive).
  const drifted: Drift[] = [];
  if (manifest) {
    const recorded = new Map<string, string>();
    eachDependency(rootEntry, true, (name, spec) => recorded.set(name, spec));
    eachDependency(manifest, true, (name, spec, type) => {
      const found = resolveFrom('', name, has);
      if ((type === 'prod' || type === 'dev') && found === undefined) {
        if (!missing.some((m) => m.from === '' && m.name === name)) missing.push({ from: '', name, spec });
        return;
      }
      const locked = recorded.get(name);
      const at = found === undefined ? undefined : target(found);
      const installed = at === undefined ? undefined : packages.get(at)?.version;
      const added = locked === undefined && own(entries, '') && type !== 'peer' && installed !== undefined;
      if ((locked !== undefined && locked !== spec) || added) {
        drifted.push({
          from: '',
          name,
          spec,
          ...(locked === undefined ? {} : { locked }),
          ...(installed === undefined ? {} : { installed }),
        });
      }
    });
  }
  return {
    root,
    lockfile: path,
    format: `npm-v${lock.lockfileVersion}`,
    importers,
    packages,
    edges,
    ...(missing.length > 0 ? { missing } : {}),
    ...(drifted.length > 0 ? { drifted } : {}),
  };
};

/** lockfileVersion 1: a nested `dependencies` tree; keys are rebuilt as v2-style install folders. */
const fromLegacy = (
  lock: Lockfile,
  manifest: Manifest | undefined,
  path: string,
  root: string,
  version: 1 | 2,
): Inventory => {
  const packages = new Map<string, InventoryPackage>();
  const requires = new Map<string, Record<string, string>>();
  const rootName = manifest?.name ?? lock.name ?? posix.basename(root);
  packages.set('', {
    id: '',
    name: rootName,
    version: manifest?.version ?? lock.version ?? '0.0.0',
    purl: undefined,
    integrity: undefined,
    resolved: undefined,
    source: 'root',
    scope: 'prod',
    bundled: false,
    alias: undefined,
    license: undefined,
  });

  const visit = (tree: Record<string, LegacyEntry>, parent: string): void => {
    for (const [folderName, entry] of Object.entries(tree)) {
      const key = parent === '' ? `node_modules/${folderName}` : `${parent}/node_modules/${folderName}`;
      checkKey(key, path);
      let name = folderName;
      let version = entry.version;
      let alias: string | undefined;
      const aliasMatch = /^npm:((?:@[^/]+\/)?[^@]+)@(.+)$/.exec(version);
      if (aliasMatch) {
        name = aliasMatch[1] as string;
        version = aliasMatch[2] as string;
        alias = folderName;
      }
      let source: SourceKind = isStrictVersion(version) ? sourceOf(entry.resolved, name, version) : 'file';
      if (!isStrictVersion(version)) {
        const kind = sourceOf(version, name, version);
        source = kind === 'registry' ? 'tarball' : kind;
      }
      packages.set(key, {
        id: key,
        name,
        version,
        purl: source === 'registry' ? npmPurl(name, version) : undefined,
        integrity: entry.integrity,
        resolved: entry.resolved ?? (source === 'registry' ? undefined : version),
        source,
        scope: scopeOf(entry),
        bundled: entry.bundled === true,
        alias,
        license: undefined,
      });
      if (entry.requires) requires.set(key, entry.requires);
      if (entry.dependencies) visit(entry.dependencies, key);
    }
  };
  visit(lock.dependencies ?? {}, '');

  const has = (key: string): boolean => packages.has(key) && key !== '';
  const edges: InventoryEdge[] = [];
  if (manifest) {
    eachDependency(manifest, true, (name, spec, type) => {
      const to = resolveFrom('', name, has);
      if (to !== undefined) edges.push({ from: '', to, type, spec });
    });
  }
  if (!manifest) {
    // Without package.json, every top-level entry counts as a direct dependency of the root.
    for (const key of packages.keys()) {
      if (key !== '' && !key.slice('node_modules/'.length).includes('/node_modules/')) {
        const pkg = packages.get(key) as InventoryPackage;
        const type = pkg.scope === 'dev' ? 'dev' : pkg.scope === 'optional' ? 'optional' : 'prod';
        edges.push({ from: '', to: key, type, spec: pkg.version });
      }
    }
  }
  for (const [from, deps] of requires) {
    for (const [name, spec] of Object.entries(deps)) {
      const to = resolveFrom(from, name, has);
      if (to !== undefined) edges.push({ from, to, type: 'prod', spec });
    }
  }
  return {
    root,
    lockfile: path,
    format: `npm-v${version}`,
    importers: [{ id: '', name: rootName, path: '' }],
    packages,
    edges,
  };
};
