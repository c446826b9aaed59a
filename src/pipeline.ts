import { basename, dirname, join, relative, sep } from 'node:path';
import type { ApplyOptions, FixEvent } from './apply/index.js';
import { applyExceptions } from './assess/exceptions.js';
import { defaultAssessOptions, matchAdvisories } from './assess/index.js';
import { prioritize } from './assess/priority.js';
import { attachSignals, type ExploitSignals } from './assess/signals.js';
import { applyVex } from './assess/vex.js';
import { configFileNames } from './config/files.js';
import type { LoadedConfig } from './config/load.js';
import type { Advisory } from './core/advisory.js';
import type { Change } from './core/change.js';
import { isPatchPilotError, PatchPilotError } from './core/errors.js';
import { cveIds, type Finding, type FindingEpss, type FindingKev } from './core/finding.js';
import { type Inventory, registryPackageCount, type Scope, widestScope } from './core/inventory.js';
import type { Plan, PlanOptions } from './core/plan.js';
import { projectVexFile, type VexDocument, type VexFormat, type VexStatement } from './core/vex.js';
import { epssDate } from './intel/epss-date.js';
import { type AdvisoryStore, emptyStore } from './intel/store.js';
import { findLockfiles, readInventory } from './inventory/index.js';
import { parseJsonDocument } from './inventory/json.js';
import type { PlanVerdicts } from './policy/index.js';
import type { RegistrySource } from './registry/types.js';
import { sha256 } from './util/crypto.js';
import {
  readConfinedText,
  readText,
  realPathOrUndefined,
  statOrUndefined,
  writeFileAtomic,
} from './util/fs.js';
import type { Env } from './util/home.js';

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

/**
 * A lockfile older than its manifests (a dependency added to package.json, no install since)
 * installs nothing for what was added: the findings are of what it installs, which is said.
 */
const warnIfStale = async (
  inventory: Inventory,
  options: { readonly cwd: string; readonly onProgress?: (message: string) => void },
): Promise<void> => {
  const drifted = inventory.drifted ?? [];
  const drift = drifted[0];
  if (drift !== undefined) {
    const n = drifted.length;
    const { default: semver } = await import('semver');
    // npm ci takes a lockfile whose installed versions are inside package.json's specs (as npm
    // reads them: loosely, a prerelease only within its own version's range).
    const refused = drifted.find(
      (d) =>
        d.installed !== undefined &&
        semver.validRange(d.spec) !== null &&
        !semver.satisfies(d.installed, d.spec, true),
    );
    const first = (d: typeof drift): string =>
      d.locked === undefined
        ? `${d.name} is ${d.spec} there, not recorded in the lockfile, where another package's ${d.name}@${d.installed} is installed`
        : `${d.name} is ${d.spec} there, ${d.locked} in the lockfile`;
    options.onProgress?.(
      `warning: ${display(options.cwd, inventory.lockfile)} is out of step with package.json: ${n === 1 ? '1 dependency' : `${n} dependencies`} changed since the last install (first: ${first(drift)}); ${refused ? `npm ci refuses it (${refused.name}@${refused.installed} is outside ${refused.spec}), and ` : ''}changes made to it may not apply: update it with npm install`,
    );
  }
  const missing = inventory.missing ?? [];
  const first = missing[0];
  if (first === undefined) return;
  const importer = inventory.importers.find((i) => i.id === first.from);
  options.onProgress?.(
    `warning: ${display(options.cwd, inventory.lockfile)} is older than its manifests: it installs nothing for ${missing.length === 1 ? '1 declared dependency' : `${missing.length} declared dependencies`} (first: ${importer?.name || 'the root'} needs ${first.name}@${first.spec}); findings are of what it installs: update it with the package manager`,
  );
};

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
    const stat = statOrUndefined(options.target);
    if (!stat?.isFile()) {
      throw new PatchPilotError(
        'SBOM_NOT_FOUND',
        `${options.target}: ${stat ? 'not a file' : 'no such file'}`,
        {
          hint: 'pass the path of a CycloneDX or SPDX JSON document',
        },
      );
    }
    const { readSbom } = await import('./inventory/sbom/read.js');
    const inventory = readSbom(readText(options.target), options.target, (message) =>
      options.onProgress?.(`warning: ${message}`),
    );
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
    const inventory = await readInventory(lockfile);
    await warnIfStale(inventory, options);
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
    packages: registryPackageCount(inventory),
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
  /**
   * Quarantined versions (a rolled-back change brought them in): the registry is read without
   * them, so no patch proposes them. A function gives each project's own list (its ledger), from
   * the project folder. A version the project has installed stays resolvable.
   */
  readonly quarantined?: readonly QuarantineHold[] | ((projectRoot: string) => readonly QuarantineHold[]);
  readonly onProgress?: (message: string) => void;
}

