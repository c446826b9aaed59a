import { basename, join, relative, resolve, sep } from 'node:path';
import { realPathOrUndefined, statOrUndefined, walkFiles } from '../util/fs.js';
import { type Env, homeFolders } from '../util/home.js';
import { runProcess } from '../util/process.js';
import { sha256Hex } from './canonical.js';

/**
 * Where a project's ledger lives. One ledger per project, kept in PatchPilot's data folder rather
 * than in the project, so that a checkout, a clone or a worktree of the same repository finds the
 * same ledger and `git clean` never takes it away.
 */

export interface RepositoryIdentity {
  /** 16 hex characters of SHA-256. */
  readonly id: string;
  /** `git`: derived from the repository's root commits; `path`: from the folder's real path. */
  readonly kind: 'git' | 'path';
  /** The repository's root commits, sorted (kind `git`). */
  readonly rootCommits?: string[];
  /** The project folder relative to the repository's top level, `/`-separated, `.` for the top (kind `git`). */
  readonly relative?: string;
}

const git = (args: readonly string[], cwd: string, env: Env): string | undefined => {
  const result = runProcess('git', args, { cwd, env });
  return result.code === 0 ? result.stdout.trim() : undefined;
};

/**
 * The identity of the project at `projectRoot`: inside a git repository with commits, its root
 * commits (the same in every clone) and the folder's place in it, so that the projects of a
 * monorepo get ledgers of their own; otherwise (no git, no commit yet) the folder's real path.
 */
export const repositoryIdentity = (projectRoot: string, env: Env): RepositoryIdentity => {
  const real = realPathOrUndefined(projectRoot) ?? resolve(projectRoot);
  const top = git(['rev-parse', '--show-toplevel'], real, env);
  const roots = top === undefined ? undefined : git(['rev-list', '--max-parents=0', 'HEAD'], real, env);
  if (top !== undefined && roots !== undefined && roots !== '') {
    const rootCommits = roots
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .sort();
    const fromTop = relative(realPathOrUndefined(top) ?? top, real)
      .split(sep)
      .join('/');
    const rel = fromTop === '' ? '.' : fromTop;
    return {
      id: sha256Hex(`${rootCommits.join('\n')}\n${rel}`).slice(0, 16),
      kind: 'git',
      rootCommits,
      relative: rel,
    };
  }
  return { id: sha256Hex(real).slice(0, 16), kind: 'path' };
};

/** A file-name-safe, readable form of the folder name: `vulnerable-app`, `acme-api`. */
export const folderSlug = (projectRoot: string): string => {
  const slug = basename(resolve(projectRoot))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(0, 40)
    .replace(/[-._]+$/, '');
  return slug === '' ? 'project' : slug;
};

/**
 * `--ledger FILE` wins over `PATCHPILOT_LEDGER`, which wins over
 * `<data home>/ledgers/<folder slug>-<identity>.db`. The slug is only for people reading the
 * folder: a ledger of the same identity under another slug (a clone or worktree in a folder of
 * another name) is the project's ledger.
 */
export const ledgerPath = (options: {
  readonly flag?: string;
  readonly env: Env;
  readonly cwd: string;
  readonly projectRoot: string;
}): string => {
  if (options.flag) return resolve(options.cwd, options.flag);
  if (options.env.PATCHPILOT_LEDGER) return resolve(options.cwd, options.env.PATCHPILOT_LEDGER);
  const root = resolve(options.cwd, options.projectRoot);
  const identity = repositoryIdentity(root, options.env);
  const folder = join(homeFolders(options.env, options.cwd).data, 'ledgers');
  const suffix = `-${identity.id}.db`;
  const own = join(folder, `${folderSlug(realPathOrUndefined(root) ?? root)}${suffix}`);
  if (statOrUndefined(own) || !statOrUndefined(folder)?.isDirectory()) return own;
  // The ledgers folder is flat; the first other name in sorted order is taken, so the choice is stable.
  const other = walkFiles(folder, { include: (name) => name.endsWith(suffix) }).find(
    (file) => !file.includes('/'),
  );
  return other === undefined ? own : join(folder, other);
};

/** What a ledger's `meta` records about its project when the ledger is created. */
export const ledgerProject = (
  projectRoot: string,
  env: Env,
): { identity: string; identityKind: 'git' | 'path'; path: string } => {
  const identity = repositoryIdentity(projectRoot, env);
  return {
    identity: identity.id,
    identityKind: identity.kind,
    path: realPathOrUndefined(projectRoot) ?? resolve(projectRoot),
  };
};
