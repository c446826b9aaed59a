import { posix } from 'node:path';

/**
 * What a lockfile parser is given: the lockfile's content and path, and read-only access to the
 * other files of the project (manifests, workspace folders) through callbacks. Parsers never
 * touch the disk themselves; `index.ts` backs these callbacks with the file system and tests
 * back them with a map of files.
 */
export interface LockfileInput {
  /** The lockfile's text. */
  readonly content: string;
  /** Absolute path of the lockfile; its folder is the project root. */
  readonly path: string;
  /**
   * Reads a file by its POSIX path relative to the project root (for example
   * `packages/a/package.json`); undefined when it does not exist. Paths that leave the project
   * are refused by the caller, so parsers must check their own inputs before asking.
   */
  readFile(relativePath: string): string | undefined;
  /**
   * The folders (relative POSIX paths, sorted) matching workspace globs as npm and yarn read
   * them (`packages/*`, `tools/**`, `!excluded`), that hold a package.json, never inside
   * node_modules.
   */
  expandWorkspaces(patterns: readonly string[]): string[];
}

/** A LockfileInput over an in-memory set of files, keyed by POSIX path relative to the root. */
export const memoryInput = (
  lockfileName: string,
  files: Readonly<Record<string, string>>,
  root = '/project',
): LockfileInput => {
  const content = files[lockfileName];
  if (content === undefined) throw new Error(`memoryInput: no ${lockfileName} among the files`);
  return {
    content,
    path: posix.join(root, lockfileName),
    readFile: (relativePath) => files[posix.normalize(relativePath)],
    expandWorkspaces: (patterns) => {
      const folders = Object.keys(files)
        .filter((f) => f.endsWith('/package.json') && !f.split('/').includes('node_modules'))
        .map((f) => posix.dirname(f));
      return matchWorkspaceFolders(folders, patterns);
    },
  };
};

/** A workspace glob as a regular expression over relative POSIX folder paths. */
export const workspaceGlobToRegExp = (glob: string): RegExp => {
  const normalised = posix.normalize(glob.replace(/^\.\//, '')).replace(/\/$/, '');
  let source = '';
  for (let i = 0; i < normalised.length; i++) {
    const c = normalised[i] as string;
    if (c === '*' && normalised[i + 1] === '*') {
      // `a/**` matches `a` itself and anything below it; `**/b` matches `b` at any depth.
      if (normalised[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i++;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
};

/** The folders that the globs select: included by one positive glob and by no `!` glob. */
export const matchWorkspaceFolders = (folders: readonly string[], patterns: readonly string[]): string[] => {
  const include = patterns.filter((p) => !p.startsWith('!')).map(workspaceGlobToRegExp);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => workspaceGlobToRegExp(p.slice(1)));
  return [
    ...new Set(
      folders.filter(
        (f) => f !== '' && f !== '.' && include.some((re) => re.test(f)) && !exclude.some((re) => re.test(f)),
      ),
    ),
  ].sort();
};
