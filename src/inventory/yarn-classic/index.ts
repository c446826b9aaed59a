import { posix } from 'node:path';
import { PatchPilotError } from '../../core/errors.js';
import type {
  EdgeType,
  Importer,
  Inventory,
  InventoryEdge,
  InventoryPackage,
  MissingDependency,
  SourceKind,
} from '../../core/inventory.js';
import { npmPurl } from '../../core/purl.js';
import { isStrictVersion } from '../../core/version.js';
import { parseJsonDocument } from '../json.js';
import { checkManifest, type DepMap, type Manifest, ShapeError } from '../npm/schema.js';
import { registryTarball } from '../registry-tarball.js';
import { computeScopes } from '../scopes.js';
import type { LockfileInput } from '../source.js';
import { type LockEntry, parseLockfileEntries, syntaxError } from './syntax.js';

/**
 * yarn classic's (v1) yarn.lock. The lockfile maps dependency patterns (`name@range`, several per
 * entry) to what they resolved to, without recording which packages the project itself needs or
 * where they are installed: the root package.json and the workspaces' manifests give the direct
 * dependencies, each pattern leads to its entry, and entries' `dependencies` lead on. Package ids
 * are `name@version`, since yarn installs one copy per resolved version as far as the graph goes
 * (`name@version#source`, `#source-2`, … for other sources of the same name and version). Importer
 * ids are '' for the root and `./<folder>` for a workspace (`Importer.path` is the folder).
 */
export const lockfileNames = ['yarn.lock'] as const;

/**
 * Whether a yarn.lock is the classic (v1) format rather than yarn berry's YAML (which has a
 * `__metadata:` block): the header comment decides, and failing that the absence of `__metadata`.
 */
export const isYarnClassicLockfile = (content: string): boolean => {
  if (/^#[^\n]*yarn lockfile v1\s*$/m.test(content.slice(0, 4096))) return true;
  return !(content.includes('__metadata') && /^"?__metadata"?:/m.test(content));
};

interface Pattern {
  /** The name the dependent asks for (an alias's own name). */
  readonly name: string;
  /** The range after the name, with an `npm:` alias already unwrapped. */
  readonly range: string;
  /** The real package for an `npm:` alias. */
  readonly realName: string;
  readonly aliased: boolean;
}

/** `name@range`, `@scope/name@range`, `alias@npm:real@range`; a bare `name` has an empty range. */
const splitPattern = (pattern: string): Pattern => {
  const at = pattern.indexOf('@', 1);
  const name = at === -1 ? pattern : pattern.slice(0, at);
  const range = at === -1 ? '' : pattern.slice(at + 1);
  if (range.startsWith('npm:')) {
    const inner = range.slice(4);
    const innerAt = inner.indexOf('@', 1);
    const realName = innerAt === -1 ? inner : inner.slice(0, innerAt);
    return {
      name,
      range: innerAt === -1 ? '' : inner.slice(innerAt + 1),
      realName,
      aliased: realName !== name,
    };
  }
  return { name, range, realName: name, aliased: false };
};

const gitPrefix = /^(git\+|git:|github:|gitlab:|bitbucket:|gist:|git@|ssh:)/;
const isPathSpec = (range: string): boolean =>
  range.startsWith('./') || range.startsWith('../') || range.startsWith('/') || range.startsWith('~/');

/** What a range asks for, before looking at what it resolved to. */
const rangeKind = (range: string): SourceKind => {
  if (range.startsWith('file:') || isPathSpec(range)) return 'file';
  if (range.startsWith('link:')) return 'link';
  if (gitPrefix.test(range)) return 'git';
  if (/^https?:/.test(range)) {
    const url = range.split('#')[0] ?? range;
    return /\.git$/.test(url) || /^https?:\/\/(www\.)?github\.com\/[^/]+\/[^/]+\/?$/.test(url)
      ? 'git'
      : 'tarball';
  }
  // `user/repo` and `user/repo#ref`: GitHub shorthand (a semver range never holds a slash).
  if (range.includes('/')) return 'git';
  return 'registry';
};

const registryHosts = new Set(['registry.yarnpkg.com', 'registry.npmjs.org']);

/** Classifies an entry by its `resolved` URL, falling back on its patterns' ranges. */
const sourceOf = (patterns: readonly Pattern[], entry: LockEntry, name: string): SourceKind => {
  for (const p of patterns) {
    const kind = rangeKind(p.range);
    if (kind === 'file' || kind === 'link') return kind;
  }
  const resolved = entry.resolved;
  if (resolved === undefined || resolved === '') {
    const kind = rangeKind(patterns[0]?.range ?? '');
    if (kind !== 'registry') return kind;
    return isStrictVersion(entry.version ?? '') ? 'registry' : 'file';
  }
  if (gitPrefix.test(resolved)) return 'git';
  if (resolved.startsWith('file:')) return 'file';
  if (resolved.startsWith('link:')) return 'link';
  const scheme = resolved.startsWith('https://') ? 8 : resolved.startsWith('http://') ? 7 : 0;
  if (scheme === 0) return 'tarball';
  const cut = resolved.search(/[?#]/);
  const url = cut === -1 ? resolved : resolved.slice(0, cut);
  const slash = url.indexOf('/', scheme);
  const host = slash === -1 ? url.slice(scheme) : url.slice(scheme, slash);
  let pathname = slash === -1 ? '/' : url.slice(slash);
  if (host === 'codeload.github.com' || pathname.endsWith('.git')) return 'git';
  if (!isStrictVersion(entry.version ?? '')) return 'tarball';
  if (registryHosts.has(host)) return 'registry';
  try {
    pathname = decodeURIComponent(pathname);
  } catch {
    // keep the encoded form
  }
  return pathname.endsWith('.tgz') && pathname.includes(`/${name}/-/`) ? 'registry' : 'tarball';
};

const escapes = (path: string): boolean => {
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path) || path.startsWith('~'))
    return true;
  const normalised = posix.normalize(path.split('\\').join('/'));
  return normalised === '..' || normalised.startsWith('../');
};

const escapeError = (path: string, what: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_KEY_ESCAPES', `${path}: ${what} points outside the project`, {
    hint: 'a yarn.lock may only name folders inside the project; refusing to read this lockfile',
  });

