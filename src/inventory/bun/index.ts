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
import { semver } from '../lazy.js';
import { computeScopes } from '../scopes.js';
import type { LockfileInput } from '../source.js';
import { parseJsoncDocument } from './jsonc.js';
import {
  checkLockfile,
  checkPackageInfo,
  checkWorkspace,
  type DependencyGroups,
  type Lockfile,
  type PackageInfo,
  ShapeError,
  type WorkspaceEntry,
} from './schema.js';

/**
 * bun's text lockfile, bun.lock (bun 1.1.39 and later; the default since bun 1.2). The binary
 * bun.lockb is not read.
 *
 * lockfileVersion 0 (written by bun 1.1.x, checked with 1.1.40) repeats each workspace's
 * dependencies in its `packages` entry; 1 (bun 1.2.0) stopped that (`["name@workspace:path"]`);
 * 2 (bun 1.4.5) only parses more strictly; 3 is 2 plus object-valued (scoped) `overrides`. The
 * content PatchPilot reads is the same in all four (bun's src/install/lockfile/bun.lock.rs,
 * `enum Version`).
 *
 * `packages` keys are install paths made of package names: `debug` is node_modules/debug,
 * `debug/ms` is node_modules/debug/node_modules/ms, and `<workspace name>/ms` is the workspace's
 * own node_modules/ms. Dependencies resolve as bun resolves them when it loads the lockfile.
 *
 * Inventory ids: the root is '', a package its `packages` key, a workspace `./<folder>` (its
 * `Importer.path` is the plain folder). A key never has a `.` segment, so a workspace in folder
 * `config` and the registry package keyed `config` stay two.
 */
export const lockfileNames = ['bun.lock'] as const;

const supportedVersions = [0, 1, 2, 3] as const;

const DEFAULT_REGISTRY = 'https://registry.npmjs.org';

type Kind =
  | 'npm'
  | 'workspace'
  | 'folder'
  | 'link'
  | 'git'
  | 'github'
  | 'remoteTarball'
  | 'localTarball'
  | 'root';

export const parseBunLockfile = (input: LockfileInput): Inventory => {
  const path = input.path;
  const doc = parseJsoncDocument(input.content, path, 'LOCKFILE_INVALID_JSON');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalid(path, 'the document is not a JSON object');
  }
  const version = (doc as { lockfileVersion?: unknown }).lockfileVersion;
  if (!(supportedVersions as readonly unknown[]).includes(version)) {
    const known = supportedVersions.join(', ');
    throw new PatchPilotError(
      'LOCKFILE_UNSUPPORTED_VERSION',
      version === undefined
        ? `${path}: lockfileVersion is missing (known: ${known})`
        : `${path}: lockfileVersion ${JSON.stringify(version)} is not supported (known: ${known})`,
      { hint: 'regenerate the lockfile with bun 1.2 or later, or report the new version' },
    );
  }
  const lock = shaped(path, () => checkLockfile(doc as Record<string, unknown>));
  return new BunInventoryBuilder(input, lock).build();
};

const invalid = (path: string, detail: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_INVALID', `${path}: ${detail}`, {
    hint: 'the lockfile does not have the shape bun writes; regenerate it with `bun install`',
  });

const shaped = <T>(path: string, check: () => T): T => {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    const where = error.at.map((p) => JSON.stringify(p)).join(' → ') || '(document)';
    throw invalid(path, `${where}: ${error.message}`);
  }
};

const escapes = (path: string, what: string, value: string): PatchPilotError =>
  new PatchPilotError(
    'LOCKFILE_KEY_ESCAPES',
    `${path}: ${what} ${JSON.stringify(value)} points outside the project`,
    { hint: 'a lockfile entry may only name folders inside the project; refusing to read this lockfile' },
  );

/** True when a relative POSIX path stays inside the project (no `..`, not absolute, no drive). */
const staysInside = (value: string): boolean =>
  !value.startsWith('/') &&
  !value.includes('\\') &&
  !/^[A-Za-z]:/.test(value) &&
  !value.split('/').includes('..') &&
  !value.includes('\0');

