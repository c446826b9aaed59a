import type { SeverityLabel } from './advisory.js';
import type { Scope } from './inventory.js';
import type { FindingRef, RiskFacts, SemverStep } from './plan.js';

/**
 * The policy's nouns: `Evidence` is what is known about one planned change (or one finding that
 * cannot be fixed), a `Verdict` is the autonomy level policy grants it, with every reason.
 * Plain data; src/policy/README.md documents the rules that write the reasons.
 */

/** The autonomy ladder (DESIGN.md): 1 report, 2 propose, 3 merge, 4 assist, 5 deploy. */
export type Level = 1 | 2 | 3 | 4 | 5;

export type LevelName = 'report' | 'propose' | 'merge' | 'assist' | 'deploy';

export const levelNames: Readonly<Record<Level, LevelName>> = {
  1: 'report',
  2: 'propose',
  3: 'merge',
  4: 'assist',
  5: 'deploy',
};

/** `3 (merge)`: how a level is written in reasons and reports. */
export const levelText = (level: Level): string => `${level} (${levelNames[level]})`;

/** What the project's tests showed after the change was applied (filled in by `fix`). */
export interface TestEvidence {
  /** False when the project has no build or test command: nothing ran, so nothing passed. */
  readonly ran?: boolean;
  readonly passed: boolean;
  /** Names of the packages the test run loaded: tests that never load a package prove nothing about it. */
  readonly exercised: readonly string[];
}

/** The proof of fix (filled in by `fix`): the re-resolved tree checked on every path. */
export interface ProofEvidence {
  /** True when no finding the patch claims to fix is left anywhere in the re-resolved tree. */
  readonly proven: boolean;
  /** The findings (`ID name@version`) still present when `proven` is false. */
  readonly stillPresent: readonly string[];
  /** Findings (`ID name@version`) the re-resolved tree has that the tree before did not; any makes `proven` false. */
  readonly introduced?: readonly string[];
}

/** What policy knows about one finding a change fixes (or the finding that cannot be fixed). */
export interface FindingFacts extends FindingRef {
  readonly severity: SeverityLabel;
  readonly scope: Scope | undefined;
  readonly kind: 'vulnerability' | 'malicious' | undefined;
  /** The CVE that CISA's Known Exploited Vulnerabilities catalog lists, when it lists one. */
  readonly kev?: { readonly cve: string; readonly dateAdded: string };
  /** FIRST's EPSS probability (0 to 1) for the finding's CVE, when a snapshot is imported. */
  readonly epss?: { readonly cve: string; readonly score: number };
  /**
   * True when no other candidate the planner found (chosen or alternative) fixes this finding
   * without introducing one: waiting for another fix is not an option.
   */
  readonly onlyFix: boolean;
}

/**
 * Everything policy looks at for one subject. For a patch: the planner's risk facts, the packages
 * it changes and where they are installed, the findings it fixes, and the evidence `fix` adds
 * later (tests, proof). For a finding nothing fixes: the finding alone (`risk` absent).
 */
export interface PackageMove {
  readonly name: string;
  readonly step: SemverStep;
  readonly downgrade: boolean;
  readonly scopes: readonly Scope[];
  readonly override: boolean;
}

export interface Evidence {
  /** The planner's risk facts; absent for a finding that cannot be fixed. */
  readonly risk?: RiskFacts;
  /** The strategy that made the patch (`in-place`, `relax`, later `override`, …). */
  readonly strategy?: string;
  /** True when the change needs an `overrides` / `resolutions` entry. */
  readonly override: boolean;
  /** Names of the packages the change moves (lock and manifest changes), sorted; the finding's package for an unfixable one. */
  readonly packages: readonly string[];
  /** Where those packages are installed (their scopes before the change), sorted. */
  readonly scopes: readonly Scope[];
  /**
   * Each moved package on its own: its largest step, whether it goes down, its scopes, whether an
   * override entry sets it. A cap that names packages judges its facts and scopes by these.
   */
  readonly moves?: readonly PackageMove[];
  readonly findings: readonly FindingFacts[];
  /** Absent until `fix` has run the project's tests on the change. */
  readonly tests?: TestEvidence;
  /** Absent until `fix` has re-resolved the tree and looked for the findings. */
  readonly proof?: ProofEvidence;
}

/**
 * - `cap`: the rule limits the level to `level`; the lowest cap wins.
 * - `allow`: the rule looked and found the change good enough for `level`; it never raises a cap.
 * - `info`: the rule has something to say that changes nothing.
 */
export type ReasonEffect = 'cap' | 'allow' | 'info';

export interface Reason {
  /** The rule's id (src/policy/rules/<id>.ts). */
  readonly rule: string;
  /** One sentence: what the rule saw. */
  readonly evidence: string;
  readonly effect: ReasonEffect;
  /** For `cap`: the highest level allowed; for `allow`: the level the rule would allow. */
  readonly level?: Level;
}

export interface Verdict {
  readonly level: Level;
  /** Every reason every rule gave, in rule order: each cap is named, binding or not. */
  readonly reasons: readonly Reason[];
  /** The rules whose cap is the verdict's level (the ones that decided it), in rule order. */
  readonly cappedBy: readonly string[];
}

export const isLevel = (n: number): n is Level => Number.isInteger(n) && n >= 1 && n <= 5;
