import { type Dirent, promises as fsp, type Stats, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { PatchPilotError } from '../core/errors.js';

/** The file-system edge: every read and write of PatchPilot goes through here. */

export const readText = async (path: string): Promise<string> => {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (cause) {
    throw ioError(path, cause);
  }
};

export const readTextIfExists = async (path: string): Promise<string | undefined> => {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(path, cause);
  }
};

export const statOrUndefined = async (path: string) => {
  try {
    return await fsp.stat(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(path, cause);
  }
};

export const statSyncOrUndefined = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(path, cause);
  }
};

export const ensureDir = async (path: string): Promise<void> => {
  await fsp.mkdir(path, { recursive: true });
};

export const ensureParentDir = (path: string): Promise<void> => ensureDir(dirname(path));

/** Writes through a temporary file in the same folder and renames it into place. */
export const writeFileAtomic = async (path: string, content: string | Uint8Array): Promise<void> => {
  await ensureParentDir(path);
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fsp.writeFile(temp, content);
    await fsp.rename(temp, path);
  } catch (cause) {
    await fsp.rm(temp, { force: true });
    throw ioError(path, cause);
  }
};

export interface WalkOptions {
  /** Folder names never entered. */
  readonly skipDirs?: ReadonlySet<string>;
  readonly include: (name: string) => boolean;
}

/** Files below `root` (sorted, relative paths with `/`), never following symbolic links. */
export const walkFiles = async (root: string, options: WalkOptions): Promise<string[]> => {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (cause) {
      throw ioError(dir, cause);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!options.skipDirs?.has(entry.name)) await visit(full);
      } else if (entry.isFile() && options.include(entry.name)) {
        found.push(relative(root, full).split(sep).join('/'));
      }
    }
  };
  await visit(root);
  return found;
};

export const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const ioError = (path: string, cause: unknown): PatchPilotError => {
  const code = (cause as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') {
    return new PatchPilotError('ADVISORY_INPUT_NOT_FOUND', `${path}: no such file or directory`, { cause });
  }
  return new PatchPilotError('IO_FAILED', `${path}: ${message(cause)}`, { cause });
};
