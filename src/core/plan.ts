import { createHash } from 'node:crypto';
import type { AdvisoryKind, SeverityLabel } from './advisory.js';
import type { EdgeType } from './inventory.js';

/**
 * The planner's nouns: a `Patch` is one unit of change that fixes findings, a `Plan` is the
 * patches chosen for a project, in the order they apply, plus what cannot be fixed and why.
 * Everything here is plain data; `docs/planner.md` documents the JSON form.
 */

/**
 * Strategies that produce patches, in the order they run and rank: `override` is the last resort,
 * used only for findings no other strategy fixes.
 */
export type StrategyName = 'in-place' | 'relax' | 'parent-upgrade' | 'override';

export const strategyNames: readonly StrategyName[] = ['in-place', 'relax', 'parent-upgrade', 'override'];

/** The size of a version change. Any change inside 0.x counts as major (^0.2 excludes 0.3). */
export type SemverStep = 'none' | 'patch' | 'minor' | 'major';

/** The largest step an upgrade of a package may take (`--upgrade-config PKG:LEVEL`). */
export type UpgradeLevel = 'major' | 'minor' | 'patch' | 'none';

export interface UpgradeConfig {
  /** For packages not listed; osv-scanner's default is `major` (every upgrade allowed). */
  readonly default: UpgradeLevel;
  readonly packages: Readonly<Record<string, UpgradeLevel>>;
}

/** One finding, by what identifies it: the vulnerability and the installed name@version. */
export interface FindingRef {
  readonly id: string;
  readonly name: string;
  readonly version: string;
}

/** A finding a patch would add: a version it installs is affected by a vulnerability it did not have. */
export interface IntroducedFinding extends FindingRef {
  readonly kind: AdvisoryKind;
  readonly severity: SeverityLabel;
  /** The OSV records behind it (aliases grouped). */
  readonly advisories: readonly string[];
}

/** A locked package moved to another version; the manifests stay as they are (`in-place`). */
export interface LockChange {
  readonly kind: 'lock';
  readonly name: string;
  readonly from: string;
  readonly to: string;
  /** Inventory ids (install locations) that change. */
  readonly locations: readonly string[];
  readonly step: SemverStep;
  readonly downgrade: boolean;
}

/** A declared range in a manifest raised (`relax`); `from`/`to` are the versions installed. */
export interface ManifestChange {
  readonly kind: 'manifest';
  /** The importer's folder relative to the project root (`''` for the root package.json). */
  readonly importer: string;
  /** The dependency's key in the manifest (the alias for `npm:` aliases). */
  readonly dependency: string;
  /** The real package name. */
  readonly name: string;
  readonly type: EdgeType;
  readonly fromRange: string;
  readonly toRange: string;
  readonly from: string | undefined;
  readonly to: string;
  readonly step: SemverStep;
  readonly downgrade: boolean;
}

/** A package the change installs that was not installed before (a new dependency of a new version). */
export interface AddedPackage {
  readonly kind: 'add';
  readonly name: string;
  readonly to: string;
  readonly locations: readonly string[];
}

/** A package nothing needs any more after the change. */
export interface RemovedPackage {
  readonly kind: 'remove';
  readonly name: string;
  readonly from: string;
  readonly locations: readonly string[];
}

export type OverrideManager = 'npm' | 'yarn' | 'pnpm';

/** The package.json field an override entry lives in, per package manager. */
export const overrideField = (manager: OverrideManager): string =>
  manager === 'yarn' ? 'resolutions' : manager === 'pnpm' ? 'pnpm.overrides' : 'overrides';

/** The manager whose override field a lockfile format's project reads (bun reads npm's). */
export const overrideManagerOf = (format: string): OverrideManager =>
  format.startsWith('yarn') ? 'yarn' : format.startsWith('pnpm') ? 'pnpm' : 'npm';

/**
 * An entry of the root manifest's overrides (npm `overrides`, yarn `resolutions`, pnpm
 * `pnpm.overrides`) added, changed or removed (`override`): what the apply step writes into
 * package.json. package.json has no comments, so the advisory ids the entry exists for travel
 * here, in the plan.
 */
export interface OverrideChange {
  readonly kind: 'override';
  readonly action: 'add' | 'change' | 'remove';
  /** The package manager whose manifest field it is: npm `overrides`, yarn `resolutions`, pnpm `pnpm.overrides`. */
  readonly manager: OverrideManager;
  /** The manifest, relative to the project root. */
  readonly file: string;
  /** The keys from `overrides` down to the entry: `["mkdirp", "minimist"]` for a scoped one. */
  readonly path: readonly string[];
  /** The path as text, parents first: `mkdirp > minimist`. */
  readonly key: string;
  /** The package it overrides. */
  readonly name: string;
  /** The entry's value before (change, remove). */
  readonly from?: string;
  /** The entry's value after (add, change). */
  readonly to?: string;
  /** The finding ids (preferred ids) the entry exists for: those the patch fixes on `name`. */
  readonly advisories: readonly string[];
  /** Whether a version it installs is outside a range a dependent declares (the entry forces it). */
  readonly outOfRange: boolean;
}

