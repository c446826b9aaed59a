import { join, relative, sep } from 'node:path';
import { applyExceptions } from './assess/exceptions.js';
import { defaultAssessOptions, matchAdvisories } from './assess/index.js';
import { prioritize } from './assess/priority.js';
import { attachSignals, type ExploitSignals } from './assess/signals.js';
import { applyVex } from './assess/vex.js';
import { configFileNames } from './config/files.js';
import type { LoadedConfig } from './config/load.js';
import type { Advisory } from './core/advisory.js';
import { PatchPilotError } from './core/errors.js';
import { cveIds, type Finding, type FindingEpss, type FindingKev } from './core/finding.js';
import { type Inventory, registryPackageKeys, type Scope, widestScope } from './core/inventory.js';
import type { Plan, PlanOptions } from './core/plan.js';
import { projectVexFile, type VexDocument, type VexFormat, type VexStatement } from './core/vex.js';
import { epssDate } from './intel/epss-date.js';
import { type AdvisoryStore, emptyStore } from './intel/store.js';
import { findLockfiles, readInventory } from './inventory/index.js';
import { parseJsonDocument } from './inventory/json.js';
import { readSbom } from './inventory/sbom/read.js';
import type { PlanVerdicts } from './policy/index.js';
import type { RegistrySource } from './registry/types.js';
import { readConfinedText, readText, realPathOrUndefined, statOrUndefined } from './util/fs.js';

/**
 * The one file that knows the stage order: inventory → intel → assess → VEX → the project
 * configuration's exceptions → plan (policy to come).
 */

export interface ScannedProject {
  /** Project folder, relative to the working directory (`.` for it). */
  readonly path: string;
  readonly lockfile: string;
  readonly format: string;
  /** Distinct registry packages (name@version) the lockfile installs. */
  readonly packages: number;
  readonly workspaces: readonly string[];
  /** Highest priority first (see `priorityOf`), each carrying its `priority`. */
  readonly findings: readonly Finding[];
  /** With `listPackages`: every registry package once, its widest scope, sorted by name@version. */
  readonly inventory?: readonly InstalledPackage[];
  /** The project's own VEX document (`.patchpilot/vex.json`), relative to the working folder, when it has one. */
  readonly vex?: string;
  /** The configuration applied (the project's `.patchpilot.yml` or `configFile`), when there is one. */
  readonly config?: LoadedConfig;
}

/** A VEX document a scan read: where, which format, how many statements. */
export interface VexDocumentRead {
  readonly path: string;
  readonly format: VexFormat;
  readonly statements: number;
}

export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  readonly purl: string | undefined;
  readonly scope: Scope;
}

export interface ScanResult {
  readonly projects: readonly ScannedProject[];
  readonly store: { readonly path: string; readonly advisories: number };
  /** Every VEX document applied: the `vexFiles` first, then each project's own. */
  readonly vex: readonly VexDocumentRead[];
}

export interface ScanOptions {
  /** A project folder or lockfile; or, with `sbom`, the SBOM file to scan instead. */
  readonly target: string;
  readonly recursive: boolean;
  /** The target is a CycloneDX or SPDX JSON document, not a project. */
  readonly sbom?: boolean;
  readonly listPackages?: boolean;
  readonly cwd: string;
  readonly maxPaths?: number;
  /** VEX documents (OpenVEX or CycloneDX JSON) applied to every project, after each project's own. */
  readonly vexFiles?: readonly string[];
  /**
   * Today (`YYYY-MM-DD`, UTC): the configuration's exceptions are applied as of this day (an
   * expired one is attached, marked expired). Without it, exceptions are not applied.
   */
  readonly today?: string;
  /** A configuration file for every project, instead of each project's own `.patchpilot.yml`. */
  readonly configFile?: string;
  readonly onProgress?: (message: string) => void;
}

/**
 * VEX documents and configuration files are validated with zod, which costs start-up time that
 * most scans (no VEX document, no configuration) should not pay: their readers load on first use.
 */
const vexReader = async () => (await import('./intel/vex/read.js')).parseVexDocument;
const configLoader = async () => await import('./config/load.js');

/** The project's configuration, when it has a file; the loader is only imported when one exists. */
const loadProjectConfigLazily = async (root: string, cwd: string): Promise<LoadedConfig | undefined> =>
  configFileNames.some((name) => statOrUndefined(join(root, name)) !== undefined)
    ? (await configLoader()).loadProjectConfig(root, cwd)
    : undefined;

const display = (cwd: string, path: string): string => {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.split(sep).join('/');
};

