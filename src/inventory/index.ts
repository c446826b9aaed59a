import { basename, dirname, join, posix, resolve, sep } from 'node:path';
import { PatchPilotError } from '../core/errors.js';
import type { Inventory } from '../core/inventory.js';
import { readConfinedText, realPathOrUndefined, statOrUndefined, walkFiles } from '../util/fs.js';
import type { LockfileInput } from './source.js';
import { matchWorkspaceFolders } from './source.js';

/**
 * Lockfile formats, in the order a folder is checked. Each parser gets the file's content and
 * path, and reads the project's other files only through the callbacks of its LockfileInput.
 * A parser's module is loaded when a lockfile of its format is read: a scan pays at start-up only
 * for the formats it meets. The names here are those each parser declares (`lockfileNames`, a
 * test keeps the two the same).
 */
interface LockfileFormat {
  readonly id: string;
  /** File names in order of precedence: the first one present in a folder is the one read. */
  readonly names: readonly string[];
  readonly parse: (input: LockfileInput) => Promise<Inventory>;
}

export const formats: readonly LockfileFormat[] = [
  {
    id: 'npm',
    names: ['npm-shrinkwrap.json', 'package-lock.json'],
    parse: async (input) => {
      const { parseNpmLockfile } = await import('./npm/index.js');
      const manifest = input.readFile('package.json');
      return parseNpmLockfile(input.content, input.path, {
        manifest:
          manifest === undefined
            ? undefined
            : { content: manifest, path: join(dirname(input.path), 'package.json') },
      });
    },
  },
  {
    // yarn 1 and yarn 2+ share the file name; berry's is YAML with a `__metadata` block.
    id: 'yarn',
    names: ['yarn.lock'],
    parse: async (input) => {
      const { isYarnBerryLockfile } = await import('./yarn-berry/detect.js');
      if (isYarnBerryLockfile(input.content)) {
        return (await import('./yarn-berry/index.js')).parseYarnBerryLockfile(input);
      }
      return (await import('./yarn-classic/index.js')).parseYarnClassicLockfile(input);
    },
  },
  {
    id: 'pnpm',
    names: ['pnpm-lock.yaml'],
    parse: async (input) => (await import('./pnpm/index.js')).parsePnpmLockfile(input),
  },
  {
    id: 'bun',
    names: ['bun.lock'],
    parse: async (input) => (await import('./bun/index.js')).parseBunLockfile(input),
  },
];

const knownNames = new Set(formats.flatMap((f) => f.names));

/**
 * The lockfiles of a folder, one per format: a folder with both package-lock.json and yarn.lock is
 * two projects as far as installs go, and each is reported. Within a format the first name present
 * wins (npm reads npm-shrinkwrap.json over package-lock.json).
 */
const lockfilesIn = (dir: string): string[] => {
  const found: string[] = [];
  for (const format of formats) {
    const name = format.names.find((n) => statOrUndefined(join(dir, n))?.isFile());
    if (name !== undefined) found.push(join(dir, name));
  }
  return found;
};

/**
 * The lockfiles to scan for DIR (or a lockfile path): those in DIR (one per format), or with
 * `recursive` those of every folder below it, never inside node_modules.
 */
export const findLockfiles = (target: string, recursive: boolean): string[] => {
  const stat = statOrUndefined(target);
  if (!stat) {
    throw new PatchPilotError('LOCKFILE_NOT_FOUND', `${target}: no such file or directory`, {
      hint: 'pass a project folder or a lockfile',
    });
  }
  if (stat.isFile()) {
    if (!knownNames.has(basename(target))) {
      throw new PatchPilotError('LOCKFILE_NOT_FOUND', `${target}: not a lockfile PatchPilot reads`, {
        hint: `supported lockfiles: ${[...knownNames].join(', ')}`,
      });
    }
    return [resolve(target)];
  }
  if (!recursive) {
    const found = lockfilesIn(target);
    if (found.length === 0) {
      throw new PatchPilotError('LOCKFILE_NOT_FOUND', `${target}: no lockfile found`, {
        hint: `expected one of ${[...knownNames].join(', ')}; use --recursive to search subfolders`,
      });
    }
    return found.map((f) => resolve(f));
  }
  const files = walkFiles(target, {
    include: (name) => knownNames.has(name),
    skipDirs: new Set(['node_modules', '.git']),
  });
  const dirs = [...new Set(files.map((f) => dirname(join(target, f))))];
  const found: string[] = [];
  for (const dir of dirs) found.push(...lockfilesIn(dir).map((f) => resolve(f)));
  if (found.length === 0) {
    throw new PatchPilotError(
      'LOCKFILE_NOT_FOUND',
      `${target}: no lockfile found in this folder or below it`,
      {
        hint: `expected one of ${[...knownNames].join(', ')}`,
      },
    );
  }
  return found.sort();
};

/** Lockfiles larger than this are not lockfiles a package manager wrote (the largest known are tens of MB). */
const maxLockfileBytes = 1024 * 1024 * 1024;