/** A NUL byte in a path: no file system has one, and it must never reach a file name. */
const nulError = (path: string, what: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_INVALID', `${path}: ${what} holds a NUL byte`, {
    hint: 'no path can hold a NUL byte; refusing to read this lockfile',
  });

/**
 * `file:` folders and tarballs are resolved by yarn from the project root; they must stay inside
 * it. No `file:` or `link:` path may hold a NUL byte. `where` names the place for the error, and
 * is only called for one: most lockfiles check thousands of ranges and fail none.
 */
const checkFileSpec = (range: string, lockfile: string, where: () => string): void => {
  const target = range.startsWith('file:') ? range.slice(5) : isPathSpec(range) ? range : undefined;
  if ((target !== undefined || range.startsWith('link:')) && range.includes('\0')) {
    throw nulError(lockfile, `${where()} ${JSON.stringify(range)}`);
  }
  if (target !== undefined && escapes(target)) {
    throw escapeError(lockfile, `${where()} ${JSON.stringify(range)}`);
  }
};

/**
 * Importers' ids: '' for the root, `./<folder>` for a workspace. Package ids start with a
 * package name (`name@version`), which never starts with `./` (`checkPackageId`), so a
 * workspace folder named like a package (`lodash@4.17.21`) cannot take that package's place.
 */
const importerIdPrefix = './';
const importerId = (folder: string): string => (folder === '' ? '' : `${importerIdPrefix}${folder}`);

const checkPackageId = (id: string, path: string, entry: LockEntry): void => {
  if (id.startsWith(importerIdPrefix)) {
    throw syntaxError(path, entry.line, `entry ${JSON.stringify(entry.keys[0])} names no package`);
  }
};

const readEntries = (content: string, path: string): LockEntry[] => {
  if (!isYarnClassicLockfile(content)) {
    const line = content.slice(0, content.search(/^"?__metadata"?:/m)).split('\n').length;
    throw new PatchPilotError(
      'LOCKFILE_UNSUPPORTED_VERSION',
      `${path}: line ${line}: this is a yarn berry (v2+) lockfile, not yarn classic's`,
      { hint: 'yarn berry lockfiles are read by their own parser' },
    );
  }
  const entries = parseLockfileEntries(content, path);
  for (const entry of entries) {
    if (entry.version === undefined) {
      throw syntaxError(path, entry.line, `entry ${JSON.stringify(entry.keys[0])} has no "version"`);
    }
  }
  return entries;
};

