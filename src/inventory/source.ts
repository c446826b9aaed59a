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

/**
 * One path segment against one glob segment (`*` any run of characters, `?` one character, all
 * else literal). The classic two-pointer match with one backtrack point: O(pattern × text) at
 * worst, never exponential, whatever the number of stars.
 */
const matchSegment = (pattern: string, text: string): boolean => {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
};

/**
 * A workspace glob as a matcher over relative POSIX folder paths, segment by segment: `**` is any
 * number of segments (none included), `*` and `?` stay within a segment. Dynamic programming over
 * (glob segment, path segment) keeps it linear in their product.
 */
export const workspaceGlobMatcher = (glob: string): ((path: string) => boolean) => {
  const normal = posix.normalize(glob.replace(/^\.\//, '')).replace(/\/$/, '');
  const globs = normal.split('/').filter((segment, i, all) => !(segment === '**' && all[i - 1] === '**'));
  return (path: string): boolean => {
    const parts = path.split('/');
    // reachable[j]: the glob segments so far can consume exactly the first j path segments.
    let reachable = new Array<boolean>(parts.length + 1).fill(false);
    reachable[0] = true;
    for (const g of globs) {
      const next = new Array<boolean>(parts.length + 1).fill(false);
      if (g === '**') {
        let any = false;
        for (let j = 0; j <= parts.length; j++) {
          any = any || (reachable[j] as boolean);
          next[j] = any;
        }
      } else {
        for (let j = 0; j < parts.length; j++) {
          if (reachable[j] && matchSegment(g, parts[j] as string)) next[j + 1] = true;
        }
      }
      reachable = next;
    }
    return reachable[parts.length] as boolean;
  };
};

/** The folders that the globs select: included by one positive glob and by no `!` glob. */
export const matchWorkspaceFolders = (folders: readonly string[], patterns: readonly string[]): string[] => {
  const include = patterns.filter((p) => !p.startsWith('!')).map(workspaceGlobMatcher);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => workspaceGlobMatcher(p.slice(1)));
  return [
    ...new Set(
      folders.filter(
        (f) =>
          f !== '' && f !== '.' && include.some((match) => match(f)) && !exclude.some((match) => match(f)),
      ),
    ),
  ].sort();
};