/** More packages nested in one another than this is no install bun made; refused, not walked. */
export const MAX_KEY_DEPTH = 1000;

/** A long value for an error message: its start, quoted. */
const quoted = (value: string): string =>
  value.length <= 120 ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 120))}…`;

/**
 * A package name or `packages` key as its package-name segments (`@scope/name` counts as one):
 * `a/@s/b/c` → [`a`, `@s/b`, `c`]; undefined when a segment is empty, `.` or a lone scope.
 */
const segmentsOf = (text: string): string[] | undefined => {
  const parts = text.split('/');
  const segments: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '' || part === '.') return undefined;
    if (part.startsWith('@')) {
      const next = parts[i + 1];
      if (next === undefined || next === '' || next === '.') return undefined;
      segments.push(`${part}/${next}`);
      i++;
    } else segments.push(part);
  }
  return segments;
};

/** A `packages` key as its package-name segments, refusing keys bun cannot have written. */
const keySegments = (key: string, path: string): string[] => {
  if (!staysInside(key)) throw escapes(path, 'key', key);
  const segments = segmentsOf(key);
  if (segments === undefined) throw invalid(path, `"packages" → ${JSON.stringify(key)}: invalid key`);
  if (segments.length > MAX_KEY_DEPTH) {
    throw invalid(
      path,
      `"packages" → ${quoted(key)}: the key nests ${segments.length} packages (at most ${MAX_KEY_DEPTH} are read)`,
    );
  }
  return segments;
};

/**
 * A workspace folder as the lockfile writes it, normalised (`./a/` and `a//` are `a`); '' for the
 * root's aliases (`.`, `./`). Only for folders that stay inside the project.
 */
const normalizeFolder = (folder: string): string => {
  const normal = posix.normalize(folder).replace(/\/+$/, '');
  return normal === '.' || normal === '' ? '' : normal;
};

/**
 * The inventory id of the workspace in `folder` (normalised, not the root): `./<folder>`. A
 * `packages` key never has a `.` segment, so a workspace and a package never share an id, whatever
 * the folder and the package are called; the root stays ''.
 */
const workspaceId = (folder: string): string => `./${folder}`;

/**
 * One install path in the `packages` tree: the keys are paths of package names, and a dependency
 * is looked up under each ancestor of its dependent. Intermediate nodes need not be keys.
 */
interface KeyNode {
  readonly parent: KeyNode | undefined;
  readonly children: Map<string, KeyNode>;
  /** The inventory id this key stands for: the key, a workspace's id, or '' for the root. */
  target: string | undefined;
}

const newNode = (parent: KeyNode | undefined): KeyNode => ({
  parent,
  children: new Map(),
  target: undefined,
});

/** The node at `segments` below `from`, if the tree has it. */
const descend = (from: KeyNode, segments: readonly string[]): KeyNode | undefined => {
  let node: KeyNode | undefined = from;
  for (const segment of segments) {
    node = node.children.get(segment);
    if (node === undefined) return undefined;
  }
  return node;
};

/** `name@resolution`, the name possibly scoped; `@root:` is the root package (empty name). */
const splitNameAndResolution = (text: string): [string, string] | undefined => {
  if (text.startsWith('@root:')) return ['', text.slice(1)];
  const at = text.indexOf('@', 1);
  if (at <= 0) return undefined;
  return [text.slice(0, at), text.slice(at + 1)];
};

