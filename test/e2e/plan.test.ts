import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageChange, Plan } from '../../src/core/plan.js';
import { projectRoot, runCli, tempDir } from '../helpers/cli.js';

/**
 * `patchpilot plan` as a user runs it, on the fixtures of test/fixtures/plan, each planned against
 * its own universe file (hermetic: no registry, no network).
 */
const fixtures = join(projectRoot, 'test/fixtures/plan');
const app = join(fixtures, 'app');
const pinned = join(fixtures, 'pinned-override');
const home = tempDir();
const db = join(home.path, 'store.db');
const env = { PATCHPILOT_HOME: home.path };

interface Report {
  schemaVersion: number;
  today: string;
  generatedAt?: string;
  registry: { source: string; offline: boolean; universe?: string };
  projects: { path: string; lockfile: string; format: string; overrides: boolean; plan: Plan }[];
  summary: Record<string, number>;
}

const plan = (args: string[]) =>
  runCli(['plan', ...args, '--db', db, '--deterministic', '--today', '2026-01-01'], { env });

const planJson = (args: string[]): Plan => {
  const result = plan([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  const report = JSON.parse(result.stdout) as Report;
  expect(report.projects).toHaveLength(1);
  return (report.projects[0] as Report['projects'][number]).plan;
};

const oneLine = (c: PackageChange): string =>
  c.kind === 'lock'
    ? `${c.name} ${c.from} -> ${c.to}`
    : c.kind === 'manifest'
      ? `${c.dependency} ${c.fromRange} -> ${c.toRange}`
      : c.kind === 'override'
        ? `overrides ${c.key} ${c.from ?? '-'} -> ${c.to ?? '-'}`
        : `${c.kind} ${c.name}`;

const patches = (p: Plan): string[][] => p.patches.map((x) => [x.strategy, ...x.changes.map(oneLine)]);

/** Every file below a folder with its bytes and modification time. */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(dir, path)] = `${statSync(path).mtimeMs} ${readFileSync(path, 'base64')}`;
    }
  };
  walk(dir);
  return out;
};

beforeAll(() => {
  const result = runCli([
    'db',
    'import',
    join(app, 'advisories.osv.json'),
    join(pinned, 'advisories.osv.json'),
    '--db',
    db,
  ]);
  expect(result.code, result.stderr).toBe(0);
});
afterAll(() => home.remove());

