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
import { registryTarball } from '../registry-tarball.js';
import { computeScopes } from '../scopes.js';
import type { LockfileInput } from '../source.js';
import { type Layout, refToKey, splitKey, stripParenSuffix } from './keys.js';
import { readYamlDocuments } from './yaml.js';

/**
 * pnpm's pnpm-lock.yaml, lockfileVersion 5.0-5.4 (pnpm 3-7), 6.0/6.1 (pnpm 8) and 9.0 (pnpm 9+).
 *
 * The `importers` section (or, in single-project v5/v6 lockfiles, the top-level dependency fields)
 * is the truth for what each project folder depends on; `packages` (v5/v6) or `snapshots` plus
 * `packages` (v9) give the resolved graph. Package ids are the lockfile keys without the leading
 * slash, so peer variants of one name@version stay distinct packages; `link:<folder>` for linked
 * folders that are no importer. Importer ids are '' for the root and `./<folder>` for the
 * others (`Importer.path` is the folder): no package key may start with `./` or `link:`, so
 * a folder named like a package key (`lodash@4.17.21`) cannot take that package's place. Scopes
 * are derived from the graph with `computeScopes`; packages no importer reaches are left out.
 *
 * pnpm 11+ may write two YAML documents: an "env" document first (configDependencies and
 * packageManagerDependencies) and the project's lockfile last. The last document is the project;
 * the env document's packages are added as dev dependencies of the root (tooling that pnpm installs
 * but the project does not ship).
 */
export const lockfileNames = ['pnpm-lock.yaml'] as const;

const supportedVersions = '5.0-5.4, 6.0, 6.1, 9.0';

type Dict = Record<string, unknown>;

const isDict = (value: unknown): value is Dict =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface DeclaredDependency {
  readonly name: string;
  readonly ref: string;
  readonly spec: string;
  readonly type: EdgeType;
}

interface PackageRecord {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly source: SourceKind;
  readonly integrity: string | undefined;
  readonly resolved: string | undefined;
  readonly dependencies: Dict | undefined;
  readonly optionalDependencies: Dict | undefined;
}

export const parsePnpmLockfile = (input: LockfileInput): Inventory => {
  const path = input.path;
  const docs = readYamlDocuments(input.content, path);
  const main = docs[docs.length - 1];
  if (!isDict(main)) {
    throw invalid(path, docs.length === 0 ? 'the file is empty' : 'the document is not a mapping');
  }
  const { layout, label } = checkVersion(main.lockfileVersion, path);
  const root = posix.dirname(path.split('\\').join('/'));
  const ctx = new Context(input, path, layout);

  // Importers: `importers` keyed by folder, or the top level of a single-project v5/v6 lockfile.
  const importerSections = new Map<string, Dict>();
  if (main.importers !== undefined) {
    const importers = dict(main.importers, path, ['importers']);
    /** Folder → the key that named it, to tell `a` and `a/` apart. */
    const keyOf = new Map<string, string>();
    for (const key in importers) {
      checkImporterKey(key, path);
      const folder = normaliseImporter(key);
      const earlier = keyOf.get(folder);
      if (earlier !== undefined) {
        throw invalid(
          path,
          `importers ${JSON.stringify(earlier)} and ${JSON.stringify(key)} name the same folder ${JSON.stringify(folder || '.')}`,
        );
      }
      keyOf.set(folder, key);
      importerSections.set(folder, dict(importers[key] ?? {}, path, ['importers', key]));
    }
  } else if (layout !== 'v9') {
    importerSections.set('', main);
  }
  if (!importerSections.has('')) importerSections.set('', {});

  for (const importerPath of importerSections.keys()) ctx.addImporter(importerPath);

  ctx.readPackages(main, false);
  const catalogs = isDict(main.catalogs) ? main.catalogs : undefined;

  // pnpm records an importer's dependency that an override covers with the override's value as
  // its specifier (`lodash: {specifier: 4.17.15}` for `"lodash": "^4.17.15"` and an override to
  // 4.17.15): the range the importer declares is its package.json's.
  const overridden = overrideValues(main.overrides);
  for (const [importerPath, section] of importerSections) {
    const declared = overridden.size > 0 ? ctx.manifestOf(importerPath)?.specs : undefined;
    for (const dep of declaredDependencies(section, path, importerPath, catalogs)) {
      const own = overridden.get(dep.name)?.has(dep.spec)
        ? declared?.get(`${dep.type}\u0000${dep.name}`)
        : undefined;
      ctx.addEdge(importerId(importerPath), importerPath, dep.name, dep.ref, dep.type, own ?? dep.spec);
    }
  }

  // The env document of pnpm 11+ (every document before the last): tooling installed for the root.
  for (let d = 0; d < docs.length - 1; d++) {
    const env = docs[d];
    if (!isDict(env)) continue;
    checkVersion(env.lockfileVersion, path);
    ctx.readPackages(env, true);
    const importers = isDict(env.importers) ? env.importers : {};
    const rootSection = isDict(importers['.']) ? importers['.'] : {};
    for (const field of ['configDependencies', 'packageManagerDependencies']) {
      const deps = rootSection[field];
      if (!isDict(deps)) continue;
      for (const name in deps) {
        const { ref, spec } = inlineDependency(deps[name], path, ['importers', '.', field, name]);
        ctx.addEdge('', '', name, ref, 'dev', spec);
      }
    }
  }

  ctx.addPackageEdges();
  return ctx.finish(root, label);
};

