import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byName, createProject, git, lib, type Project } from '../helpers/fix.js';

/**
 * `patchpilot rollback` as a user runs it after `fix` merged a change: real git, real npm, a fake
 * registry served by this process; then `plan` and `fix` with the quarantine the rollback left.
 */

const testFile = (requires: string[], asserts: string): string =>
  [
    "'use strict';",
    "const { test } = require('node:test');",
    "const assert = require('node:assert');",
    ...requires.map((name, i) => `const m${i} = require('${name}');`),
    `test('the app works', () => {\n${asserts}\n});`,
    '',
  ].join('\n');

const lockVersion = (text: string, name: string): string | undefined =>
  (JSON.parse(text) as { packages: Record<string, { version?: string }> }).packages[`node_modules/${name}`]
    ?.version;

interface PlanJson {
  projects: {
    plan: {
      patches: { id: string; changes: { kind: string; name: string; to?: string }[] }[];
      unfixable: { finding: { name: string }; reason: string; text: string }[];
    };
    quarantined?: { name: string; version: string; change?: string; reason?: string; heldOut: boolean }[];
  }[];
}

interface LedgerEntryJson {
  seq: number;
  kind: string;
  actor: string;
  change: string | null;
  inputs: Record<string, unknown>;
  outcome: Record<string, unknown>;
}

const targets = (plan: PlanJson, name: string): string[] =>
  (plan.projects[0]?.plan.patches ?? []).flatMap((p) =>
    p.changes
      .filter((c) => (c.kind === 'lock' || c.kind === 'manifest') && c.name === name)
      .map((c) => c.to ?? ''),
  );

const goodLib = (versions: string[]) => ({
  name: 'good-lib',
  versions: Object.fromEntries(versions.map((v) => [v, lib('good')])),
});

