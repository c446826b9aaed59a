import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';
import { npmLockScopes, npmLsPackages } from './reference-npm.js';
import { referencePnpm } from './reference-pnpm.js';
import { readYarnBerryReference } from './reference-yarn-berry.js';
import { readYarnClassicReference } from './reference-yarn-classic.js';

/**
 * Every project in ../shared/data/projects, whatever its lockfile format: `scan --json
 * --list-packages` and `sbom` report exactly the registry packages (name@version) the lockfile
 * installs, each with the right scope, as read by a reference that does not share PatchPilot's
 * code (npm's own `npm ls` and lockfile flags; yarn's own lockfile parsers; js-yaml for pnpm).
 * Scanning our SBOM of a project gives the same findings as scanning its lockfile, and scanning
 * npm's own SBOM of an npm project the same (advisory, package) pairs.
 */
const hasData = requireSharedData();
const projects = join(sharedData, 'projects');
const advisoryFiles = ['npm-osv.jsonl.gz', 'npm-osv-more.jsonl.gz', 'npm-malicious-sample.jsonl.gz'];

type Scope = 'prod' | 'peer' | 'devOptional' | 'optional' | 'dev';

/** The reference reading of one lockfile: registry name@version → scope. */
const reference = (lockfile: string): { format: RegExp; packages: Map<string, Scope> } => {
  const name = basename(lockfile);
  if (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') {
    const installed = npmLsPackages(lockfile);
    const scopes = npmLockScopes(lockfile);
    return {
      format: /^npm-v[123]$/,
      packages: new Map([...installed].map((key) => [key, scopes.get(key) ?? 'prod'])),
    };
  }
  if (name === 'pnpm-lock.yaml') return { format: /^pnpm-v/, packages: referencePnpm(lockfile).registry };
  if (readFileSync(lockfile, 'utf8').includes('\n__metadata:')) {
    return { format: /^yarn-berry-v/, packages: readYarnBerryReference(dirname(lockfile)).registry };
  }
  const classic = readYarnClassicReference(dirname(lockfile));
  return {
    format: /^yarn-v1$/,
    packages: new Map([...classic.registry].map((key) => [key, classic.scopes.get(key) ?? 'prod'])),
  };
};

/** CycloneDX scope of a PatchPilot scope, as `sbom` writes it. */
const cdxScope: Record<Scope, string> = {
  prod: 'required',
  peer: 'required',
  devOptional: 'optional',
  optional: 'optional',
  dev: 'excluded',
};

interface Listed {
  name: string;
  version: string;
  scope: Scope;
}
interface Report {
  projects: { lockfile: string; format: string; packages: number; inventory: Listed[] }[];
  findings: { id: string; package: { name: string; version: string }; scope: string; direct: boolean }[];
}

const pairsOf = (report: Report): string[] =>
  [...new Set(report.findings.map((f) => `${f.id} ${f.package.name}@${f.package.version}`))].sort();

/** `npm sbom --package-lock-only` in a copy of the project; undefined when npm refuses the tree. */
const npmSbom = (lockfile: string, scratch: string): string | undefined => {
  const from = dirname(lockfile);
  cpSync(from, scratch, {
    recursive: true,
    filter: (src) =>
      !src.includes(`${sep}node_modules`) && (statSync(src).isDirectory() || /\.json$/.test(src)),
  });
  try {
    const out = execFileSync('npm', ['sbom', '--package-lock-only', '--sbom-format', 'cyclonedx'], {
      cwd: scratch,
      maxBuffer: 512 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, npm_config_update_notifier: 'false' },
    }).toString();
    const file = `${scratch}.npm.cdx.json`;
    writeFileSync(file, out);
    return file;
  } catch {
    return undefined;
  }
};

const findingsOf = (report: Report): string[] =>
  report.findings
    .map(
      (f) =>
        `${f.id} ${f.package.name}@${f.package.version} ${f.scope} ${f.direct ? 'direct' : 'transitive'}`,
    )
    .sort();