class Context {
  readonly packages = new Map<string, InventoryPackage>();
  readonly records = new Map<string, PackageRecord>();
  readonly importers: Importer[] = [];
  /** Importer folders ('' for the root). */
  readonly importerPaths = new Set<string>();
  /** Their ids (`importerId`). */
  private readonly importerIds = new Set<string>();
  readonly edges: InventoryEdge[] = [];
  /** Names a package is depended on under, to tell aliases. */
  private readonly referredAs = new Map<string, Set<string>>();
  /** Names dependents give a linked folder, for importers without a package.json. */
  private readonly linkNames = new Map<string, string>();

  constructor(
    private readonly input: LockfileInput,
    private readonly path: string,
    private readonly layout: Layout,
  ) {}

  addImporter(importerPath: string): void {
    this.importerPaths.add(importerPath);
    this.importerIds.add(importerId(importerPath));
  }

  /** Reads `packages` (v5/v6) or `snapshots` + `packages` (v9) of one document into records. */
  readPackages(doc: Dict, isEnv: boolean): void {
    const where = isEnv ? ['(env document)'] : [];
    const packages = doc.packages === undefined ? {} : dict(doc.packages, this.path, [...where, 'packages']);
    if (this.layout === 'v9') {
      const snapshots =
        doc.snapshots === undefined ? {} : dict(doc.snapshots, this.path, [...where, 'snapshots']);
      for (const key in snapshots) {
        if (this.records.has(key)) continue;
        const at = [...where, 'snapshots', key];
        const value = snapshots[key] ?? {};
        const snapshot = isDict(value) ? value : dict(value, this.path, at);
        const metaKey = stripParenSuffix(key);
        const meta = packages[metaKey];
        this.addRecord(key, at, isDict(meta) ? meta : {}, snapshot, true, [...where, 'packages', metaKey]);
      }
      return;
    }
    for (const key in packages) {
      const at = [...where, 'packages', key];
      const value = packages[key] ?? {};
      const entry = isDict(value) ? value : dict(value, this.path, at);
      const id = key.startsWith('/') ? key.slice(1) : key;
      if (this.records.has(id)) continue;
      this.addRecord(id, at, entry, entry, key.startsWith('/'));
    }
  }