export type PackageChange = LockChange | ManifestChange | AddedPackage | RemovedPackage | OverrideChange;

/** A release's age in words: "3 days before", or "after" the day ages are counted to. */
export const releasedWhen = (ageDays: number): string =>
  ageDays < 0
    ? 'after the day ages are counted to'
    : ageDays === 1
      ? '1 day before'
      : `${ageDays} days before`;

/** What a reviewer (or a policy) wants to know before accepting a patch. */
export interface RiskFacts {
  /** The largest step among the patch's lock and manifest changes. */
  readonly step: SemverStep;
  readonly downgrade: boolean;
  /** True when every declared range already accepts the new versions (lockfile-only change). */
  readonly inRange: boolean;
  /** Publish time of the newest target version, when the registry states it. */
  readonly publishedAt?: string;
  /**
   * Whole days between `publishedAt` and the plan's clock; negative when the release came after
   * it (a plan made `--today` an earlier day).
   */
  readonly ageDays?: number;
  /** The deprecation message of a target version, when one is deprecated. */
  readonly deprecated?: string;
  /** Whether a target version runs install scripts its current version did not; absent when unknown. */
  readonly addsInstallScript?: boolean;
  /** Vulnerabilities (finding ids) that still affect the target versions. */
  readonly stillAffectedBy: readonly string[];
  /**
   * Override patches only: whether the overridden version is outside a range a dependent declares,
   * so the dependent runs with a version its authors did not allow (test it).
   */
  readonly outOfRange?: boolean;
}

/** How a patch ranks: weighted fixes first, then the least change. */
export interface PatchScore {
  /** Sum of the targeted findings' priorities (0-100 each) that the patch fixes. */
  readonly weight: number;
  /** Number of targeted findings fixed. */
  readonly fixed: number;
  /** Lock, manifest, added and removed package entries. */
  readonly packagesChanged: number;
  /** Sum over lock and manifest changes: patch 1, minor 2, major 3, plus 1 per downgrade. */
  readonly stepCost: number;
}

export interface Patch {
  /** Stable short id: a hash of the strategy and the changes. */
  readonly id: string;
  readonly strategy: StrategyName;
  readonly changes: readonly PackageChange[];
  readonly fixes: readonly FindingRef[];
  readonly introduces: readonly IntroducedFinding[];
  readonly risk: RiskFacts;
  readonly score: PatchScore;
}

export type UnfixableReason =
  | 'no-fix-published'
  | 'not-in-registry'
  | 'upgrade-forbidden'
  | 'major-forbidden'
  | 'ranges-exclude-fixes'
  | 'override-pins'
  | 'would-introduce'
  | 'dependencies-unresolvable'
  | 'strategy-disabled'
  | 'bundled'
  | 'extraneous'
  | 'conflict'
  | 'unsupported-lockfile';

/** Something that would fix the finding anyway, at a cost the plan does not take on its own. */
export interface Alternative {
  readonly kind: 'override' | 'major-upgrade' | 'upgrade' | 'downgrade' | 'remove' | 'patch';
  readonly text: string;
  readonly name?: string;
  readonly version?: string;
  /** The id of a candidate patch (in `Plan.alternatives`) that does it. */
  readonly patch?: string;
}

export interface Unfixable {
  readonly finding: FindingRef;
  readonly reason: UnfixableReason;
  /** One or two sentences a human can act on. */
  readonly text: string;
  readonly alternatives: readonly Alternative[];
}

/**
 * A finding the options leave out of the plan (it stays in `remaining`): dev-only, below
 * `minSeverity`, deeper than `maxDepth`, or suppressed by a `not_affected` VEX statement.
 */
export interface IgnoredFinding {
  readonly finding: FindingRef;
  readonly reason: 'dev' | 'severity' | 'depth' | 'suppressed';
}

/** An `overrides` entry of the project that keeps an affected version installed. */
export interface OverrideNote {
  /** The entry's path in `overrides`, parents first (`a > b@^1`). */
  readonly key: string;
  readonly value: string;
  readonly finding: FindingRef;
  readonly text: string;
}

/**
 * An `overrides` entry of the project that no known vulnerability needs: without it, no version
 * an advisory affects would be installed. Reported for removal (it may still exist for another
 * reason, such as compatibility; the plan cannot know).
 */
export interface StaleOverride {
  readonly key: string;
  readonly path: readonly string[];
  readonly value: string;
  readonly name: string;
  readonly text: string;
}