/** Resolution kinds as bun's `Resolution.fromTextLockfile` infers them (src/install/resolution.zig). */
const kindOf = (resolution: string): Kind | undefined => {
  if (resolution.startsWith('root:')) return 'root';
  if (resolution.startsWith('link:')) return 'link';
  if (resolution.startsWith('workspace:')) return 'workspace';
  if (resolution.startsWith('file:')) return 'folder';
  if (resolution.startsWith('github:')) return 'github';
  if (/^(git\+|git:\/\/|git@|ssh:\/\/)/.test(resolution)) return 'git';
  if (/^https?:\/\//i.test(resolution)) return 'remoteTarball';
  if (/\.(tgz|tar\.gz|tar)$/i.test(resolution)) return 'localTarball';
  if (isStrictVersion(resolution)) return 'npm';
  return undefined;
};

/** The basename of a (possibly scoped) package name, as registries name its tarballs. */
const tarballBase = (name: string): string =>
  name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;

const registryTarball = (registry: string, name: string, version: string): string =>
  `${registry}/${name}/-/${tarballBase(name)}-${version}.tgz`;

/**
 * The version of a registry-shaped tarball URL (`…/<name>/-/<basename>-<version>.tgz`), which
 * npm's parser also counts as a registry package; undefined for any other URL.
 */
const registryTarballVersion = (url: string, name: string): string | undefined => {
  const clean = url.split(/[?#]/)[0] ?? url;
  const marker = `/${name}/-/${tarballBase(name)}-`;
  const at = clean.lastIndexOf(marker);
  if (at === -1 || !clean.endsWith('.tgz')) return undefined;
  const version = clean.slice(at + marker.length, -'.tgz'.length);
  return isStrictVersion(version) ? version : undefined;
};

const own = Object.hasOwn;

/**
 * Visits the declared dependencies once per name, with the group bun keeps when a name is
 * declared more than once: dev, then optional, then prod, then peer.
 */
const eachDependency = (
  groups: DependencyGroups,
  visit: (name: string, spec: string, type: EdgeType, optionalPeer: boolean) => void,
): void => {
  const { devDependencies: dev, optionalDependencies: optional, dependencies: prod } = groups;
  const peer = groups.peerDependencies;
  const optionalPeers = new Set(groups.optionalPeers ?? []);
  if (dev) for (const name in dev) visit(name, dev[name] as string, 'dev', false);
  if (optional) {
    for (const name in optional) {
      if (!(dev && own(dev, name))) visit(name, optional[name] as string, 'optional', false);
    }
  }
  if (prod) {
    for (const name in prod) {
      if (!(dev && own(dev, name)) && !(optional && own(optional, name))) {
        visit(name, prod[name] as string, 'prod', false);
      }
    }
  }
  if (peer) {
    for (const name in peer) {
      if (!(dev && own(dev, name)) && !(optional && own(optional, name)) && !(prod && own(prod, name))) {
        visit(name, peer[name] as string, 'peer', optionalPeers.has(name));
      }
    }
  }
};

interface ParsedPackage {
  readonly key: string;
  readonly kind: Kind;
  readonly name: string;
  /** The key's node in the `packages` tree. */
  readonly node: KeyNode;
  readonly info: PackageInfo;
}

class BunInventoryBuilder {
  private readonly path: string;
  private readonly root: string;
  private readonly packages = new Map<string, InventoryPackage>();
  private readonly importers: Importer[] = [];
  private readonly edges: InventoryEdge[] = [];
  /** Every `packages` key, as a tree of package-name segments, with the inventory id it resolves to. */
  private readonly tree: KeyNode = newNode(undefined);
  private readonly parsed: ParsedPackage[] = [];
  /** Real package name → the ids of the registry packages of that name, in lockfile order. */
  private readonly byName = new Map<string, string[]>();
  /** Normalised workspace folder ('' for the root) → importer id. */
  private readonly workspaceByPath = new Map<string, string>([['', '']]);
  /** Importer id → the dependency names already declared (the root may be declared twice). */
  private readonly declared = new Map<string, Set<string>>();

  constructor(
    private readonly input: LockfileInput,
    private readonly lock: Lockfile,
  ) {
    this.path = input.path;
    this.root = posix.dirname(input.path.split('\\').join('/'));
  }

  build(): Inventory {
    const workspaces = this.readWorkspaces();
    this.readPackages();
    for (const [id, entry] of workspaces) this.addImporterEdges(id, entry);
    for (const pkg of this.parsed) this.addPackageEdges(pkg);

    const { scopes, unreachable } = computeScopes(this.packages.keys(), this.importers, this.edges);
    const packages = new Map<string, InventoryPackage>();
    for (const [id, pkg] of this.packages) {
      if (unreachable.has(id)) continue;
      packages.set(id, { ...pkg, scope: scopes.get(id) ?? pkg.scope });
    }
    const edges = this.edges.filter((e) => packages.has(e.from) && packages.has(e.to));
    return {
      root: this.root,
      lockfile: this.path,
      format: `bun-v${this.lock.lockfileVersion}`,
      importers: this.importers,
      packages,
      edges,
    };
  }

  /**
   * The importers: the root ('', path '') and each workspace (id `./<folder>`, path its folder),
   * with the entries that declare their dependencies. bun accepts the root under an alias too
   * (`./`, `.`): that entry declares more of the root's dependencies, not another importer.
   */
  private readWorkspaces(): [string, WorkspaceEntry][] {
    const result: [string, WorkspaceEntry][] = [];
    const rootEntry = shaped(this.path, () => checkWorkspace(this.lock.workspaces[''], ['workspaces', '']));
    const manifest = this.readManifest('package.json');
    const rootName = rootEntry.name ?? manifest.name ?? posix.basename(this.root);
    this.addImporter('', '', rootName, manifest.version ?? '0.0.0', 'root');
    result.push(['', rootEntry]);
    const keyOf = new Map<string, string>([['', '']]);
    for (const key in this.lock.workspaces) {
      if (key === '') continue;
      const entry = shaped(this.path, () => checkWorkspace(this.lock.workspaces[key], ['workspaces', key]));
      if (!staysInside(key)) throw escapes(this.path, 'workspace', key);
      const folder = normalizeFolder(key);
      if (folder === '') {
        result.push(['', entry]);
        continue;
      }
      const same = keyOf.get(folder);
      if (same !== undefined) {
        throw invalid(
          this.path,
          `"workspaces" → ${JSON.stringify(key)}: the same folder as ${JSON.stringify(same)}`,
        );
      }
      keyOf.set(folder, key);
      if (entry.name === undefined)
        throw invalid(this.path, `"workspaces" → ${JSON.stringify(key)}: no name`);
      const version = entry.version ?? this.readManifest(`${folder}/package.json`).version ?? '0.0.0';
      const id = workspaceId(folder);
      this.addImporter(id, folder, entry.name, version, 'workspace');
      this.workspaceByPath.set(folder, id);
      result.push([id, entry]);
    }
    return result;
  }

  private addImporter(
    id: string,
    folder: string,
    name: string,
    version: string,
    source: 'root' | 'workspace',
  ): void {
    this.importers.push({ id, name, path: folder });
    this.packages.set(id, {
      id,
      name,
      version,
      purl: undefined,
      integrity: undefined,
      resolved: undefined,
      source,
      scope: 'prod',
      bundled: false,
      alias: undefined,
      license: undefined,
    });
  }

  /** A package.json's name and version, when the file exists (bun accepts comments in it too). */
  private readManifest(relativePath: string): { name?: string | undefined; version?: string | undefined } {
    const content = this.input.readFile(relativePath);
    if (content === undefined) return {};
    const doc = parseJsoncDocument(content, posix.join(this.root, relativePath), 'MANIFEST_INVALID');
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return {};
    const { name, version } = doc as { name?: unknown; version?: unknown };
    return {
      name: typeof name === 'string' ? name : undefined,
      version: typeof version === 'string' ? version : undefined,
    };
  }

  private readPackages(): void {
    const path = this.path;
    for (const key in this.lock.packages) {
      const segments = keySegments(key, path);
      let node = this.tree;
      for (const segment of segments) {
        let child = node.children.get(segment);
        if (child === undefined) {
          child = newNode(node);
          node.children.set(segment, child);
        }
        node = child;
      }
      const value = this.lock.packages[key] as readonly unknown[];
      const at = (index: number): string => `"packages" → ${JSON.stringify(key)} → ${index}`;
      const head = value[0];
      const split = typeof head === 'string' ? splitNameAndResolution(head) : undefined;
      if (!split) throw invalid(path, `${at(0)}: expected "name@resolution"`);
      const [name, resolution] = split;
      const kind = kindOf(resolution);
      if (kind === undefined)
        throw invalid(path, `${at(0)}: unexpected resolution ${JSON.stringify(resolution)}`);

      if (kind === 'root') {
        node.target = '';
        continue;
      }
      if (kind === 'workspace') {
        const folder = resolution.slice('workspace:'.length);
        if (!staysInside(folder)) throw escapes(path, 'workspace', folder);
        const id = this.workspaceByPath.get(normalizeFolder(folder));
        if (id === undefined) throw invalid(path, `${at(0)}: unknown workspace ${JSON.stringify(folder)}`);
        node.target = id;
        continue;
      }

      // [name@version, registry, info, integrity] for npm; [name@spec, info, ...] for the others.
      let index = 1;
      let registry: string | undefined;
      if (kind === 'npm') {
        registry = value[index++] as string;
        if (typeof registry !== 'string') throw invalid(path, `${at(1)}: expected the registry (a string)`);
      }
      const infoIndex = index++;
      const info = shaped(path, () => checkPackageInfo(value[infoIndex], ['packages', key, infoIndex]));
      let bunTag: string | undefined;
      if (kind === 'git' || kind === 'github') {
        bunTag = value[index++] as string;
        if (typeof bunTag !== 'string')
          throw invalid(path, `${at(index - 1)}: expected the git tag (a string)`);
      }
      const integrityValue = value[index];
      if (kind === 'npm' && typeof integrityValue !== 'string') {
        throw invalid(path, `${at(index)}: expected the integrity (a string)`);
      }
      const integrity =
        typeof integrityValue === 'string' && integrityValue !== '' ? integrityValue : undefined;

      const folderName = segments[segments.length - 1] as string;
      let version = '0.0.0';
      let source: SourceKind;
      let resolved: string | undefined = resolution;
      switch (kind) {
        case 'npm':
          version = resolution;
          source = 'registry';
          resolved = registry === '' ? registryTarball(DEFAULT_REGISTRY, name, version) : registry;
          break;
        case 'remoteTarball': {
          const fromUrl = registryTarballVersion(resolution, name);
          source = fromUrl === undefined ? 'tarball' : 'registry';
          version = fromUrl ?? '0.0.0';
          break;
        }
        case 'localTarball':
          source = 'file';
          break;
        case 'git':
        case 'github':
          source = 'git';
          resolved = bunTag ? `${resolution.replace(/#.*$/, '')}#${bunTag}` : resolution;
          break;
        case 'link':
          source = 'link';
          break;
        default: {
          source = 'file';
          const folder = resolution.slice('file:'.length);
          // A folder outside the project is legitimate for bun; it is only not read.
          if (staysInside(folder) && !posix.isAbsolute(folder)) {
            version = this.readManifest(posix.join(folder, 'package.json')).version ?? '0.0.0';
          }
        }
      }
      node.target = key;
      this.parsed.push({ key, kind, name, node, info });
      this.packages.set(key, {
        id: key,
        name,
        version,
        purl: source === 'registry' ? npmPurl(name, version) : undefined,
        integrity,
        resolved,
        source,
        scope: 'prod',
        bundled: info.bundled === true,
        alias: name !== folderName ? folderName : undefined,
        license: undefined,
      });
      if (source === 'registry') {
        const list = this.byName.get(name);
        if (list) list.push(key);
        else this.byName.set(name, [key]);
      }
    }
  }

  private addImporterEdges(id: string, entry: WorkspaceEntry): void {
    // The root reads only hoisted keys; a workspace its own `<name>/dep` first (bun.lock.zig,
    // "then workspace dependencies are resolved").
    const prefix = id === '' ? undefined : segmentsOf((this.packages.get(id) as InventoryPackage).name);
    const home = prefix === undefined ? undefined : descend(this.tree, prefix);
    const seen = this.declared.get(id) ?? new Set<string>();
    this.declared.set(id, seen);
    eachDependency(entry, (name, spec, type, optionalPeer) => {
      // A name the root's alias declares again is the root's own declaration.
      if (seen.has(name)) return;
      seen.add(name);
      this.addEdge(id, name, spec, type, optionalPeer, home === undefined ? [this.tree] : [home, this.tree]);
    });
  }

  private addPackageEdges(pkg: ParsedPackage): void {
    // bun's PkgMap.findResolution: `<key>/<name>`, then each parent path, then the hoisted `<name>`.
    const ancestors: KeyNode[] = [];
    for (let node: KeyNode | undefined = pkg.node; node !== undefined; node = node.parent)
      ancestors.push(node);
    eachDependency(pkg.info, (name, spec, type, optionalPeer) => {
      this.addEdge(pkg.key, name, spec, type, optionalPeer, ancestors);
    });
  }

  /** Adds the edge to `name` as found below the first of `under` that has it. */
  private addEdge(
    from: string,
    name: string,
    spec: string,
    type: EdgeType,
    optionalPeer: boolean,
    under: readonly KeyNode[],
  ): void {
    const segments = segmentsOf(name);
    let byPath: string | undefined;
    if (segments !== undefined) {
      for (const node of under) {
        const found = descend(node, segments)?.target;
        if (found !== undefined) {
          byPath = found;
          break;
        }
      }
    }
    // A name that is a workspace resolves to the workspace whatever the range (bun links them).
    const byVersion =
      type === 'peer' && !optionalPeer && !(byPath !== undefined && this.isImporter(byPath))
        ? this.peerByVersion(name, spec, byPath)
        : undefined;
    const to = byVersion ?? byPath;
    // Unresolved optional dependencies and peers install nothing, so they add no edge; bun
    // itself refuses a lockfile with another unresolved dependency, so none is expected.
    if (to === undefined || to === from) return;
    // An optional peer is only ever satisfied by what something else installs.
    const edgeType = optionalPeer ? 'optional' : type;
    if (name !== this.packages.get(to)?.name)
      this.edges.push({ from, to, type: edgeType, spec, alias: name });
    else this.edges.push({ from, to, type: edgeType, spec });
  }

  /**
   * Current bun (`resolve_peer_dep_version_based` in bun.lock.rs) binds a required peer by version, not
   * by path: the highest version of that name that satisfies the range, else the highest one.
   * Overridden names, `*` ranges and non-registry specs keep the path walk.
   */
  private peerByVersion(name: string, spec: string, byPath: string | undefined): string | undefined {
    let target = name;
    let range = this.catalogRange(name, spec);
    const alias = /^npm:((?:@[^/@]+\/)?[^@]+)(?:@(.*))?$/.exec(range);
    if (alias) {
      target = alias[1] as string;
      range = alias[2] ?? '*';
    }
    if (
      this.overridden(target) ||
      semver().validRange(range) === null ||
      range.trim() === '*' ||
      range === ''
    ) {
      return undefined;
    }
    const ids = this.byName.get(target);
    if (!ids || ids.length === 0) return undefined;
    const versionOf = (id: string): string => (this.packages.get(id) as InventoryPackage).version;
    const versions = [...new Set(ids.map(versionOf))].sort(semver().rcompare);
    const chosen = versions.find((v) => semver().satisfies(v, range)) ?? versions[0];
    if (byPath !== undefined && this.packages.get(byPath)?.version === chosen && ids.includes(byPath)) {
      return byPath;
    }
    return ids.find((id) => versionOf(id) === chosen);
  }

  private catalogRange(name: string, spec: string): string {
    if (!spec.startsWith('catalog:')) return spec;
    const group = spec.slice('catalog:'.length).trim();
    const map = group === '' || group === 'default' ? this.lock.catalog : this.lock.catalogs?.[group];
    return (map && own(map, name) ? map[name] : undefined) ?? spec;
  }

  private isImporter(id: string): boolean {
    const source = this.packages.get(id)?.source;
    return source === 'root' || source === 'workspace';
  }

  private overridden(name: string): boolean {
    const overrides = this.lock.overrides;
    if (!overrides) return false;
    const bare = (selector: string): string => {
      const at = selector.indexOf('@', 1);
      return at === -1 ? selector : selector.slice(0, at);
    };
    for (const key in overrides) {
      const value = overrides[key];
      if (typeof value === 'string') {
        if (bare(key) === name) return true;
      } else if (value) {
        for (const child in value) if ((child === '.' ? bare(key) : bare(child)) === name) return true;
      }
    }
    return false;
  }
}
