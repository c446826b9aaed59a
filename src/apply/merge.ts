import type { Env } from '../util/home.js';
import { branchCommit, type Git, isAncestor, isDirty, worktreeOfBranch } from './git.js';

/**
 * Moving a base branch forward, the only way PatchPilot ever moves one: to a descendant of the
 * commit it was at when the work started, by git's own `merge --ff-only` in the work tree where
 * the branch is checked out (never over uncommitted changes), else by `update-ref` with the old
 * value, so a branch that moved meanwhile is left alone. `fix` merges changes with it and
 * `rollback` its revert commits.
 */

export type MergeMode = 'fast-forward' | 'merge-commit';

export type MergeResult = { commit: string; mode: MergeMode } | { deferred: string };

export interface MergeIntoInput {
  /** The branch to move (undefined when HEAD is detached: nothing merges). */
  readonly target: string | undefined;
  /** The commit to bring in; a descendant of `from`. */
  readonly branchTip: string;
  /** Where `target` must still be. */
  readonly from: string;
  /** The branch or change named in messages (and in a merge commit's subject). */
  readonly label: string;
  readonly mode: MergeMode;
  /** Who commits (a merge commit) and merges. */
  readonly identity: Env;
  /** What was going on since `from` was read, for the message when the branch moved. */
  readonly during?: string;
  /**
   * The branch was checked out (in the user's work tree) when the work started: if it no longer
   * is, the user is in the middle of something (a rebase detaches HEAD), and it is not moved.
   */
  readonly stillCheckedOut?: boolean;
}

/** Moves `target` to `branchTip` (a descendant of `from`) the safe way; or says why it did not. */
export const mergeInto = (git: Git, input: MergeIntoInput): MergeResult => {
  const { target, branchTip, from, label, identity } = input;
  if (!target) return { deferred: 'HEAD is detached: there is no base branch to merge into' };
  const current = branchCommit(git, target);
  if (current !== from)
    return {
      deferred: `${target} moved ${input.during ?? 'while the change was tested'} (now ${current?.slice(0, 12) ?? 'gone'})`,
    };
  let tip = branchTip;
  let mode: MergeMode = 'fast-forward';
  if (input.mode === 'merge-commit') {
    const tree = git.run(['rev-parse', `${branchTip}^{tree}`]);
    tip = git.run(
      ['commit-tree', tree, '-p', from, '-p', branchTip, '-m', `Merge ${label} (PatchPilot)`],
      undefined,
      identity,
    );
    mode = 'merge-commit';
  }
  if (!isAncestor(git, from, tip)) return { deferred: `${label} is not a descendant of ${target}` };
  const checkedOut = worktreeOfBranch(git, target);
  if (checkedOut) {
    if (isDirty(git, checkedOut.path)) {
      return {
        deferred: `${target} is checked out in ${checkedOut.path} with uncommitted changes, which PatchPilot never touches`,
      };
    }
    const merged = git.tryRun(['merge', '--quiet', '--ff-only', tip], checkedOut.path, identity);
    if (merged.code !== 0)
      return {
        deferred: `git merge --ff-only refused: ${(merged.stderr || merged.stdout).trim().split('\n')[0]}`,
      };
  } else if (input.stillCheckedOut) {
    return {
      deferred: `${target} is no longer checked out where it was (a rebase or bisect in progress?): it is not moved under the user`,
    };
  } else {
    git.run(['update-ref', `refs/heads/${target}`, tip, from]);
  }
  return { commit: tip, mode };
};
