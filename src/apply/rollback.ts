import { PatchPilotError } from '../core/errors.js';
import type { LedgerEntry } from '../core/ledger.js';
import type { PackageChange } from '../core/plan.js';
import { isStrictVersion } from '../core/version.js';
import {
  branchCommit,
  changedFiles,
  commitIdentity,
  currentBranch,
  type Git,
  isAncestor,
  repositoryTop,
} from './git.js';
import type { FixEvent } from './index.js';
import { mergeInto } from './merge.js';
import { branchFor, WorktreeRegistry } from './worktree.js';

/**
 * Rolling back a merged change: a new commit on the base branch that reverts the change's commit
 * (history is never rewritten), made in a worktree of its own and landed the way `fix` lands a
 * change (git's own fast-forward, never over uncommitted changes), or left on
 * `patchpilot/revert-<id>` for a human at level 2. A change that later commits built on (they
 * touched a file it touched) is refused, never forced: reverting it would undo or conflict with
 * them. The versions the change brought in are quarantined by the `rolled-back` entry it gives.
 */

export interface RollbackInput {
  readonly git: Git;
  /** The change (patch) id. */
  readonly change: string;
  /** The change's ledger entries, in seq order. */
  readonly entries: readonly LedgerEntry[];
  /** The branch to revert it on; default: the one its `merged` entry names. */
  readonly baseBranch?: string;
  /** The level policy grants the rollback: 3 and up lands it on the base branch, below leaves a branch. */
  readonly level: number;
  readonly reason: string;
  /** `patchpilot@<version>`, for the commit's trailer. */
  readonly tool: string;
}

export interface QuarantineItem {
  readonly name: string;
  readonly version: string;
}

export interface RollbackResult {
  readonly change: string;
  /** The change's own commit. */
  readonly commit: string;
  /** The commit reverted: the change's own, or the merge commit that brought it in alone. */
  readonly reverted: string;
  readonly base: string;
  /** The base branch's tip the revert was made on. */
  readonly baseCommit: string;
  /** The revert commit. */
  readonly revert: string;
  /** `merged`: the base branch is at the revert; `branch`: the revert waits on `branch`. */
  readonly mode: 'merged' | 'branch';
  /** The base branch (merged), or the revert branch. */
  readonly branch: string;
  /** Why a level-3 rollback was left on its branch (the base branch moved, its work tree is dirty). */
  readonly deferred?: string;
  /** The files the revert restores, relative to the repository's top. */
  readonly files: readonly string[];
  readonly quarantine: readonly QuarantineItem[];
  /** The `rolled-back` entry to append (the caller adds the actor). */
  readonly event: FixEvent;
}

export const revertBranchFor = (change: string): string => branchFor(`revert-${change}`);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

const last = (entries: readonly LedgerEntry[], kind: LedgerEntry['kind']): LedgerEntry | undefined =>
  entries.filter((e) => e.kind === kind).pop();

/**
 * The versions a change brought in, quarantined when it is rolled back: the targets of its lockfile
 * and manifest changes, and of its overrides when they name a plain version (a range names none).
 * Packages it merely added along the way are not blamed.
 */
export const quarantineOf = (changes: readonly PackageChange[]): QuarantineItem[] => {
  const out: QuarantineItem[] = [];
  const add = (name: string, version: string | undefined): void => {
    if (version === undefined || !isStrictVersion(version)) return;
    if (!out.some((q) => q.name === name && q.version === version)) out.push({ name, version });
  };
  for (const c of changes) {
    if (c.kind === 'lock' || c.kind === 'manifest') add(c.name, c.to);
    else if (c.kind === 'override' && c.action !== 'remove') add(c.name, c.to);
  }
  return out;
};