  /**
   * A package of key path `at` (its section and key), read from its metadata (at `metaAt`, v9's
   * `packages` entry) and dependencies.
   */
  private addRecord(
    id: string,
    at: string[],
    meta: Dict,
    deps: Dict,
    registryStyle: boolean,
    metaAt: string[] = at,
  ): void {
    if (id.includes('\0')) throw invalid(this.path, `${describe(at)}: the key holds a NUL byte`);
    if (id.startsWith(importerIdPrefix) || id.startsWith('link:')) {
      throw invalid(this.path, `${describe(at)}: not a package key`);
    }
    const resolution = isDict(meta.resolution) ? meta.resolution : {};
    const tarball = str(resolution.tarball);
    const integrity = str(resolution.integrity);
    const metaName = str(meta.name);
    const metaVersion = str(meta.version);
    let name: string | undefined;
    let version: string | undefined;
    let keyVersion: string | undefined;
    if (registryStyle) {
      const split = splitKey(this.layout, id);
      if (!split) throw invalid(this.path, `${describe(at)}: not a package key`);
      name = split.name;
      keyVersion = split.version;
    }
    name = name ?? metaName ?? fallbackName(id);
    let source: SourceKind;
    let resolved: string | undefined;
    if (resolution.type === 'git') {
      source = 'git';
      const repo = str(resolution.repo) ?? '';
      const commit = str(resolution.commit);
      resolved = commit === undefined ? repo : `${repo}#${commit}`;
    } else if (resolution.type === 'directory' || str(resolution.directory) !== undefined) {
      source = 'file';
      resolved = `file:${str(resolution.directory) ?? ''}`;
    } else if (tarball?.startsWith('file:')) {
      source = 'file';
      resolved = tarball;
    } else if (tarball !== undefined && isHostedGitTarball(tarball)) {
      source = 'git';
      resolved = tarball;
    } else if (keyVersion !== undefined && isStrictVersion(keyVersion)) {
      source = 'registry';
      resolved = tarball;
    } else if (keyVersion?.startsWith('file:')) {
      source = 'file';
      resolved = keyVersion;
    } else if (tarball !== undefined) {
      source = 'tarball';
      resolved = tarball;
    } else if (id.startsWith('github.com/') || keyVersion?.startsWith('git')) {
      source = 'git';
      resolved = keyVersion ?? id;
    } else {
      source = 'file';
      resolved = keyVersion ?? id;
    }
    if (source === 'registry') {
      version = keyVersion;
      // pnpm fetches the tarball the resolution names: a registry URL naming another package or
      // version than the key would install that one while the key is what gets matched.
      const named = tarball === undefined ? undefined : registryTarball(tarball);
      if (named !== undefined && (named.name !== name || named.version !== version)) {
        throw invalid(
          this.path,
          `${describe([...metaAt, 'resolution'])}: its tarball URL names ${named.name}@${named.version} but the key says ${name}@${version}; pnpm installs what the URL names`,
        );
      }
    } else
      version =
        metaVersion ?? (keyVersion !== undefined && isStrictVersion(keyVersion) ? keyVersion : undefined);
    if (resolved?.includes('\0')) {
      throw invalid(this.path, `${describe([...at, 'resolution'])}: the path holds a NUL byte`);
    }
    if (version === undefined && source === 'file' && resolved?.startsWith('file:')) {
      version = this.manifestOf(resolved.slice('file:'.length))?.version;
    }
    this.records.set(id, {
      id,
      name,
      version: version ?? '0.0.0',
      source,
      integrity,
      resolved,
      dependencies: optionalDict(deps.dependencies, this.path, [...at, 'dependencies']),
      optionalDependencies: optionalDict(deps.optionalDependencies, this.path, [
        ...at,
        'optionalDependencies',
      ]),
    });
  }

  /** The manifest of a folder inside the project, never read for a path that leaves it. */
  manifestOf(
    folder: string,
  ): { name?: string; version?: string; license?: string; specs: ReadonlyMap<string, string> } | undefined {
    // Every caller checks its path first; a NUL byte must never reach a file name all the same.
    if (folder.includes('\0'))
      throw invalid(this.path, `${JSON.stringify(folder)}: the path holds a NUL byte`);
    const normal = posix.normalize(folder === '' ? '.' : folder);
    if (escapes(normal)) return undefined;
    const file = normal === '.' ? 'package.json' : `${normal}/package.json`;
    const content = this.input.readFile(file);
    if (content === undefined) return undefined;
    const full = posix.join(posix.dirname(this.path.split('\\').join('/')), file);
    const doc = parseJsonDocument(content, full, 'MANIFEST_INVALID');
    if (!isDict(doc)) {
      throw new PatchPilotError('MANIFEST_INVALID', `${full}: the document is not a JSON object`, {
        hint: 'fix this package.json',
      });
    }
    // Declared ranges by `type NUL name`, as the lockfile's sections type them.
    const specs = new Map<string, string>();
    for (const [field, type] of dependencyFields) {
      const deps = doc[field];
      if (!isDict(deps)) continue;
      for (const name in deps) {
        const spec = deps[name];
        if (typeof spec === 'string') specs.set(`${type}\u0000${name}`, spec);
      }
    }
    return { name: str(doc.name), version: str(doc.version), license: licenseOf(doc.license), specs };
  }