export const scanProjects = async (store: AdvisoryStore, options: ScanOptions): Promise<ScanResult> => {
  const advisories = store.count();
  if (advisories === 0) throw emptyStore(store.path);
  const vexDocuments = await readVexFiles(options.vexFiles ?? [], options.cwd);
  const vex: VexDocumentRead[] = vexDocuments.map(documentRead);
  const shared = vexDocuments.flatMap((d) => d.statements);
  const configFile =
    options.configFile === undefined
      ? undefined
      : (await configLoader()).loadConfigFile(options.configFile, options.cwd);
  if (options.sbom) {
    if (!statOrUndefined(options.target)?.isFile()) {
      throw new PatchPilotError('SBOM_NOT_FOUND', `${options.target}: no such file`, {
        hint: 'pass the path of a CycloneDX or SPDX JSON document',
      });
    }
    const inventory = readSbom(readText(options.target), options.target);
    return {
      projects: [assessInventory(store, inventory, options, shared, undefined, configFile)],
      store: { path: store.path, advisories },
      vex,
    };
  }
  const lockfiles = findLockfiles(options.target, options.recursive);
  if (lockfiles.length > 1) options.onProgress?.(`scanning ${lockfiles.length} lockfiles`);
  const projects: ScannedProject[] = [];
  const configs = new Map<string, LoadedConfig | undefined>();
  for (const [i, lockfile] of lockfiles.entries()) {
    if (lockfiles.length > 1)
      options.onProgress?.(`[${i + 1}/${lockfiles.length}] ${display(options.cwd, lockfile)}`);
    const inventory = readInventory(lockfile);
    const own = await readProjectVex(inventory.root, options.cwd);
    // A folder with lockfiles of several package managers shares one VEX document: list it once.
    if (own && !vex.some((d) => d.path === own.path)) vex.push(documentRead(own));
    if (configFile === undefined && !configs.has(inventory.root)) {
      configs.set(inventory.root, await loadProjectConfigLazily(inventory.root, options.cwd));
    }
    const config = configFile ?? configs.get(inventory.root);
    projects.push(assessInventory(store, inventory, options, shared, own, config));
  }
  return { projects, store: { path: store.path, advisories }, vex };
};

const documentRead = (d: VexDocument): VexDocumentRead => ({
  path: d.path,
  format: d.format,
  statements: d.statements.length,
});

/** `--vex FILE`s: the user named them, so they are read wherever they are. */
const readVexFiles = async (files: readonly string[], cwd: string): Promise<VexDocument[]> => {
  if (files.length === 0) return [];
  const parseVexDocument = await vexReader();
  return files.map((file) => {
    const shown = display(cwd, file);
    if (!statOrUndefined(file)?.isFile()) {
      throw new PatchPilotError('VEX_NOT_FOUND', `${shown}: no such file`, {
        hint: 'pass the path of an OpenVEX or CycloneDX VEX JSON document',
      });
    }
    return parseVexDocument(readText(file), shown);
  });
};

/** Larger than any hand-kept VEX document; a bigger file here is a mistake, not statements. */
const maxVexBytes = 16 * 1024 * 1024;

/**
 * The project's own `.patchpilot/vex.json`, read only when it is a regular file inside the project
 * (a symbolic link that leads out is refused, as lockfile paths are).
 */
const readProjectVex = async (root: string, cwd: string): Promise<VexDocument | undefined> => {
  const path = join(root, projectVexFile);
  const shown = display(cwd, path);
  const realRoot = realPathOrUndefined(root) ?? root;
  const read = readConfinedText(path, realRoot, maxVexBytes);
  switch (read.kind) {
    case 'absent':
      return undefined;
    case 'text':
      return (await vexReader())(read.text, shown);
    default: {
      const why =
        read.kind === 'outside'
          ? `leads outside the project (to ${read.realPath})`
          : read.kind === 'too-large'
            ? `is ${read.bytes} bytes, more than a VEX document should be (${maxVexBytes})`
            : 'is not a regular file';
      throw new PatchPilotError('VEX_INVALID', `${shown}: ${why}`, {
        hint: `keep the project's VEX statements in a regular file ${projectVexFile} inside the project`,
      });
    }
  }
};