/** The change's planned package changes, as its last `planned` entry recorded them. */
const plannedChanges = (entries: readonly LedgerEntry[]): PackageChange[] => {
  const changes = last(entries, 'planned')?.outcome.changes;
  if (!Array.isArray(changes)) return [];
  return changes.filter(
    (c): c is PackageChange =>
      c !== null &&
      typeof c === 'object' &&
      typeof (c as { kind?: unknown }).kind === 'string' &&
      typeof (c as { name?: unknown }).name === 'string',
  );
};

export interface LaterCommit {
  readonly commit: string;
  readonly subject: string;
  /** The files of the change it touched. */
  readonly files: readonly string[];
}

/**
 * Commits on `base` built on `target` (its descendants: what came in beside it through a merge
 * is not later) that touched any of `files` (git's own history simplification: a merge counts
 * when it changed them itself), `exclude` aside. `files` are relative to the repository's top,
 * and `top` is where git runs.
 */
export const laterCommits = (
  git: Git,
  top: string,
  target: string,
  base: string,
  files: readonly string[],
  exclude: readonly string[] = [],
): LaterCommit[] => {
  if (files.length === 0) return [];
  const log = git.run(
    [
      '--literal-pathspecs',
      'log',
      '--ancestry-path',
      '--format=%H%x09%s',
      `${target}..${base}`,
      '--',
      ...files,
    ],
    top,
  );
  const out: LaterCommit[] = [];
  for (const line of log.split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    const commit = tab < 0 ? line : line.slice(0, tab);
    if (exclude.includes(commit)) continue;
    const touched = git
      .run(
        [
          '--literal-pathspecs',
          'diff-tree',
          '-r',
          '-z',
          '--name-only',
          '--no-commit-id',
          `${commit}^`,
          commit,
          '--',
          ...files,
        ],
        top,
      )
      .split('\0')
      .filter((f) => f !== '');
    out.push({
      commit,
      subject: tab < 0 ? '' : line.slice(tab + 1),
      files: touched.length > 0 ? touched : [...files],
    });
  }
  return out;
};

/** Whether `files` are the same at `base` as at `target` (`files` relative to `top`, where git runs). */
const unchangedSince = (
  git: Git,
  top: string,
  target: string,
  base: string,
  files: readonly string[],
): boolean =>
  git.tryRun(['--literal-pathspecs', 'diff', '--quiet', target, base, '--', ...files], top).code === 0;

const refused = (message: string, hint: string): PatchPilotError =>
  new PatchPilotError('ROLLBACK_REFUSED', message, { hint });

const notMerged = (message: string, hint: string): PatchPilotError =>
  new PatchPilotError('ROLLBACK_NOT_MERGED', message, { hint });

/** The trailer value: one line, no surrounding space. */
const oneLine = (value: string): string => value.replace(/\s+/g, ' ').trim();

export const rollbackMessage = (facts: {
  readonly change: string;
  readonly subject: string;
  readonly reverted: string;
  readonly reason: string;
  readonly quarantine: readonly QuarantineItem[];
  readonly tool: string;
}): string => {
  const lines = [
    `Revert "${facts.subject}"`,
    '',
    `This reverts commit ${facts.reverted}, PatchPilot change ${facts.change}.`,
    '',
    `Reason: ${facts.reason.trim()}`,
  ];
  if (facts.quarantine.length > 0) {
    lines.push(
      '',
      `Quarantined (not proposed again until released): ${facts.quarantine.map((q) => `${q.name}@${q.version}`).join(', ')}`,
    );
  }
  lines.push(
    '',
    `PatchPilot-Rollback: ${facts.change}`,
    `PatchPilot-Reason: ${oneLine(facts.reason)}`,
    `PatchPilot-Tool: ${facts.tool}`,
  );
  return `${lines.join('\n')}\n`;
};