  /**
   * An edge from `from` (an importer folder or a package id) for dependency `name` at `ref`.
   * `base` is the folder `link:` references are relative to: the importer's, or the root for packages.
   */
  addEdge(from: string, base: string, name: string, ref: string, type: EdgeType, spec: string): void {
    if (ref.startsWith('link:')) {
      if (ref.includes('\0')) {
        throw invalid(
          this.path,
          `${this.describeFrom(from)}: dependency ${JSON.stringify(name)}: the link path holds a NUL byte`,
        );
      }
      const target = linkTarget(base, ref.slice('link:'.length));
      if (this.importerPaths.has(target)) {
        if (!this.linkNames.has(target)) this.linkNames.set(target, name);
        this.edges.push({ from, to: importerId(target), type, spec });
        return;
      }
      const id = `link:${target}`;
      if (!this.records.has(id)) {
        const manifest = escapes(target) ? undefined : this.manifestOf(target);
        this.records.set(id, {
          id,
          name: manifest?.name ?? name,
          version: manifest?.version ?? '0.0.0',
          source: 'link',
          integrity: undefined,
          resolved: `link:${target}`,
          dependencies: undefined,
          optionalDependencies: undefined,
        });
      }
      this.edges.push({ from, to: id, type, spec });
      return;
    }
    const key = refToKey(this.layout, name, ref);
    if (key === undefined || !this.records.has(key)) {
      // pnpm refuses such a lockfile ("broken lockfile: no entry for …"), except that it may leave
      // out optional dependencies it skipped.
      if (type === 'optional') return;
      throw invalid(
        this.path,
        `${this.describeFrom(from)}: dependency ${JSON.stringify(name)} resolves to ${JSON.stringify(key ?? ref)}, which has no entry in the lockfile`,
      );
    }
    let names = this.referredAs.get(key);
    if (!names) {
      names = new Set();
      this.referredAs.set(key, names);
    }
    names.add(name);
    if (name !== this.records.get(key)?.name) this.edges.push({ from, to: key, type, spec, alias: name });
    else this.edges.push({ from, to: key, type, spec });
  }

  /** An importer (by its folder) or a package, for messages. */
  private describeFrom(from: string): string {
    if (!this.importerIds.has(from)) return `package ${JSON.stringify(from)}`;
    return `importer ${JSON.stringify(from === '' ? '.' : from.slice(importerIdPrefix.length))}`;
  }

  addPackageEdges(): void {
    for (const record of [...this.records.values()]) {
      const { dependencies, optionalDependencies } = record;
      if (dependencies) {
        for (const name in dependencies) {
          const ref = dependencies[name];
          if (optionalDependencies && Object.hasOwn(optionalDependencies, name)) continue;
          if (typeof ref !== 'string') throw this.badRef(record.id, 'dependencies', name);
          this.addEdge(record.id, '', name, ref, 'prod', ref);
        }
      }
      if (optionalDependencies) {
        for (const name in optionalDependencies) {
          const ref = optionalDependencies[name];
          if (typeof ref !== 'string') throw this.badRef(record.id, 'optionalDependencies', name);
          this.addEdge(record.id, '', name, ref, 'optional', ref);
        }
      }
    }
  }

  private badRef(id: string, field: string, name: string): PatchPilotError {
    return invalid(
      this.path,
      `${describe([this.layout === 'v9' ? 'snapshots' : 'packages', id, field, name])}: expected a version string`,
    );
  }