const assessInventory = (
  store: AdvisoryStore,
  inventory: Inventory,
  options: ScanOptions,
  shared: readonly VexStatement[],
  own?: VexDocument,
  config?: LoadedConfig,
  known?: Map<string, readonly Advisory[]>,
): ScannedProject => {
  const names = new Set<string>();
  for (const pkg of inventory.packages.values()) if (pkg.source === 'registry') names.add(pkg.name);
  const advisories = store.advisoriesFor(names);
  if (known) for (const name of names) known.set(name, advisories.get(name) ?? []);
  const matched = matchAdvisories(inventory, advisories, {
    ...defaultAssessOptions,
    maxPaths: options.maxPaths ?? defaultAssessOptions.maxPaths,
  });
  const prioritized = prioritize(attachSignals(matched, lookUpSignals(store, matched)));
  const vexed = applyVex(prioritized, [...(own?.statements ?? []), ...shared]);
  const findings =
    config && options.today !== undefined
      ? applyExceptions(vexed, config.config.exceptions, options.today, config.path)
      : vexed;
  return {
    path: display(options.cwd, inventory.root),
    lockfile: display(options.cwd, inventory.lockfile),
    format: inventory.format,
    packages: registryPackageKeys(inventory).size,
    workspaces: inventory.importers.filter((i) => i.path !== '').map((i) => i.path),
    findings,
    ...(options.listPackages ? { inventory: installedPackages(inventory) } : {}),
    ...(own ? { vex: own.path } : {}),
    ...(config ? { config } : {}),
  };
};

/** The EPSS scores and KEV entries the store holds for the findings' CVE ids. */
const lookUpSignals = (store: AdvisoryStore, findings: readonly Finding[]): ExploitSignals => {
  const cves = new Set(findings.flatMap(cveIds));
  if (cves.size === 0) return { epss: new Map(), kev: new Map() };
  const meta = store.signals().find((s) => s.name === 'epss');
  const date = meta ? epssDate({ scoreDate: meta.date }, meta.source) : undefined;
  const epss = new Map<string, FindingEpss>();
  for (const row of store.epssFor(cves).values()) {
    epss.set(row.cve, { score: row.score, percentile: row.percentile, cve: row.cve, date });
  }
  const kev = new Map<string, FindingKev>();
  for (const row of store.kevFor(cves).values()) {
    kev.set(row.cve, {
      cve: row.cve,
      dateAdded: row.dateAdded,
      dueDate: row.dueDate,
      ransomware: row.ransomware,
    });
  }
  return { epss, kev };
};

/** Registry packages once per name@version, with the widest scope of their installed copies. */
export const installedPackages = (inventory: Inventory): InstalledPackage[] => {
  const byKey = new Map<
    string,
    { name: string; version: string; purl: string | undefined; scopes: Scope[] }
  >();
  for (const pkg of inventory.packages.values()) {
    if (pkg.source !== 'registry') continue;
    const key = `${pkg.name}@${pkg.version}`;
    const entry = byKey.get(key);
    if (entry) entry.scopes.push(pkg.scope);
    else byKey.set(key, { name: pkg.name, version: pkg.version, purl: pkg.purl, scopes: [pkg.scope] });
  }
  return [...byKey.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => ({ name: e.name, version: e.version, purl: e.purl, scope: widestScope(e.scopes) }));
};

export interface PlanProjectsOptions {
  /** A project folder or lockfile. */
  readonly target: string;
  readonly recursive: boolean;
  readonly cwd: string;
  /** VEX documents for every project: findings a `not_affected` statement suppresses are not planned for. */
  readonly vexFiles?: readonly string[];
  /** Today (`YYYY-MM-DD`, UTC), for the configuration's exceptions; see `ScanOptions.today`. */
  readonly today?: string;
  /** Where package metadata comes from: the npm registry (cached) or a universe file. */
  readonly registry: RegistrySource;
  /** The plan's clock: ages of target versions are counted to it. */
  readonly now: Date;
  readonly options: Partial<PlanOptions>;
  readonly onProgress?: (message: string) => void;
}

export interface PlannedProject {
  readonly path: string;
  readonly lockfile: string;
  readonly format: string;
  readonly packages: number;
  readonly workspaces: readonly string[];
  /** The project's own VEX document, relative to the working folder, when it has one. */
  readonly vex?: string;
  /** The root manifest's npm `overrides` were read and honoured. */
  readonly overrides: boolean;
  /** Its `lockfile` is relative to the working folder. */
  readonly plan: Plan;
  /** The level the project's policy grants each patch, and level 1 for each unfixable finding. */
  readonly verdicts: PlanVerdicts;
}

export interface PlanResult {
  readonly projects: readonly PlannedProject[];
  readonly store: { readonly path: string; readonly advisories: number };
  readonly vex: readonly VexDocumentRead[];
}