const readManifest = (input: LockfileInput, relativePath: string, root: string): Manifest | undefined => {
  const content = input.readFile(relativePath);
  if (content === undefined) return undefined;
  const path = `${root === '/' ? '' : root}/${relativePath}`;
  const doc = parseJsonDocument(content, path, 'MANIFEST_INVALID');
  try {
    return checkManifest(doc);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    const where = error.at.map((p) => JSON.stringify(p)).join(' → ') || '(document)';
    throw new PatchPilotError('MANIFEST_INVALID', `${path}: ${where}: ${error.message}`, {
      hint: 'fix this package.json',
    });
  }
};

const workspacePatterns = (manifest: Manifest | undefined): string[] => {
  const value = manifest?.workspaces;
  if (!value) return [];
  return Array.isArray(value) ? value : (value.packages ?? []);
};

/**
 * A manifest's dependencies as yarn 1 installs them (its manifest normalisation): a name listed
 * in several fields is kept in the first of optionalDependencies, dependencies, devDependencies,
 * with the first range that is not empty or `*`. peerDependencies are not installed; they give
 * an edge only when another field does not list the name.
 */
const manifestDependencies = (manifest: Manifest): { name: string; spec: string; type: EdgeType }[] => {
  const fields: [DepMap | undefined, EdgeType][] = [
    [manifest.optionalDependencies, 'optional'],
    [manifest.dependencies, 'prod'],
    [manifest.devDependencies, 'dev'],
  ];
  const chosen = new Map<string, { spec: string; type: EdgeType }>();
  for (const [deps, type] of fields) {
    if (!deps) continue;
    for (const name in deps) {
      const spec = deps[name] as string;
      const seen = chosen.get(name);
      if (!seen) chosen.set(name, { spec, type });
      else if ((seen.spec === '' || seen.spec === '*') && spec !== '' && spec !== '*') seen.spec = spec;
    }
  }
  const out = [...chosen].map(([name, { spec, type }]) => ({ name, spec, type }));
  const peers = manifest.peerDependencies;
  if (peers) {
    for (const name in peers)
      if (!chosen.has(name)) out.push({ name, spec: peers[name] as string, type: 'peer' });
  }
  return out;
};

const packageRecord = (
  id: string,
  name: string,
  version: string,
  source: SourceKind,
  extra: { integrity?: string | undefined; resolved?: string | undefined; alias?: string | undefined } = {},
): InventoryPackage => ({
  id,
  name,
  version,
  purl: source === 'registry' ? npmPurl(name, version) : undefined,
  integrity: extra.integrity,
  resolved: extra.resolved,
  source,
  scope: 'prod',
  bundled: false,
  alias: extra.alias,
  license: undefined,
});