  finish(root: string, label: string): Inventory {
    const packages = new Map<string, InventoryPackage>();
    const importers: Importer[] = [];
    for (const importerPath of this.importerPaths) {
      const manifest = this.manifestOf(importerPath);
      const name =
        manifest?.name ??
        this.linkNames.get(importerPath) ??
        posix.basename(importerPath === '' ? root : importerPath);
      const id = importerId(importerPath);
      importers.push({ id, name, path: importerPath });
      packages.set(id, {
        id,
        name,
        version: manifest?.version ?? '0.0.0',
        purl: undefined,
        integrity: undefined,
        resolved: undefined,
        source: importerPath === '' ? 'root' : 'workspace',
        scope: 'prod',
        bundled: false,
        alias: undefined,
        license: manifest?.license,
      });
    }
    const { scopes, unreachable } = computeScopes(this.records.keys(), importers, this.edges);
    for (const record of this.records.values()) {
      const scope = scopes.get(record.id);
      if (scope === undefined || unreachable.has(record.id)) continue;
      const names = this.referredAs.get(record.id);
      const only = names && names.size === 1 ? (names.values().next().value as string) : undefined;
      packages.set(record.id, {
        id: record.id,
        name: record.name,
        version: record.version,
        purl: record.source === 'registry' ? npmPurl(record.name, record.version) : undefined,
        integrity: record.integrity,
        resolved: record.resolved,
        source: record.source,
        scope,
        bundled: false,
        alias: only !== undefined && only !== record.name ? only : undefined,
        license: undefined,
      });
    }
    const edges = this.edges.filter((e) => packages.has(e.from) && packages.has(e.to));
    return { root, lockfile: this.path, format: `pnpm-v${label}`, importers, packages, edges };
  }
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const licenseOf = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (isDict(value) && typeof value.type === 'string') return value.type;
  return undefined;
};

