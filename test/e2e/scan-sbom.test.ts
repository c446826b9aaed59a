import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, runCli, tempDir } from '../helpers/cli.js';

/** `scan --sbom`: an SBOM made elsewhere goes through the same matching as the lockfile it describes. */
const example = join(projectRoot, 'examples/vulnerable-app');
const home = tempDir();
const db = join(home.path, 'store.db');

interface Report {
  projects: {
    format: string;
    packages: number;
    inventory?: { name: string; version: string; scope: string }[];
  }[];
  findings: { id: string; package: { name: string; version: string }; scope: string; direct: boolean }[];
}

const findingsOf = (report: Report): string[] =>
  report.findings
    .map(
      (f) =>
        `${f.id} ${f.package.name}@${f.package.version} ${f.scope} ${f.direct ? 'direct' : 'transitive'}`,
    )
    .sort();

const scan = (args: string[]): Report => {
  const result = runCli(['scan', ...args, '--json', '--db', db]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Report;
};

/** `npm sbom` needs no network with --package-lock-only; it runs in a copy of the example. */
const npmSbom = (format: 'cyclonedx' | 'spdx'): string => {
  const dir = join(home.path, `npm-${format}`);
  cpSync(example, dir, { recursive: true });
  const out = execFileSync('npm', ['sbom', '--package-lock-only', '--sbom-format', format], {
    cwd: dir,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  }).toString();
  const file = join(home.path, `npm.${format}.json`);
  writeFileSync(file, out);
  return file;
};

beforeAll(() => {
  expect(runCli(['db', 'import', join(example, 'advisories.osv.json'), '--db', db]).code).toBe(0);
});
afterAll(() => home.remove());

describe('scan --sbom', () => {
  it("gives the lockfile's findings, scopes and directness for npm sbom's CycloneDX and SPDX", () => {
    const expected = findingsOf(scan([example]));
    expect(expected).toHaveLength(12);
    for (const format of ['cyclonedx', 'spdx'] as const) {
      const report = scan(['--sbom', npmSbom(format)]);
      expect(report.projects[0]?.format).toMatch(format === 'spdx' ? /^spdx-2\.3$/ : /^cyclonedx-1\.\d$/);
      expect(report.projects[0]?.packages).toBe(6);
      expect(findingsOf(report)).toEqual(expected);
    }
  });

  it('--list-packages lists the registry packages and their scopes', () => {
    const fromLockfile = scan([example, '--list-packages']).projects[0]?.inventory;
    expect(fromLockfile).toHaveLength(6);
    expect(fromLockfile).toContainEqual(
      expect.objectContaining({ name: 'json5', version: '1.0.1', scope: 'dev' }),
    );
    const fromSbom = scan(['--sbom', npmSbom('spdx'), '--list-packages']).projects[0]?.inventory;
    expect(fromSbom).toEqual(fromLockfile);
  });

  it('--list-packages without --json is a usage error', () => {
    const result = runCli(['scan', example, '--list-packages', '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--list-packages adds to the JSON report/);
  });

  it('warns on stderr about components it cannot match and bom-refs given twice', () => {
    const file = join(home.path, 'gaps.cdx.json');
    writeFileSync(
      file,
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        components: [
          { 'bom-ref': 'x', name: 'minimist', version: '0.0.8' },
          { 'bom-ref': 'x', name: 'minimist', version: '0.0.8', purl: 'pkg:npm/minimist@0.0.8' },
        ],
      }),
    );
    const result = runCli(['scan', '--sbom', file, '--json', '--db', db]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      [
        'warning: 1 component has no package URL, and is not matched (first: minimist@0.0.8)',
        "warning: 1 component repeats the bom-ref of another (first: x); each is matched, but the document's dependencies name only the first, so the others' paths and scopes may be wrong",
        '',
      ].join('\n'),
    );
    expect((JSON.parse(result.stdout) as Report).projects[0]?.packages).toBe(1);
  });

  it('refuses a missing file, a non-SBOM, and a folder given with --sbom', () => {
    const missing = runCli(['scan', '--sbom', join(home.path, 'nope.json'), '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/SBOM_NOT_FOUND|no such file/);
    const notSbom = join(home.path, 'not-sbom.json');
    writeFileSync(notSbom, '{"name": "x"}');
    const wrong = runCli(['scan', '--sbom', notSbom, '--db', db]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/neither CycloneDX/);
    const both = runCli(['scan', example, '--sbom', notSbom, '--db', db]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--sbom scans one SBOM file/);
  });
});
