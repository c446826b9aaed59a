import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../src/core/change.js';
import { projectRoot, requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';
import { git } from '../helpers/fix.js';

/**
 * `patchpilot fix` against the real npm registry: on the bundled examples (a small HTTP API whose
 * tests use every vulnerable dependency, and a client whose test a real security fix breaks) and
 * on NodeGoat 2023's real lockfile, each copied into a fresh git repository.
 */

const hasData = requireSharedData();
const home = tempDir('patchpilot-conformance-fix-');
const db = join(home.path, 'advisories.db');
/** What a user's shell would pass on: proxies and CA certificates (the registry's TLS may need them). */
const passThrough = Object.fromEntries(
  ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy']
    .filter((key) => process.env[key] !== undefined)
    .map((key) => [key, process.env[key]]),
);
const env = {
  ...passThrough,
  HOME: join(home.path, 'home'),
  PATCHPILOT_HOME: join(home.path, 'patchpilot'),
  npm_config_cache: join(home.path, 'npm-cache'),
  npm_config_update_notifier: 'false',
  GIT_CONFIG_NOSYSTEM: '1',
};

interface Report {
  base: { branch: string; commit: string; after: string };
  summary: Record<string, number>;
  changes: Change[];
}

/** A copy of a folder (without node_modules) as the first commit of a new repository. */
const repositoryOf = (source: string, name: string): string => {
  const repo = join(home.path, name);
  cpSync(source, repo, { recursive: true, filter: (path) => !/[\\/]node_modules$/.test(path) });
  writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
  git(repo, 'init', '--quiet', '-b', 'main');
  git(repo, 'config', 'user.name', 'Test User');
  git(repo, 'config', 'user.email', 'test@example.com');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'initial');
  return repo;
};

const fix = (repo: string, args: string[] = []): Report => {
  const result = runCli(
    [
      'fix',
      '--json',
      '--db',
      db,
      '--cache-dir',
      join(home.path, 'registry-cache'),
      '--ledger',
      join(repo, '..', `${repo.split('/').pop()}.ledger.db`),
      ...args,
    ],
    { cwd: repo, env },
  );
  expect(result.stdout, result.stderr).not.toBe('');
  return JSON.parse(result.stdout) as Report;
};

interface Story {
  kind: string;
  id: string;
  status: string;
  advisories: { id: string; name: string; version: string; detected?: { storeSnapshot?: string } }[];
  plan?: { strategy?: string; alternatives: unknown[] };
  decision?: { level: number; rules: string[] };
  tests?: { ran: boolean; passed: boolean; exercised: string[] };
  proof?: { proven: boolean };
  outcome?: { actor: string };
  commit?: { found: boolean };
}

const ledgerOf = (repo: string): string => join(repo, '..', `${repo.split('/').pop()}.ledger.db`);