/** A quarantined version, as the ledger gives it (`quarantinedVersions`). */
export interface QuarantineHold {
  readonly name: string;
  readonly version: string;
  /** The change whose rollback quarantined it. */
  readonly change?: string;
  readonly reason?: string;
}

/** A quarantined version a plan was made without (`heldOut`), or kept because it is installed. */
export interface PlanQuarantine extends QuarantineHold {
  /** False when the project has it installed: the planner must still resolve what the lockfile holds. */
  readonly heldOut: boolean;
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
  /** The quarantined versions the plan was made without; absent when nothing is quarantined. */
  readonly quarantined?: readonly PlanQuarantine[];
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
  const { plannedInventory } = await import('./plan/layout.js');
  const { defaultConfig } = await import('./config/normalize.js');
  const projects: PlannedProject[] = [];
  for (const [i, lockfile] of lockfiles.entries()) {
    const shown = display(options.cwd, lockfile);
    if (lockfiles.length > 1) options.onProgress?.(`[${i + 1}/${lockfiles.length}] planning ${shown}`);
    const inventory = await readInventory(lockfile);
    await warnIfStale(inventory, options);
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
    const { overrides, keys: overrideKeys } = await readProjectOverrides(
      inventory.format,
      inventory.root,
      options.cwd,
    );
    const quarantined = quarantineFor(options.quarantined, inventory);
    const heldOut = quarantined.filter((q) => q.heldOut);
    const registry =
      heldOut.length === 0
        ? options.registry
        : (await import('./registry/quarantine.js')).withoutVersions(options.registry, heldOut);
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
        registry,
        now: options.now,
        overrides,
        ...(overrideKeys ? { overrideKeys } : {}),
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
      plan: { ...noteQuarantine(plan, heldOut), lockfile: scanned.lockfile },
      verdicts: judgePlan(plan, {
        findings: scanned.findings,
        inventory: plannedInventory(inventory),
        policy: (config?.config ?? defaultConfig).policy,
      }),
      ...(quarantined.length > 0 ? { quarantined } : {}),
    });
  }
  return { projects, store: { path: store.path, advisories }, vex };
};

/** An unfixable finding's text says so when a quarantined version of its package was held out. */
const noteQuarantine = (plan: Plan, heldOut: readonly PlanQuarantine[]): Plan => {
  if (heldOut.length === 0) return plan;
  return {
    ...plan,
    unfixable: plan.unfixable.map((u) => {
      const held = heldOut.filter((q) => q.name === u.finding.name);
      if (held.length === 0) return u;
      const list = held.map((q) => `${q.name}@${q.version}`).join(', ');
      return { ...u, text: `${u.text} (quarantined, not considered: ${list})` };
    }),
  };
};