export interface PlanOptions {
  readonly strategies: readonly StrategyName[];
  /** Prefer the highest fixed version (`--prefer highest`) instead of the lowest. */
  readonly preferHighest: boolean;
  /** Only findings at most this many edges from an importer are targeted; 0 for all. */
  readonly maxDepth: number;
  /** Findings below this are not targeted: a severity label, or a CVSS score (unscored ones stay). */
  readonly minSeverity: SeverityLabel | number | undefined;
  /** Leave findings in dev-only packages out, and never relax devDependencies. */
  readonly ignoreDev: boolean;
  readonly upgradeConfig: UpgradeConfig;
  /**
   * How a new version's own dependencies are met: `resolve` installs what is missing as npm would;
   * `existing` (osv-scanner's in-place rule) requires the changed package's current dependencies
   * to satisfy them.
   */
  readonly dependencies: 'resolve' | 'existing';
  /**
   * How relax writes a range: `floor` keeps the range's operator and raises its floor to the
   * chosen fixed version; `osv-scanner` steps as osv-scanner does (1.2.3 → ~1.2.x → ^1.x → ^2.x).
   */
  readonly relaxRanges: 'floor' | 'osv-scanner';
  /** Keep searching past versions that would introduce a finding (osv-scanner stops at the first fix). */
  readonly avoidIntroducing: boolean;
  /** Relax evaluates at most this many target versions per direct dependency. */
  readonly maxRelaxVersions: number;
  /**
   * The Node.js version npm will install with: a version whose `engines.node` excludes it is
   * chosen only when no other satisfies, as npm does. Undefined: engines are not looked at.
   */
  readonly nodeVersion: string | undefined;
}

export interface PlanSummary {
  /** Findings before the plan. */
  readonly findings: number;
  readonly targeted: number;
  /** Targeted findings the chosen patches fix. */
  readonly fixed: number;
  /**
   * Findings not planned for (left out by `--min-severity`, `--max-depth`, `--ignore-dev`…) that
   * the chosen patches fix along the way. `remaining` is `findings - fixed - alsoFixed`, or less
   * when two findings of one advisory end on the same version (plus what a patch introduces).
   */
  readonly alsoFixed: number;
  /** Findings predicted after applying the chosen patches (ignored ones included). */
  readonly remaining: number;
  readonly unfixable: number;
}

export interface Plan {
  readonly schemaVersion: 1;
  readonly lockfile: string;
  readonly format: string;
  readonly options: PlanOptions;
  /** The chosen patches, in the order they apply; each is stated against the ones before it. */
  readonly patches: readonly Patch[];
  /** Candidates that were not chosen (conflicting, redundant, or introducing findings), best first. */
  readonly alternatives: readonly Patch[];
  readonly unfixable: readonly Unfixable[];
  readonly ignored: readonly IgnoredFinding[];
  /** The findings predicted after applying `patches`: what stays, at the version it ends up at. */
  readonly remaining: readonly FindingRef[];
  readonly overrides: readonly OverrideNote[];
  /** Project overrides that no longer fix anything: suggested for removal. */
  readonly staleOverrides: readonly StaleOverride[];
  readonly summary: PlanSummary;
}

const stepRank: Record<SemverStep, number> = { none: 0, patch: 1, minor: 2, major: 3 };

export const compareSteps = (a: SemverStep, b: SemverStep): number => stepRank[a] - stepRank[b];

export const stepCost = (step: SemverStep, downgrade: boolean): number =>
  stepRank[step] + (downgrade ? 1 : 0);

/** Whether an upgrade level allows a step. */
export const levelAllows = (level: UpgradeLevel, step: SemverStep): boolean =>
  step === 'none' ||
  level === 'major' ||
  (level === 'minor' && step !== 'major') ||
  (level === 'patch' && step === 'patch');

export const upgradeLevelOf = (config: UpgradeConfig, name: string): UpgradeLevel =>
  Object.hasOwn(config.packages, name) ? (config.packages[name] as UpgradeLevel) : config.default;

const changeKey = (change: PackageChange): unknown[] => {
  switch (change.kind) {
    case 'lock':
      return ['lock', change.name, change.from, change.to, [...change.locations].sort()];
    case 'manifest':
      return ['manifest', change.importer, change.dependency, change.fromRange, change.toRange];
    case 'add':
      return ['add', change.name, change.to, [...change.locations].sort()];
    case 'override':
      return ['override', change.action, change.path, change.to ?? null];
    default:
      return ['remove', change.name, change.from, [...change.locations].sort()];
  }
};

/** A stable id for a patch: the same changes by the same strategy always get the same id. */
export const patchId = (strategy: StrategyName, changes: readonly PackageChange[]): string => {
  const keys = changes.map((c) => JSON.stringify(changeKey(c))).sort();
  const digest = createHash('sha256')
    .update(JSON.stringify([strategy, keys]))
    .digest('hex');
  return `p-${digest.slice(0, 10)}`;
};

export const findingRefKey = (ref: FindingRef): string => `${ref.id}\u0000${ref.name}@${ref.version}`;

export const compareFindingRefs = (a: FindingRef, b: FindingRef): number =>
  a.name < b.name
    ? -1
    : a.name > b.name
      ? 1
      : a.version < b.version
        ? -1
        : a.version > b.version
          ? 1
          : a.id < b.id
            ? -1
            : a.id > b.id
              ? 1
              : 0;
