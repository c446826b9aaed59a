import { PatchPilotError } from '../core/errors.js';
import type { Env } from '../util/home.js';
import { type ProcessResult, runProcess } from '../util/process.js';

/**
 * Git, as `fix` uses it: every call runs the real `git` without a shell. Nothing here writes to
 * the user's working tree or index; the only operation on a checked-out branch is git's own
 * `merge --ff-only`, which refuses to overwrite local changes.
 */

/** Variables that would point git somewhere else than the folder it runs in (a hook sets them). */
const redirecting = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR'];

export interface Git {
  readonly cwd: string;
  /** Runs `git ARGS` in `cwd` (or `at`); throws GIT_FAILED on a non-zero exit. */
  run(args: readonly string[], at?: string, extraEnv?: Env): string;
  /** Like `run`, but returns the result instead of throwing. */
  tryRun(args: readonly string[], at?: string, extraEnv?: Env): ProcessResult;
}

export const createGit = (cwd: string, env: Env): Git => {
  const base: Record<string, string | undefined> = { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  for (const name of redirecting) delete base[name];
  // Hooks never run: a post-checkout or post-merge `npm install` would run dependency lifecycle
  // scripts, and a prepare-commit-msg hook may wait on a terminal.
  const tryRun = (args: readonly string[], at?: string, extraEnv?: Env): ProcessResult =>
    runProcess('git', ['-c', 'core.hooksPath=/dev/null', ...args], {
      cwd: at ?? cwd,
      env: { ...base, ...extraEnv },
      timeoutMs: 120_000,
    });
  return {
    cwd,
    tryRun,
    run: (args, at, extraEnv) => {
      const result = tryRun(args, at, extraEnv);
      if (result.code !== 0) {
        const detail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
        throw new PatchPilotError(
          'GIT_FAILED',
          `git ${args.join(' ')} failed${result.code === undefined ? ' to run' : ` (exit ${result.code})`}${detail ? `:\n${detail}` : ''}`,
          { hint: result.code === undefined ? 'is git installed and on PATH?' : undefined },
        );
      }
      return result.stdout.trim();
    },
  };
};

/** The repository's top-level folder, or undefined when `cwd` is not inside a work tree. */
export const repositoryTop = (git: Git): string | undefined => {
  const result = git.tryRun(['rev-parse', '--show-toplevel']);
  return result.code === 0 ? result.stdout.trim() : undefined;
};

/** HEAD's commit, or undefined in a repository without commits. */
export const headCommit = (git: Git): string | undefined => {
  const result = git.tryRun(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  return result.code === 0 ? result.stdout.trim() : undefined;
};

/** The branch HEAD is on (`main`), or undefined when HEAD is detached. */
export const currentBranch = (git: Git): string | undefined => {
  const result = git.tryRun(['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return result.code === 0 ? result.stdout.trim() : undefined;
};

export const branchCommit = (git: Git, branch: string): string | undefined => {
  const result = git.tryRun(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
  return result.code === 0 ? result.stdout.trim() : undefined;
};

/** Whether the work tree at `at` has uncommitted changes (tracked or untracked, ignored files aside). */
export const isDirty = (git: Git, at?: string): boolean =>
  // --no-optional-locks: a plain status refreshes (writes) the index of the tree it looks at.
  git.run(['--no-optional-locks', 'status', '--porcelain', '--untracked-files=normal'], at) !== '';

export interface WorktreeInfo {
  readonly path: string;
  readonly head: string | undefined;
  /** `refs/heads/…`, absent when detached. */
  readonly branch: string | undefined;
}

export const listWorktrees = (git: Git): WorktreeInfo[] => {
  const out = git.run(['worktree', 'list', '--porcelain']);
  const list: WorktreeInfo[] = [];
  for (const block of out.split('\n\n')) {
    const lines = block.split('\n');
    const path = lines.find((l) => l.startsWith('worktree '))?.slice(9);
    if (!path) continue;
    list.push({
      path,
      head: lines.find((l) => l.startsWith('HEAD '))?.slice(5),
      branch: lines.find((l) => l.startsWith('branch '))?.slice(7),
    });
  }
  return list;
};

/** The worktree where `branch` is checked out, if any (the user's main work tree included). */
export const worktreeOfBranch = (git: Git, branch: string): WorktreeInfo | undefined =>
  listWorktrees(git).find((w) => w.branch === `refs/heads/${branch}`);

/** Whether `ancestor` is an ancestor of (or equal to) `descendant`. */
export const isAncestor = (git: Git, ancestor: string, descendant: string): boolean =>
  git.tryRun(['merge-base', '--is-ancestor', ancestor, descendant]).code === 0;

/** Files a commit changed relative to its first parent. */
export const changedFiles = (git: Git, commit: string): string[] =>
  git
    .run(['diff-tree', '--no-commit-id', '--name-only', '-r', '-z', `${commit}^`, commit])
    .split('\0')
    .filter((f) => f !== '');

/** Who commits: the user's git identity when there is one, PatchPilot otherwise. */
export const commitIdentity = (git: Git): Env => {
  const name = git.tryRun(['config', '--get', 'user.name']).stdout.trim();
  const email = git.tryRun(['config', '--get', 'user.email']).stdout.trim();
  return {
    GIT_AUTHOR_NAME: name || 'PatchPilot',
    GIT_AUTHOR_EMAIL: email || 'patchpilot@localhost',
    GIT_COMMITTER_NAME: name || 'PatchPilot',
    GIT_COMMITTER_EMAIL: email || 'patchpilot@localhost',
  };
};

/**
 * Whether every commit on `branch` since `base` is PatchPilot's (carries a `PatchPilot-Change`
 * trailer): only such a branch may be reset by a rerun. True when the branch does not exist.
 */
export const branchIsOurs = (git: Git, branch: string, base: string): boolean => {
  if (branchCommit(git, branch) === undefined) return true;
  const result = git.tryRun([
    'log',
    '--format=%(trailers:key=PatchPilot-Change,valueonly,separator=%x2C)%x00',
    `${base}..refs/heads/${branch}`,
  ]);
  if (result.code !== 0) return false;
  return result.stdout
    .split('\0')
    .map((s) => s.trim())
    .filter((s, i, all) => !(i === all.length - 1 && s === ''))
    .every((s) => s !== '');
};
