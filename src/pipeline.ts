import { relative, sep } from 'node:path';
import { defaultAssessOptions, matchAdvisories } from './assess/index.js';
import type { Finding } from './core/finding.js';
import { type Inventory, registryPackageKeys } from './core/inventory.js';
import { type AdvisoryStore, emptyStore } from './intel/store.js';
import { findLockfiles, readInventory } from './inventory/index.js';

/** The one file that knows the stage order: inventory → intel → assess (plan and policy to come). */

export interface ScannedProject {
  /** Project folder, relative to the working directory (`.` for it). */
  readonly path: string;
  readonly lockfile: string;
  readonly format: string;
  /** Distinct registry packages (name@version) the lockfile installs. */
  readonly packages: number;
  readonly workspaces: readonly string[];
  readonly findings: readonly Finding[];
}

export interface ScanResult {
  readonly projects: readonly ScannedProject[];
  readonly store: { readonly path: string; readonly advisories: number };
}

export interface ScanOptions {
  readonly target: string;
  readonly recursive: boolean;
  readonly cwd: string;
  readonly maxPaths?: number;
  readonly onProgress?: (message: string) => void;
}

const display = (cwd: string, path: string): string => {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.split(sep).join('/');
};

export const scanProjects = (store: AdvisoryStore, options: ScanOptions): ScanResult => {
  const advisories = store.count();
  if (advisories === 0) throw emptyStore(store.path);
  const lockfiles = findLockfiles(options.target, options.recursive);
  if (lockfiles.length > 1) options.onProgress?.(`scanning ${lockfiles.length} lockfiles`);
  const projects: ScannedProject[] = [];
  for (const [i, lockfile] of lockfiles.entries()) {
    if (lockfiles.length > 1)
      options.onProgress?.(`[${i + 1}/${lockfiles.length}] ${display(options.cwd, lockfile)}`);
    const inventory = readInventory(lockfile);
    projects.push(assessInventory(store, inventory, options));
  }
  return { projects, store: { path: store.path, advisories } };
};

const assessInventory = (
  store: AdvisoryStore,
  inventory: Inventory,
  options: ScanOptions,
): ScannedProject => {
  const names = new Set<string>();
  for (const pkg of inventory.packages.values()) if (pkg.source === 'registry') names.add(pkg.name);
  const findings = matchAdvisories(inventory, store.advisoriesFor(names), {
    ...defaultAssessOptions,
    maxPaths: options.maxPaths ?? defaultAssessOptions.maxPaths,
  });
  return {
    path: display(options.cwd, inventory.root),
    lockfile: display(options.cwd, inventory.lockfile),
    format: inventory.format,
    packages: registryPackageKeys(inventory).size,
    workspaces: inventory.importers.filter((i) => i.id !== '').map((i) => i.path),
    findings,
  };
};