describe('plan on a fixture with a finding for every strategy', () => {
  it('text, JSON and Markdown: patches in order, risk facts, the rest explained; nothing written', () => {
    const before = snapshot(fixtures);
    const universe = ['--universe', join(app, 'universe.yaml')];

    const json = plan([app, ...universe, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as Report;
    expect(report).toMatchObject({
      schemaVersion: 1,
      today: '2026-01-01',
      registry: { source: 'universe', offline: true, universe: 'test/fixtures/plan/app/universe.yaml' },
      summary: { findings: 6, targeted: 6, fixed: 5, alsoFixed: 0, remaining: 1, unfixable: 1, patches: 5 },
    });
    expect(report.generatedAt).toBeUndefined();
    const [project] = report.projects;
    expect(project).toMatchObject({
      path: 'test/fixtures/plan/app',
      lockfile: 'test/fixtures/plan/app/package-lock.json',
      format: 'npm-v3',
    });
    const p = project?.plan as Plan;
    expect(p.lockfile).toBe('test/fixtures/plan/app/package-lock.json');
    expect(p.options.strategies).toEqual(['in-place', 'relax', 'parent-upgrade', 'override']);
    // Highest priority first; the override, the last resort, last.
    expect(patches(p)).toEqual([
      ['relax', 'web ^1.0.0 -> ^2.0.0', 'old 1.0.0 -> 2.0.0'],
      ['in-place', 'lib 1.0.0 -> 1.0.1'],
      ['parent-upgrade', 'dep 1.0.0 -> 1.0.1', 'parent 1.0.0 -> 1.1.0'],
      ['in-place', 'devtool 1.0.0 -> 1.0.1'],
      ['override', 'overrides pinned > leaf - -> 1.0.1', 'leaf 1.0.0 -> 1.0.1'],
    ]);
    expect(p.patches.map((x) => x.fixes.map((f) => `${f.id} ${f.name}@${f.version}`))).toEqual([
      ['GHSA-pp01-0003-0003 old@1.0.0'],
      ['GHSA-pp01-0001-0001 lib@1.0.0'],
      ['GHSA-pp01-0002-0002 dep@1.0.0'],
      ['GHSA-pp01-0006-0006 devtool@1.0.0'],
      ['GHSA-pp01-0004-0004 leaf@1.0.0'],
    ]);
    expect(p.patches.map((x) => [x.risk.step, x.risk.inRange, x.risk.outOfRange])).toEqual([
      ['major', false, undefined],
      ['patch', true, undefined],
      ['minor', true, undefined],
      ['patch', true, undefined],
      ['patch', false, true],
    ]);
    expect(p.patches[4]?.changes[0]).toEqual({
      kind: 'override',
      action: 'add',
      manager: 'npm',
      file: 'package.json',
      path: ['pinned', 'leaf'],
      key: 'pinned > leaf',
      name: 'leaf',
      to: '1.0.1',
      advisories: ['GHSA-pp01-0004-0004'],
      outOfRange: true,
    });
    expect(p.patches.every((x) => /^p-[0-9a-f]{10}$/.test(x.id))).toBe(true);
    expect(p.unfixable).toMatchObject([
      { finding: { id: 'GHSA-pp01-0005-0005', name: 'nofix', version: '1.0.0' }, reason: 'no-fix-published' },
    ]);
    expect(p.remaining).toEqual([{ id: 'GHSA-pp01-0005-0005', name: 'nofix', version: '1.0.0' }]);
    expect(p.staleOverrides).toEqual([]);
    // The default policy's level for each patch: nothing is tested or proved at plan time, so
    // every patch is proposed (2), capped by the evidence rules; the unfixable finding is reported (1).
    const verdicts = (project as unknown as { verdicts: PlanVerdictsJson }).verdicts;
    for (const patch of p.patches) {
      expect(verdicts.patches[patch.id]?.level, patch.id).toBe(2);
      expect(verdicts.patches[patch.id]?.cappedBy, patch.id).toEqual(
        expect.arrayContaining(['tests-evidence', 'proof-of-fix']),
      );
    }
    expect(verdicts.patches[p.patches[0]?.id as string]?.cappedBy).toContain('semver-step');
    expect(verdicts.patches[p.patches[4]?.id as string]?.cappedBy).toContain('override');
    expect(verdicts.unfixable).toMatchObject([{ verdict: { level: 1, cappedBy: ['no-fix'] } }]);

    const text = plan([app, ...universe]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      'test/fixtures/plan/app/package-lock.json (npm-v3): 6 findings, 6 planned for; 5 patches fix 5, 1 remains (1 unfixable)',
    );
    expect(text.stdout).toContain(
      '  1. relax: package.json dependencies "web": ^1.0.0 → ^2.0.0 (1.0.0 → 2.0.0); old 1.0.0 → 2.0.0\n',
    );
    expect(text.stdout).toContain('  2. in-place: lib 1.0.0 → 1.0.1\n');
    expect(text.stdout).toMatch(
      /\n {5}level: 2 propose: [a-z, -]*tests-evidence[a-z, -]* \(patchpilot explain p-[0-9a-f]{10}\)\n/,
    );
    expect(text.stdout).toContain(
      '  5. override: package.json overrides add "pinned > leaf": "1.0.1" (for GHSA-pp01-0004-0004); leaf 1.0.0 → 1.0.1\n',
    );
    expect(text.stdout).toContain("OUT OF RANGE: forces a version a dependent's range excludes");
    expect(text.stdout).toContain('    GHSA-pp01-0005-0005 nofix@1.0.0  no-fix-published\n');
    expect(text.stdout).toContain('  left after the plan:\n    GHSA-pp01-0005-0005 nofix@1.0.0\n');
    expect(text.stdout).toMatch(/nothing was written\)\n$/);

    const markdown = plan([app, ...universe, '--format', 'markdown']);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain('# PatchPilot plan');
    expect(markdown.stdout).toContain('| risk | level |');
    expect(markdown.stdout).toContain('| 3 | parent-upgrade | dep 1.0.0 → 1.0.1<br>parent 1.0.0 → 1.1.0 |');
    expect(markdown.stdout).toContain('### Unfixable');

    // The project's bytes and modification times are as they were, and nothing was added.
    expect(snapshot(fixtures)).toEqual(before);
  });

  it('options: strategies, --ignore-dev, --min-severity, --max-depth, --prefer, --upgrade-config, --vex', () => {
    const universe = ['--universe', join(app, 'universe.yaml')];
    // Without parent-upgrade and override: relax raises parent instead, leaf stays.
    const narrow = planJson([
      app,
      ...universe,
      '--strategy',
      'in-place,relax',
      '--ignore-dev',
      '--min-severity',
      'moderate',
    ]);
    expect(narrow.options).toMatchObject({
      strategies: ['in-place', 'relax'],
      ignoreDev: true,
      minSeverity: 'moderate',
    });
    expect(narrow.ignored).toEqual([
      { finding: { id: 'GHSA-pp01-0006-0006', name: 'devtool', version: '1.0.0' }, reason: 'dev' },
      { finding: { id: 'GHSA-pp01-0004-0004', name: 'leaf', version: '1.0.0' }, reason: 'severity' },
    ]);
    expect(patches(narrow)).toEqual([
      ['relax', 'web ^1.0.0 -> ^2.0.0', 'old 1.0.0 -> 2.0.0'],
      ['in-place', 'lib 1.0.0 -> 1.0.1'],
      ['relax', 'parent ^1.0.0 -> ^2.0.0', 'dep 1.0.0 -> 2.0.0'],
    ]);
    // Ignored findings stay in what is left.
    expect(narrow.remaining.map((f) => f.name)).toEqual(['devtool', 'leaf', 'nofix']);

    const vex = join(home.path, 'lib.openvex.json');
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.org/vex/plan-e2e',
        author: 'PatchPilot tests',
        timestamp: '2025-01-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'GHSA-pp01-0001-0001' },
            products: [{ '@id': 'pkg:npm/lib@1.0.0' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const tuned = planJson([
      app,
      ...universe,
      '--strategy',
      'in-place',
      '--strategy',
      'parent-upgrade',
      '--max-depth',
      '1',
      '--prefer',
      'highest',
      '--upgrade-config',
      '*:minor',
      '--upgrade-config',
      'devtool:none',
      '--vex',
      vex,
    ]);
    expect(tuned.options).toMatchObject({
      strategies: ['in-place', 'parent-upgrade'],
      maxDepth: 1,
      preferHighest: true,
      upgradeConfig: { default: 'minor', packages: { devtool: 'none' } },
    });
    // lib is suppressed by VEX: not planned for. dep, old and leaf sit two levels down.
    expect(tuned.ignored.map((i) => `${i.finding.name} ${i.reason}`).sort()).toEqual([
      'dep depth',
      'leaf depth',
      'lib suppressed',
      'old depth',
    ]);
    expect(tuned.patches).toEqual([]);
    expect(tuned.unfixable.map((u) => `${u.finding.name} ${u.reason}`)).toEqual([
      'nofix no-fix-published',
      'devtool upgrade-forbidden',
    ]);
  });
});

describe('an override of the project that pins an affected version', () => {
  it('is honoured: no in-place fix it would undo; the plan changes it, and reports a stale one', () => {
    const universe = ['--universe', join(pinned, 'universe.yaml')];
    const full = planJson([pinned, ...universe]);
    // lib 1.0.0 → 1.0.1 in place would be undone by "lib": "1.0.0": the only fix is the entry.
    expect(patches(full)).toEqual([['override', 'overrides lib 1.0.0 -> 1.0.1', 'lib 1.0.0 -> 1.0.1']]);
    expect(full.patches[0]?.changes[0]).toMatchObject({
      action: 'change',
      path: ['lib'],
      from: '1.0.0',
      to: '1.0.1',
      advisories: ['GHSA-pp01-0001-0001'],
      outOfRange: false,
    });
    expect(full.alternatives.filter((x) => x.strategy === 'in-place')).toEqual([]);
    expect(full.overrides).toEqual([
      {
        key: 'lib',
        value: '1.0.0',
        finding: { id: 'GHSA-pp01-0001-0001', name: 'lib', version: '1.0.0' },
        text: 'overrides "lib": "1.0.0" pins lib to versions affected by GHSA-pp01-0001-0001',
      },
    ]);
    expect(full.staleOverrides).toMatchObject([{ key: 'ms', path: ['ms'], value: '2.1.3', name: 'ms' }]);

    // Without the override strategy, the finding is unfixable and the reason names the entry.
    const text = plan([pinned, ...universe, '--strategy', 'in-place,relax,parent-upgrade']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('1 finding, 1 planned for; 0 patches fix 0, 1 remains (1 unfixable)');
    expect(text.stdout).toContain(
      `the project's overrides entry "lib": "1.0.0" keeps lib at an affected version; raise it to 1.0.1 or remove it`,
    );
    expect(text.stdout).toContain('overrides "ms": "2.1.3" no longer fixes anything');
  });
});

describe('plan errors', () => {
  it('usage errors exit 2, a document missing from the cache with --offline exits 3', () => {
    const strategy = plan([app, '--strategy', 'sideways']);
    expect(strategy.code).toBe(2);
    expect(strategy.stderr).toContain(
      'plan: unknown --strategy "sideways" (in-place, relax, parent-upgrade, override) [USAGE]',
    );
    const universe = plan([app, '--universe', join(home.path, 'missing.yaml')]);
    expect(universe.code).toBe(2);
    expect(universe.stderr).toContain('[UNIVERSE_NOT_FOUND]');
    const offline = plan([app, '--offline', '--cache-dir', join(home.path, 'empty-cache')]);
    expect(offline.code).toBe(3);
    expect(offline.stderr).toContain('[REGISTRY_OFFLINE_MISS]');
  });

  it('fix --timeout beyond a day, or below a millisecond, is a usage error (a timer could not wait it)', () => {
    for (const value of ['99999999999', '86401', '0.0001']) {
      const run = runCli(['fix', app, '--timeout', value, '--db', db]);
      expect(run.code, value).toBe(2);
      expect(run.stderr).toContain(
        `--timeout takes from 0.001 to 86400 seconds (a day), got "${value}" [USAGE]`,
      );
    }
  });
});

interface PlanVerdictsJson {
  patches: Record<string, { level: number; cappedBy: string[] }>;
  unfixable: { verdict: { level: number; cappedBy: string[] } }[];
}
