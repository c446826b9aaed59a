import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';
import { type RefRecord, readJsonl, recordAffects } from './reference.js';

/**
 * For every npm project in ../shared/data/projects: scan --json reports exactly the registry
 * packages the lockfile installs (checked against npm's own reading, `npm ls --package-lock-only`),
 * and exactly the (advisory, name@version) pairs that the OSV range rules give over all records of
 * the three OSV files (checked against the separate reference reading in reference.ts).
 */
const advisoryFiles = ['npm-osv.jsonl.gz', 'npm-osv-more.jsonl.gz', 'npm-malicious-sample.jsonl.gz'];
const hasData = requireSharedData();

const findLockfiles = (dir: string): string[] => {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (entry === 'node_modules') continue;
    if (statSync(full).isDirectory()) out.push(...findLockfiles(full));
    else if (entry === 'package-lock.json' || entry === 'npm-shrinkwrap.json') out.push(full);
  }
  return out;
};

const lockfiles = hasData ? findLockfiles(join(sharedData, 'projects')) : [];

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
const npmLsPackages = (lockfile: string): Set<string> => {
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

describe.skipIf(!hasData)('npm projects of ../shared/data/projects', () => {
  const home = tempDir();
  const db = join(home.path, 'advisories.db');
  let records: RefRecord[] = [];

  beforeAll(() => {
    const imported = runCli([
      'db',
      'import',
      ...advisoryFiles.map((f) => join(sharedData, 'advisories', f)),
      '--db',
      db,
    ]);
    expect(imported.stderr).not.toMatch(/skipped/);
    expect(imported.code).toBe(0);
    records = advisoryFiles.flatMap((f) => readJsonl(join(sharedData, 'advisories', f)));
  });
  afterAll(() => home.remove());

  it('finds the npm lockfiles', () => {
    expect(lockfiles.length).toBeGreaterThanOrEqual(7);
  });

  for (const lockfile of lockfiles) {
    const name = relative(join(sharedData, 'projects'), lockfile);
    it(`${name}: registry packages and advisory pairs are exact`, async () => {
      const scan = runCli(['scan', lockfile, '--json', '--db', db, '--max-paths', '1']);
      expect(scan.stderr).toBe('');
      expect(scan.code).toBe(0);
      const report = JSON.parse(scan.stdout) as {
        schemaVersion: number;
        projects: { path: string; lockfile: string; packages: number }[];
        findings: { id: string; advisories: string[]; package: { name: string; version: string } }[];
      };
      expect(report.schemaVersion).toBe(1);
      expect(report.projects).toHaveLength(1);

      const expectedPackages = npmLsPackages(lockfile);
      const { readInventory } = await import(join(projectRoot, 'dist/inventory/index.js'));
      const { registryPackageKeys } = await import(join(projectRoot, 'dist/core/inventory.js'));
      const actualPackages: Set<string> = registryPackageKeys(await readInventory(lockfile));
      expect([...actualPackages].sort()).toEqual([...expectedPackages].sort());
      expect(report.projects[0]?.packages).toBe(expectedPackages.size);

      const byName = new Map<string, string[]>();
      for (const key of expectedPackages) {
        const at = key.lastIndexOf('@');
        const list = byName.get(key.slice(0, at)) ?? [];
        list.push(key.slice(at + 1));
        byName.set(key.slice(0, at), list);
      }
      const expectedPairs = new Set<string>();
      for (const record of records) {
        const names = new Set((record.affected ?? []).map((a) => a.package?.name));
        for (const pkgName of names) {
          if (pkgName === undefined) continue;
          for (const version of byName.get(pkgName) ?? []) {
            if (recordAffects(record, pkgName, version))
              expectedPairs.add(`${record.id} ${pkgName}@${version}`);
          }
        }
      }
      const actualPairs = new Set(
        report.findings.flatMap((f) =>
          f.advisories.map((id) => `${id} ${f.package.name}@${f.package.version}`),
        ),
      );
      expect([...actualPairs].sort()).toEqual([...expectedPairs].sort());
    });
  }

  it('the fixtures exist where the index says', () => {
    expect(existsSync(join(sharedData, 'projects/INDEX.md'))).toBe(true);
  });
});
