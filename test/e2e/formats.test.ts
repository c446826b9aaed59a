import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, runCli, tempDir } from '../helpers/cli.js';

/** Every lockfile format through the CLI: scan, sbom, several lockfiles in one folder, bad input. */
const fixtures = join(projectRoot, 'test/fixtures');
const home = tempDir();
const db = join(home.path, 'store.db');

beforeAll(() => {
  expect(
    runCli(['db', 'import', join(projectRoot, 'examples/vulnerable-app/advisories.osv.json'), '--db', db])
      .code,
  ).toBe(0);
});
afterAll(() => home.remove());

interface Report {
  projects: {
    lockfile: string;
    format: string;
    packages: number;
    workspaces: string[];
    inventory: { name: string; version: string; scope: string }[];
  }[];
}

const scan = (target: string, extra: string[] = []): Report => {
  const result = runCli(['scan', target, '--json', '--list-packages', '--db', db, ...extra]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Report;
};

const cases = [
  { dir: 'yarn-classic/workspaces', lockfile: 'yarn.lock', format: /^yarn-v1$/ },
  { dir: 'yarn-berry/workspaces-v10', lockfile: 'yarn.lock', format: /^yarn-berry-v10$/ },
  { dir: 'yarn-berry/workspaces-v4', lockfile: 'yarn.lock', format: /^yarn-berry-v4$/ },
  { dir: 'pnpm/v5-workspace', lockfile: 'pnpm-lock.yaml', format: /^pnpm-v5\.4$/ },
  { dir: 'pnpm/v6-workspace', lockfile: 'pnpm-lock.yaml', format: /^pnpm-v6\.0$/ },
  { dir: 'pnpm/v9-workspace', lockfile: 'pnpm-lock.yaml', format: /^pnpm-v9\.0$/ },
  { dir: 'bun/v2-workspaces', lockfile: 'bun.lock', format: /^bun-v2$/ },
];

describe('scan and sbom on every lockfile format', () => {
  for (const c of cases) {
    it(`${c.dir}: scan finds the lockfile and its workspaces; sbom lists the same packages`, () => {
      const report = scan(join(fixtures, c.dir));
      expect(report.projects).toHaveLength(1);
      const project = report.projects[0] as Report['projects'][number];
      expect(project.lockfile.endsWith(`${c.dir}/${c.lockfile}`)).toBe(true);
      expect(project.format).toMatch(c.format);
      expect(project.workspaces.length).toBeGreaterThan(0);
      expect(project.packages).toBe(project.inventory.length);
      expect(project.packages).toBeGreaterThan(2);
      expect(new Set(project.inventory.map((p) => p.scope)).has('dev')).toBe(true);

      const sbom = runCli(['sbom', join(fixtures, c.dir), '--reproducible']);
      expect(sbom.code).toBe(0);
      const bom = JSON.parse(sbom.stdout) as {
        components: { purl?: string; group?: string; name: string; version: string }[];
      };
      const purls = bom.components
        .filter((x) => x.purl !== undefined)
        .map((x) => `${x.group ? `${x.group}/` : ''}${x.name}@${x.version}`)
        .sort();
      expect(purls).toEqual(project.inventory.map((p) => `${p.name}@${p.version}`).sort());

      // Read back, our SBOM gives the same packages, scopes and workspace folders.
      const file = join(home.path, `${c.dir.replace('/', '-')}.cdx.json`);
      writeFileSync(file, sbom.stdout);
      const back = runCli(['scan', '--sbom', file, '--json', '--list-packages', '--db', db]);
      expect(back.code).toBe(0);
      const read = (JSON.parse(back.stdout) as Report).projects[0] as Report['projects'][number];
      expect(read.inventory).toEqual(project.inventory);
      expect([...read.workspaces].sort()).toEqual([...project.workspaces].sort());
    });
  }

  it('reports a folder with lockfiles of two package managers once per lockfile', () => {
    const dir = join(home.path, 'two-managers');
    cpSync(join(fixtures, 'npm/v3-app'), dir, { recursive: true });
    cpSync(join(fixtures, 'yarn-classic/workspaces/yarn.lock'), join(dir, 'yarn.lock'));
    const result = runCli(['scan', dir, '--json', '--db', db]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^scanning 2 lockfiles\n/);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.projects.map((p) => p.format).sort()).toEqual(['npm-v3', 'yarn-v1']);
  });

  it('gives each lockfile of a folder its own findings, in every format', () => {
    // npm's lockfile holds the fixed minimist, yarn's the affected one.
    const dir = join(home.path, 'two-lockfiles');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package.json'),
      '{"name":"app","version":"1.0.0","dependencies":{"minimist":"^1.2.5"}}',
    );
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 3,
        packages: {
          '': { name: 'app', version: '1.0.0', dependencies: { minimist: '^1.2.5' } },
          'node_modules/minimist': { version: '1.2.8' },
        },
      }),
    );
    writeFileSync(
      join(dir, 'yarn.lock'),
      '# yarn lockfile v1\n\n\nminimist@^1.2.5:\n  version "1.2.5"\n  resolved "https://registry.yarnpkg.com/minimist/-/minimist-1.2.5.tgz"\n',
    );
    const json = runCli(['scan', '--json', '--db', db], { cwd: dir });
    const report = JSON.parse(json.stdout) as Report & {
      findings: { id: string; project: string; lockfile: string }[];
    };
    expect(report.findings.map((f) => [f.lockfile, f.id])).toEqual([['yarn.lock', 'GHSA-xvch-5gv4-984h']]);
    expect(report.projects.map((p) => [p.lockfile, (p as { findings?: number }).findings])).toEqual([
      ['package-lock.json', 0],
      ['yarn.lock', 1],
    ]);

    const table = runCli(['scan', '--db', db], { cwd: dir }).stdout;
    const npmSection = table.slice(0, table.indexOf('yarn.lock ('));
    expect(npmSection).toContain('no known vulnerabilities');
    expect(npmSection).not.toContain('minimist@1.2.5');
    const markdown = runCli(['scan', '--format', 'markdown', '--db', db], { cwd: dir }).stdout;
    const npmPart = markdown.slice(
      markdown.indexOf('## `package-lock.json`'),
      markdown.indexOf('## `yarn.lock`'),
    );
    expect(npmPart).toContain('No known vulnerabilities.');

    // Two lockfiles, each with the same finding: two results, at their own lockfiles, told apart.
    writeFileSync(
      join(dir, 'package-lock.json'),
      readFileSync(join(dir, 'package-lock.json'), 'utf8').replace('1.2.8', '1.2.5'),
    );
    const sarif = JSON.parse(runCli(['scan', '--format', 'sarif', '--db', db], { cwd: dir }).stdout) as {
      runs: {
        results: {
          locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
          partialFingerprints: Record<string, string>;
        }[];
      }[];
    };
    const results = sarif.runs[0]?.results ?? [];
    expect(results.map((r) => r.locations[0]?.physicalLocation.artifactLocation.uri)).toEqual([
      'package-lock.json',
      'yarn.lock',
    ]);
    expect(new Set(results.map((r) => r.partialFingerprints['patchpilot/v1'])).size).toBe(2);
  });
});

