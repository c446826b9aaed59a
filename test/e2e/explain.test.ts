import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, type CliResult, runCli, tempDir } from '../helpers/cli.js';

/**
 * `patchpilot explain` on a small project against a local HTTP server standing in for the npm
 * registry (no network), as of 2026-01-01:
 * - lib 1.0.0 → 1.0.1 (GHSA-lib): a patch step in range, released 2025-06-01, no install script;
 *   only the missing test run and proof keep it at 2 (propose);
 * - tool 1.0.0 → 1.1.0 (GHSA-tool): a minor in range, released the day before, adding a
 *   postinstall script: release-age and install-scripts cap it too;
 * - gone 1.0.0 (GHSA-gone) has no fix: reported (1).
 * A copy with a `.patchpilot.yml` caps lib at 1.
 */
const work = tempDir();
const db = join(work.path, 'store.db');
const app = join(work.path, 'app');
const frozen = join(work.path, 'frozen');
const today = '2026-01-01';

const documents: Record<string, Record<string, { time: string; scripts?: Record<string, string> }>> = {
  lib: { '1.0.0': { time: '2024-01-01T00:00:00Z' }, '1.0.1': { time: '2025-06-01T00:00:00Z' } },
  tool: {
    '1.0.0': { time: '2024-01-01T00:00:00Z' },
    '1.1.0': { time: '2025-12-31T00:00:00Z', scripts: { postinstall: 'node setup.js' } },
  },
  gone: { '1.0.0': { time: '2024-01-01T00:00:00Z' } },
};

const server: Server = createServer((req, res) => {
  const name = decodeURIComponent((req.url ?? '/').slice(1));
  const doc = documents[name];
  if (!doc) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    return;
  }
  const versions = Object.keys(doc);
  const body = {
    name,
    'dist-tags': { latest: versions.at(-1) },
    versions: Object.fromEntries(
      versions.map((v) => [
        v,
        {
          name,
          version: v,
          dist: { tarball: `http://x/${name}-${v}.tgz` },
          ...(doc[v]?.scripts ? { scripts: doc[v].scripts, hasInstallScript: true } : {}),
        },
      ]),
    ),
    time: {
      created: '2010-01-01T00:00:00Z',
      modified: '2025-12-31T00:00:00Z',
      ...Object.fromEntries(versions.map((v) => [v, doc[v]?.time])),
    },
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
let registry: string;

const osv = (id: string, name: string, fixed?: string) => ({
  id,
  modified: '2025-12-01T00:00:00Z',
  published: '2025-12-01T00:00:00Z',
  summary: `${name} is vulnerable`,
  database_specific: { severity: 'HIGH' },
  affected: [
    {
      package: { ecosystem: 'npm', name },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])] }],
    },
  ],
});

const explain = (args: readonly string[]): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [binPath, 'explain', ...args, '--db', db, '--today', today, '--registry', registry],
      {
        cwd: work.path,
        env: { PATH: process.env.PATH, HOME: work.path, PATCHPILOT_HOME: join(work.path, 'home') },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });

interface Report {
  schemaVersion: number;
  project: { config?: string };
  explanations: {
    kind: string;
    status?: string;
    patch?: { id: string };
    changes?: string[];
    patches?: { id: string; chosen: boolean; verdict: { level: number; cappedBy: string[] } }[];
    rules?: { id: string; reasons: { effect: string; level?: number; evidence: string }[] }[];
    verdict?: { level: number; cappedBy: string[] };
  }[];
}

const patchIdOf = async (finding: string, dir = 'app'): Promise<string> => {
  const result = await explain([finding, dir, '--json']);
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout) as Report;
  const chosen = report.explanations[0]?.patches?.find((p) => p.chosen);
  if (!chosen) throw new Error(`no chosen patch for ${finding}`);
  return chosen.id;
};

beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  mkdirSync(app);
  const manifest = {
    name: 'app',
    version: '1.0.0',
    dependencies: { lib: '^1.0.0', tool: '^1.0.0', gone: '^1.0.0' },
  };
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest));
  const entry = (name: string) => ({
    version: '1.0.0',
    resolved: `${registry}${name}/-/${name}-1.0.0.tgz`,
  });
  writeFileSync(
    join(app, 'package-lock.json'),
    JSON.stringify({
      name: 'app',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: {
        '': manifest,
        'node_modules/lib': entry('lib'),
        'node_modules/tool': entry('tool'),
        'node_modules/gone': entry('gone'),
      },
    }),
  );
  cpSync(app, frozen, { recursive: true });
  writeFileSync(
    join(frozen, '.patchpilot.yml'),
    'policy:\n  caps:\n    - packages: [lib]\n      maxLevel: 1\n      reason: lib is frozen until the audit\n',
  );
  const advisories = join(work.path, 'advisories.json');
  writeFileSync(
    advisories,
    JSON.stringify({
      vulns: [osv('GHSA-lib', 'lib', '1.0.1'), osv('GHSA-tool', 'tool', '1.1.0'), osv('GHSA-gone', 'gone')],
    }),
  );
  const imported = runCli(['db', 'import', advisories, '--db', db]);
  expect(imported.code).toBe(0);
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  work.remove();
});

describe('patchpilot explain', () => {
  it('a patch step with a known age and no new scripts waits only for the tests and the proof', async () => {
    const id = await patchIdOf('GHSA-lib');
    const result = await explain([id, 'app']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Patch ${id} (in-place), chosen`);
    expect(result.stdout).toContain('  lib 1.0.0 → 1.0.1\n');
    expect(result.stdout).toContain('  released: 2025-06-01, 214 days before the plan\n');
    expect(result.stdout).toContain('  install scripts added: no\n');
    expect(result.stdout).toContain('    semver-step      allow: patch step: lib 1.0.0 → 1.0.1\n');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe(
      'Verdict: 2 (propose), capped by tests-evidence, proof-of-fix',
    );
    // The id copied in capitals names the same patch.
    expect((await explain([id.toUpperCase(), 'app'])).stdout).toBe(result.stdout);
  });

  it('a young release that adds an install script is capped by both rules, as JSON', async () => {
    const id = await patchIdOf('GHSA-tool');
    const result = await explain([id, 'app', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.schemaVersion).toBe(1);
    const [e] = report.explanations;
    expect(e?.changes).toEqual(['tool 1.0.0 → 1.1.0']);
    expect(e?.verdict).toEqual(
      expect.objectContaining({
        level: 2,
        cappedBy: ['install-scripts', 'release-age', 'tests-evidence', 'proof-of-fix'],
      }),
    );
    const releaseAge = e?.rules?.find((r) => r.id === 'release-age')?.reasons;
    expect(releaseAge).toEqual([
      {
        effect: 'cap',
        level: 2,
        evidence:
          'the newest target was published 1 day ago (2025-12-31), under policy.minReleaseAgeDays (3): proposed, never merged, until it has aged',
      },
    ]);
  });

  it('a finding nothing fixes is reported (1) with the planner reason', async () => {
    const result = await explain(['ghsa-gone', 'app']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Not fixed: no-fix-published');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('Verdict: 1 (report), capped by no-fix');
  });

  it("applies the project's policy: a package cap names its entry and reason", async () => {
    const id = await patchIdOf('GHSA-lib', 'frozen');
    const result = await explain([id, 'frozen', '--json']);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.project.config).toBe('frozen/.patchpilot.yml');
    const [e] = report.explanations;
    expect(e?.verdict).toEqual(expect.objectContaining({ level: 1, cappedBy: ['package-cap'] }));
    expect(e?.rules?.find((r) => r.id === 'package-cap')?.reasons[0]?.evidence).toBe(
      'policy.caps[0] limits it to 1 (report): the change package lib matches lib: lib is frozen until the audit',
    );
  });

  it('an id the plan does not know is a usage error (exit 2)', async () => {
    const result = await explain(['GHSA-none', 'app']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('explain: no patch or finding "GHSA-none" in the plan of app');
  });

  it('needs an id (exit 2) and has help', async () => {
    expect((await explain([])).code).toBe(2);
    const help = runCli(['help', 'explain']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: patchpilot explain PATCH-OR-FINDING [DIR]');
  });
});