export const parseYarnClassicLockfile = (input: LockfileInput): Inventory => {
  const path = input.path;
  const root = posix.dirname(path.split('\\').join('/'));
  const entries = readEntries(input.content, path);

  // Every pattern leads to its entry; entries become packages, merged by identity.
  const byPattern = new Map<string, LockEntry>();
  const packageOf = new Map<LockEntry, string>();
  const packages = new Map<string, InventoryPackage>();
  const entriesOf = new Map<string, LockEntry[]>();
  const identityIds = new Map<string, string>();
  /** The next number to try after `name@version#source`, per that id. */
  const suffixCounters = new Map<string, number>();

  // Importers first, so that they lead the packages map.
  const rootManifest = readManifest(input, 'package.json', root);
  const rootName = rootManifest?.name ?? posix.basename(root);
  const importers: Importer[] = [{ id: '', name: rootName, path: '' }];
  /** Importer id → its folder and manifest. */
  const manifests = new Map<string, { folder: string; manifest: Manifest }>();
  packages.set('', packageRecord('', rootName, rootManifest?.version ?? '0.0.0', 'root'));
  if (rootManifest) manifests.set('', { folder: '', manifest: rootManifest });
  const patterns = workspacePatterns(rootManifest);
  for (const pattern of patterns) {
    if (pattern.includes('\0')) throw nulError(path, `workspace ${JSON.stringify(pattern)}`);
    if (escapes(pattern.replace(/^!/, ''))) throw escapeError(path, `workspace ${JSON.stringify(pattern)}`);
  }
  const workspaceByName = new Map<string, string>();
  for (const folder of patterns.length === 0 ? [] : input.expandWorkspaces(patterns)) {
    if (folder.includes('\0')) throw nulError(path, `workspace ${JSON.stringify(folder)}`);
    if (escapes(folder)) throw escapeError(path, `workspace ${JSON.stringify(folder)}`);
    const manifest = readManifest(input, `${folder}/package.json`, root);
    if (!manifest) continue;
    const name = manifest.name ?? posix.basename(folder);
    const id = importerId(folder);
    importers.push({ id, name, path: folder });
    manifests.set(id, { folder, manifest });
    packages.set(id, packageRecord(id, name, manifest.version ?? '0.0.0', 'workspace'));
    if (!workspaceByName.has(name)) workspaceByName.set(name, id);
  }

  const pending: { entry: LockEntry; name: string; source: SourceKind; alias: string | undefined }[] = [];
  for (const entry of entries) {
    const parsed = entry.keys.map(splitPattern);
    for (let k = 0; k < parsed.length; k++) {
      const p = parsed[k] as Pattern;
      checkFileSpec(p.range, path, () => `key ${JSON.stringify(entry.keys[k])}`);
      byPattern.set(entry.keys[k] as string, entry);
    }
    const first = parsed[0] as Pattern;
    const name = first.realName;
    // A registry tarball is what yarn installs, whatever the keys and `version` around it say: an
    // entry whose keys or version name another package would hide it from the scan.
    const named = entry.resolved === undefined ? undefined : registryTarball(entry.resolved);
    if (named !== undefined) {
      const at = parsed.findIndex((p) => p.realName !== named.name);
      const other =
        at === -1 ? undefined : { key: entry.keys[at] as string, realName: (parsed[at] as Pattern).realName };
      if (other !== undefined || entry.version !== named.version) {
        throw new PatchPilotError(
          'LOCKFILE_INVALID',
          `${path}: entry ${JSON.stringify(entry.keys.join(', '))}: its resolved URL names ${named.name}@${named.version} but ${other ? `the key ${JSON.stringify(other.key)} names ${other.realName}` : `its version is ${entry.version}`}; yarn installs what resolved names`,
          { hint: 'the lockfile disagrees with itself; regenerate it with yarn install' },
        );
      }
    }
    const source = named !== undefined ? 'registry' : sourceOf(parsed, entry, name);
    // An alias is recorded when every pattern of the package installs it under another name (the
    // first one in lockfile order when there are several).
    const alias = parsed.every((p) => p.aliased) ? first.name : undefined;
    pending.push({ entry, name, source, alias });
  }
  // Registry entries claim the plain `name@version` first; another source with the same name and
  // version gets a suffix naming its source.
  pending.sort((a, b) => Number(a.source !== 'registry') - Number(b.source !== 'registry'));
  for (const { entry, name, source, alias } of pending) {
    const version = entry.version as string;
    const base = `${name}@${version}`;
    const identity =
      source === 'registry'
        ? base
        : `${base}\0${source}\0${entry.resolved ?? entry.keys[0]?.slice(entry.keys[0].indexOf('@', 1) + 1)}`;
    let id = identityIds.get(identity);
    if (id === undefined) {
      id = base;
      if (packages.has(id)) {
        // `#source`, then `#source-2`, …: each base and source remembers where it got to, so that
        // many copies of one name@version are numbered in one pass.
        const suffix = `${base}#${source}`;
        let n = suffixCounters.get(suffix) ?? 1;
        do {
          id = n === 1 ? suffix : `${suffix}-${n}`;
          n++;
        } while (packages.has(id));
        suffixCounters.set(suffix, n);
      }
      checkPackageId(id, path, entry);
      identityIds.set(identity, id);
      packages.set(
        id,
        packageRecord(id, name, version, source, {
          integrity: entry.integrity,
          resolved: entry.resolved,
          alias,
        }),
      );
      entriesOf.set(id, [entry]);
    } else {
      (entriesOf.get(id) as LockEntry[]).push(entry);
      // The same package installed under its own name too: no single alias describes it.
      const pkg = packages.get(id) as InventoryPackage;
      if (alias === undefined && pkg.alias !== undefined) packages.set(id, { ...pkg, alias: undefined });
    }
    packageOf.set(entry, id);
  }

  const edges: InventoryEdge[] = [];
  // Edges out of one lockfile entry are unique by name; a package merged from several entries or
  // a manifest with two aliases of one package can repeat one.
  let seenEdges: Set<string> | undefined;
  const addEdge = (from: string, to: string, type: EdgeType, spec: string, name?: string): void => {
    if (seenEdges) {
      const key = `${to}\0${type}\0${spec}`;
      if (seenEdges.has(key)) return;
      seenEdges.add(key);
    }
    if (name !== undefined && name !== packages.get(to)?.name)
      edges.push({ from, to, type, spec, alias: name });
    else edges.push({ from, to, type, spec });
  };
  /** The entry a `name@spec` pattern resolved to, or the workspace yarn links for it. */
  const resolve = (name: string, spec: string): string | undefined => {
    const entry = byPattern.get(`${name}@${spec}`) ?? byPattern.get(name);
    if (entry) return packageOf.get(entry);
    return workspaceByName.get(name);
  };

  const missing: MissingDependency[] = [];
  for (const [id, { folder, manifest }] of manifests) {
    // Two aliases of one package (`h4: npm:history@4.7.8`, `h5: npm:history@4.7.8`) are one edge.
    seenEdges = new Set();
    for (const { name, spec, type } of manifestDependencies(manifest)) {
      checkFileSpec(
        spec,
        path,
        () => `${folder === '' ? 'package.json' : `${folder}/package.json`} dependency ${name}`,
      );
      const to = resolve(name, spec);
      // Unresolvable: a peer left to the consumer, an optional package left out, or a stale
      // lockfile; nothing is installed for it.
      if (to !== undefined && to !== id) addEdge(id, to, type, spec, name);
      else if (to === undefined && (type === 'prod' || type === 'dev'))
        missing.push({ from: id, name, spec });
    }
  }
  if (!rootManifest) {
    // Without package.json nothing says what the project needs: every entry counts as a direct
    // dependency, so that nothing the lockfile installs is missed.
    for (const [id, list] of entriesOf) {
      const key = (list[0] as LockEntry).keys[0] as string;
      addEdge('', id, 'prod', splitPattern(key).range);
    }
  }
  for (const [from, list] of entriesOf) {
    seenEdges = list.length > 1 ? new Set() : undefined;
    for (const entry of list) {
      const optional = entry.optionalDependencies;
      let optionalNames: Set<string> | undefined;
      if (optional) {
        optionalNames = new Set();
        for (let i = 0; i < optional.length; i += 2) {
          const name = optional[i] as string;
          const spec = optional[i + 1] as string;
          optionalNames.add(name);
          const to = resolve(name, spec);
          if (to !== undefined) addEdge(from, to, 'optional', spec, name);
        }
      }
      const deps = entry.dependencies;
      if (deps) {
        for (let i = 0; i < deps.length; i += 2) {
          const name = deps[i] as string;
          // yarn lists a dependency under one of the two; if both, it is optional.
          if (optionalNames?.has(name)) continue;
          const spec = deps[i + 1] as string;
          const to = resolve(name, spec);
          if (to !== undefined) addEdge(from, to, 'prod', spec, name);
        }
      }
    }
  }

  const { scopes, unreachable } = computeScopes(packages.keys(), importers, edges);
  for (const id of unreachable) packages.delete(id);
  for (const [id, scope] of scopes) {
    const pkg = packages.get(id) as InventoryPackage;
    if (scope !== 'prod') packages.set(id, { ...pkg, scope });
  }
  return {
    root,
    lockfile: path,
    format: 'yarn-v1',
    importers,
    packages,
    edges: unreachable.size === 0 ? edges : edges.filter((e) => !unreachable.has(e.from)),
    ...(missing.length > 0 ? { missing } : {}),
  };
};