/** The project's quarantined versions, each held out unless the lockfile installs it. */
const quarantineFor = (
  source: PlanProjectsOptions['quarantined'],
  inventory: Inventory,
): PlanQuarantine[] => {
  const list = typeof source === 'function' ? source(inventory.root) : (source ?? []);
  if (list.length === 0) return [];
  const installed = new Set<string>();
  for (const pkg of inventory.packages.values())
    if (pkg.source === 'registry') installed.add(`${pkg.name}@${pkg.version}`);
  const seen = new Set<string>();
  const out: PlanQuarantine[] = [];
  for (const q of list) {
    const key = `${q.name}@${q.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      name: q.name,
      version: q.version,
      ...(q.change ? { change: q.change } : {}),
      ...(q.reason ? { reason: q.reason } : {}),
      heldOut: !installed.has(key),
    });
  }
  return out;
};

/** Lockfiles `fix` can change: npm's, yarn's (classic and berry) and pnpm's (bun: not yet). */
const fixableFormat = (format: string): boolean =>
  format.startsWith('npm') || format.startsWith('yarn-') || format.startsWith('pnpm-');

/**
 * The root manifest's overrides in npm's shape: npm `overrides`, yarn `resolutions`, pnpm
 * `pnpm.overrides` (and the `resolutions` pnpm also reads); for yarn and pnpm, with each entry's
 * key as written (`keys`). `overrides` is undefined when there are none.
 */
const readProjectOverrides = async (
  format: string,
  root: string,
  cwd: string,
): Promise<{ overrides: unknown; keys?: ReadonlyMap<string, string> }> => {
  const manifest = readRootManifest(root, cwd);
  if (manifest === undefined) return { overrides: undefined };
  // bun reads npm's `overrides`, and yarn's `resolutions` when there are none.
  if (format.startsWith('npm') || (format.startsWith('bun') && manifest.overrides !== undefined)) {
    const overrides = manifest.overrides;
    if (overrides === undefined) return { overrides: undefined };
    if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
      throw new PatchPilotError(
        'MANIFEST_INVALID',
        `${display(cwd, join(root, 'package.json'))}: overrides: expected an object`,
        {
          hint: 'npm overrides map package names to versions or to nested objects',
        },
      );
    }
    return { overrides };
  }
  const foreign = await import('./plan/foreign-overrides.js');
  let converted: Record<string, unknown> = {};
  const keys = new Map<string, string>();
  if (format.startsWith('yarn') || format.startsWith('bun')) {
    const read = foreign.fromYarnResolutions(manifest.resolutions);
    converted = read.overrides;
    // bun reads yarn's `resolutions` as npm's `overrides`: no flat key to keep.
    if (format.startsWith('yarn')) for (const [k, v] of read.written) keys.set(k, v);
  } else if (format.startsWith('pnpm')) {
    const pnpm = manifest.pnpm as Record<string, unknown> | undefined;
    const yarn = foreign.fromYarnResolutions(manifest.resolutions);
    const own = foreign.fromPnpmOverrides(pnpm?.overrides);
    converted = { ...yarn.overrides, ...own.overrides };
    for (const [k, v] of own.written) keys.set(k, v);
  }
  return Object.keys(converted).length > 0 ? { overrides: converted, keys } : { overrides: undefined };
};

const readRootManifest = (root: string, cwd: string): Record<string, unknown> | undefined => {
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
      return manifest as Record<string, unknown>;
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

export interface FixProjectOptions {
  /** The project folder (or its lockfile), inside a git repository. */
  readonly target: string;
  readonly cwd: string;
  readonly env: Env;
  readonly vexFiles?: readonly string[];
  readonly today: string;
  readonly now: Date;
  readonly registry: RegistrySource;
  readonly options: Partial<PlanOptions>;
  /** Quarantined versions, never proposed (see `PlanProjectsOptions.quarantined`). */
  readonly quarantined?: readonly QuarantineHold[];
  readonly apply: ApplyOptions;
  /**
   * Outside a git repository: work on a private copy made into a repository, then write the
   * merged changes' files back into the project folder, atomically (`--in-place`).
   */
  readonly inPlace?: boolean;
  readonly tool: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
  /** Ledger-worthy events of every stage, in order. */
  readonly record?: (event: FixEvent) => void;
}

export interface FixResult {
  /** The project folder, relative to the working folder. */
  readonly path: string;
  readonly lockfile: string;
  readonly repository: string;
  readonly baseBranch: string | undefined;
  readonly baseCommit: string;
  /** Where the base branch is after the run. */
  readonly headAfter: string | undefined;
  readonly plan: Plan;
  readonly verdicts: PlanVerdicts;
  readonly changes: readonly Change[];
  readonly store: { readonly path: string; readonly advisories: number; readonly snapshot: string };
  /** Worktrees an earlier, interrupted run left behind, removed before this one. */
  readonly staleWorktrees: readonly string[];
  /** Branches of changes such a run had not settled, put back as they were before it. */
  readonly staleBranches: readonly string[];
  /** With `inPlace`: the files written back into the project folder. */
  readonly written?: readonly string[];
}

/**
 * scan → plan → policy → apply, for one project in a git repository: the plan is made from the
 * base commit (a detached worktree of HEAD), never from the user's working tree, which may hold
 * anything; each patch is then applied, tested, proved and judged in worktrees of its own.
 */
export const fixProject = async (store: AdvisoryStore, options: FixProjectOptions): Promise<FixResult> => {
  const { createGit, repositoryTop, headCommit, currentBranch, branchCommit } = await import(
    './apply/git.js'
  );
  const { putBackUnsettled, removeStaleWorktrees, WorktreeRegistry } = await import('./apply/worktree.js');
  const { removeStaleCoverage } = await import('./apply/exercise.js');
  const { tmpdir } = await import('node:os');
  const { detectManager } = await import('./apply/package-manager.js');
  const { applyPlan } = await import('./apply/index.js');
  const stat = statOrUndefined(options.target);
  const folder = stat?.isFile() ? dirname(options.target) : options.target;
  const git = createGit(folder, options.env);
  const top = repositoryTop(git);
  if (top !== undefined && options.inPlace) {
    throw new PatchPilotError(
      'USAGE',
      `fix: --in-place is for folders outside git; ${display(options.cwd, folder)} is in the repository ${top}`,
      {
        hint: 'inside a repository fix works in worktrees and lands changes as commits: drop --in-place',
      },
    );
  }
  if (top === undefined) {
    if (options.inPlace)
      return await fixInPlace(store, options, folder, stat?.isFile() ? basename(options.target) : undefined);
    throw new PatchPilotError(
      'NOT_A_GIT_REPOSITORY',
      `${display(options.cwd, folder)} is not inside a git repository`,
      {
        hint: 'fix makes each change in a git worktree and lands it as a commit: run `git init` and commit the project first, or pass --in-place to have the changes that earn level 3 written into the folder itself (atomically, after the same tests and proof)',
      },
    );
  }
  const baseCommit = headCommit(git);
  if (baseCommit === undefined) {
    throw new PatchPilotError('GIT_FAILED', `${display(options.cwd, top)} has no commits yet`, {
      hint: 'commit the project (its package.json and lockfile) first: fix works from HEAD',
    });
  }
  const realTop = realPathOrUndefined(top) ?? top;
  const realFolder = realPathOrUndefined(folder) ?? folder;
  const projectPath = relative(realTop, realFolder).split(sep).join('/');
  if (projectPath.startsWith('..')) throw new PatchPilotError('INTERNAL', `${folder} is outside ${top}`);
  const { lockRepository } = await import('./apply/lock.js');
  const lock = lockRepository(git, 'fix');
  const [staleWorktrees, staleBranches] = (() => {
    try {
      // A dry run branches nothing, and so puts nothing back either.
      // Coverage folders of runs killed outright go too (they name their process).
      removeStaleCoverage(tmpdir());
      return [removeStaleWorktrees(git), options.apply.dryRun ? [] : putBackUnsettled(git)];
    } catch (error) {
      lock.release();
      throw error;
    }
  })();
  const baseBranch = currentBranch(git);
  const worktrees = new WorktreeRegistry();
  const status = store.status();
  const snapshot = sha256()
    .update(
      JSON.stringify([
        status.advisories,
        status.newestModified ?? '',
        status.sources.map((s) => [s.name, s.lastImportedAt]),
      ]),
    )
    .digest('hex');
  try {
    // The plan comes from HEAD as committed: a detached worktree, removed as soon as it is read.
    const planning = worktrees.add(git, baseCommit, undefined);
    const planFolder = projectPath === '' ? planning.path : join(planning.path, projectPath);
    const committed = stat?.isFile() ? join(planFolder, basename(options.target)) : planFolder;
    const lockfiles = (() => {
      try {
        return findLockfiles(committed, false);
      } catch (error) {
        if (!isPatchPilotError(error) || error.code !== 'LOCKFILE_NOT_FOUND') throw error;
        // Not in HEAD: say so of the project's own folder, never of the temporary worktree.
        const here = (() => {
          try {
            return findLockfiles(stat?.isFile() ? options.target : folder, false);
          } catch {
            return [];
          }
        })();
        if (here.length > 0) {
          throw new PatchPilotError(
            'LOCKFILE_NOT_FOUND',
            `${display(options.cwd, here[0] as string)} is not committed`,
            {
              hint: `fix works from HEAD, the last commit: commit it first (git add ${basename(here[0] as string)})`,
            },
          );
        }
        throw new PatchPilotError(
          'LOCKFILE_NOT_FOUND',
          `${display(options.cwd, folder)}: no lockfile found`,
          {
            hint: 'pass the folder of an npm, yarn or pnpm project (package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml), or the lockfile itself',
          },
        );
      }
    })();
    if (lockfiles.length > 1) {
      throw new PatchPilotError(
        'FIX_UNSUPPORTED',
        `${display(options.cwd, folder)} has several lockfiles: ${lockfiles.map((f) => basename(f)).join(', ')}`,
        {
          hint: 'pass the lockfile of the package manager the project uses: patchpilot fix path/to/package-lock.json',
        },
      );
    }
    const lockfile = lockfiles[0] as string;
    const inventory = await readInventory(lockfile);
    if (!fixableFormat(inventory.format)) {
      throw new PatchPilotError(
        'FIX_UNSUPPORTED',
        `${basename(lockfile)}: fix applies changes to npm, yarn and pnpm lockfiles so far (${inventory.format})`,
        {
          hint: 'run `patchpilot plan` for the findings and fix them by hand meanwhile',
        },
      );
    }
    if (!statOrUndefined(join(planFolder, basename(lockfile)))) {
      throw new PatchPilotError('LOCKFILE_NOT_FOUND', `${basename(lockfile)} is not committed`, {
        hint: 'fix works from HEAD: commit the lockfile first',
      });
    }
    options.onProgress?.(`planning from ${baseCommit.slice(0, 12)}${baseBranch ? ` (${baseBranch})` : ''}`);
    const planned = await planProjects(store, {
      target: lockfile,
      recursive: false,
      cwd: planFolder,
      vexFiles: options.vexFiles,
      today: options.today,
      registry: options.registry,
      now: options.now,
      options: options.options,
      ...(options.quarantined ? { quarantined: options.quarantined } : {}),
      onProgress: options.onProgress,
    });
    const project = planned.projects[0];
    if (!project) throw new PatchPilotError('INTERNAL', 'the plan has no project');
    const heldOut = (project.quarantined ?? []).filter((q) => q.heldOut).map((q) => `${q.name}@${q.version}`);
    const scanned = await scanProjects(store, {
      target: lockfile,
      recursive: false,
      cwd: planFolder,
      today: options.today,
    });
    const findings = scanned.projects[0]?.findings ?? [];
    const loaded = scanned.projects[0]?.config;
    const config = loaded?.config ?? (await import('./config/normalize.js')).defaultConfig;
    const policyHash = loaded
      ? sha256()
          .update(readText(join(planFolder, loaded.path)))
          .digest('hex')
      : undefined;
    worktrees.remove(planning);

    const record = options.record ?? ((): void => {});
    const modified = new Map<string, string>();
    for (const list of store.advisoriesFor(new Set(findings.map((f) => f.package.name))).values()) {
      for (const a of list) modified.set(a.id, a.modified);
    }
    for (const f of findings) {
      record({
        kind: 'detected',
        subject: `${f.id} ${f.package.name}@${f.package.version}`,
        inputs: {
          advisories: f.advisories.map((id) => ({ id, modified: modified.get(id) ?? '' })),
          storeSnapshot: snapshot,
          commit: baseCommit,
        },
        outcome: {
          severity: f.severity,
          scope: f.scope,
          priority: f.priority?.score ?? null,
          paths: f.pathCount,
          ...(f.vex ? { vex: f.vex.status } : {}),
          ...(f.exception ? { exception: f.exception.id } : {}),
        },
      });
      if (f.exception && !f.exception.expired) {
        record({
          kind: 'exception-used',
          subject: `${f.id} ${f.package.name}@${f.package.version}`,
          inputs: { ...(policyHash ? { policyHash } : {}) },
          outcome: { exception: f.exception.id, expires: f.exception.expires, author: f.exception.author },
        });
      }
    }
    for (const patch of project.plan.patches) {
      const verdict = project.verdicts.patches[patch.id];
      record({
        kind: 'planned',
        subject: patch.id,
        change: patch.id,
        inputs: {
          storeSnapshot: snapshot,
          strategy: patch.strategy,
          options: project.plan.options,
          ...(heldOut.length > 0 ? { quarantined: heldOut } : {}),
          // A dry run's entries change nothing: `explain` keeps telling the run that did.
          ...(options.apply.dryRun ? { dryRun: true } : {}),
        },
        outcome: {
          changes: patch.changes,
          fixes: patch.fixes,
          risk: patch.risk,
          alternatives: project.plan.alternatives
            .filter((alt) =>
              alt.fixes.some((f) => patch.fixes.some((g) => g.id === f.id && g.name === f.name)),
            )
            .map((alt) => ({
              id: alt.id,
              strategy: alt.strategy,
              changes: alt.changes.length,
              introduces: alt.introduces.length,
              score: alt.score,
            })),
          ...(verdict ? { planLevel: verdict.level } : {}),
        },
      });
    }
    for (const u of project.plan.unfixable) {
      record({
        kind: 'reported',
        subject: `${u.finding.id} ${u.finding.name}@${u.finding.version}`,
        inputs: { reason: u.reason, storeSnapshot: snapshot },
        outcome: { status: 'unfixable', text: u.text },
      });
    }
    const manager = detectManager(lockfile, inventory.format);
    const changes = await applyPlan({
      git,
      projectPath,
      lockfile: basename(lockfile),
      manager,
      baseBranch,
      baseCommit,
      plan: project.plan,
      findings,
      inventory,
      policy: config.policy,
      verdicts: project.verdicts.patches,
      commands: {
        ...(config.commands.install ? { install: config.commands.install } : {}),
        ...(config.commands.build ? { build: config.commands.build } : {}),
        ...(config.commands.test ? { test: config.commands.test } : {}),
      },
      registry: options.registry,
      prove: async (dir) => {
        const after = await scanProjects(store, {
          target: join(dir, basename(lockfile)),
          recursive: false,
          cwd: dir,
          today: options.today,
          listPackages: true,
        });
        const scanned = after.projects[0];
        // A version held out of the plan can still come back through the package manager (a
        // raised range it satisfies): the proof names it.
        const held = new Set(heldOut);
        const quarantined = (scanned?.inventory ?? [])
          .map((p) => `${p.name}@${p.version}`)
          .filter((key) => held.has(key));
        return { findings: scanned?.findings ?? [], quarantined };
      },
      env: options.env,
      tool: options.tool,
      options: {
        ...options.apply,
        timeoutMs: options.apply.timeoutMs || config.commands.timeoutSeconds * 1000,
      },
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      record: (event) =>
        record(
          policyHash && event.kind === 'decided'
            ? { ...event, inputs: { ...event.inputs, policyHash } }
            : event.kind === 'proved'
              ? { ...event, outcome: { ...event.outcome, storeSnapshot: snapshot } }
              : event,
        ),
    });
    return {
      path: display(options.cwd, folder),
      lockfile: display(options.cwd, join(folder, basename(lockfile))),
      repository: top,
      baseBranch,
      baseCommit,
      headAfter: baseBranch ? branchCommit(git, baseBranch) : baseCommit,
      plan: { ...project.plan, lockfile: display(options.cwd, join(folder, basename(lockfile))) },
      verdicts: project.verdicts,
      changes,
      store: { path: store.path, advisories: status.advisories, snapshot },
      staleWorktrees,
      staleBranches,
    };
  } finally {
    worktrees.close();
    lock.release();
  }
};

/**
 * `fix --in-place` outside a git repository: the project folder (without node_modules) is copied
 * into a private repository, fixed there exactly as in a real one, and the files the merged
 * changes touched are written back, each atomically, only if the project's copy is still the one
 * that was read. Proposed changes have no branch to stay on: the report shows them.
 */
const fixInPlace = async (
  store: AdvisoryStore,
  options: FixProjectOptions,
  folder: string,
  lockfileName: string | undefined,
): Promise<FixResult> => {
  const { mkdtempSync, cpSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { createGit } = await import('./apply/git.js');
  const scratch = mkdtempSync(join(tmpdir(), 'patchpilot-in-place-'));
  try {
    const copy = join(scratch, 'project');
    cpSync(folder, copy, {
      recursive: true,
      filter: (source) => !/[\\/](node_modules|\.git)$/.test(source),
      verbatimSymlinks: true,
    });
    const git = createGit(copy, options.env);
    const identity = {
      GIT_AUTHOR_NAME: 'PatchPilot',
      GIT_AUTHOR_EMAIL: 'patchpilot@localhost',
      GIT_COMMITTER_NAME: 'PatchPilot',
      GIT_COMMITTER_EMAIL: 'patchpilot@localhost',
    };
    git.run(['init', '--quiet', '-b', 'in-place']);
    git.run(['add', '-A']);
    git.run(['commit', '--quiet', '--no-verify', '-m', 'project as read'], undefined, identity);
    // A change merges in the private copy, but is merged into the project only once its files are
    // written there: its `merged` entry waits for that, and becomes a failure when they are not.
    const merged: FixEvent[] = [];
    const record = options.record;
    const shownFolder = display(options.cwd, folder);
    try {
      const done = await fixInPrivateCopy(store, options, copy, lockfileName, folder, git, (event) => {
        if (event.kind === 'merged') merged.push(event);
        else record?.(event);
      });
      for (const event of merged) {
        const { merged: _private, branch: _branch, commit: _commit, ...outcome } = event.outcome;
        record?.({ ...event, outcome: { ...outcome, writtenInto: shownFolder } });
      }
      return done;
    } catch (error) {
      for (const event of merged) {
        record?.({
          ...event,
          kind: 'failed',
          outcome: {
            status: 'not-written',
            reason: `tested and proven in a private copy, but not written into ${shownFolder}: ${error instanceof Error ? error.message : String(error)}`,
          },
        });
      }
      throw error;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};

/** `fixInPlace`'s work in the private copy, then the write-back of what merged there. */
const fixInPrivateCopy = async (
  store: AdvisoryStore,
  options: FixProjectOptions,
  copy: string,
  lockfileName: string | undefined,
  folder: string,
  git: import('./apply/git.js').Git,
  record: (event: FixEvent) => void,
): Promise<FixResult> => {
  const result = await fixProject(store, {
    ...options,
    inPlace: false,
    target: lockfileName ? join(copy, lockfileName) : copy,
    cwd: options.cwd,
    record,
  });
  const written: string[] = [];
  if (result.headAfter && result.headAfter !== result.baseCommit) {
    const files = git
      .run(['diff', '--name-only', '-z', result.baseCommit, result.headAfter])
      .split('\0')
      .filter((f) => f !== '');
    // Every file is checked before any is written: a project changed meanwhile gets nothing.
    for (const file of files) {
      const original = git.run(['show', `${result.baseCommit}:${file}`]);
      const current = statOrUndefined(join(folder, file)) ? readText(join(folder, file)) : undefined;
      if (current === undefined || current.trimEnd() !== original.trimEnd()) {
        throw new PatchPilotError(
          'IO_FAILED',
          `${display(options.cwd, join(folder, file))} changed while fix ran; nothing was written`,
          {
            hint: 'run fix --in-place again',
          },
        );
      }
    }
    // Every new text is read before any is written: a failed read writes nothing.
    const texts = files.map((file) => {
      const shown = git.tryRun(['show', `${result.headAfter}:${file}`]);
      if (shown.code !== 0) {
        throw new PatchPilotError(
          'GIT_FAILED',
          `git show ${file} failed: ${shown.stderr.trim()}; nothing was written`,
        );
      }
      return { file, text: shown.stdout };
    });
    for (const { file, text } of texts) {
      writeFileAtomic(join(folder, file), text);
      written.push(display(options.cwd, join(folder, file)));
    }
  }
  const lockfile = lockfileName ?? basename(result.lockfile);
  return {
    ...result,
    path: display(options.cwd, folder),
    lockfile: display(options.cwd, join(folder, lockfile)),
    repository: folder,
    baseBranch: undefined,
    // Branches lived in the private copy, which is gone.
    changes: result.changes.map((c) => {
      if (c.status === 'merged') {
        // Its branch and commits were in the private copy, which is gone.
        const { branch: _branch, merged: _merged, commit: _commit, ...rest } = c;
        return {
          ...rest,
          reason: `written into ${display(options.cwd, folder)} (level 3, tested and proven in a private copy)`,
        };
      }
      if (c.status !== 'proposed') return c;
      const { branch: _branch, ...rest } = c;
      return {
        ...rest,
        reason: `${c.reason}; outside git there is no branch to keep it on: apply it by hand or let policy allow level 3`,
      };
    }),
    written,
  };
};
