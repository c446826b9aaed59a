import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processRunning } from '../util/fs.js';

/**
 * Which installed packages the project's tests loaded and executed, from the V8 coverage every
 * Node process writes when `NODE_V8_COVERAGE` is set (one `coverage-<pid>-<time>-<thread>.json`
 * per process and worker thread, written when it exits normally; a process killed by a signal
 * writes none). Tests that never load a package prove nothing about a change to it.
 */

export interface LoadedPackage {
  /** The distinct files of the package that some process compiled. */
  readonly files: number;
  /** Some function of those files ran (a module's top-level function counts when the module ran). */
  readonly executed: boolean;
  /** Folder names it was installed under that differ from its name (`npm:` aliases), sorted. */
  readonly aliases: readonly string[];
  /** The versions (from the folders' package.json) whose code ran, sorted. */
  readonly executedVersions: readonly string[];
  /**
   * The install folders inside the project whose code ran, relative to it with `/`
   * (`node_modules/a`, `packages/b/node_modules/a`), sorted: npm's layout names each copy by
   * its folder. Not the pnpm store's or yarn's archives, which name no location of the plan.
   */
  readonly executedFolders: readonly string[];
}

export interface ExerciseReport {
  /** By the package's real name (its package.json `name`, else its folder name). */
  readonly loaded: ReadonlyMap<string, LoadedPackage>;
  /** How many coverage files were read (one per process or worker thread). */
  readonly processes: number;
}