const explain = (repo: string, id: string): Story => {
  const result = runCli(['explain', id, '--ledger', ledgerOf(repo), '--json'], { cwd: repo, env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Story;
};

const ledgerEntries = (repo: string): { kind: string; change: string | null; subject: string }[] => {
  const shown = runCli(['ledger', 'show', '--ledger', ledgerOf(repo), '--json'], { cwd: repo, env });
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout) as { kind: string; change: string | null; subject: string }[];
};

const changeOf = (report: Report, name: string): Change => {
  const change = report.changes.find((c) =>
    c.patch.changes.some((x) => (x.kind === 'lock' || x.kind === 'manifest') && x.name === name),
  );
  if (!change) throw new Error(`no change moves ${name}`);
  return change;
};

const scanIds = (repo: string): string[] => {
  const scan = runCli(['scan', '--json', '--db', db], { cwd: repo, env });
  return (
    JSON.parse(scan.stdout) as { findings: { id: string; package: { name: string; version: string } }[] }
  ).findings.map((f) => `${f.id} ${f.package.name}@${f.package.version}`);
};

describe.runIf(hasData)('fix against the real registry', () => {
  beforeAll(() => {
    const advisories = join(sharedData, 'advisories');
    const imported = runCli(
      [
        'db',
        'import',
        join(advisories, 'npm-osv.jsonl.gz'),
        join(advisories, 'npm-osv-more.jsonl.gz'),
        join(advisories, 'npm-malicious-sample.jsonl.gz'),
        '--db',
        db,
      ],
      { env },
    );
    expect(imported.code, imported.stderr).toBe(0);
  }, 120_000);
  afterAll(() => home.remove());

  it('examples/http-api: merges the patches its tests exercise, proposes the 0.x majors, and its tests pass after', () => {
    const repo = repositoryOf(join(projectRoot, 'examples/http-api'), 'http-api');
    const report = fix(repo);
    for (const name of ['minimist', 'json5', 'semver']) {
      const change = changeOf(report, name);
      expect(change.status, `${name}: ${change.reason}`).toBe('merged');
      expect(change.tests?.exercised).toContain(name);
      expect(change.proof?.proven).toBe(true);
    }
    for (const name of ['path-to-regexp', 'cookie']) {
      const change = changeOf(report, name);
      expect(change.status, `${name}: ${change.reason}`).toBe('proposed');
      expect(change.verdict.cappedBy).toContain('semver-step');
      expect(change.tests?.passed).toBe(true);
      expect(git(repo, 'branch', '--list', change.branch as string)).not.toBe('');
    }
    // The merged advisories are gone from the base branch; the proposed ones are still there.
    const left = scanIds(repo);
    expect(left).not.toContain('GHSA-xvch-5gv4-984h minimist@1.2.5');
    expect(left).not.toContain('GHSA-9c47-m6qq-7p4h json5@2.2.1');
    expect(left).not.toContain('GHSA-c2qf-rxjj-qqgw semver@7.5.1');
    expect(left).toContain('GHSA-pxg6-pf52-xh8x cookie@0.6.0');
    // And the app's own tests pass on the merged result.
    const npm = (args: string[]) =>
      spawnSync('npm', args, { cwd: repo, env: { ...process.env, ...env }, encoding: 'utf8' });
    const ci = npm(['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
    expect(ci.status, ci.stderr).toBe(0);
    const tested = npm(['test']);
    expect(tested.status, tested.stdout).toBe(0);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    // explain tells the merged change's whole story from the ledger and the commit.
    const minimist = changeOf(report, 'minimist');
    const story = explain(repo, minimist.id);
    expect(story).toMatchObject({ kind: 'change', id: minimist.id, status: 'merged' });
    expect(story.advisories[0]).toMatchObject({
      id: 'GHSA-xvch-5gv4-984h',
      name: 'minimist',
      version: '1.2.5',
    });
    expect(story.advisories[0]?.detected?.storeSnapshot).toMatch(/^[0-9a-f]{64}$/);
    expect(story.decision?.level).toBe(3);
    expect(story.tests).toMatchObject({ ran: true, passed: true, exercised: ['minimist'] });
    expect(story.proof?.proven).toBe(true);
    expect(story.outcome?.actor).toMatch(/^patchpilot@/);
    expect(story.commit?.found).toBe(true);
    expect(story.plan?.strategy).toBe('in-place');
    expect(Array.isArray(story.plan?.alternatives)).toBe(true);
    expect(story.decision?.rules.length).toBeGreaterThan(0);
    // The ledger holds an entry for every stage of every change, and its chain is intact.
    const entries = ledgerEntries(repo);
    const kindsOf = (id: string): string[] => entries.filter((e) => e.change === id).map((e) => e.kind);
    for (const name of ['minimist', 'json5', 'semver']) {
      const kinds = kindsOf(changeOf(report, name).id);
      for (const kind of ['planned', 'applied', 'tested', 'proved', 'decided', 'merged'])
        expect(kinds, `${name}: ${kind}`).toContain(kind);
    }
    for (const name of ['path-to-regexp', 'cookie']) {
      const kinds = kindsOf(changeOf(report, name).id);
      for (const kind of ['planned', 'applied', 'tested', 'proved', 'decided', 'proposed'])
        expect(kinds, `${name}: ${kind}`).toContain(kind);
    }
    const detected = entries.filter((e) => e.kind === 'detected').map((e) => e.subject);
    expect(detected).toContain('GHSA-xvch-5gv4-984h minimist@1.2.5');
    expect(detected).toContain('GHSA-pxg6-pf52-xh8x cookie@0.6.0');
    const verified = runCli(['ledger', 'verify', '--ledger', ledgerOf(repo)], { cwd: repo, env });
    expect(verified.code, verified.stdout).toBe(0);
  }, 600_000);

  it('examples/http-client: the node-fetch fix breaks its test and is held back with the failure', () => {
    const repo = repositoryOf(join(projectRoot, 'examples/http-client'), 'http-client');
    const head = git(repo, 'rev-parse', 'HEAD');
    const report = fix(repo);
    const change = changeOf(report, 'node-fetch');
    expect(change.status).toBe('held-back');
    expect(change.failure?.stage).toBe('test');
    expect(change.tests?.exercised).toContain('node-fetch');
    expect(change.commands.map((c) => c.output).join('\n')).toContain('profile: HTTP 401');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(repo, 'branch', '--list', 'patchpilot/*')).toBe('');
    const story = explain(repo, change.id);
    expect(story).toMatchObject({ status: 'held-back' });
    expect(story.tests).toMatchObject({ ran: true, passed: false, exercised: ['node-fetch'] });
    expect(story.commit).toBeUndefined();
    const kinds = ledgerEntries(repo)
      .filter((e) => e.change === change.id)
      .map((e) => e.kind);
    for (const kind of ['planned', 'applied', 'tested', 'decided', 'failed']) expect(kinds).toContain(kind);
    expect(kinds).not.toContain('merged');
    expect(kinds).not.toContain('proposed');
  }, 600_000);

  it('NodeGoat 2023: the branches really drop the advisories they target, and say no tests ran', () => {
    const repo = repositoryOf(join(sharedData, 'projects/OWASP__NodeGoat@c5cb68a708'), 'nodegoat');
    const before = new Set(scanIds(repo));
    const report = fix(repo, ['--no-tests', '--strategy', 'in-place']);
    const proposed = report.changes.filter((c) => c.status === 'proposed');
    expect(proposed.length).toBeGreaterThan(10);
    expect(report.summary.merged).toBe(0);
    for (const change of proposed) {
      expect(change.tests).toMatchObject({ ran: false });
      expect(change.verdict.reasons.map((r) => r.evidence)).toContain(
        'the project has no tests to run: nothing vouches for the change',
      );
      // Proved by scan: the branch's lockfile no longer has any advisory the change targets.
      git(repo, 'checkout', '--quiet', change.branch as string);
      const after = new Set(scanIds(repo));
      for (const ref of change.patch.fixes) {
        const key = `${ref.id} ${ref.name}@${ref.version}`;
        expect(before.has(key)).toBe(true);
        expect(after.has(key), `${change.branch}: ${key}`).toBe(false);
      }
      const lock = readFileSync(join(repo, 'package-lock.json'), 'utf8');
      expect(lock).toContain('"lockfileVersion": 2');
    }
    git(repo, 'checkout', '--quiet', 'main');
  }, 900_000);
});
