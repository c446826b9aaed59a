import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';
import { type RefRecord, readJsonl, recordAffects } from './reference.js';
import { npmLsPackages } from './reference-npm.js';

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