/** Only the parts of V8's ScriptCoverage that are used; the rest is ignored. */
interface ScriptCoverage {
  readonly url: string;
  readonly functions: readonly { readonly ranges: readonly { readonly count: number }[] }[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The scripts of one coverage file that look like V8's; malformed entries are skipped. */
const scriptsOf = (document: unknown): ScriptCoverage[] => {
  if (!isRecord(document) || !Array.isArray(document.result)) return [];
  const scripts: ScriptCoverage[] = [];
  for (const entry of document.result) {
    if (!isRecord(entry) || typeof entry.url !== 'string' || entry.url === '') continue;
    const functions = Array.isArray(entry.functions) ? entry.functions : [];
    scripts.push({
      url: entry.url,
      functions: functions.filter(isRecord).map((f) => ({
        ranges: (Array.isArray(f.ranges) ? f.ranges : [])
          .filter(isRecord)
          .map((r) => ({ count: typeof r.count === 'number' ? r.count : 0 })),
      })),
    });
  }
  return scripts;
};

/** A script's file path: ESM and recent CommonJS report `file:` URLs, older CommonJS (and Jest) paths. */
const pathOf = (url: string): string | undefined => {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(url) ? resolve(url) : undefined;
};

/**
 * The package folder a file belongs to and its folder name: the segments after the last
 * `node_modules` (`@scope/name` for a scoped package), so the pnpm store
 * (`node_modules/.pnpm/x@1.0.0/node_modules/x/…`) and nested installs map to the innermost package.
 */
export const packageFolderOf = (file: string): { folder: string; name: string } | undefined => {
  const segments = file.split(sep);
  const last = segments.lastIndexOf('node_modules');
  if (last < 0) return undefined;
  const first = segments[last + 1];
  if (first === undefined || first === '' || first.startsWith('.')) return undefined;
  const size = first.startsWith('@') ? 2 : 1;
  const name = segments.slice(last + 1, last + 1 + size);
  // The package folder itself is no file; there must be a path inside it.
  if (name.length < size || name.some((s) => s === '') || segments.length <= last + 1 + size)
    return undefined;
  return { folder: segments.slice(0, last + 1 + size).join(sep), name: name.join('/') };
};

/**
 * A file inside a yarn Plug'n'Play cache archive
 * (`…/cache/<slug>-npm-<version>-<key>-<checksum>.zip/node_modules/<name>/…`, in the project's
 * `.yarn/cache` or yarn's global cache): its package and the version the archive's name gives.
 * An archive is no folder, so its package.json cannot be read.
 */
export const pnpPackageOf = (file: string): { name: string; version: string | undefined } | undefined => {
  const segments = file.split(sep);
  const zip = segments.findLastIndex((s) => s.endsWith('.zip'));
  if (zip < 0 || segments[zip + 1] !== 'node_modules') return undefined;
  const owner = packageFolderOf(file);
  if (owner === undefined) return undefined;
  const slug = `${owner.name.replace('/', '-')}-npm-`;
  const base = (segments[zip] as string).slice(0, -'.zip'.length);
  const parts = base.startsWith(slug) ? base.slice(slug.length).split('-') : [];
  return { name: owner.name, version: parts.length >= 3 ? parts.slice(0, -2).join('-') : undefined };
};

const packageIn = (folder: string): { name?: string; version?: string } => {
  try {
    const manifest: unknown = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    if (!isRecord(manifest)) return {};
    return {
      ...(typeof manifest.name === 'string' && manifest.name !== '' ? { name: manifest.name } : {}),
      ...(typeof manifest.version === 'string' ? { version: manifest.version } : {}),
    };
  } catch {
    return {};
  }
};

const coverageFiles = (coverageDir: string): string[] => {
  try {
    return readdirSync(coverageDir)
      .filter((f) => f.startsWith('coverage-') && f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
};

/**
 * Reads every coverage file in `coverageDir` and reports the packages installed under
 * `projectRoot` whose files were loaded, by their real name. Unreadable or malformed files are
 * skipped (a process that died while writing leaves a partial one); scripts outside
 * `projectRoot`, outside a `node_modules` folder or in a dot folder (`.bin`, `.cache`) are ignored.
 */
export const readExercise = (coverageDir: string, projectRoot: string): ExerciseReport => {
  const roots = new Set([resolve(projectRoot)]);
  try {
    roots.add(realpathSync(projectRoot));
  } catch {
    // A root that is gone still matches the paths recorded while it existed.
  }
  const inside = (file: string): boolean => [...roots].some((root) => file.startsWith(root + sep));
  const relativeFolder = (folder: string): string | undefined => {
    const root = [...roots].find((r) => folder.startsWith(r + sep));
    return root === undefined
      ? undefined
      : folder
          .slice(root.length + 1)
          .split(sep)
          .join('/');
  };

  const manifests = new Map<string, { name?: string; version?: string }>();
  const manifestOf = (folder: string): { name?: string; version?: string } => {
    let manifest = manifests.get(folder);
    if (manifest === undefined) {
      manifest = packageIn(folder);
      manifests.set(folder, manifest);
    }
    return manifest;
  };

  const packages = new Map<
    string,
    {
      files: Set<string>;
      executed: boolean;
      aliases: Set<string>;
      versions: Set<string>;
      folders: Set<string>;
    }
  >();
  let processes = 0;
  for (const file of coverageFiles(coverageDir)) {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(join(coverageDir, file), 'utf8'));
    } catch {
      continue;
    }
    if (!isRecord(document) || !Array.isArray(document.result)) continue;
    processes += 1;
    for (const script of scriptsOf(document)) {
      const path = pathOf(script.url);
      if (path === undefined) continue;
      // yarn's Plug'n'Play runs packages from its cache archives, often outside the project.
      const archived = pnpPackageOf(path);
      if (archived === undefined && !inside(path)) continue;
      const owner = packageFolderOf(path);
      if (owner === undefined) continue;
      const manifest = archived
        ? { name: archived.name, ...(archived.version === undefined ? {} : { version: archived.version }) }
        : manifestOf(owner.folder);
      const name = manifest.name ?? owner.name;
      let entry = packages.get(name);
      if (entry === undefined) {
        entry = {
          files: new Set(),
          executed: false,
          aliases: new Set(),
          versions: new Set(),
          folders: new Set(),
        };
        packages.set(name, entry);
      }
      entry.files.add(path);
      if (owner.name !== name) entry.aliases.add(owner.name);
      const ran = script.functions.some((f) => f.ranges.some((r) => r.count > 0));
      if (ran) {
        entry.executed = true;
        if (manifest.version !== undefined) entry.versions.add(manifest.version);
        const folder = archived ? undefined : relativeFolder(owner.folder);
        if (folder !== undefined && !folder.includes('/.pnpm/') && !folder.startsWith('node_modules/.pnpm/'))
          entry.folders.add(folder);
      }
    }
  }

  const loaded = new Map<string, LoadedPackage>();
  for (const name of [...packages.keys()].sort()) {
    const entry = packages.get(name);
    if (!entry) continue;
    loaded.set(name, {
      files: entry.files.size,
      executed: entry.executed,
      aliases: [...entry.aliases].sort(),
      executedVersions: [...entry.versions].sort(),
      executedFolders: [...entry.folders].sort(),
    });
  }
  return { loaded, processes };
};

/** The names among `names` that the tests loaded and executed, sorted and without duplicates. */
export const exercisedPackages = (report: ExerciseReport, names: readonly string[]): string[] =>
  [...new Set(names)].filter((name) => report.loaded.get(name)?.executed === true).sort();

const coveragePrefix = 'patchpilot-coverage-';

/** A folder for one test run's coverage in `parent`, named for this process (`<prefix><pid>-…`). */
export const makeCoverageFolder = (parent: string): string =>
  mkdtempSync(join(parent, `${coveragePrefix}${process.pid}-`));

/**
 * Removes the coverage folders in `parent` whose process is gone (a run killed with SIGKILL
 * leaves its folder behind); the folders of running processes, and of other users', stay.
 * Returns the names removed.
 */
export const removeStaleCoverage = (parent: string): string[] => {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = /^patchpilot-coverage-(\d+)-/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || processRunning(Number(pid))) continue;
    try {
      rmSync(join(parent, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Another user's, or gone already: left as it is.
    }
  }
  return removed;
};