export const rollbackChange = (input: RollbackInput): RollbackResult => {
  const { git, change, entries } = input;
  if (entries.length === 0) {
    throw new PatchPilotError('LEDGER_CHANGE_UNKNOWN', `the ledger has no entry for change ${change}`, {
      hint: '`patchpilot ledger show --kind merged` lists the merged changes',
    });
  }
  // The change's last run decides: merged by fix, or proposed (with a commit). A proposed change
  // someone merged by hand (its branch's commit is now on the base branch) is rolled back like one
  // PatchPilot merged; the base is --base, else the branch checked out. A change merged, rolled
  // back, then proposed again by a later fix is that proposal now.
  const lastMerged = last(entries, 'merged');
  const lastProposed = last(entries, 'proposed');
  const proposedLater =
    text(lastProposed?.outcome.commit) !== undefined && (lastProposed?.seq ?? 0) > (lastMerged?.seq ?? 0);
  const merged = proposedLater ? undefined : lastMerged;
  const proposed = merged ? undefined : lastProposed;
  const proposedCommit = text(proposed?.outcome.commit);
  const decisive = merged ?? (proposedCommit ? proposed : undefined);
  if (!decisive) {
    const final = entries.filter((e) => ['proposed', 'reported', 'failed'].includes(e.kind)).pop();
    const branch = text(final?.outcome.branch);
    throw notMerged(
      `change ${change} was never merged${final ? ` (it was ${final.kind}${branch ? ` on ${branch}` : ''})` : ''}: there is nothing to roll back`,
      branch
        ? `a proposed change is undone by deleting its branch: git branch -D ${branch}`
        : 'only a merged change can be rolled back',
    );
  }
  const mergedInfo = (merged?.outcome.merged ?? {}) as { branch?: unknown; commit?: unknown; mode?: unknown };
  const commit = merged
    ? (text(merged.outcome.commit) ?? text(last(entries, 'applied')?.outcome.commit))
    : proposedCommit;
  if (!commit) {
    throw notMerged(
      `change ${change}'s merged entry (${decisive.seq}) names no commit`,
      'revert the change by hand with git revert',
    );
  }
  const base = input.baseBranch ?? text(mergedInfo.branch) ?? (merged ? undefined : currentBranch(git));
  if (!base) {
    throw notMerged(
      merged
        ? `change ${change}'s merged entry (${decisive.seq}) names no branch`
        : `change ${change} was proposed, and no branch is checked out to look for it on`,
      'name the branch it was merged into with --base BRANCH',
    );
  }
  // The change's own branches (the one fix committed it on, its revert branch) hold its commit
  // without anything being merged: reverting there would quarantine the versions and mark the
  // change rolled back while no base branch had it.
  const ownBranches = new Set([
    branchFor(change),
    revertBranchFor(change),
    // The branch the change was committed on, as fix recorded it (a rollback's `branch` is where
    // its revert went, the base itself when it landed).
    ...entries
      .filter((e) => e.kind === 'applied' || e.kind === 'proposed' || e.kind === 'merged')
      .flatMap((e) => text(e.outcome.branch) ?? []),
  ]);
  if (ownBranches.has(base)) {
    throw notMerged(
      `${base} is change ${change}'s own branch, not a branch it was merged into`,
      merged
        ? 'name the branch it was merged into with --base BRANCH, or leave --base out'
        : 'check out the branch the proposal was merged into (or name it with --base BRANCH), or undo the proposal by deleting its branch',
    );
  }
  const baseCommit = branchCommit(git, base);
  if (!baseCommit) {
    throw notMerged(`branch ${base} does not exist`, 'name the branch the change is on with --base BRANCH');
  }
  const top = repositoryTop(git);
  if (top === undefined)
    throw new PatchPilotError('NOT_A_GIT_REPOSITORY', `${git.cwd} is not inside a git repository`);

  // The trailer finds the change on the branch as git sees it; the ledger's commit must be that one.
  const marked = git
    .run(['log', '--format=%H', '--fixed-strings', `--grep=PatchPilot-Change: ${change}`, baseCommit], top)
    .split('\n')
    .filter((l) => l !== '');
  if (!merged && !marked.includes(commit)) {
    const branch = text(decisive.outcome.branch);
    throw notMerged(
      `change ${change} was proposed${branch ? ` on ${branch}` : ''} and is not merged into ${base}${
        marked.length > 0
          ? ` (${base} has ${marked.map((c) => c.slice(0, 12)).join(', ')} with its trailer: was it rebased or squashed?)`
          : ''
      }: there is nothing to roll back there`,
      marked.length > 0
        ? `revert it by hand: git revert ${marked[0]?.slice(0, 12)}`
        : `name the branch it was merged into with --base BRANCH${branch ? `, or undo the proposal by deleting its branch: git branch -D ${branch}` : ''}`,
    );
  }
  if (!marked.includes(commit)) {
    throw notMerged(
      `change ${change}'s commit ${commit.slice(0, 12)} is not on ${base}${
        marked.length > 0
          ? ` (${base} has ${marked.map((c) => c.slice(0, 12)).join(', ')} with its trailer: was the history rewritten?)`
          : ''
      }`,
      marked.length > 0
        ? `revert it by hand: git revert ${marked[0]?.slice(0, 12)}`
        : `check out the branch it was merged into, or name it with --base BRANCH`,
    );
  }

  // Only a rollback after the change's last merge counts: a change rolled back and then merged
  // again by a later fix (the same id, a new commit) is rolled back again.
  for (const earlier of entries.filter((e) => e.kind === 'rolled-back' && e.seq > decisive.seq)) {
    const revert = text(earlier.outcome.revert);
    if (earlier.outcome.mode === 'merged' || (revert !== undefined && isAncestor(git, revert, baseCommit))) {
      throw refused(
        `change ${change} was already rolled back (ledger entry ${earlier.seq}${revert ? `, revert ${revert.slice(0, 12)}` : ''})`,
        `see it with \`patchpilot ledger show --change ${change}\``,
      );
    }
  }

  // A merge commit that brought in this change alone is what gets reverted (its first parent is
  // the mainline); a change merged with others is reverted by its own commit.
  let reverted = commit;
  let mainline = false;
  const mergeCommit = text(mergedInfo.commit);
  if (
    mergedInfo.mode === 'merge-commit' &&
    mergeCommit &&
    mergeCommit !== commit &&
    isAncestor(git, mergeCommit, baseCommit)
  ) {
    const brought = git.tryRun(['rev-list', `${mergeCommit}^1..${mergeCommit}^2`], top);
    if (brought.code === 0 && brought.stdout.trim() === commit) {
      reverted = mergeCommit;
      mainline = true;
    }
  }
  const files = changedFiles(git, reverted);
  // The merges that brought the change in, PatchPilot's or a reviewer's (their first parent lacks
  // it), combine it with what the base had meanwhile: they are not later work built on it.
  const descendants = new Set([
    reverted,
    ...git
      .run(['rev-list', '--ancestry-path', `${reverted}..${baseCommit}`], top)
      .split('\n')
      .filter((c) => c !== ''),
  ]);
  const bringing = git
    .run(['rev-list', '--merges', '--parents', '--ancestry-path', `${reverted}..${baseCommit}`], top)
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([merge, first]) => merge && first && !descendants.has(first))
    .map(([merge]) => merge as string);
  const later = laterCommits(git, top, reverted, baseCommit, files, [
    ...(mergeCommit && !mainline ? [mergeCommit] : []),
    ...bringing,
  ]);
  // Later commits whose effects on these files cancel out (a later change and its rollback, a
  // commit and its revert) left nothing for this revert to undo or conflict with.
  if (later.length > 0 && !unchangedSince(git, top, reverted, baseCommit, files)) {
    const shown = later
      .slice(0, 5)
      .map((c) => `  ${c.commit.slice(0, 12)} ${c.subject} (${c.files.join(', ')})`);
    if (later.length > 5) shown.push(`  and ${later.length - 5} more`);
    throw refused(
      `refusing to roll back change ${change}: ${later.length === 1 ? 'a later commit' : `${later.length} later commits`} on ${base} changed what it changed, and reverting it would undo or conflict with ${later.length === 1 ? 'it' : 'them'}:\n${shown.join('\n')}`,
      `roll back the later changes first (newest first), or revert ${reverted.slice(0, 12)} by hand and resolve the conflicts`,
    );
  }

  const quarantine = quarantineOf(plannedChanges(entries));
  const subject = git.run(['log', '-1', '--format=%s', commit], top);
  const identity = commitIdentity(git);
  const worktrees = new WorktreeRegistry();
  let revert: string;
  try {
    const worktree = worktrees.add(git, baseCommit, undefined);
    const reverting = git.tryRun(
      ['revert', '--no-commit', ...(mainline ? ['-m', '1'] : []), reverted],
      worktree.path,
      identity,
    );
    // What came in beside the change, or a merge resolved by hand, conflicts with its revert.
    if (reverting.code !== 0) {
      throw refused(
        `reverting change ${change} conflicts with what ${base} has now (in ${files.join(', ')})`,
        `revert ${reverted.slice(0, 12)} by hand and resolve the conflicts: git revert ${mainline ? '-m 1 ' : ''}${reverted.slice(0, 12)}`,
      );
    }
    if (git.tryRun(['diff', '--cached', '--quiet'], worktree.path).code === 0) {
      throw refused(
        `reverting change ${change} changes nothing on ${base}: it was already undone there`,
        'nothing to roll back; `patchpilot quarantine` is separate if its versions should stay out',
      );
    }
    git.run(
      [
        'commit',
        '--quiet',
        '--no-verify',
        '-m',
        rollbackMessage({ change, subject, reverted, reason: input.reason, quarantine, tool: input.tool }),
      ],
      worktree.path,
      identity,
    );
    revert = git.run(['rev-parse', 'HEAD'], worktree.path);
  } finally {
    worktrees.close();
  }

  let mode: RollbackResult['mode'] = 'branch';
  let branch = revertBranchFor(change);
  let deferred: string | undefined;
  if (input.level >= 3) {
    const landed = mergeInto(git, {
      target: base,
      branchTip: revert,
      from: baseCommit,
      label: `the rollback of ${change}`,
      mode: 'fast-forward',
      identity,
      during: 'while the rollback was made',
    });
    if ('commit' in landed) {
      mode = 'merged';
      branch = base;
    } else deferred = landed.deferred;
  }
  if (mode === 'branch') git.run(['branch', '--force', branch, revert], top);
  // A revert an earlier rollback left waiting on its branch is superseded once this one lands:
  // its branch goes, unless someone committed to it since.
  let superseded: string | undefined;
  if (mode === 'merged') {
    const waiting = revertBranchFor(change);
    const tip = branchCommit(git, waiting);
    const earlier = entries.some(
      (e) => e.kind === 'rolled-back' && e.outcome.mode === 'branch' && text(e.outcome.revert) === tip,
    );
    if (tip !== undefined && earlier && git.tryRun(['branch', '--quiet', '-D', waiting], top).code === 0) {
      superseded = waiting;
    }
  }

  const event: FixEvent = {
    kind: 'rolled-back',
    subject: change,
    change,
    inputs: {
      commit,
      reverted,
      base,
      baseCommit,
      reason: input.reason,
      level: input.level,
      // Who merged it is not PatchPilot's to know: the change was proposed and merged by hand.
      ...(merged ? {} : { mergedBy: 'outside patchpilot (proposed change)' }),
    },
    outcome: {
      revert,
      branch,
      mode,
      reason: input.reason,
      files,
      quarantine,
      ...(deferred ? { deferred } : {}),
      ...(superseded ? { superseded } : {}),
    },
  };
  return {
    change,
    commit,
    reverted,
    base,
    baseCommit,
    revert,
    mode,
    branch,
    ...(deferred ? { deferred } : {}),
    files,
    quarantine,
    event,
  };
};