/**
 * The lockfile's text, read as any other file of the project: a regular file whose real path is in
 * its folder. A lockfile that is a link to elsewhere (`/proc/self/environ`, a secrets file) is
 * refused, never read: its text would be quoted in the parse error.
 */
const readLockfileText = (lockfile: string, realRoot: string): string => {
  const read = readConfinedText(lockfile, realRoot, maxLockfileBytes);
  const refuse = (why: string): PatchPilotError =>
    new PatchPilotError('LOCKFILE_INVALID', `${lockfile}: ${why}`, {
      hint: 'PatchPilot reads a lockfile only as a regular file in its project folder',
    });
  switch (read.kind) {
    case 'text':
      return read.text;
    case 'absent':
      throw new PatchPilotError('LOCKFILE_NOT_FOUND', `${lockfile}: no such file`);
    case 'outside':
      throw refuse(`is a link that leads outside its folder (to ${read.realPath})`);
    case 'too-large':
      throw refuse(`is ${read.bytes} bytes, more than a lockfile should be (${maxLockfileBytes})`);
    default:
      throw refuse('is not a regular file');
  }
};

/** Manifests larger than this are not package.json files anyone wrote. */
const maxManifestBytes = 16 * 1024 * 1024;

/**
 * A LockfileInput backed by the file system and confined to the lockfile's folder: a path that
 * leaves it, by `..`, an absolute path or a symbolic link, is refused, never read; so are files
 * that are not regular files (a FIFO, a device) and oversized ones.
 */
export const diskInput = (lockfile: string): LockfileInput => {
  const root = dirname(lockfile);
  const realRoot = realPathOrUndefined(root) ?? root;
  const escapes = (what: string, detail: string): PatchPilotError =>
    new PatchPilotError('LOCKFILE_KEY_ESCAPES', `${lockfile}: ${what} ${detail}`, {
      hint: 'PatchPilot reads only files inside the project folder; refusing to follow this path',
    });
  const inside = (relativePath: string): string => {
    if (relativePath.includes('\0')) throw escapes(JSON.stringify(relativePath), 'contains a NUL byte');
    const normal = posix.normalize(relativePath);
    if (posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
      throw escapes(JSON.stringify(relativePath), 'points outside the project');
    }
    return join(root, ...normal.split('/'));
  };
  return {
    content: readLockfileText(lockfile, realRoot),
    path: lockfile,
    readFile: (relativePath) => {
      const full = inside(relativePath);
      const read = readConfinedText(full, realRoot, maxManifestBytes);
      switch (read.kind) {
        case 'absent':
          return undefined;
        case 'outside':
          throw escapes(JSON.stringify(relativePath), `resolves outside the project, to ${read.realPath}`);
        case 'not-a-file':
          throw new PatchPilotError('MANIFEST_INVALID', `${full}: not a regular file`, {
            hint: 'a package.json must be a file',
          });
        case 'too-large':
          throw new PatchPilotError(
            'MANIFEST_INVALID',
            `${full}: ${read.bytes} bytes is too large for a package.json`,
            {
              hint: `the limit is ${maxManifestBytes} bytes`,
            },
          );
        default:
          return read.text;
      }
    },
    expandWorkspaces: (patterns) => {
      // Walk only below each pattern's literal prefix (`packages/*` walks `packages`). The walk
      // does not enter symbolic links; the prefix itself must really lie inside the project.
      const folders = new Set<string>();
      for (const pattern of patterns) {
        if (pattern.startsWith('!')) continue;
        const segments = posix.normalize(pattern.replace(/^\.\//, '')).split('/');
        const literal: string[] = [];
        for (const segment of segments) {
          if (/[*?[{]/.test(segment)) break;
          literal.push(segment);
        }
        const base = literal.join('/');
        const full = inside(base === '' ? '.' : base);
        const real = realPathOrUndefined(full);
        if (real === undefined) continue;
        if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) {
          throw escapes(
            `workspace folder ${JSON.stringify(base)}`,
            `resolves outside the project, to ${real}`,
          );
        }
        if (!statOrUndefined(real)?.isDirectory()) continue;
        const found = walkFiles(real, {
          include: (name) => name === 'package.json',
          skipDirs: new Set(['node_modules', '.git']),
        });
        for (const file of found) {
          const dir = posix.dirname(file);
          folders.add(base === '' ? dir : dir === '.' ? base : `${base}/${dir}`);
        }
      }
      return matchWorkspaceFolders([...folders], patterns);
    },
  };
};

/** Reads one lockfile (and, through its input, the manifests it needs) into an Inventory. */
export const readInventory = async (lockfile: string): Promise<Inventory> => {
  const name = basename(lockfile);
  const format = formats.find((f) => f.names.includes(name));
  if (!format) {
    throw new PatchPilotError('LOCKFILE_NOT_FOUND', `${lockfile}: not a lockfile PatchPilot reads`);
  }
  return format.parse(diskInput(lockfile));
};
