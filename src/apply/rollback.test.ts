import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPatchPilotError } from '../core/errors.js';
import type { LedgerEntry, LedgerEntryInput } from '../core/ledger.js';
import type { PackageChange } from '../core/plan.js';
import { Ledger } from '../ledger/store.js';
import { createGit, type Git } from './git.js';
import { quarantineOf, rollbackChange } from './rollback.js';

/** Real repositories in temp folders, a real ledger: the change history `fix` would have left. */

const env = {
  PATH: process.env.PATH,
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

const lock = (version: string): string =>
  `{\n  "packages": { "node_modules/lib": { "version": "${version}" } }\n}\n`;

const lockChange: PackageChange = {
  kind: 'lock',
  name: 'lib',
  from: '1.0.0',
  to: '1.0.1',
  locations: ['node_modules/lib'],
  step: 'patch',
  downgrade: false,
};

let root: string;
let repo: string;
let git: Git;
let ledger: Ledger;

const commitFile = (file: string, content: string, message: string): string => {
  writeFileSync(join(repo, file), content);
  git.run(['add', file]);
  git.run(['commit', '--quiet', '-m', message]);
  return git.run(['rev-parse', 'HEAD']);
};

const record = (entries: Omit<LedgerEntryInput, 'actor' | 'subject' | 'change'>[], change = 'p-1'): void => {
  ledger.appendAll(entries.map((e) => ({ ...e, subject: change, change, actor: 'patchpilot@test' })));
};

const entriesOf = (change = 'p-1'): LedgerEntry[] => ledger.entries({ change });

/** Change `change` (lib → `version`) committed on its branch patchpilot/<change> off main; main checked out. */
const branchChange = (change = 'p-1', version = '1.0.1'): { base: string; commit: string } => {
  const base = git.run(['rev-parse', 'main']);
  // A rerun of fix resets the change's branch, as here.
  git.run(['checkout', '--quiet', '-B', `patchpilot/${change}`]);
  const commit = commitFile(
    'package-lock.json',
    lock(version),
    `Fix GHSA-x in lib 1.0.0 → ${version}\n\nPatchPilot-Change: ${change}`,
  );
  git.run(['checkout', '--quiet', 'main']);
  return { base, commit };
};

/** `fix` proposing change p-1 at level 2: its ledger entries, the commit on its branch. */
const recordProposal = (base: string, commit: string): void =>
  record([
    { kind: 'planned', inputs: {}, outcome: { changes: [lockChange] } },
    { kind: 'applied', inputs: { base }, outcome: { commit, branch: 'patchpilot/p-1', status: 'proposed' } },
    {
      kind: 'proposed',
      inputs: { level: 2 },
      outcome: { status: 'proposed', commit, branch: 'patchpilot/p-1' },
    },
  ]);

/** `fix` merging change `change` (lib → `version`, p-1: 1.0.0 → 1.0.1) into main, as its ledger entries say. */
const mergeChange = (
  mode: 'fast-forward' | 'merge-commit' = 'fast-forward',
  change = 'p-1',
  version = '1.0.1',
): { commit: string; tip: string } => {
  const { base, commit } = branchChange(change, version);
  let tip = commit;
  if (mode === 'merge-commit') {
    git.run([
      'merge',
      '--quiet',
      '--no-ff',
      '-m',
      `Merge patchpilot/${change} (PatchPilot)`,
      `patchpilot/${change}`,
    ]);
    tip = git.run(['rev-parse', 'HEAD']);
  } else git.run(['merge', '--quiet', '--ff-only', `patchpilot/${change}`]);
  record(
    [
      { kind: 'planned', inputs: {}, outcome: { changes: [{ ...lockChange, to: version }] } },
      {
        kind: 'applied',
        inputs: { base },
        outcome: { commit, branch: `patchpilot/${change}`, status: 'merged' },
      },
      {
        kind: 'merged',
        inputs: { level: 3 },
        outcome: {
          status: 'merged',
          commit,
          branch: `patchpilot/${change}`,
          merged: { branch: 'main', commit: tip, mode },
        },
      },
    ],
    change,
  );
  return { commit, tip };
};

const errorOf = (work: () => unknown): { code: string; message: string } => {
  try {
    work();
  } catch (error) {
    if (isPatchPilotError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('no error');
};

const worktrees = (): number =>
  git
    .run(['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter((l) => l.startsWith('worktree ')).length;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'patchpilot-rollback-'));
  repo = join(root, 'repo');
  git = createGit(root, env);
  git.run(['init', '--quiet', '-b', 'main', repo]);
  git = createGit(repo, env);
  commitFile('package-lock.json', lock('1.0.0'), 'initial');
  commitFile('README.md', 'app\n', 'readme');
  ledger = Ledger.open(join(root, 'ledger.db'));
});

afterEach(() => {
  ledger.close();
  rmSync(root, { recursive: true, force: true });
});

const input = { change: 'p-1', level: 3, reason: 'broke the login page', tool: 'patchpilot@test' };

describe('rollbackChange', () => {
  it('reverts a merged change on the base branch, with trailers, and quarantines its version', () => {
    const { commit } = mergeChange();
    const result = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(result).toMatchObject({
      mode: 'merged',
      branch: 'main',
      commit,
      reverted: commit,
      files: ['package-lock.json'],
    });
    expect(git.run(['rev-parse', 'main'])).toBe(result.revert);
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.0'));
    expect(git.run(['status', '--porcelain'])).toBe('');
    const message = git.run(['log', '-1', '--format=%B', result.revert]);
    expect(message).toContain('Revert "Fix GHSA-x in lib 1.0.0 → 1.0.1"');
    expect(message).toContain('PatchPilot-Rollback: p-1');
    expect(message).toContain('PatchPilot-Reason: broke the login page');
    expect(message).not.toContain('PatchPilot-Change:');
    expect(result.quarantine).toEqual([{ name: 'lib', version: '1.0.1' }]);
    expect(result.event).toMatchObject({
      kind: 'rolled-back',
      subject: 'p-1',
      change: 'p-1',
      inputs: { commit, base: 'main', reason: 'broke the login page' },
      outcome: { revert: result.revert, mode: 'merged', quarantine: [{ name: 'lib', version: '1.0.1' }] },
    });
    expect(worktrees()).toBe(1);
  });

  it('refuses when a later commit changed a file the change changed, naming it; nothing moves', () => {
    mergeChange();
    const later = commitFile('package-lock.json', lock('1.0.2'), 'bump lib by hand');
    commitFile('README.md', 'app 2\n', 'docs');
    const error = errorOf(() => rollbackChange({ ...input, git, entries: entriesOf() }));
    expect(error.code).toBe('ROLLBACK_REFUSED');
    expect(error.message).toContain(later.slice(0, 12));
    expect(error.message).toContain('bump lib by hand (package-lock.json)');
    expect(error.message).not.toContain('docs');
    expect(git.run(['rev-parse', 'main'])).toBe(git.run(['rev-parse', 'HEAD']));
    expect(git.run(['log', '-1', '--format=%s', 'main'])).toBe('docs');
    expect(git.run(['branch', '--list', 'patchpilot/revert-*'])).toBe('');
    expect(worktrees()).toBe(1);
  });

  it('goes ahead when later commits changed other files only', () => {
    mergeChange();
    commitFile('README.md', 'app 2\n', 'docs');
    const result = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(result.mode).toBe('merged');
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('app 2\n');
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.0'));
  });

  it('at level 2 leaves the revert on patchpilot/revert-<id>, the base untouched', () => {
    mergeChange();
    const tip = git.run(['rev-parse', 'main']);
    const result = rollbackChange({ ...input, level: 2, git, entries: entriesOf() });
    expect(result).toMatchObject({ mode: 'branch', branch: 'patchpilot/revert-p-1' });
    expect(git.run(['rev-parse', 'main'])).toBe(tip);
    expect(git.run(['rev-parse', 'patchpilot/revert-p-1'])).toBe(result.revert);
    expect(git.run(['show', 'patchpilot/revert-p-1:package-lock.json'])).toBe(lock('1.0.0').trimEnd());
  });

  it('leaves the revert on its branch when the base branch has uncommitted changes', () => {
    mergeChange();
    writeFileSync(join(repo, 'README.md'), 'edited\n');
    const tip = git.run(['rev-parse', 'main']);
    const result = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(result.mode).toBe('branch');
    expect(result.deferred).toContain('uncommitted changes');
    expect(git.run(['rev-parse', 'main'])).toBe(tip);
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('edited\n');
  });

  it('reverts the merge commit that brought the change in (merge-commit mode)', () => {
    const { tip } = mergeChange('merge-commit');
    const result = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(result.reverted).toBe(tip);
    expect(result.mode).toBe('merged');
    expect(git.run(['rev-parse', 'main^'])).toBe(tip);
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.0'));
  });

  it("never reverts on the change's own branch, even when named; other branches are fine", () => {
    const { tip } = mergeChange();
    const own = errorOf(() =>
      rollbackChange({ ...input, git, entries: entriesOf(), baseBranch: 'patchpilot/p-1' }),
    );
    expect(own).toMatchObject({ code: 'ROLLBACK_NOT_MERGED' });
    expect(own.message).toBe("patchpilot/p-1 is change p-1's own branch, not a branch it was merged into");
    // A branch of the user's that happens to start with patchpilot/ is a base like any other.
    git.run(['branch', 'patchpilot/release', tip]);
    const result = rollbackChange({ ...input, git, entries: entriesOf(), baseBranch: 'patchpilot/release' });
    expect(result).toMatchObject({ base: 'patchpilot/release', mode: 'merged' });
    expect(git.run(['rev-parse', 'patchpilot/release^'])).toBe(tip);
  });

  it('a rollback that lands removes the revert branch an earlier one left waiting', () => {
    mergeChange();
    const waiting = rollbackChange({ ...input, level: 2, git, entries: entriesOf() });
    record([{ kind: 'rolled-back', inputs: {}, outcome: waiting.event.outcome }]);
    expect(git.run(['rev-parse', 'patchpilot/revert-p-1'])).toBe(waiting.revert);
    const landed = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(landed).toMatchObject({ mode: 'merged', branch: 'main' });
    expect(landed.event.outcome).toMatchObject({ superseded: 'patchpilot/revert-p-1' });
    expect(
      git.tryRun(['rev-parse', '--verify', '--quiet', 'refs/heads/patchpilot/revert-p-1']).code,
    ).not.toBe(0);
  });

  it('keeps a waiting revert branch someone committed to', () => {
    mergeChange();
    const waiting = rollbackChange({ ...input, level: 2, git, entries: entriesOf() });
    record([{ kind: 'rolled-back', inputs: {}, outcome: waiting.event.outcome }]);
    git.run(['checkout', '--quiet', 'patchpilot/revert-p-1']);
    const theirs = commitFile('notes.md', 'reviewed\n', 'review notes');
    git.run(['checkout', '--quiet', 'main']);
    const landed = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(landed.event.outcome).not.toHaveProperty('superseded');
    expect(git.run(['rev-parse', 'patchpilot/revert-p-1'])).toBe(theirs);
  });

  it('refuses a second rollback of the same change', () => {
    mergeChange();
    const first = rollbackChange({ ...input, git, entries: entriesOf() });
    record([{ kind: 'rolled-back', inputs: {}, outcome: first.event.outcome }]);
    const error = errorOf(() => rollbackChange({ ...input, git, entries: entriesOf() }));
    expect(error.code).toBe('ROLLBACK_REFUSED');
    expect(error.message).toContain('already rolled back');
  });

  it('rolls back an older change once the later ones on its files were rolled back (newest first)', () => {
    for (const mode of ['fast-forward', 'merge-commit'] as const) {
      mergeChange(mode, `p-1-${mode}`, '1.0.1');
      mergeChange(mode, `p-2-${mode}`, '1.0.2');
      const refused = errorOf(() =>
        rollbackChange({ ...input, change: `p-1-${mode}`, git, entries: entriesOf(`p-1-${mode}`) }),
      );
      expect(refused.code).toBe('ROLLBACK_REFUSED');
      const newer = rollbackChange({
        ...input,
        change: `p-2-${mode}`,
        git,
        entries: entriesOf(`p-2-${mode}`),
      });
      record(
        [{ kind: 'rolled-back', inputs: newer.event.inputs, outcome: newer.event.outcome }],
        `p-2-${mode}`,
      );
      expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.1'));
      // The newer change and its revert cancel out: nothing later is left for the older one to undo.
      const older = rollbackChange({
        ...input,
        change: `p-1-${mode}`,
        git,
        entries: entriesOf(`p-1-${mode}`),
      });
      expect(older.mode).toBe('merged');
      expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.0'));
    }
  });

  it('a later commit reverted by hand does not block; one whose revert was itself reverted does', () => {
    mergeChange();
    const bump = commitFile('package-lock.json', lock('1.0.2'), 'bump lib by hand');
    git.run(['revert', '--no-edit', bump]);
    const undone = git.run(['rev-parse', 'HEAD']);
    git.run(['revert', '--no-edit', undone]);
    const error = errorOf(() => rollbackChange({ ...input, git, entries: entriesOf() }));
    expect(error.code).toBe('ROLLBACK_REFUSED');
    expect(error.message).toContain('3 later commits');
    git.run(['reset', '--quiet', '--hard', undone]);
    const result = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(result.mode).toBe('merged');
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.0'));
  });

  it('a change rolled back, then merged again by a later fix, is rolled back again', () => {
    mergeChange();
    const first = rollbackChange({ ...input, git, entries: entriesOf() });
    record([{ kind: 'rolled-back', inputs: first.event.inputs, outcome: first.event.outcome }]);
    const again = mergeChange();
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.1'));
    const second = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(second).toMatchObject({ mode: 'merged', commit: again.commit, reverted: again.commit });
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.0'));
    record([{ kind: 'rolled-back', inputs: second.event.inputs, outcome: second.event.outcome }]);
    expect(errorOf(() => rollbackChange({ ...input, git, entries: entriesOf() })).message).toContain(
      'already rolled back',
    );
  });

  it('a change rolled back, then proposed again by a later fix and merged by hand, is rolled back again', () => {
    mergeChange();
    const first = rollbackChange({ ...input, git, entries: entriesOf() });
    record([{ kind: 'rolled-back', inputs: first.event.inputs, outcome: first.event.outcome }]);
    // A later fix, at level 2 this time, proposes the same change (the same id) on its branch.
    const { base, commit } = branchChange();
    recordProposal(base, commit);
    const waiting = errorOf(() => rollbackChange({ ...input, git, entries: entriesOf() }));
    expect(waiting).toMatchObject({ code: 'ROLLBACK_NOT_MERGED' });
    git.run(['merge', '--quiet', '--ff-only', 'patchpilot/p-1']);
    const second = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(second).toMatchObject({ mode: 'merged', commit, reverted: commit });
    expect(second.event.inputs).toMatchObject({ mergedBy: 'outside patchpilot (proposed change)' });
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.0'));
  });

  it('a proposed change someone merged by hand is rolled back on the branch checked out', () => {
    const { base, commit } = branchChange();
    recordProposal(base, commit);
    // Not merged yet: nothing to roll back, and the proposal's branch is named.
    const early = errorOf(() => rollbackChange({ ...input, git, entries: entriesOf() }));
    expect(early.code).toBe('ROLLBACK_NOT_MERGED');
    expect(early.message).toBe(
      'change p-1 was proposed on patchpilot/p-1 and is not merged into main: there is nothing to roll back there',
    );
    // Its own branch checked out (to review it) or named is no base to revert on.
    git.run(['checkout', '--quiet', 'patchpilot/p-1']);
    const onProposal = errorOf(() => rollbackChange({ ...input, git, entries: entriesOf() }));
    expect(onProposal).toMatchObject({ code: 'ROLLBACK_NOT_MERGED' });
    expect(onProposal.message).toBe(
      "patchpilot/p-1 is change p-1's own branch, not a branch it was merged into",
    );
    git.run(['checkout', '--quiet', 'main']);
    const named = errorOf(() =>
      rollbackChange({ ...input, git, entries: entriesOf(), baseBranch: 'patchpilot/revert-p-1' }),
    );
    expect(named.message).toBe(
      "patchpilot/revert-p-1 is change p-1's own branch, not a branch it was merged into",
    );
    expect(git.run(['rev-parse', 'patchpilot/p-1'])).toBe(commit);
    // A reviewer merges it with a merge commit of their own.
    git.run(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #7', 'patchpilot/p-1']);
    const tip = git.run(['rev-parse', 'main']);
    const result = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(result).toMatchObject({ mode: 'merged', base: 'main', baseCommit: tip, commit, reverted: commit });
    expect(git.run(['rev-parse', 'main^'])).toBe(tip);
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(lock('1.0.0'));
    expect(result.event.inputs).toMatchObject({ mergedBy: 'outside patchpilot (proposed change)' });
    expect(result.quarantine).toEqual([{ name: 'lib', version: '1.0.1' }]);
  });

  it('a proposal merged by hand after the base moved on is rolled back; what came in beside it stays', () => {
    const wide = (lib: string, other: string): string =>
      `{\n  "packages": {\n    "node_modules/lib": { "version": "${lib}" },\n    "node_modules/a": {},\n    "node_modules/b": {},\n    "node_modules/c": {},\n    "node_modules/other": { "version": "${other}" }\n  }\n}\n`;
    commitFile('package-lock.json', wide('1.0.0', '2.0.0'), 'more packages');
    const base = git.run(['rev-parse', 'main']);
    git.run(['checkout', '--quiet', '-b', 'patchpilot/p-1']);
    const commit = commitFile(
      'package-lock.json',
      wide('1.0.1', '2.0.0'),
      'Fix lib\n\nPatchPilot-Change: p-1',
    );
    git.run(['checkout', '--quiet', 'main']);
    recordProposal(base, commit);
    // Another change lands on main first, in the same file; then the proposal is merged by hand.
    const beside = commitFile('package-lock.json', wide('1.0.0', '2.0.1'), 'other 2.0.1');
    git.run(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #8', 'patchpilot/p-1']);
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(wide('1.0.1', '2.0.1'));
    const result = rollbackChange({ ...input, git, entries: entriesOf() });
    expect(result).toMatchObject({ mode: 'merged', base: 'main', commit, reverted: commit });
    expect(readFileSync(join(repo, 'package-lock.json'), 'utf8')).toBe(wide('1.0.0', '2.0.1'));
    expect(git.run(['merge-base', '--is-ancestor', beside, 'main']) === '').toBe(true);
  });

  it('refuses, naming the conflict, when the merge that brought a proposal in was resolved by hand', () => {
    const base = git.run(['rev-parse', 'main']);
    git.run(['checkout', '--quiet', '-b', 'patchpilot/p-1']);
    const commit = commitFile('package-lock.json', lock('1.0.1'), 'Fix lib\n\nPatchPilot-Change: p-1');
    git.run(['checkout', '--quiet', 'main']);
    recordProposal(base, commit);
    commitFile('package-lock.json', lock('1.0.0-patched'), 'lib patched in place');
    // The merge conflicts on the same line; the reviewer resolves it with a third version.
    git.tryRun(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #9', 'patchpilot/p-1']);
    writeFileSync(join(repo, 'package-lock.json'), lock('1.0.2'));
    git.run(['add', 'package-lock.json']);
    git.run(['commit', '--quiet', '--no-edit']);
    const tip = git.run(['rev-parse', 'main']);
    const error = errorOf(() => rollbackChange({ ...input, git, entries: entriesOf() }));
    expect(error.code).toBe('ROLLBACK_REFUSED');
    expect(error.message).toBe(
      'reverting change p-1 conflicts with what main has now (in package-lock.json)',
    );
    expect(git.run(['rev-parse', 'main'])).toBe(tip);
    expect(worktrees()).toBe(1);
  });

  it('a change never merged, or one whose commit is not on the base branch, is not rolled back', () => {
    record(
      [
        { kind: 'planned', inputs: {}, outcome: { changes: [lockChange] } },
        { kind: 'proposed', inputs: {}, outcome: { status: 'proposed', branch: 'patchpilot/p-2' } },
      ],
      'p-2',
    );
    const proposed = errorOf(() =>
      rollbackChange({ ...input, change: 'p-2', git, entries: entriesOf('p-2') }),
    );
    expect(proposed).toMatchObject({ code: 'ROLLBACK_NOT_MERGED' });
    expect(proposed.message).toContain('never merged (it was proposed on patchpilot/p-2)');

    const other = git.run(['rev-parse', 'HEAD']);
    record(
      [
        {
          kind: 'merged',
          inputs: {},
          outcome: { commit: other, merged: { branch: 'main', commit: other, mode: 'fast-forward' } },
        },
      ],
      'p-3',
    );
    const unmarked = errorOf(() =>
      rollbackChange({ ...input, change: 'p-3', git, entries: entriesOf('p-3') }),
    );
    expect(unmarked).toMatchObject({ code: 'ROLLBACK_NOT_MERGED' });
    expect(unmarked.message).toContain('is not on main');

    expect(errorOf(() => rollbackChange({ ...input, change: 'p-4', git, entries: [] })).code).toBe(
      'LEDGER_CHANGE_UNKNOWN',
    );
  });
});

describe('quarantineOf', () => {
  it('names the versions lock, manifest and plain-version override changes bring in', () => {
    const changes: PackageChange[] = [
      lockChange,
      { ...lockChange, name: 'other', to: '2.0.0' },
      { kind: 'add', name: 'new-dep', to: '1.0.0', locations: [] },
      {
        kind: 'manifest',
        importer: '',
        dependency: 'dep',
        name: 'dep',
        type: 'prod',
        fromRange: '^1.0.0',
        toRange: '^1.2.0',
        from: '1.0.0',
        to: '1.2.0',
        step: 'minor',
        downgrade: false,
      },
      {
        kind: 'override',
        action: 'add',
        manager: 'npm',
        file: 'package.json',
        path: ['deep'],
        key: 'deep',
        name: 'deep',
        to: '3.1.4',
        advisories: [],
        outOfRange: false,
      },
      {
        kind: 'override',
        action: 'add',
        manager: 'npm',
        file: 'package.json',
        path: ['ranged'],
        key: 'ranged',
        name: 'ranged',
        to: '^3.1.4',
        advisories: [],
        outOfRange: false,
      },
      lockChange,
    ];
    expect(quarantineOf(changes)).toEqual([
      { name: 'lib', version: '1.0.1' },
      { name: 'other', version: '2.0.0' },
      { name: 'dep', version: '1.2.0' },
      { name: 'deep', version: '3.1.4' },
    ]);
  });
});
