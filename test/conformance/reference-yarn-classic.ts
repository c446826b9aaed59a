import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import semver from 'semver';

/**
 * A deliberately separate reading of a yarn classic project, to check PatchPilot's yarn-classic
 * parser against: the lockfile is parsed by `@yarnpkg/lockfile` (yarn 1's own parser), workspaces
 * are read straight from the root package.json, and scopes come from plain breadth-first walks
 * over the manifests' dependency lists, not from PatchPilot's computeScopes.
 *
 * Nodes are `name@version` (the real name for `npm:` aliases): yarn 1 installs one copy of each
 * resolved version as far as the graph goes, and PatchPilot's registry package ids are the same.
 */

interface YarnEntry {
  version: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const require = createRequire(import.meta.url);
const lockfile = require('@yarnpkg/lockfile') as {
  parse(text: string): { type: 'success' | 'merge' | 'conflict'; object: Record<string, YarnEntry> };
};

interface Manifest {
  name?: string;
  version?: string;
  workspaces?: string[] | { packages?: string[] };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export type RefScope = 'prod' | 'dev' | 'optional' | 'devOptional';

export interface YarnClassicReference {
  /** Workspace folders, relative to the project. */
  readonly workspaces: string[];
  /** Every installed node (`name@version`) with its scope. */
  readonly scopes: Map<string, RefScope>;
  /** The nodes whose tarball comes from the public registry. */
  readonly registry: Set<string>;
}

const registryHosts = new Set(['registry.npmjs.org', 'registry.yarnpkg.com']);

const readJson = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

/** Workspace globs as they appear in real projects: literal folders and `dir/*`. */
const expand = (root: string, patterns: readonly string[]): string[] => {
  const out: string[] = [];
  for (const pattern of patterns) {
    const clean = pattern.replace(/^\.\//, '').replace(/\/$/, '');
    if (clean.endsWith('/*') && !clean.slice(0, -2).includes('*')) {
      const base = clean.slice(0, -2);
      for (const name of readdirSync(join(root, base)).sort()) {
        if (existsSync(join(root, base, name, 'package.json'))) out.push(`${base}/${name}`);
      }
    } else if (!/[*?!{]/.test(clean)) {
      if (existsSync(join(root, clean, 'package.json'))) out.push(clean);
    } else {
      throw new Error(`reference: workspace pattern ${pattern} is not supported`);
    }
  }
  return [...new Set(out)].sort();
};

/** `alias@npm:real@range` → real; `name@range` → name. */
const realName = (key: string): string => {
  const at = key.indexOf('@', 1);
  const name = key.slice(0, at);
  const range = key.slice(at + 1);
  if (!range.startsWith('npm:')) return name;
  const inner = range.slice(4);
  const innerAt = inner.indexOf('@', 1);
  return innerAt === -1 ? inner : inner.slice(0, innerAt);
};

type Kind = 'prod' | 'dev' | 'optional';

export const readYarnClassicReference = (root: string): YarnClassicReference => {
  const parsed = lockfile.parse(readFileSync(join(root, 'yarn.lock'), 'utf8'));
  if (parsed.type !== 'success') throw new Error(`reference: yarn.lock parse result ${parsed.type}`);
  const entries = parsed.object;

  const nodeOf = new Map<YarnEntry, string>();
  const registry = new Set<string>();
  for (const [key, entry] of Object.entries(entries)) {
    const node = `${realName(key)}@${entry.version}`;
    nodeOf.set(entry, node);
    let host = '';
    try {
      host = new URL(entry.resolved ?? '').host;
    } catch {
      // not a URL: not the registry
    }
    if (registryHosts.has(host) && semver.valid(entry.version)) registry.add(node);
  }

  const rootManifest = readJson(join(root, 'package.json'));
  const patterns = Array.isArray(rootManifest.workspaces)
    ? rootManifest.workspaces
    : (rootManifest.workspaces?.packages ?? []);
  const workspaces = expand(root, patterns);
  const manifests = [rootManifest, ...workspaces.map((w) => readJson(join(root, w, 'package.json')))];

  /**
   * The node a dependency leads to. Without a lockfile entry it is a linked workspace (itself a
   * root of the walks) or nothing installed: either way there is nothing to walk into.
   */
  const lookup = (name: string, range: string): string | undefined => {
    const entry = Object.hasOwn(entries, `${name}@${range}`) ? entries[`${name}@${range}`] : undefined;
    return entry ? nodeOf.get(entry) : undefined;
  };

  // The manifests' direct dependencies by kind. yarn 1 keeps a name listed in several fields once,
  // in the first of optionalDependencies, dependencies, devDependencies (its manifest
  // normalisation); a peer dependency counts as prod when a lockfile pattern resolves it.
  const direct: Record<Kind, string[]> = { prod: [], dev: [], optional: [] };
  for (const manifest of manifests) {
    const taken = new Set<string>();
    const fields: [Record<string, string> | undefined, Kind][] = [
      [manifest.optionalDependencies, 'optional'],
      [manifest.dependencies, 'prod'],
      [manifest.devDependencies, 'dev'],
    ];
    const ranges = new Map<string, string>();
    for (const [deps] of fields) {
      for (const [name, range] of Object.entries(deps ?? {})) {
        const seen = ranges.get(name);
        if (seen === undefined || ((seen === '' || seen === '*') && range !== '' && range !== '*'))
          ranges.set(name, range);
      }
    }
    for (const [deps, kind] of fields) {
      for (const name of Object.keys(deps ?? {})) {
        if (taken.has(name)) continue;
        taken.add(name);
        const node = lookup(name, ranges.get(name) as string);
        if (node) direct[kind].push(node);
      }
    }
    for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
      if (taken.has(name)) continue;
      const node = lookup(name, range);
      if (node) direct.prod.push(node);
    }
  }

  const children = new Map<string, { node: string; optional: boolean }[]>();
  for (const [entry, node] of nodeOf) {
    const list = children.get(node) ?? [];
    for (const [name, range] of Object.entries(entry.dependencies ?? {})) {
      const to = lookup(name, range);
      if (to && !entry.optionalDependencies?.[name]) list.push({ node: to, optional: false });
    }
    for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
      const to = lookup(name, range);
      if (to) list.push({ node: to, optional: true });
    }
    children.set(node, list);
  }

  const walk = (starts: string[], followOptional: boolean): Set<string> => {
    const seen = new Set<string>(starts);
    const queue = [...seen];
    for (let i = 0; i < queue.length; i++) {
      const node = queue[i] as string;
      for (const child of children.get(node) ?? []) {
        if ((followOptional || !child.optional) && !seen.has(child.node)) {
          seen.add(child.node);
          queue.push(child.node);
        }
      }
    }
    return seen;
  };
  const everything = walk([...direct.prod, ...direct.dev, ...direct.optional], true);
  const prod = walk(direct.prod, false);
  const withoutDev = walk([...direct.prod, ...direct.optional], true);
  const withoutOptional = walk([...direct.prod, ...direct.dev], false);

  const scopes = new Map<string, RefScope>();
  for (const node of everything) {
    if (prod.has(node)) scopes.set(node, 'prod');
    else if (!withoutDev.has(node)) scopes.set(node, 'dev');
    else if (!withoutOptional.has(node)) scopes.set(node, 'optional');
    else scopes.set(node, 'devOptional');
  }
  return { workspaces, scopes, registry: new Set([...registry].filter((n) => scopes.has(n))) };
};
