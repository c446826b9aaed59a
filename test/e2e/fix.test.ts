import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/store.js';
import { byName, createProject, git, lib, type Project } from '../helpers/fix.js';

/**
 * `patchpilot fix` as a user runs it: real git repositories in temp folders, the machine's real
 * npm installing from a fake registry served by this process, advisories imported through the CLI.
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

const worktreesOf = (repo: string): string[] =>
  git(repo, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice(9));

/** worktreesOf for a poll while fix runs: git may see the worktrees change under it; none then. */
const worktreesNow = (repo: string): string[] => {
  try {
    return worktreesOf(repo);
  } catch {
    return [];
  }
};

/** Whether a worktree has its dependencies installed; false once it is gone. */
const installed = (path: string): boolean => {
  try {
    return readdirSync(path).includes('node_modules');
  } catch {
    return false;
  }
};

const patchpilotBranches = (repo: string): string[] =>
  git(repo, 'branch', '--list', 'patchpilot/*', '--format=%(refname:short)')
    .split('\n')
    .filter((b) => b !== '');

describe('fix: merge, propose, hold back, never run scripts', () => {
  let project: Project;
  let marker: string;
  beforeAll(async () => {
    marker = join(tmpdir(), `patchpilot-marker-${process.pid}-${Date.now()}`);
    const postinstall = `node -e "require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')"`;
    project = await createProject({
      packages: [
        { name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } },
        { name: 'idle-lib', versions: { '2.0.0': lib('idle'), '2.0.1': lib('idle') } },
        { name: 'brittle-lib', versions: { '3.0.0': lib('v1'), '3.0.1': lib('v2') } },
        {
          name: 'scripted-lib',
          versions: {
            '1.0.0': lib('s', { scripts: { postinstall } }),
            '1.1.0': lib('s', { scripts: { postinstall } }),
          },
        },
      ],
      dependencies: {
        'good-lib': '^1.0.0',
        'idle-lib': '^2.0.0',
        'brittle-lib': '^3.0.0',
        'scripted-lib': '~1.0.0',
      },
      locked: { 'good-lib': '1.0.0', 'idle-lib': '2.0.0', 'brittle-lib': '3.0.0', 'scripted-lib': '1.0.0' },
      files: {
        'test/app.test.js': testFile(
          ['good-lib', 'brittle-lib', 'scripted-lib'],
          "  assert.strictEqual(m0(), 'good');\n  assert.strictEqual(m1(), 'v1');\n  assert.strictEqual(m2(), 's');",
        ),
      },
      advisories: [
        { id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1', severity: 'HIGH' },
        { id: 'GHSA-test-idle-0002', name: 'idle-lib', fixed: '2.0.1' },
        { id: 'GHSA-test-brit-0003', name: 'brittle-lib', fixed: '3.0.1' },
        { id: 'GHSA-test-scri-0004', name: 'scripted-lib', fixed: '1.1.0' },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await project?.close();
  });

  let report: Awaited<ReturnType<Project['fix']>>['report'];
  let code: number;
  let before: string;
  it('runs', async () => {
    before = git(project.repo, 'rev-parse', 'HEAD');
    const run = await project.fix();
    report = run.report;
    code = run.result.code;
    expect(run.result.stderr).toContain('testing');
  }, 240_000);

  it('merges the patch whose tests passed and loaded the package (level 3)', () => {
    const good = byName(report, 'good-lib');
    expect(good.status, good.reason).toBe('merged');
    expect(good.level).toBe(3);
    expect(good.tests).toMatchObject({ ran: true, passed: true, exercised: ['good-lib'] });
    expect(good.proof).toMatchObject({ proven: true, fixed: ['GHSA-test-good-0001 good-lib@1.0.0'] });
    const main = git(project.repo, 'rev-parse', 'main');
    expect(main).not.toBe(before);
    expect(lockVersion(git(project.repo, 'show', 'main:package-lock.json'), 'good-lib')).toBe('1.0.1');
    // The checked-out branch moved by git's own fast-forward: the working tree is clean and current.
    expect(git(project.repo, 'status', '--porcelain')).toBe('');
    const message = git(project.repo, 'log', '-1', '--format=%B', good.commit as string);
    expect(message).toContain(`PatchPilot-Change: ${good.id}`);
    expect(message).toContain('PatchPilot-Level: 3 (merge)');
    expect(message).toContain('PatchPilot-Advisory: GHSA-test-good-0001');
    expect(message).toContain('exercised by the tests: good-lib');
    expect(message).toContain('proof of fix');
  });

  it('proposes the patch no test loads (level 2), on its branch', () => {
    const idle = byName(report, 'idle-lib');
    expect(idle.status, idle.reason).toBe('proposed');
    expect(idle.level).toBe(2);
    expect(idle.tests).toMatchObject({ passed: true, exercised: [], notExercised: ['idle-lib'] });
    expect(idle.branch).toBe(`patchpilot/${idle.id}`);
    expect(patchpilotBranches(project.repo)).toContain(idle.branch);
    expect(lockVersion(git(project.repo, 'show', `${idle.branch}:package-lock.json`), 'idle-lib')).toBe(
      '2.0.1',
    );
    expect(lockVersion(git(project.repo, 'show', 'main:package-lock.json'), 'idle-lib')).toBe('2.0.0');
    expect(git(project.repo, 'log', '-1', '--format=%B', idle.branch as string)).toContain(
      'never loaded by the tests: idle-lib',
    );
  });

  it('holds back the patch that breaks a test, with the failing output', () => {
    const brittle = byName(report, 'brittle-lib');
    expect(brittle.status).toBe('held-back');
    expect(brittle.failure?.stage).toBe('test');
    expect(brittle.tests?.passed).toBe(false);
    const output = brittle.commands.map((c) => c.output).join('\n');
    expect(output).toMatch(/'v2'|v2/);
    expect(patchpilotBranches(project.repo)).not.toContain(`patchpilot/${brittle.id}`);
    expect(lockVersion(git(project.repo, 'show', 'main:package-lock.json'), 'brittle-lib')).toBe('3.0.0');
    expect(code).toBe(1);
  });

  it('regenerates the lockfile for a raised range, and never runs an install script', () => {
    const scripted = byName(report, 'scripted-lib');
    expect(['merged', 'proposed']).toContain(scripted.status);
    expect(scripted.commands.map((c) => c.command).join('\n')).toContain(
      'npm install --package-lock-only --ignore-scripts',
    );
    expect(scripted.commands.map((c) => c.command).join('\n')).toContain('npm ci --ignore-scripts');
    expect(existsSync(marker)).toBe(false);
  });

  it('leaves no worktree behind', () => {
    expect(worktreesOf(project.repo)).toHaveLength(1);
  });

  it('records every stage in a ledger that verifies', async () => {
    const good = byName(report, 'good-lib');
    const verify = await project.run(['ledger', 'verify', '--ledger', project.ledger]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const shown = await project.run([
      'ledger',
      'show',
      '--ledger',
      project.ledger,
      '--change',
      good.id,
      '--json',
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    const kinds = (JSON.parse(shown.stdout) as { kind: string }[]).map((e) => e.kind);
    for (const kind of ['planned', 'tested', 'proved', 'decided', 'applied', 'merged'])
      expect(kinds).toContain(kind);
  });

  it('scan of the merged branch no longer reports the merged finding', async () => {
    const scan = await project.run(['scan', '--json', '--db', project.db]);
    const ids = (JSON.parse(scan.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id);
    expect(ids).not.toContain('GHSA-test-good-0001');
    expect(ids).toContain('GHSA-test-brit-0003');
  });

  it('a rerun has nothing left to merge, reuses the proposed branch, and leaves no worktree', async () => {
    const idleBefore = byName(report, 'idle-lib');
    const { report: again } = await project.fix();
    expect(again.changes.some((c) => c.status === 'merged')).toBe(false);
    const idle = byName(again, 'idle-lib');
    expect(idle.id).toBe(idleBefore.id);
    expect(idle.status).toBe('proposed');
    expect(patchpilotBranches(project.repo).filter((b) => b === idle.branch)).toHaveLength(1);
    expect(worktreesOf(project.repo)).toHaveLength(1);
  }, 240_000);

  it('never resets a branch a human committed to, and runs no git hook', async () => {
    const idle = byName(report, 'idle-lib');
    const branch = idle.branch as string;
    const tree = join(project.root, 'human');
    git(project.repo, 'worktree', 'add', '--quiet', tree, branch);
    writeFileSync(join(tree, 'NOTES.md'), 'checked the changelog\n');
    git(tree, 'add', 'NOTES.md');
    git(tree, 'commit', '--quiet', '-m', 'a human note');
    git(project.repo, 'worktree', 'remove', tree);
    const human = git(project.repo, 'rev-parse', branch);
    const hookMarker = join(project.root, 'HOOK-RAN');
    for (const hook of ['post-checkout', 'post-merge', 'post-commit', 'prepare-commit-msg']) {
      const path = join(project.repo, '.git', 'hooks', hook);
      writeFileSync(path, `#!/bin/sh\necho ${hook} >> ${JSON.stringify(hookMarker)}\n`, { mode: 0o755 });
    }
    const { report: again } = await project.fix();
    const change = byName(again, 'idle-lib');
    expect(change.status).toBe('failed');
    expect(change.reason).toContain('commits PatchPilot did not make');
    expect(git(project.repo, 'rev-parse', branch)).toBe(human);
    expect(existsSync(hookMarker)).toBe(false);
  }, 240_000);
});

describe('fix: a run stopped after one change merged', () => {
  let project: Project;
  beforeAll(async () => {
    project = await createProject({
      packages: [
        { name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } },
        { name: 'slow-lib', versions: { '1.0.0': lib('slow'), '1.0.1': lib('slow') } },
      ],
      dependencies: { 'good-lib': '^1.0.0', 'slow-lib': '^1.0.0' },
      locked: { 'good-lib': '1.0.0', 'slow-lib': '1.0.0' },
      files: {
        // The tests take a minute only where slow-lib 1.0.1 is installed: in the second change.
        'test/app.test.js': [
          "'use strict';",
          "const { test } = require('node:test');",
          "const assert = require('node:assert');",
          "const good = require('good-lib');",
          "const slow = require('slow-lib');",
          "const slowVersion = require('slow-lib/package.json').version;",
          "test('the app works', () => {",
          "  assert.strictEqual(good(), 'good');",
          "  assert.strictEqual(slow(), 'slow');",
          "  return new Promise((r) => setTimeout(r, slowVersion === '1.0.1' ? 60000 : 0));",
          '});',
          '',
        ].join('\n'),
      },
      advisories: [
        // Critical first: good-lib's change is tried (and merged) before slow-lib's.
        { id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1', severity: 'CRITICAL' },
        { id: 'GHSA-test-slow-0002', name: 'slow-lib', fixed: '1.0.1', severity: 'LOW' },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await project?.close();
  });

  const slowInstalled = (tree: string): boolean => {
    try {
      return (
        JSON.parse(readFileSync(join(tree, 'node_modules/slow-lib/package.json'), 'utf8')).version === '1.0.1'
      );
    } catch {
      return false;
    }
  };

  it('says on stderr which changes it had settled before it stopped, and they stay', async () => {
    const result = await project.run(
      ['fix', '--db', project.db, '--ledger', project.ledger, '--cache-dir', join(project.root, 'cache')],
      {
        onSpawn: (child) => {
          const poll = setInterval(() => {
            if (worktreesNow(project.repo).some(slowInstalled)) {
              clearInterval(poll);
              setTimeout(() => child.kill('SIGINT'), 1500);
            }
          }, 100);
          child.on('close', () => clearInterval(poll));
        },
      },
    );
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stderr).toMatch(/interrupted/);
    const settled =
      /fix stopped after settling 1 change, which stay as they are:\n {2}merged (p-[0-9a-f]+) into main\n/.exec(
        result.stderr,
      );
    expect(settled, result.stderr).not.toBeNull();
    // slow-lib's change was not finished: no branch of it is left to look like a proposal.
    expect(patchpilotBranches(project.repo)).toEqual([`patchpilot/${settled?.[1]}`]);
    // It stays: main has good-lib's fix, and the ledger says it was merged.
    expect(lockVersion(git(project.repo, 'show', 'main:package-lock.json'), 'good-lib')).toBe('1.0.1');
    expect(lockVersion(git(project.repo, 'show', 'main:package-lock.json'), 'slow-lib')).toBe('1.0.0');
    const shown = await project.run([
      'ledger',
      'show',
      '--ledger',
      project.ledger,
      '--kind',
      'merged',
      '--json',
    ]);
    expect((JSON.parse(shown.stdout) as { change: string }[]).map((e) => e.change)).toEqual([settled?.[1]]);
  }, 240_000);
});

describe('fix: level 1, dry run, a dirty working tree, interruption', () => {
  let project: Project;
  beforeAll(async () => {
    project = await createProject({
      packages: [{ name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } }],
      dependencies: { 'good-lib': '^1.0.0' },
      locked: { 'good-lib': '1.0.0' },
      files: {
        'test/app.test.js': testFile(['good-lib'], "  assert.strictEqual(m0(), 'good');"),
        'notes.txt': 'original\n',
      },
      advisories: [{ id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1' }],
    });
  }, 120_000);
  afterAll(async () => {
    await project?.close();
  });

  it('a policy capped at level 1 reports, with no branch', async () => {
    writeFileSync(join(project.repo, '.patchpilot.yml'), 'policy:\n  maxLevel: 1\n');
    git(project.repo, 'add', '.patchpilot.yml');
    git(project.repo, 'commit', '--quiet', '-m', 'report only');
    const head = git(project.repo, 'rev-parse', 'HEAD');
    const { result, report } = await project.fix();
    expect(result.code, result.stderr).toBe(0);
    const change = byName(report, 'good-lib');
    expect(change.status).toBe('reported');
    expect(change.level).toBe(1);
    expect(change.reason).toContain('max-level');
    expect(patchpilotBranches(project.repo)).toEqual([]);
    expect(git(project.repo, 'rev-parse', 'HEAD')).toBe(head);
    git(project.repo, 'rm', '--quiet', '.patchpilot.yml');
    git(project.repo, 'commit', '--quiet', '-m', 'policy back to the default');
  }, 240_000);

  it('--dry-run tests and proves, and commits nothing', async () => {
    const head = git(project.repo, 'rev-parse', 'HEAD');
    const { report } = await project.fix(['--dry-run']);
    const change = byName(report, 'good-lib');
    expect(change.status).toBe('tested');
    expect(change.level).toBe(3);
    expect(change.proof?.proven).toBe(true);
    expect(patchpilotBranches(project.repo)).toEqual([]);
    expect(git(project.repo, 'rev-parse', 'HEAD')).toBe(head);
    // The ledger says it was a dry run: explain still tells the run that settled the change (the
    // level-1 report above) and lists the dry run after it.
    const explained = await project.run(['explain', change.id, '--json', '--ledger', project.ledger]);
    expect(explained.code, explained.stderr).toBe(0);
    const story = JSON.parse(explained.stdout) as { status: string; laterRuns: unknown[] };
    expect(story.status).toBe('reported');
    expect(story.laterRuns).toEqual([expect.objectContaining({ status: 'tested', dryRun: true })]);
    const planned = await project.run([
      'ledger',
      'show',
      '--ledger',
      project.ledger,
      '--change',
      change.id,
      '--kind',
      'planned',
      '--json',
    ]);
    const entries = JSON.parse(planned.stdout) as { inputs: { dryRun?: boolean } }[];
    expect(entries.map((e) => e.inputs.dryRun)).toEqual([undefined, true]);
  }, 240_000);

  it('an interrupted run removes its worktree and stops the tests', async () => {
    const slow = join(project.repo, 'test/app.test.js');
    const original = readFileSync(slow, 'utf8');
    writeFileSync(slow, `${original}\ntest('slow', () => new Promise((r) => setTimeout(r, 60000)));\n`);
    git(project.repo, 'commit', '--quiet', '-am', 'a slow test');
    // An earlier run's proposal of the same change waits on its branch (a commit with the trailer).
    const cache = join(project.root, 'registry-cache');
    const plan = await project.run(['plan', '--json', '--db', project.db, '--cache-dir', cache]);
    const id = (JSON.parse(plan.stdout) as { projects: { plan: { patches: { id: string }[] } }[] })
      .projects[0]?.plan.patches[0]?.id;
    expect(id, plan.stderr).toMatch(/^p-/);
    git(project.repo, 'branch', `patchpilot/${id}`);
    git(project.repo, 'worktree', 'add', '--quiet', join(project.root, 'earlier'), `patchpilot/${id}`);
    git(
      join(project.root, 'earlier'),
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      `earlier\n\nPatchPilot-Change: ${id}`,
    );
    git(project.repo, 'worktree', 'remove', join(project.root, 'earlier'));
    const earlier = git(project.repo, 'rev-parse', `patchpilot/${id}`);
    let seen: string[] = [];
    const result = await project.run(
      [
        'fix',
        '--db',
        project.db,
        '--ledger',
        project.ledger,
        '--cache-dir',
        join(project.root, 'registry-cache'),
      ],
      {
        onSpawn: (child) => {
          const poll = setInterval(() => {
            const trees = worktreesNow(project.repo).filter((w) => w.includes('patchpilot-fix-'));
            // A worktree git still lists may be gone already (the planning one is removed early).
            if (trees.length > 0 && installed(trees[0] as string)) {
              seen = trees;
              clearInterval(poll);
              setTimeout(() => child.kill('SIGINT'), 1500);
            }
          }, 100);
          child.on('close', () => clearInterval(poll));
        },
      },
    );
    expect(seen.length, result.stderr).toBe(1);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/interrupted/);
    expect(worktreesOf(project.repo)).toHaveLength(1);
    // The run reset the change's branch and committed on it, untested: it is put back as it was.
    expect(patchpilotBranches(project.repo)).toEqual([`patchpilot/${id}`]);
    expect(git(project.repo, 'rev-parse', `patchpilot/${id}`)).toBe(earlier);
    git(project.repo, 'branch', '--quiet', '-D', `patchpilot/${id}`);
    for (const path of seen)
      expect(
        existsSync(path),
        `${path}: ${existsSync(path) ? readdirSync(path).join(' ') : ''}\n${result.stderr}`,
      ).toBe(false);
    writeFileSync(slow, original);
    git(project.repo, 'commit', '--quiet', '-am', 'the slow test goes');
  }, 240_000);

  it('a killed run leaves a worktree the next run removes', async () => {
    const result = await project.run(
      [
        'fix',
        '--db',
        project.db,
        '--ledger',
        project.ledger,
        '--cache-dir',
        join(project.root, 'registry-cache'),
      ],
      {
        onSpawn: (child) => {
          const poll = setInterval(() => {
            if (worktreesNow(project.repo).some((w) => w.includes('patchpilot-fix-'))) {
              clearInterval(poll);
              child.kill('SIGKILL');
            }
          }, 20);
          child.on('close', () => clearInterval(poll));
        },
      },
    );
    expect(result.code).toBe(-1);
    const left = worktreesOf(project.repo).filter((w) => w.includes('patchpilot-fix-'));
    expect(left.length).toBeGreaterThan(0);
    // Leave the tree dirty too: the next run must not touch it.
    writeFileSync(join(project.repo, 'notes.txt'), 'edited by the user\n');
    writeFileSync(join(project.repo, 'scratch.txt'), 'untracked\n');
    git(project.repo, 'add', 'scratch.txt');
    const status = git(project.repo, 'status', '--porcelain');
    const diff = git(project.repo, 'diff');
    const staged = git(project.repo, 'diff', '--cached');
    const head = git(project.repo, 'rev-parse', 'HEAD');
    const { report } = await project.fix();
    expect(report.staleWorktrees.length, `${left.join(' ')}`).toBeGreaterThan(0);
    expect(worktreesOf(project.repo)).toHaveLength(1);
    // A dirty working tree is never touched: the merge waits on the branch.
    const change = byName(report, 'good-lib');
    expect(change.status).toBe('proposed');
    expect(change.reason).toContain('uncommitted changes');
    expect(git(project.repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(project.repo, 'status', '--porcelain')).toBe(status);
    expect(git(project.repo, 'diff')).toBe(diff);
    expect(git(project.repo, 'diff', '--cached')).toBe(staged);
    expect(readFileSync(join(project.repo, 'notes.txt'), 'utf8')).toBe('edited by the user\n');
    expect(lockVersion(git(project.repo, 'show', `${change.branch}:package-lock.json`), 'good-lib')).toBe(
      '1.0.1',
    );
  }, 240_000);

  it('one run at a time per repository; the lock of a dead run is taken over', async () => {
    const lock = join(project.repo, '.git', 'patchpilot.lock');
    writeFileSync(lock, `${process.pid} fix\n`);
    const busy = await project.run(['fix', '--db', project.db, '--ledger', project.ledger]);
    expect(busy.code).toBe(3);
    expect(busy.stderr).toContain(`another PatchPilot run is working on this repository (pid ${process.pid}`);
    // rollback takes the same lock.
    Ledger.open(project.ledger).close();
    const rollback = await project.run([
      'rollback',
      'p-0123456789',
      '--reason',
      'x',
      '--ledger',
      project.ledger,
    ]);
    expect(rollback.code).toBe(3);
    expect(rollback.stderr).toContain('another PatchPilot run is working on this repository');
    // No process has pid 2^22 + 1 (above Linux's pid_max): that lock is stale.
    writeFileSync(lock, `${2 ** 22 + 1} fix\n`);
    const { result } = await project.fix(['--dry-run']);
    expect(result.stderr).not.toContain('another PatchPilot run');
    expect(existsSync(lock)).toBe(false);
  }, 240_000);
});

describe('fix: a run killed while a change is tested', () => {
  let project: Project;
  beforeAll(async () => {
    project = await createProject({
      packages: [{ name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } }],
      dependencies: { 'good-lib': '^1.0.0' },
      locked: { 'good-lib': '1.0.0' },
      files: {
        // The tests hang once the change is in: the run is killed while they run.
        'test/app.test.js': [
          "'use strict';",
          "const { test } = require('node:test');",
          "const version = require('good-lib/package.json').version;",
          "test('the app works', () => new Promise((r) => setTimeout(r, version === '1.0.1' ? 120000 : 0)));",
          '',
        ].join('\n'),
      },
      advisories: [{ id: 'GHSA-test-good-0007', name: 'good-lib', fixed: '1.0.1', severity: 'LOW' }],
    });
  }, 120_000);
  afterAll(async () => {
    await project?.close();
  });

  it('leaves an untested commit that the next run takes off its branch', async () => {
    const branches = (): string[] =>
      git(project.repo, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/patchpilot/')
        .split('\n')
        .filter((b) => b !== '');
    const result = await project.run(['fix', '--db', project.db, '--ledger', project.ledger], {
      onSpawn: (child) => {
        // Killed once the change is committed on its branch (the tests are then running).
        const poll = setInterval(() => {
          const [branch] = branches();
          if (branch && git(project.repo, 'rev-parse', branch) !== git(project.repo, 'rev-parse', 'main')) {
            clearInterval(poll);
            child.kill('SIGKILL');
          }
        }, 50);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(result.code).toBe(-1);
    const [branch] = branches();
    expect(branch).toMatch(/^patchpilot\/p-/);
    // A run with nothing to do (the finding is low) still puts the branch back: it was new, so it goes.
    const { report } = await project.fix(['--min-severity', 'critical']);
    expect(report.changes).toEqual([]);
    expect(report.staleBranches).toEqual([branch]);
    expect(branches()).toEqual([]);
    expect(git(project.repo, 'for-each-ref', 'refs/patchpilot/')).toBe('');
  }, 240_000);
});

describe('fix --group: one test run for every patch, bisected when it fails', () => {
  let project: Project;
  beforeAll(async () => {
    project = await createProject({
      packages: [
        { name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } },
        { name: 'other-lib', versions: { '1.0.0': lib('other'), '1.0.1': lib('other') } },
        { name: 'brittle-lib', versions: { '3.0.0': lib('v1'), '3.0.1': lib('v2') } },
      ],
      dependencies: { 'good-lib': '^1.0.0', 'other-lib': '^1.0.0', 'brittle-lib': '^3.0.0' },
      locked: { 'good-lib': '1.0.0', 'other-lib': '1.0.0', 'brittle-lib': '3.0.0' },
      files: {
        'test/app.test.js': testFile(
          ['good-lib', 'other-lib', 'brittle-lib'],
          "  assert.strictEqual(m0(), 'good');\n  assert.strictEqual(m1(), 'other');\n  assert.strictEqual(m2(), 'v1');",
        ),
      },
      advisories: [
        { id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1' },
        { id: 'GHSA-test-othr-0006', name: 'other-lib', fixed: '1.0.1' },
        { id: 'GHSA-test-brit-0003', name: 'brittle-lib', fixed: '3.0.1' },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await project?.close();
  });

  it('finds the patch that breaks the tests and merges the others together', async () => {
    const { report } = await project.fix(['--group']);
    const brittle = byName(report, 'brittle-lib');
    expect(brittle.status).toBe('held-back');
    expect(brittle.failure?.stage).toBe('test');
    const good = byName(report, 'good-lib');
    const other = byName(report, 'other-lib');
    expect(good.status, good.reason).toBe('merged');
    expect(other.status, other.reason).toBe('merged');
    expect(good.branch).toBe(other.branch);
    expect(good.group).toHaveLength(3);
    const main = git(project.repo, 'show', 'main:package-lock.json');
    expect(lockVersion(main, 'good-lib')).toBe('1.0.1');
    expect(lockVersion(main, 'other-lib')).toBe('1.0.1');
    expect(lockVersion(main, 'brittle-lib')).toBe('3.0.0');
    // One commit per patch on the base branch.
    const subjects = git(project.repo, 'log', '--format=%s', 'main').split('\n');
    expect(subjects.filter((s) => s.startsWith('Fix '))).toHaveLength(2);
  }, 240_000);
});

describe('fix --group: a patch that earns a merge in a group that does not', () => {
  let project: Project;
  beforeAll(async () => {
    project = await createProject({
      packages: [
        { name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } },
        { name: 'idle-lib', versions: { '2.0.0': lib('idle'), '2.0.1': lib('idle') } },
      ],
      dependencies: { 'good-lib': '^1.0.0', 'idle-lib': '^2.0.0' },
      locked: { 'good-lib': '1.0.0', 'idle-lib': '2.0.0' },
      // No test loads idle-lib: its patch earns level 2 (propose), good-lib's level 3.
      files: { 'test/app.test.js': testFile(['good-lib'], "  assert.strictEqual(m0(), 'good');") },
      advisories: [
        { id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1' },
        { id: 'GHSA-test-idle-0002', name: 'idle-lib', fixed: '2.0.1' },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await project?.close();
  });

  it('is proposed with the group, and says which patch kept the group from merging', async () => {
    const { report } = await project.fix(['--group']);
    const good = byName(report, 'good-lib');
    const idle = byName(report, 'idle-lib');
    expect(good.level, good.reason).toBe(3);
    expect(idle.level, idle.reason).toBe(2);
    expect(good.status).toBe('proposed');
    expect(good.reason).toBe(
      `level 3 (merge) for this patch, but a group merges only when every patch of it earns level 3, and ${idle.id} does not; left on ${good.branch} for a human`,
    );
  }, 240_000);
});

describe('fix: a proof that fails', () => {
  let project: Project;
  beforeAll(async () => {
    project = await createProject({
      packages: [
        {
          name: 'wrapper',
          versions: {
            '1.0.0': lib('w', { dependencies: { inner: '1.0.0' } }),
            '1.1.0': lib('w', { dependencies: { inner: '1.0.1' } }),
          },
        },
        { name: 'inner', versions: { '1.0.0': lib('i'), '1.0.1': lib('i') } },
      ],
      dependencies: { wrapper: '~1.0.0' },
      locked: { wrapper: '1.0.0' },
      files: { 'test/app.test.js': testFile(['wrapper'], "  assert.strictEqual(m0(), 'w');") },
      advisories: [{ id: 'GHSA-test-innr-0005', name: 'inner', fixed: '1.0.1' }],
    });
  }, 120_000);
  afterAll(async () => {
    await project?.close();
  });

  it('is never reported as a fix: the registry moved between plan and apply', async () => {
    const cache = join(project.root, 'registry-cache');
    // The plan is made from a registry cache taken before wrapper 1.1.1 was published; npm, which
    // rewrites the lockfile, sees 1.1.1, which went back to the vulnerable inner 1.0.0.
    const plan = await project.run(['plan', '--json', '--db', project.db, '--cache-dir', cache]);
    expect(plan.code, plan.stderr).toBe(0);
    project.registry.publish({
      name: 'wrapper',
      versions: {
        '1.0.0': lib('w', { dependencies: { inner: '1.0.0' } }),
        '1.1.0': lib('w', { dependencies: { inner: '1.0.1' } }),
        '1.1.1': lib('w', { dependencies: { inner: '1.0.0' } }),
      },
    });
    const head = git(project.repo, 'rev-parse', 'HEAD');
    const { result, report } = await project.fix(['--offline']);
    expect(result.code).toBe(1);
    const change = byName(report, 'wrapper');
    expect(change.status, change.reason).toBe('unproven');
    expect(change.proof?.proven).toBe(false);
    expect(change.proof?.stillPresent).toContain('GHSA-test-innr-0005 inner@1.0.0');
    expect(change.failure?.stage).toBe('proof');
    expect(patchpilotBranches(project.repo)).toEqual([]);
    expect(git(project.repo, 'rev-parse', 'HEAD')).toBe(head);
  }, 240_000);
});

describe('fix: a project npm locks only with legacy-peer-deps', () => {
  let project: Project;
  beforeAll(async () => {
    project = await createProject({
      packages: [
        { name: 'host', versions: { '1.0.0': lib('h1'), '2.0.0': lib('h2') } },
        { name: 'plugin', versions: { '1.0.0': lib('p', { peerDependencies: { host: '^2.0.0' } }) } },
        { name: 'other', versions: { '1.0.0': lib('o'), '1.0.1': lib('o') } },
      ],
      // plugin wants host 2 beside it, and the project has host 1: the lockfile was written with
      // --legacy-peer-deps, which the project does not record.
      lockArgs: ['--legacy-peer-deps'],
      dependencies: { host: '^1.0.0', plugin: '^1.0.0', other: '1.0.0' },
      locked: { host: '1.0.0', plugin: '1.0.0', other: '1.0.0' },
      files: { 'test/app.test.js': testFile(['other'], "  assert.strictEqual(m0(), 'o');") },
      advisories: [{ id: 'GHSA-test-othr-0006', name: 'other', fixed: '1.0.1' }],
    });
  }, 120_000);
  afterAll(async () => {
    await project?.close();
  });

  it('says that npm cannot resolve the peer dependencies, and where the project can say how it installs', async () => {
    const head = git(project.repo, 'rev-parse', 'HEAD');
    const { report } = await project.fix();
    const change = byName(report, 'other');
    expect(change.failure?.stage, change.reason).toBe('regenerate');
    expect(change.reason).toContain(
      'npm cannot resolve the peer dependencies (ERESOLVE); a project that installs with legacy-peer-deps says so in its .npmrc (legacy-peer-deps=true), which fix runs npm with',
    );
    expect(git(project.repo, 'rev-parse', 'HEAD')).toBe(head);

    // Once the project says so, the same change goes through.
    writeFileSync(join(project.repo, '.npmrc'), 'legacy-peer-deps=true\n');
    git(project.repo, 'add', '.npmrc');
    git(project.repo, 'commit', '--quiet', '-m', 'npm: legacy peer deps');
    const again = await project.fix();
    expect(byName(again.report, 'other').status, byName(again.report, 'other').reason).toBe('merged');
  }, 240_000);
});

describe('fix: exercise evidence is about the copy the change moved', () => {
  it('tests that run only another copy of the package do not vouch for it', async () => {
    const project = await createProject({
      packages: [
        { name: 'shared', versions: { '1.0.0': lib('one'), '2.0.0': lib('two') } },
        { name: 'holder', versions: { '1.0.0': lib('h', { dependencies: { shared: '^1.0.0' } }) } },
      ],
      dependencies: { shared: '^2.0.0', holder: '^1.0.0' },
      locked: { shared: '2.0.0', holder: '1.0.0' },
      // The tests load the top-level shared 2.0.0, never holder's nested 1.0.x.
      files: { 'test/app.test.js': testFile(['shared'], "  assert.strictEqual(m0(), 'two');") },
      advisories: [{ id: 'GHSA-test-shrd-0007', name: 'shared', introduced: '1.0.0', fixed: '1.0.1' }],
    });
    try {
      // The fix for holder's copy is published after the lockfile was made.
      project.registry.publish({
        name: 'shared',
        versions: { '1.0.0': lib('one'), '1.0.1': lib('one'), '2.0.0': lib('two') },
      });
      const { report } = await project.fix();
      const change = byName(report, 'shared');
      expect(change.patch.changes).toMatchObject([
        { kind: 'lock', locations: ['node_modules/holder/node_modules/shared'] },
      ]);
      expect(change.tests).toMatchObject({ passed: true, exercised: [], notExercised: ['shared'] });
      expect(change.status).toBe('proposed');
      expect(change.level).toBe(2);
    } finally {
      await project.close();
    }
  }, 120_000);

  it("a range raised in a workspace is not vouched for by tests that run the root's copy", async () => {
    // The workspace pins shared 1.0.0 (nested under it); the root's shared 2.0.0 is what the
    // tests load. Raising the workspace's range installs 1.0.1 in its own folder.
    const project = await createProject({
      packages: [{ name: 'shared', versions: { '1.0.0': lib('one'), '2.0.0': lib('two') } }],
      dependencies: { shared: '^2.0.0' },
      locked: { shared: '2.0.0' },
      manifestFields: { workspaces: ['packages/b'] },
      files: {
        'packages/b/package.json': JSON.stringify({
          name: 'b',
          version: '1.0.0',
          dependencies: { shared: '1.0.0' },
        }),
        'test/app.test.js': testFile(['shared'], "  assert.strictEqual(m0(), 'two');"),
      },
      advisories: [{ id: 'GHSA-test-shrd-0008', name: 'shared', introduced: '1.0.0', fixed: '1.0.1' }],
    });
    try {
      project.registry.publish({
        name: 'shared',
        versions: { '1.0.0': lib('one'), '1.0.1': lib('one'), '2.0.0': lib('two') },
      });
      const { report } = await project.fix(['--strategy', 'relax']);
      const change = byName(report, 'shared');
      expect(change.patch.changes).toMatchObject([
        { kind: 'manifest', importer: 'packages/b', fromRange: '1.0.0', toRange: '1.0.1' },
      ]);
      expect(change.tests).toMatchObject({ passed: true, exercised: [], notExercised: ['shared'] });
      expect(change.status, change.reason).toBe('proposed');
    } finally {
      await project.close();
    }
  }, 120_000);
});

describe('fix: a quarantined version the package manager brings back', () => {
  it('is no fix: the proof names it', async () => {
    const project = await createProject({
      packages: [
        {
          name: 'wrapper',
          versions: {
            '1.0.0': lib('w', { dependencies: { inner: '1.0.0' } }),
            '1.1.0': lib('w', { dependencies: { inner: '1.0.1' } }),
            '1.1.1': lib('w', { dependencies: { inner: '1.0.1' } }),
          },
        },
        { name: 'inner', versions: { '1.0.0': lib('i'), '1.0.1': lib('i') } },
      ],
      dependencies: { wrapper: '~1.0.0' },
      locked: { wrapper: '1.0.0' },
      files: { 'test/app.test.js': testFile(['wrapper'], "  assert.strictEqual(m0(), 'w');") },
      advisories: [{ id: 'GHSA-test-innr-0005', name: 'inner', fixed: '1.0.1' }],
    });
    try {
      // wrapper 1.1.1 was rolled back once: the plan holds it out and raises the range to ~1.1.0
      // for 1.1.0, but npm, rewriting the lockfile, takes the highest in range: 1.1.1.
      const ledger = Ledger.open(project.ledger);
      ledger.append({
        kind: 'rolled-back',
        subject: 'p-0000000000',
        change: 'p-0000000000',
        actor: 'Test User <test@example.com>',
        inputs: { reason: 'broke checkout' },
        outcome: { reason: 'broke checkout', quarantine: [{ name: 'wrapper', version: '1.1.1' }] },
      });
      ledger.close();
      const { report } = await project.fix();
      const change = byName(report, 'wrapper');
      expect(change.status, change.reason).toBe('unproven');
      expect(change.proof?.introduced).toContain('quarantined wrapper@1.1.1');
    } finally {
      await project.close();
    }
  }, 120_000);
});

describe('fix of a project whose lockfile is not committed', () => {
  it('says so of the project, not of a temporary folder', async () => {
    const project = await createProject({
      packages: [{ name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } }],
      dependencies: { 'good-lib': '^1.0.0' },
      locked: { 'good-lib': '1.0.0' },
      advisories: [{ id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1' }],
    });
    try {
      git(project.repo, 'rm', '--quiet', '--cached', 'package-lock.json');
      git(project.repo, 'commit', '--quiet', '-m', 'untrack the lockfile');
      const refused = await project.run(['fix', '--db', project.db]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        'patchpilot: package-lock.json is not committed [LOCKFILE_NOT_FOUND]\n  hint: fix works from HEAD, the last commit: commit it first (git add package-lock.json)\n',
      );
      rmSync(join(project.repo, 'package-lock.json'));
      const none = await project.run(['fix', '--db', project.db]);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/^patchpilot: \.: no lockfile found \[LOCKFILE_NOT_FOUND\]\n/);
      expect(none.stderr).not.toContain('patchpilot-fix-');
    } finally {
      await project.close();
    }
  }, 120_000);
});

describe('fix outside a git repository', () => {
  it('says so, and --in-place writes the tested, proven change into the folder', async () => {
    const project = await createProject({
      packages: [{ name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } }],
      dependencies: { 'good-lib': '^1.0.0' },
      locked: { 'good-lib': '1.0.0' },
      files: { 'test/app.test.js': testFile(['good-lib'], "  assert.strictEqual(m0(), 'good');") },
      advisories: [{ id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1' }],
    });
    try {
      rmSync(join(project.repo, '.git'), { recursive: true, force: true });
      const refused = await project.run(['fix', '--db', project.db]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('not inside a git repository');
      expect(refused.stderr).toContain('--in-place');
      const manifest = readFileSync(join(project.repo, 'package.json'), 'utf8');
      // A lockfile that changes while fix runs (here the tests edit it): nothing is written, and
      // the ledger records the change as not written, never as merged.
      const lockPath = join(project.repo, 'package-lock.json');
      const lockBefore = readFileSync(lockPath, 'utf8');
      writeFileSync(
        join(project.repo, 'test/touch.test.js'),
        `require('node:fs').writeFileSync(${JSON.stringify(lockPath)}, ${JSON.stringify(lockBefore.replace('"fix-e2e-app"', '"edited-meanwhile"'))});\n`,
      );
      const clash = await project.run(['fix', '--in-place', '--db', project.db, '--ledger', project.ledger]);
      expect(clash.code).toBe(3);
      expect(clash.stderr).toContain('changed while fix ran; nothing was written');
      const entries = JSON.parse(
        (await project.run(['ledger', 'show', '--ledger', project.ledger, '--json'])).stdout,
      ) as {
        kind: string;
        outcome: { status?: string; reason?: string };
      }[];
      expect(entries.filter((e) => e.kind === 'merged')).toEqual([]);
      expect(
        entries.find((e) => e.kind === 'failed' && e.outcome.status === 'not-written')?.outcome.reason,
      ).toContain('tested and proven in a private copy, but not written into .:');
      rmSync(join(project.repo, 'test/touch.test.js'));
      writeFileSync(lockPath, lockBefore);
      const { result, report } = await project.fix(['--in-place']);
      expect(result.code, result.stderr).toBe(0);
      const change = byName(report, 'good-lib');
      expect(change.status).toBe('merged');
      // Its branch and commits were in the private copy, which is gone.
      expect(change.branch).toBeUndefined();
      expect(change.merged).toBeUndefined();
      expect(report.written).toEqual(['package-lock.json']);
      const merged = (
        JSON.parse(
          (await project.run(['ledger', 'show', '--ledger', project.ledger, '--kind', 'merged', '--json']))
            .stdout,
        ) as { outcome: Record<string, unknown> }[]
      )[0];
      expect(merged?.outcome).toMatchObject({ status: 'merged', writtenInto: '.' });
      expect(merged?.outcome.merged).toBeUndefined();
      expect(lockVersion(readFileSync(join(project.repo, 'package-lock.json'), 'utf8'), 'good-lib')).toBe(
        '1.0.1',
      );
      expect(readFileSync(join(project.repo, 'package.json'), 'utf8')).toBe(manifest);
      expect(existsSync(join(project.repo, '.git'))).toBe(false);
    } finally {
      await project.close();
    }
  }, 120_000);
});