describe('rollback of a merged change, quarantine, release', () => {
  let project: Project;
  let change: string;
  let lockBefore: string;
  let planRuns = 0;
  const plan = async (args: string[] = []): Promise<{ json: PlanJson; text: string }> => {
    // A fresh registry cache each time: the fake registry publishes in between.
    const cache = join(project.root, `plan-cache-${planRuns++}`);
    const common = ['--db', project.db, '--ledger', project.ledger, '--cache-dir', cache, ...args];
    const json = await project.run(['plan', '--json', ...common]);
    expect(json.code, json.stderr).toBe(0);
    const text = await project.run(['plan', ...common]);
    expect(text.code, text.stderr).toBe(0);
    return { json: JSON.parse(json.stdout) as PlanJson, text: text.stdout };
  };
  const rollback = (args: string[]) =>
    project.run(['rollback', ...args, '--ledger', project.ledger, '--author', 'Ops <ops@example.com>']);
  const entries = async (): Promise<LedgerEntryJson[]> => {
    const shown = await project.run([
      'ledger',
      'show',
      '--ledger',
      project.ledger,
      '--change',
      change,
      '--json',
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    return JSON.parse(shown.stdout) as LedgerEntryJson[];
  };

  beforeAll(async () => {
    project = await createProject({
      packages: [goodLib(['1.0.0', '1.0.1'])],
      dependencies: { 'good-lib': '^1.0.0' },
      locked: { 'good-lib': '1.0.0' },
      files: { 'test/app.test.js': testFile(['good-lib'], "  assert.strictEqual(m0(), 'good');") },
      advisories: [{ id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1' }],
    });
    lockBefore = readFileSync(join(project.repo, 'package-lock.json'), 'utf8');
    const { result, report } = await project.fix();
    expect(result.code, result.stderr).toBe(0);
    const good = byName(report, 'good-lib');
    expect(good.status, good.reason).toBe('merged');
    change = good.id;
    expect(lockVersion(readFileSync(join(project.repo, 'package-lock.json'), 'utf8'), 'good-lib')).toBe(
      '1.0.1',
    );
  }, 240_000);
  afterAll(async () => {
    await project?.close();
  });

  it('--reason is required', async () => {
    const run = await rollback([change]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--reason');
  });

  it("run from another project's folder, says which project's ledger holds the change", async () => {
    // Without --ledger: the folder `test` is a project of its own, with no ledger.
    const run = await project.run(['rollback', change, '--reason', 'x'], { cwd: join(project.repo, 'test') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `has no ledger yet, so it has no entry for change ${change}; its commit changed the project in ..`,
    );
    expect(run.stderr).toContain(`run \`patchpilot rollback ${change} ..\``);
    expect(run.stderr).toContain('[LEDGER_CHANGE_UNKNOWN]');
  });

  it('refuses a change a later commit built on, naming the commit and the file; nothing changes', async () => {
    const path = join(project.repo, 'package-lock.json');
    const merged = readFileSync(path, 'utf8');
    writeFileSync(path, merged.replace('"name": "fix-e2e-app"', '"name": "fix-e2e-app-renamed"'));
    git(project.repo, 'commit', '--quiet', '-am', 'rename the app in the lockfile');
    const later = git(project.repo, 'rev-parse', 'HEAD');
    const run = await rollback([change, '--reason', 'broke checkout']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('ROLLBACK_REFUSED');
    expect(run.stderr).toContain(later.slice(0, 12));
    expect(run.stderr).toContain('rename the app in the lockfile (package-lock.json)');
    expect(git(project.repo, 'rev-parse', 'main')).toBe(later);
    expect(git(project.repo, 'status', '--porcelain')).toBe('');
    expect(git(project.repo, 'branch', '--list', 'patchpilot/revert-*')).toBe('');
    expect((await entries()).map((e) => e.kind)).not.toContain('rolled-back');
    // The test takes its commit back, so the change can be rolled back below.
    git(project.repo, 'reset', '--quiet', '--hard', 'HEAD~1');
  });

  it('--branch-only leaves the revert on patchpilot/revert-<id>, the base untouched', async () => {
    const tip = git(project.repo, 'rev-parse', 'main');
    const run = await rollback([change, '--reason', 'suspected', '--branch-only', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { mode: string; branch: string; revert: string };
    expect(result).toMatchObject({ mode: 'branch', branch: `patchpilot/revert-${change}` });
    expect(git(project.repo, 'rev-parse', 'main')).toBe(tip);
    expect(git(project.repo, 'rev-parse', result.branch)).toBe(result.revert);
    expect(`${git(project.repo, 'show', `${result.branch}:package-lock.json`)}\n`).toBe(lockBefore);
    expect(lockVersion(readFileSync(join(project.repo, 'package-lock.json'), 'utf8'), 'good-lib')).toBe(
      '1.0.1',
    );
  });

  it('a level-2 policy (policy.maxLevel: 2, as HEAD has it) prepares the revert on a branch too, the base untouched', async () => {
    git(project.repo, 'branch', '-D', `patchpilot/revert-${change}`);
    const config = join(project.repo, '.patchpilot.yml');
    writeFileSync(config, 'policy:\n  maxLevel: 2\n');
    git(project.repo, 'add', '.patchpilot.yml');
    git(project.repo, 'commit', '--quiet', '-m', 'policy: level 2');
    const tip = git(project.repo, 'rev-parse', 'main');
    // The working tree's copy does not count (removed here, not committed): HEAD's does, as for fix.
    rmSync(config);
    try {
      const run = await rollback([change, '--reason', 'suspected again', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as {
        mode: string;
        branch: string;
        revert: string;
        deferred?: string;
      };
      expect(result).toMatchObject({ mode: 'branch', branch: `patchpilot/revert-${change}` });
      // Not deferred for the uncommitted removal: the policy itself stops at a branch.
      expect(result.deferred).toBeUndefined();
      expect(git(project.repo, 'rev-parse', 'main')).toBe(tip);
      expect(`${git(project.repo, 'show', `${result.branch}:package-lock.json`)}\n`).toBe(lockBefore);
    } finally {
      git(project.repo, 'rm', '--quiet', '--cached', '.patchpilot.yml');
      git(project.repo, 'commit', '--quiet', '-m', 'policy: back to the default');
    }
  });

  it('reverts the change on main: the lockfile is back byte for byte, the commit has the trailers', async () => {
    const tip = git(project.repo, 'rev-parse', 'main');
    const run = await rollback([change, '--reason', 'checkout page broken in staging']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`rolled back ${change}`);
    expect(run.stdout).toContain('quarantined: good-lib@1.0.1');
    expect(git(project.repo, 'rev-parse', 'main^')).toBe(tip);
    expect(readFileSync(join(project.repo, 'package-lock.json'), 'utf8')).toBe(lockBefore);
    expect(`${git(project.repo, 'show', 'main:package-lock.json')}\n`).toBe(lockBefore);
    expect(git(project.repo, 'status', '--porcelain')).toBe('');
    const message = git(project.repo, 'log', '-1', '--format=%B', 'main');
    expect(message).toContain(`PatchPilot-Rollback: ${change}`);
    expect(message).toContain('PatchPilot-Reason: checkout page broken in staging');
    const worktrees = git(project.repo, 'worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree '));
    expect(worktrees).toHaveLength(1);
  });

  it('the ledger shows the rollback, its reason, author and quarantine', async () => {
    const rolled = (await entries()).filter((e) => e.kind === 'rolled-back');
    expect(rolled.map((e) => e.outcome.mode)).toEqual(['branch', 'branch', 'merged']);
    const last = rolled[2] as LedgerEntryJson;
    expect(last.actor).toBe('Ops <ops@example.com>');
    expect(last.change).toBe(change);
    expect(last.inputs).toMatchObject({ base: 'main', reason: 'checkout page broken in staging' });
    expect(last.outcome).toMatchObject({
      mode: 'merged',
      branch: 'main',
      revert: git(project.repo, 'rev-parse', 'main'),
      quarantine: [{ name: 'good-lib', version: '1.0.1' }],
    });
    const list = await project.run(['quarantine', 'list', '--ledger', project.ledger, '--json']);
    expect(list.code, list.stderr).toBe(0);
    const held = (
      JSON.parse(list.stdout) as { quarantined: { name: string; version: string; change: string }[] }
    ).quarantined;
    expect(held).toEqual([
      expect.objectContaining({
        name: 'good-lib',
        version: '1.0.1',
        change,
        reason: 'checkout page broken in staging',
      }),
    ]);
    const again = await rollback([change, '--reason', 'twice']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already rolled back');
  });

  it('plan no longer proposes the quarantined version: unfixable with no other fix, and says why', async () => {
    const { json, text } = await plan();
    expect(targets(json, 'good-lib')).toEqual([]);
    const unfixable = json.projects[0]?.plan.unfixable.find((u) => u.finding.name === 'good-lib');
    expect(unfixable?.text).toContain('quarantined, not considered: good-lib@1.0.1');
    expect(json.projects[0]?.quarantined).toEqual([
      {
        name: 'good-lib',
        version: '1.0.1',
        change,
        reason: 'checkout page broken in staging',
        heldOut: true,
      },
    ]);
    expect(text).toContain('quarantined, never proposed: good-lib@1.0.1');
  }, 60_000);

  it('a quarantined version the lockfile installs is still resolved, only never proposed', async () => {
    // main~1 is the merged change, before its revert: good-lib 1.0.1 installed.
    git(project.repo, 'checkout', '--quiet', '--detach', 'main~1');
    try {
      const { json, text } = await plan();
      expect(json.projects[0]?.quarantined).toEqual([
        expect.objectContaining({ name: 'good-lib', heldOut: false }),
      ]);
      expect(json.projects[0]?.plan.unfixable).toEqual([]);
      expect(text).toContain('quarantined but installed (still resolved): good-lib@1.0.1');
    } finally {
      git(project.repo, 'checkout', '--quiet', 'main');
    }
  }, 60_000);

  it('plan reads a ledger, never creates one', async () => {
    const none = join(project.root, 'no-ledger.db');
    const cache = join(project.root, `plan-cache-${planRuns++}`);
    const run = await project.run([
      'plan',
      '--json',
      '--db',
      project.db,
      '--ledger',
      none,
      '--cache-dir',
      cache,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(none)).toBe(false);
    expect(targets(JSON.parse(run.stdout) as PlanJson, 'good-lib')).toEqual(['1.0.1']);
  });

  it('plan and fix choose the next fixed version once one is published', async () => {
    project.registry.publish(goodLib(['1.0.0', '1.0.1', '1.0.2']));
    const { json } = await plan();
    expect(targets(json, 'good-lib')).toEqual(['1.0.2']);
    const { result, report } = await project.fix([
      '--dry-run',
      '--cache-dir',
      join(project.root, `plan-cache-${planRuns++}`),
    ]);
    expect(result.code, result.stderr).toBe(0);
    const good = byName(report, 'good-lib');
    const planned = await project.run([
      'ledger',
      'show',
      '--ledger',
      project.ledger,
      '--change',
      good.id,
      '--json',
    ]);
    const entry = (JSON.parse(planned.stdout) as LedgerEntryJson[]).find((e) => e.kind === 'planned');
    expect(entry?.inputs.quarantined).toEqual(['good-lib@1.0.1']);
    expect(good.patch.changes).toContainEqual(
      expect.objectContaining({ kind: 'lock', name: 'good-lib', to: '1.0.2' }),
    );
  }, 240_000);

  it('quarantine release lets plan propose the version again; the ledger verifies', async () => {
    const release = await project.run([
      'quarantine',
      'release',
      'good-lib@1.0.1',
      '--reason',
      'the staging failure was unrelated',
      '--ledger',
      project.ledger,
    ]);
    expect(release.code, release.stderr).toBe(0);
    const { json } = await plan();
    expect(targets(json, 'good-lib')).toEqual(['1.0.1']);
    expect(json.projects[0]?.quarantined).toBeUndefined();
    const verify = await project.run(['ledger', 'verify', '--ledger', project.ledger]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 60_000);
});