describe.skipIf(!hasData)('every project of ../shared/data/projects', () => {
  const home = tempDir();
  const db = join(home.path, 'advisories.db');
  let lockfiles: string[] = [];

  beforeAll(() => {
    const imported = runCli([
      'db',
      'import',
      ...advisoryFiles.map((f) => join(sharedData, 'advisories', f)),
      '--db',
      db,
    ]);
    expect(imported.code).toBe(0);
    // The lockfiles PatchPilot finds itself, every format at once.
    const all = runCli(['scan', projects, '--recursive', '--json', '--db', db, '--max-paths', '0']);
    expect(all.code).toBe(0);
    lockfiles = (JSON.parse(all.stdout) as Report).projects.map((p) => join(projectRoot, p.lockfile));
  });
  afterAll(() => home.remove());

  it('finds every lockfile of every format', () => {
    const formats = lockfiles.map((f) => basename(f)).sort();
    expect(formats.filter((f) => f === 'package-lock.json')).toHaveLength(7);
    expect(formats.filter((f) => f === 'yarn.lock')).toHaveLength(2);
    expect(formats.filter((f) => f === 'pnpm-lock.yaml')).toHaveLength(1);
  });

  const expectedLockfiles = [
    'Kong__insomnia@5082975c7d/package-lock.json',
    'OWASP__NodeGoat@3137d3c0f1/package-lock.json',
    'OWASP__NodeGoat@c5cb68a708/package-lock.json',
    'appsecco__dvna@da42114edc/package-lock.json',
    'getsentry__sentry-javascript@f7a6cc0c22/yarn.lock',
    'jestjs__jest@52db46e504/yarn.lock',
    'juice-shop__juice-shop@8303ac5fce/package-lock.json',
    'juice-shop__juice-shop@8303ac5fce/frontend/package-lock.json',
    'npm__cli@780afc50e3/package-lock.json',
    'vitejs__vite@a98c8d95d5/pnpm-lock.yaml',
  ];

  for (const rel of expectedLockfiles) {
    it(`${rel}: scan and sbom list exactly the installed registry packages, with their scopes`, () => {
      const lockfile = join(projects, rel);
      expect(lockfiles.map((f) => relative(projects, f))).toContain(rel);
      const ref = reference(lockfile);

      const scan = runCli(['scan', lockfile, '--json', '--list-packages', '--db', db, '--max-paths', '1']);
      expect(scan.code).toBe(0);
      const report = JSON.parse(scan.stdout) as Report;
      const project = report.projects[0] as Report['projects'][number];
      expect(project.format).toMatch(ref.format);
      const listed = new Map(project.inventory.map((p) => [`${p.name}@${p.version}`, p.scope]));
      expect([...listed.keys()].sort()).toEqual([...ref.packages.keys()].sort());
      expect(project.packages).toBe(ref.packages.size);
      const wrongScopes = [...ref.packages]
        .filter(([key, scope]) => listed.get(key) !== scope)
        .map(([key, scope]) => `${key}: reference ${scope}, scan ${listed.get(key)}`);
      expect(wrongScopes).toEqual([]);

      const sbomFile = join(home.path, `${rel.replace(/[^A-Za-z0-9.]+/g, '_')}.cdx.json`);
      const sbom = runCli(['sbom', lockfile, '--reproducible', '--output', sbomFile]);
      expect(sbom.code).toBe(0);
      const bom = JSON.parse(readFileSync(sbomFile, 'utf8')) as {
        components: { purl?: string; group?: string; name: string; version: string; scope?: string }[];
      };
      const components = new Map<string, string | undefined>();
      for (const c of bom.components) {
        if (c.purl?.startsWith('pkg:npm/'))
          components.set(`${c.group ? `${c.group}/` : ''}${c.name}@${c.version}`, c.scope);
      }
      expect([...components.keys()].sort()).toEqual([...ref.packages.keys()].sort());
      const wrongCdx = [...ref.packages]
        .filter(([key, scope]) => components.get(key) !== cdxScope[scope])
        .map(([key, scope]) => `${key}: reference ${scope}, sbom ${components.get(key)}`);
      expect(wrongCdx).toEqual([]);

      // Our SBOM, scanned, gives the lockfile's findings (package, advisory, scope, directness).
      const fromSbom = runCli(['scan', '--sbom', sbomFile, '--json', '--db', db, '--max-paths', '1']);
      expect(fromSbom.code).toBe(0);
      expect(findingsOf(JSON.parse(fromSbom.stdout) as Report)).toEqual(findingsOf(report));
      // So does our SPDX document (its annotations carry what SPDX has no field for).
      const spdxFile = sbomFile.replace(/\.cdx\.json$/, '.spdx.json');
      expect(
        runCli(['sbom', lockfile, '--format', 'spdx', '--reproducible', '--output', spdxFile]).code,
      ).toBe(0);
      const fromSpdx = runCli(['scan', '--sbom', spdxFile, '--json', '--db', db, '--max-paths', '1']);
      expect(fromSpdx.code).toBe(0);
      expect(findingsOf(JSON.parse(fromSpdx.stdout) as Report)).toEqual(findingsOf(report));

      // npm's own SBOM of an npm lockfile, scanned, gives the same (advisory, package) pairs.
      if (basename(lockfile) === 'package-lock.json') {
        const npmBom = npmSbom(lockfile, join(home.path, rel.replace(/[^A-Za-z0-9.]+/g, '_')));
        if (npmBom === undefined) return; // npm refuses this tree (see sbom-npm.test.ts)
        // One run gives both the findings and (with --list-packages) the registry packages read.
        const fromNpm = runCli([
          'scan',
          '--sbom',
          npmBom,
          '--json',
          '--list-packages',
          '--db',
          db,
          '--max-paths',
          '1',
        ]);
        expect(fromNpm.code).toBe(0);
        expect(pairsOf(JSON.parse(fromNpm.stdout) as Report)).toEqual(pairsOf(report));
        // What npm marks private (the root, private workspaces) is never read as a registry package.
        const privateOnes = (
          JSON.parse(readFileSync(npmBom, 'utf8')) as {
            components: { name: string; version: string; properties?: { name: string; value: string }[] }[];
          }
        ).components
          .filter((c) =>
            c.properties?.some((p) => p.name === 'cdx:npm:package:private' && p.value === 'true'),
          )
          .map((c) => `${c.name}@${c.version}`);
        const listed = fromNpm;
        const registry = new Set(
          // --list-packages lists the registry packages only.
          (
            JSON.parse(listed.stdout) as { projects: { inventory: { name: string; version: string }[] }[] }
          ).projects
            .flatMap((p) => p.inventory)
            .map((p) => `${p.name}@${p.version}`),
        );
        expect(privateOnes.filter((key) => registry.has(key))).toEqual([]);
      }
    });
  }
});
