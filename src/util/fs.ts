import {
  chmodSync,
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { PatchPilotError } from '../core/errors.js';
import { crypto } from './crypto.js';

/**
 * The file-system edge: every read and write of PatchPilot goes through here. Reads are
 * synchronous: a CLI run waits for each of them anyway, and the thread-pool round trips of the
 * promise API cost more than the reads themselves on a scan.
 */

export const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw ioError(path, cause);
  }
};

export const readTextIfExists = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(path, cause);
  }
};

export const statOrUndefined = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(path, cause);
  }
};

/** The real path (symbolic links resolved), or undefined when nothing is there. */
export const realPathOrUndefined = (path: string): string | undefined => {
  try {
    return realpathSync(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw ioError(path, cause);
  }
};

export type ConfinedRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'outside'; readonly realPath: string }
  | { readonly kind: 'not-a-file' }
  | { readonly kind: 'too-large'; readonly bytes: number }
  | { readonly kind: 'text'; readonly text: string };

/** Whether a real path is `realRoot` or below it. */
export const isInside = (realPath: string, realRoot: string): boolean =>
  realPath === realRoot || realPath.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);

/**
 * Reads `path` only if, with every symbolic link resolved, it is a regular file inside `realRoot`
 * and at most `maxBytes` long. The checks are made on the open file, so a FIFO or a device never
 * blocks the read and a file swapped after the check is not read.
 */
export const readConfinedText = (path: string, realRoot: string, maxBytes: number): ConfinedRead => {
  const real = realPathOrUndefined(path);
  if (real === undefined) return { kind: 'absent' };
  if (!isInside(real, realRoot)) return { kind: 'outside', realPath: real };
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw ioError(path, cause);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { kind: 'not-a-file' };
    if (stat.size > maxBytes) return { kind: 'too-large', bytes: stat.size };
    return { kind: 'text', text: readFileSync(fd, 'utf8') };
  } catch (cause) {
    throw ioError(path, cause);
  } finally {
    closeSync(fd);
  }
};

export const ensureParentDir = (path: string): void => {
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (cause) {
    throw ioError(dirname(path), cause);
  }
};

export interface WalkOptions {
  /** Folder names never entered. */
  readonly skipDirs?: ReadonlySet<string>;
  readonly include: (name: string) => boolean;
}

/** Files below `root` (sorted, relative paths with `/`), never following symbolic links. */
export const walkFiles = (root: string, options: WalkOptions): string[] => {
  const found: string[] = [];
  const visit = (dir: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (cause) {
      throw ioError(dir, cause);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!options.skipDirs?.has(entry.name)) visit(full);
      } else if (entry.isFile() && options.include(entry.name)) {
        found.push(relative(root, full).split(sep).join('/'));
      }
    }
  };
  visit(root);
  return found;
};

export const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const ioError = (path: string, cause: unknown): PatchPilotError => {
  const code = (cause as NodeJS.ErrnoException)?.code;
  const what = code === 'ENOENT' ? 'no such file or directory' : message(cause);
  return new PatchPilotError('IO_FAILED', `${path}: ${what}`, { cause });
};

/**
 * Writes `text` to `path` atomically: a temporary file beside it, then a rename, so a reader or an
 * interrupted run never sees half a document.
 */
export const writeFileAtomic = (path: string, text: string): void => {
  ensureParentDir(path);
  const temporary = join(dirname(path), `.${basename(path)}.${crypto().randomBytes(6).toString('hex')}.tmp`);
  try {
    // The file it replaces keeps its permissions (a 0600 report stays private).
    const mode = lstatOrUndefined(path)?.isFile() ? statSync(path).mode & 0o7777 : undefined;
    writeFileSync(temporary, text, { flag: 'wx', ...(mode === undefined ? {} : { mode }) });
    if (mode !== undefined) chmodSync(temporary, mode);
    renameSync(temporary, path);
  } catch (cause) {
    rmSync(temporary, { force: true });
    throw ioError(path, cause);
  }
};

export const lstatOrUndefined = (path: string): Stats | undefined => {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
};

/** Whether two paths name the same file (through links); false when either does not exist. */
export const sameFile = (a: string, b: string): boolean => {
  const x = statOrUndefined(a);
  const y = statOrUndefined(b);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
};

/** A stream of the process's own, by its file descriptor (1, 2), and how to write to it. */
export interface OwnStream {
  readonly fd: number;
  readonly write: (text: string) => void;
}

const fstatOrUndefined = (fd: number): Stats | undefined => {
  try {
    return fstatSync(fd);
  } catch {
    return undefined;
  }
};

/**
 * Writes a file the user named (`--output`, `--out`, `--report`). What the path names decides,
 * through symbolic links (and `/dev/stdout`'s): the process's own stdout or stderr, however
 * redirected, is written to as the stream it is (never reopened, which would truncate a file
 * appended to); a pipe, device or other special file is written into; a regular file, or none
 * yet, is replaced atomically, at the place a link names (a dangling link's target is created).
 */
export const writeOutputFile = (path: string, text: string, own: readonly OwnStream[] = []): void => {
  const stats = statOrUndefined(path);
  if (stats !== undefined) {
    const stream = own.find((o) => {
      const s = fstatOrUndefined(o.fd);
      return s !== undefined && s.dev === stats.dev && s.ino === stats.ino;
    });
    if (stream !== undefined) {
      stream.write(text);
      return;
    }
    if (stats.isDirectory()) throw ioError(path, Object.assign(new Error('is a folder'), { code: 'EISDIR' }));
    if (!stats.isFile()) {
      try {
        writeFileSync(path, text);
      } catch (cause) {
        throw ioError(path, cause);
      }
      return;
    }
  }
  const target = linkTarget(path);
  // A link's target is written where the link says, as a shell's `>` would: its folder is never
  // made (only that of a path named outright is).
  if (target !== path && !statOrUndefined(dirname(target))?.isDirectory()) {
    throw ioError(path, new Error(`the link leads to ${target}, whose folder does not exist`));
  }
  writeFileAtomic(target, text);
};

/**
 * The file a path names through symbolic links (the path itself when it is none), existing or
 * not: the real path of one that exists; for a dangling link, its target, read from the folder
 * the link really is in (a link's `..` is the real parent's).
 */
export const linkTarget = (path: string): string => {
  const real = realPathOrUndefined(path);
  if (real !== undefined) return real;
  let at = path;
  for (let hops = 0; hops < 40; hops++) {
    if (!lstatOrUndefined(at)?.isSymbolicLink()) return at;
    try {
      const folder = dirname(at);
      at = resolve(realPathOrUndefined(folder) ?? folder, readlinkSync(at));
    } catch (cause) {
      throw ioError(path, cause);
    }
  }
  throw ioError(path, Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' }));
};

/**
 * Whether the process that left a file (a lock, a store being built) still runs: signal 0 checks
 * without sending anything; EPERM means it runs as another user.
 */
export const processRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};
