import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import semver from 'semver';

/**
 * npm's own reading of a lockfile, for the conformance suites: the registry packages `npm ls
 * --package-lock-only` lists, and the scope npm's lockfile flags give each of them.
 */
interface LsNode {
  version?: string;
  resolved?: string;
  missing?: boolean;
  dependencies?: Record<string, LsNode>;
}

/**
 * Registry packages by a different rule than PatchPilot's (which looks for the registry's
 * `/-/<name>-<version>.tgz` layout): no `resolved` at all, or a tarball served by the public
 * registry's hosts, which is what every registry URL in these lockfiles uses.
 */
const registryHosts = new Set(['registry.npmjs.org', 'registry.yarnpkg.com']);
const isRegistryResolved = (resolved: string | undefined): boolean => {
  if (resolved === undefined) return true;
  try {
    return registryHosts.has(new URL(resolved).host);
  } catch {
    return false;
  }
};

/** npm's reading of a lockfile, reduced to the registry packages it installs (real names, not aliases). */
export const npmLsPackages = (lockfile: string): Set<string> => {
  const dir = dirname(lockfile);
  let out: string;
  try {
    out = execFileSync('npm', ['ls', '--all', '--json', '--package-lock-only'], {
      cwd: dir,
      maxBuffer: 1024 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, npm_config_update_notifier: 'false' },
    }).toString();
  } catch (error) {
    // npm ls exits 1 on problems it reports in the JSON (missing, invalid); the tree is still there.
    out = String((error as { stdout?: Buffer }).stdout ?? '');
  }
  const tree = JSON.parse(out) as LsNode;
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as {
    packages?: Record<string, { name?: string; version?: string; link?: boolean; resolved?: string }>;
  };
  // npm ls prints an alias under its folder name; the lockfile's `name` field holds the real package.
  const aliasOf = new Map<string, string>();
  // Deduplicated occurrences of a workspace carry no `resolved`; the lockfile names the workspaces.
  const workspaces = new Set<string>();
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (key !== '' && !key.includes('node_modules/') && entry.name)
      workspaces.add(`${entry.name}@${entry.version}`);
    const target = entry.link && entry.resolved ? lock.packages?.[entry.resolved] : undefined;
    if (target) workspaces.add(`${key.slice(key.lastIndexOf('node_modules/') + 13)}@${target.version}`);
    const folder = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (entry.name && entry.name !== folder && key.includes('node_modules/')) aliasOf.set(folder, entry.name);
  }
  const found = new Set<string>();
  const walk = (deps: Record<string, LsNode> | undefined): void => {
    for (const [folder, node] of Object.entries(deps ?? {})) {
      if (node.version && !node.missing) {
        let name = folder;
        let version = node.version;
        const alias = /^npm:((?:@[^/]+\/)?[^@]+)@(.+)$/.exec(version);
        if (alias) [name, version] = [alias[1] as string, alias[2] as string];
        else name = aliasOf.get(folder) ?? folder;
        const workspaceOrFile =
          (node.resolved?.startsWith('file:') ?? false) ||
          (node.resolved === undefined && workspaces.has(`${name}@${version}`));
        if (!workspaceOrFile && semver.valid(version) && isRegistryResolved(node.resolved)) {
          found.add(`${name}@${version}`);
        }
      }
      walk(node.dependencies);
    }
  };
  walk(tree.dependencies);
  return found;
};

export type RefScope = 'prod' | 'peer' | 'devOptional' | 'optional' | 'dev';
const order: readonly RefScope[] = ['prod', 'peer', 'devOptional', 'optional', 'dev'];
const wider = (a: RefScope | undefined, b: RefScope): RefScope =>
  a === undefined || order.indexOf(b) < order.indexOf(a) ? b : a;

interface Flags {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
}
const flagScope = (f: Flags): RefScope =>
  f.devOptional ? 'devOptional' : f.dev ? 'dev' : f.optional ? 'optional' : f.peer ? 'peer' : 'prod';

/**
 * The scope of each name@version from the lockfile's own flags (npm computed them at install),
 * the widest over the package's installed copies. Keys are real names (aliases resolved).
 */
export const npmLockScopes = (lockfile: string): Map<string, RefScope> => {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as {
    packages?: Record<string, Flags & { name?: string; version?: string; link?: boolean }>;
    dependencies?: Record<string, V1Entry>;
  };
  const out = new Map<string, RefScope>();
  const add = (name: string, version: string, flags: Flags): void => {
    const key = `${name}@${version}`;
    out.set(key, wider(out.get(key), flagScope(flags)));
  };
  if (lock.packages) {
    for (const [key, entry] of Object.entries(lock.packages)) {
      const at = key.lastIndexOf('node_modules/');
      if (at === -1 || entry.link || !entry.version) continue;
      add(entry.name ?? key.slice(at + 'node_modules/'.length), entry.version, entry);
    }
    return out;
  }
  const walk = (deps: Record<string, V1Entry> | undefined): void => {
    for (const [folder, entry] of Object.entries(deps ?? {})) {
      const alias = /^npm:((?:@[^/]+\/)?[^@]+)@(.+)$/.exec(entry.version ?? '');
      if (alias) add(alias[1] as string, alias[2] as string, entry);
      else if (entry.version) add(folder, entry.version, entry);
      walk(entry.dependencies);
    }
  };
  walk(lock.dependencies);
  return out;
};

interface V1Entry extends Flags {
  version?: string;
  dependencies?: Record<string, V1Entry>;
}