/**
 * scan, then plan: each project's findings (VEX and exceptions applied, as `scan` gives them) are
 * planned against the registry, with the root manifest's npm `overrides` honoured. Nothing is
 * written: the project is only read (its manifest confined to the project folder).
 */
export const planProjects = async (
  store: AdvisoryStore,
  options: PlanProjectsOptions,
): Promise<PlanResult> => {
  const advisories = store.count();
  if (advisories === 0) throw emptyStore(store.path);
  const vexDocuments = await readVexFiles(options.vexFiles ?? [], options.cwd);
  const vex: VexDocumentRead[] = vexDocuments.map(documentRead);
  const shared = vexDocuments.flatMap((d) => d.statements);
  const lockfiles = findLockfiles(options.target, options.recursive);
  // Loaded here, not at the top: scan and gate, which share this file, never need the planner.
  const { assemblePlan } = await import('./plan/index.js');
  const { judgePlan } = await import('./policy/index.js');
  const { defaultConfig } = await import('./config/normalize.js');
  const projects: PlannedProject[] = [];
  for (const [i, lockfile] of lockfiles.entries()) {
    const shown = display(options.cwd, lockfile);
    if (lockfiles.length > 1) options.onProgress?.(`[${i + 1}/${lockfiles.length}] planning ${shown}`);
    const inventory = readInventory(lockfile);
    const own = await readProjectVex(inventory.root, options.cwd);
    if (own && !vex.some((d) => d.path === own.path)) vex.push(documentRead(own));
    const config = await loadProjectConfigLazily(inventory.root, options.cwd);
    const known = new Map<string, readonly Advisory[]>();
    const scanned = assessInventory(
      store,
      inventory,
      { target: lockfile, recursive: false, cwd: options.cwd, today: options.today },
      shared,
      own,
      config,
      known,
    );
    const npm = inventory.format.startsWith('npm');
    const overrides = npm ? readNpmOverrides(inventory.root, options.cwd) : undefined;
    const plan = await assemblePlan(
      {
        inventory,
        findings: scanned.findings,
        advisoriesFor: (name) => {
          let list = known.get(name);
          if (!list) {
            list = store.advisoriesFor([name]).get(name) ?? [];
            known.set(name, list);
          }
          return list;
        },
        registry: options.registry,
        now: options.now,
        overrides,
      },
      options.options,
    );
    projects.push({
      path: scanned.path,
      lockfile: scanned.lockfile,
      format: scanned.format,
      packages: scanned.packages,
      workspaces: scanned.workspaces,
      ...(own ? { vex: own.path } : {}),
      overrides: overrides !== undefined,
      plan: { ...plan, lockfile: scanned.lockfile },
      verdicts: judgePlan(plan, {
        findings: scanned.findings,
        inventory,
        policy: (config?.config ?? defaultConfig).policy,
      }),
    });
  }
  return { projects, store: { path: store.path, advisories }, vex };
};

/**
 * The root package.json's npm `overrides`, read confined to the project; undefined when the
 * manifest has none.
 */
const readNpmOverrides = (root: string, cwd: string): unknown => {
  const path = join(root, 'package.json');
  const shown = display(cwd, path);
  const read = readConfinedText(path, realPathOrUndefined(root) ?? root, maxManifestBytes);
  switch (read.kind) {
    case 'absent':
      return undefined;
    case 'text': {
      const manifest = parseJsonDocument(read.text, shown, 'MANIFEST_INVALID');
      if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
        throw new PatchPilotError('MANIFEST_INVALID', `${shown}: not a JSON object`, {
          hint: 'a package.json holds one JSON object',
        });
      }
      const overrides = (manifest as Record<string, unknown>).overrides;
      if (overrides === undefined) return undefined;
      if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
        throw new PatchPilotError('MANIFEST_INVALID', `${shown}: overrides: expected an object`, {
          hint: 'npm overrides map package names to versions or to nested objects',
        });
      }
      return overrides;
    }
    default: {
      const why =
        read.kind === 'outside'
          ? `leads outside the project (to ${read.realPath})`
          : read.kind === 'too-large'
            ? `is ${read.bytes} bytes, too large for a package.json`
            : 'is not a regular file';
      throw new PatchPilotError('MANIFEST_INVALID', `${shown}: ${why}`, {
        hint: 'the root package.json must be a regular file inside the project',
      });
    }
  }
};

/** Manifests larger than this are not package.json files anyone wrote. */
const maxManifestBytes = 16 * 1024 * 1024;