describe('bad lockfiles are clear errors, not partial reads', () => {
  const broken = (name: string, dir: string, lockfile: string, edit: (text: string) => string) => {
    const target = join(home.path, name);
    cpSync(join(fixtures, dir), target, { recursive: true });
    const path = join(target, lockfile);
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
    return runCli(['scan', target, '--db', db]);
  };

  it('a future pnpm lockfileVersion is named', () => {
    const result = broken('pnpm-future', 'pnpm/v9-workspace', 'pnpm-lock.yaml', (t) =>
      t.replace("lockfileVersion: '9.0'", "lockfileVersion: '10.0'"),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/lockfileVersion.*10\.0/);
    expect(result.stderr).toMatch(/LOCKFILE_UNSUPPORTED_VERSION/);
  });

  it('corrupt pnpm YAML names the line', () => {
    const result = broken('pnpm-corrupt', 'pnpm/v9-workspace', 'pnpm-lock.yaml', (t) => {
      const lines = t.split('\n');
      lines.splice(5, 0, '  bad: [unclosed');
      return lines.join('\n');
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid YAML at line \d+, column \d+/);
    expect(result.stderr).toMatch(/LOCKFILE_INVALID_YAML/);
  });

  it('a future yarn berry __metadata.version is named', () => {
    const result = broken('berry-future', 'yarn-berry/workspaces-v10', 'yarn.lock', (t) =>
      t.replace(/version: 10\n/, 'version: 99\n'),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/99/);
    expect(result.stderr).toMatch(/LOCKFILE_UNSUPPORTED_VERSION/);
  });

  it('a yarn v1 syntax error names the line', () => {
    const result = broken(
      'yarn1-corrupt',
      'yarn-classic/workspaces',
      'yarn.lock',
      (t) => `${t}\n"unterminated@^1:\n`,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/yarn\.lock: line \d+/);
  });

  it('a future bun lockfileVersion is named', () => {
    const result = broken('bun-future', 'bun/v2-workspaces', 'bun.lock', (t) =>
      t.replace(/"lockfileVersion": 2/, '"lockfileVersion": 42'),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/42/);
    expect(result.stderr).toMatch(/LOCKFILE_UNSUPPORTED_VERSION/);
  });
});
