import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { branchCommit, branchIsOurs, type Git, listWorktrees } from './git.js';

/**
 * Worktrees `fix` makes changes in: a folder under the system's temporary folder, never inside
 * the user's work tree, checked out on a branch `patchpilot/<id>` (or detached for a dry run).
 * Every one is removed when its patch is done, on Ctrl-C, and on the next run after a crash.
 */

/** Folders of worktrees `fix` makes start with this, so a later run can tell its own leftovers. */
export const worktreePrefix = 'patchpilot-fix-';

export const branchPrefix = 'patchpilot/';

export const branchFor = (id: string): string => `${branchPrefix}${id}`;

export interface Worktree {
  readonly path: string;
  /** Undefined for a detached worktree. */
  readonly branch: string | undefined;
  readonly base: string;
}

/**
 * A new worktree at `base`. With `branch`, the branch is created there, or reset to `base` when a
 * previous run left it (a rerun reuses and updates the same branch).
 */
export const addWorktree = (git: Git, base: string, branch: string | undefined): Worktree => {
  const path = mkdtempSync(join(tmpdir(), worktreePrefix));
  try {
    if (branch) git.run(['worktree', 'add', '--quiet', '-B', branch, path, base]);
    else git.run(['worktree', 'add', '--quiet', '--detach', path, base]);
  } catch (error) {
    rmSync(path, { recursive: true, force: true });
    throw error;
  }
  return { path, branch, base };
};

/** Removes the worktree's folder and git's record of it; the branch stays. Never throws. */
export const removeWorktree = (git: Git, worktree: Pick<Worktree, 'path'>): void => {
  git.tryRun(['worktree', 'remove', '--force', '--force', worktree.path]);
  try {
    rmSync(worktree.path, { recursive: true, force: true });
  } catch {
    // A folder a test left read-only: git's record goes anyway, the folder stays in /tmp.
  }
  git.tryRun(['worktree', 'prune']);
};

const realpathOr = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};

/**
 * Worktrees an earlier run left behind (a crash, a killed process): those in a folder named as
 * `fix` names them. Removed; their branches stay (a rerun resets them).
 */
export const removeStaleWorktrees = (git: Git): string[] => {
  git.tryRun(['worktree', 'prune']);
  // The first worktree git lists is the main one: never a leftover, whatever its name; and only
  // folders `fix` made, directly in the temporary folder, are.
  const temporary = new Set([tmpdir(), realpathOr(tmpdir())]);
  const stale = listWorktrees(git)
    .slice(1)
    .filter((w) => temporary.has(dirname(w.path)) && basename(w.path).startsWith(worktreePrefix));
  for (const w of stale) removeWorktree(git, w);
  return stale.map((w) => w.path);
};

/**
 * The branches `fix` reset and committed on and has not settled yet, noted in the repository
 * itself, so that the next run puts them back after a crash as Ctrl-C would have: an untested
 * commit never stays on a branch that looks like a proposal. `refs/patchpilot/unsettled-base/<branch>`
 * holds the commit the branch was reset to; `refs/patchpilot/unsettled/<branch>` its tip before
 * the run, when it existed.
 */
const basePrefix = 'refs/patchpilot/unsettled-base/';
const tipPrefix = 'refs/patchpilot/unsettled/';

/** Notes `branch` as unsettled: reset to `base`, `tip` its commit before (undefined: new). */
export const markUnsettled = (git: Git, branch: string, tip: string | undefined, base: string): void => {
  clearUnsettled(git, branch);
  if (tip !== undefined) git.run(['update-ref', `${tipPrefix}${branch}`, tip]);
  git.run(['update-ref', `${basePrefix}${branch}`, base]);
};

/** `branch` is settled (or put back): its notes go. Never throws. */
export const clearUnsettled = (git: Git, branch: string): void => {
  git.tryRun(['update-ref', '-d', `${basePrefix}${branch}`]);
  git.tryRun(['update-ref', '-d', `${tipPrefix}${branch}`]);
};

/**
 * Puts back the branches an earlier run left unsettled (a crash, `kill -9`): each as it was before
 * that run, deleted when that run created it. Run after the stale worktrees are gone, which had
 * them checked out. A branch checked out in a work tree is left, noted, for a later run; one that
 * someone committed to since (a commit without PatchPilot's trailer) is theirs: left, and no
 * longer noted. Returns the branches put back.
 */
export const putBackUnsettled = (git: Git): string[] => {
  const listed = git.tryRun(['for-each-ref', '--format=%(refname)%09%(objectname)', basePrefix]);
  if (listed.code !== 0) return [];
  const checkedOut = new Set(listWorktrees(git).flatMap((w) => w.branch ?? []));
  const branches: string[] = [];
  for (const line of listed.stdout.split('\n')) {
    const [ref, base] = line.split('\t');
    if (!ref || !base) continue;
    const branch = ref.slice(basePrefix.length);
    const now = branchCommit(git, branch);
    if (checkedOut.has(`refs/heads/${branch}`)) continue;
    if (now === undefined || !branchIsOurs(git, branch, base)) {
      clearUnsettled(git, branch);
      continue;
    }
    const noted = git.tryRun(['rev-parse', '--verify', '--quiet', `${tipPrefix}${branch}^{commit}`]);
    const before = noted.code === 0 ? noted.stdout.trim() : undefined;
    // From the commit seen just now only: a branch that moves meanwhile is left as it is.
    const put =
      before === undefined
        ? git.tryRun(['update-ref', '-d', `refs/heads/${branch}`, now])
        : git.tryRun(['update-ref', `refs/heads/${branch}`, before, now]);
    clearUnsettled(git, branch);
    if (put.code === 0) branches.push(branch);
  }
  return branches;
};

/**
 * Worktrees open right now, removed on exit whatever the way out: the normal path removes each
 * as it finishes; `process.on('exit')` catches a thrown error or `process.exit` in between.
 */
export class WorktreeRegistry {
  readonly #open = new Map<string, Git>();
  readonly #onExit = (): void => this.removeAll();

  constructor() {
    process.on('exit', this.#onExit);
  }

  add(git: Git, base: string, branch: string | undefined): Worktree {
    const worktree = addWorktree(git, base, branch);
    this.#open.set(worktree.path, git);
    return worktree;
  }

  remove(worktree: Pick<Worktree, 'path'>): void {
    const git = this.#open.get(worktree.path);
    if (!git) return;
    this.#open.delete(worktree.path);
    removeWorktree(git, worktree);
  }

  removeAll(): void {
    for (const [path, git] of [...this.#open]) {
      this.#open.delete(path);
      removeWorktree(git, { path });
    }
  }

  close(): void {
    this.removeAll();
    process.off('exit', this.#onExit);
  }
}