const fallbackName = (id: string): string => {
  const cleaned = stripParenSuffix(id)
    .replace(/^file:/, '')
    .replace(/[?#].*$/, '');
  return posix.basename(cleaned).replace(/\.t(?:ar\.)?gz$/, '') || id;
};

/** Tarballs of git hosts (pnpm resolves hosted git dependencies to these). */
const isHostedGitTarball = (url: string): boolean =>
  /^https?:\/\/(?:codeload\.github\.com\/|gitlab\.com\/[^?#]*\/-\/archive\/|bitbucket\.org\/[^?#]*\/get\/)/.test(
    url,
  );

const escapes = (normal: string): boolean =>
  normal === '..' || normal.startsWith('../') || posix.isAbsolute(normal) || /^[A-Za-z]:/.test(normal);

/** The folder a `link:` reference names, relative to the project root (or leaving it). */
const linkTarget = (base: string, relative: string): string => {
  const target = relative.split('\\').join('/');
  if (posix.isAbsolute(target) || /^[A-Za-z]:/.test(target)) return target;
  const joined = posix.normalize(posix.join(base === '' ? '.' : base, target));
  return joined === '.' ? '' : joined.replace(/\/$/, '');
};

const importerIdPrefix = './';

/** An importer's id: '' for the root, `./<folder>` for the others. */
const importerId = (folder: string): string => (folder === '' ? '' : `${importerIdPrefix}${folder}`);

/** An importer key's folder: `.`, `./` → ''; `./a`, `a/`, `a//` → `a`. */
const normaliseImporter = (key: string): string => {
  const normal = posix.normalize(key).replace(/\/+$/, '');
  return normal === '.' || normal === '' ? '' : normal;
};

const checkImporterKey = (key: string, path: string): void => {
  if (key.includes('\0')) throw invalid(path, `importer ${JSON.stringify(key)}: the key holds a NUL byte`);
  const normal = posix.normalize(key.split('\\').join('/'));
  if (key.includes('\\') || escapes(normal) || key.split('/').includes('..')) {
    throw new PatchPilotError(
      'LOCKFILE_KEY_ESCAPES',
      `${path}: importer ${JSON.stringify(key)} points outside the project`,
      {
        hint: 'a lockfile importer may only name folders inside the project; refusing to read this lockfile',
      },
    );
  }
};

const checkVersion = (value: unknown, path: string): { layout: Layout; label: string } => {
  let label: string | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) {
    label = Number.isInteger(value) ? `${value}.0` : String(value);
  } else if (typeof value === 'string') label = value;
  if (label !== undefined) {
    if (/^5\.[0-4]$/.test(label)) return { layout: 'v5', label };
    if (label === '6.0' || label === '6.1') return { layout: 'v6', label };
    if (label === '9.0') return { layout: 'v9', label };
  }
  throw new PatchPilotError(
    'LOCKFILE_UNSUPPORTED_VERSION',
    value === undefined
      ? `${path}: lockfileVersion is missing (supported: ${supportedVersions})`
      : `${path}: lockfileVersion ${JSON.stringify(value)} is not supported (supported: ${supportedVersions})`,
    { hint: 'regenerate the lockfile with pnpm 7, 8 or 9 and later, or report the new version' },
  );
};

const dependencyFields: readonly [string, EdgeType][] = [
  ['dependencies', 'prod'],
  ['devDependencies', 'dev'],
  ['optionalDependencies', 'optional'],
];

/** The direct dependencies of one importer section. */
const declaredDependencies = (
  section: Dict,
  path: string,
  importerPath: string,
  catalogs: Dict | undefined,
): DeclaredDependency[] => {
  const out: DeclaredDependency[] = [];
  const at = importerPath === '' ? ['importers', '.'] : ['importers', importerPath];
  const specifiers = isDict(section.specifiers) ? section.specifiers : {};
  for (const [field, type] of dependencyFields) {
    const value = section[field];
    if (value === undefined || value === null) continue;
    const deps = dict(value, path, [...at, field]);
    for (const name in deps) {
      const entry = deps[name];
      if (typeof entry === 'string') {
        // v5: `name: ref`, with the range in `specifiers`.
        const spec = specifiers[name];
        out.push({ name, ref: entry, spec: typeof spec === 'string' ? spec : entry, type });
      } else {
        let { ref, spec } = inlineDependency(entry, path, [...at, field, name], true);
        if (ref === '' && spec.startsWith('catalog:')) ref = catalogVersion(catalogs, spec, name) ?? '';
        if (ref === '') throw invalid(path, `${describe([...at, field, name])}: no version`);
        out.push({ name, ref, spec, type });
      }
    }
  }
  return out;
};

/**
 * The values of a lockfile's `overrides` (pnpm copies `pnpm.overrides` there) that can reach an
 * importer's own dependency, by package name: entries without a parent (`lodash`, `lodash@<4`).
 */
const overrideValues = (overrides: unknown): ReadonlyMap<string, ReadonlySet<string>> => {
  const values = new Map<string, Set<string>>();
  if (isDict(overrides))
    for (const key in overrides) {
      const value = overrides[key];
      if (typeof value !== 'string' || key.includes('>')) continue;
      const at = key.indexOf('@', 1);
      const name = at === -1 ? key : key.slice(0, at);
      const set = values.get(name) ?? new Set<string>();
      set.add(value);
      values.set(name, set);
    }
  return values;
};

/** A v6/v9 `{ specifier, version }` entry. */
const inlineDependency = (
  entry: unknown,
  path: string,
  at: string[],
  allowMissingVersion = false,
): { ref: string; spec: string } => {
  if (!isDict(entry)) throw invalid(path, `${describe(at)}: expected { specifier, version }`);
  const ref = entry.version;
  const spec = entry.specifier;
  if (typeof ref !== 'string' && !(allowMissingVersion && ref === undefined)) {
    throw invalid(path, `${describe(at)}: "version" must be a string`);
  }
  return {
    ref: typeof ref === 'string' ? ref : '',
    spec: typeof spec === 'string' ? spec : String(ref ?? ''),
  };
};

const catalogVersion = (catalogs: Dict | undefined, spec: string, name: string): string | undefined => {
  const catalogName = spec.slice('catalog:'.length) || 'default';
  const catalog = catalogs?.[catalogName];
  const entry = isDict(catalog) ? catalog[name] : undefined;
  return isDict(entry) ? str(entry.version) : undefined;
};

const describe = (at: readonly string[]): string => at.map((p) => JSON.stringify(p)).join(' → ');

/** A mapping that may be left out (or null); anything else is an error. */
const optionalDict = (value: unknown, path: string, at: string[]): Dict | undefined =>
  value === undefined || value === null ? undefined : dict(value, path, at);

const dict = (value: unknown, path: string, at: string[]): Dict => {
  if (isDict(value)) return value;
  throw invalid(path, `${describe(at)}: expected a mapping`);
};

const invalid = (path: string, detail: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_INVALID', `${path}: ${detail}`, {
    hint: 'the lockfile does not have the shape pnpm writes; regenerate it with pnpm install',
  });
