import type { AdvisoryKind, SeverityLabel } from './advisory.js';
import type { Scope } from './inventory.js';
import type { VexStatus } from './vex.js';

/** An advisory (or several aliases of one vulnerability) that affects one installed package version. */
export interface Finding {
  /** The preferred id of the vulnerability (GHSA, then MAL, then others). */
  readonly id: string;
  /** Every other id the vulnerability is known by, including the ids of grouped records. */
  readonly aliases: readonly string[];
  /** The OSV records grouped into this finding. */
  readonly advisories: readonly string[];
  readonly kind: AdvisoryKind;
  readonly severity: SeverityLabel;
  /** Highest CVSS base score computed from the records' vectors. */
  readonly cvssScore: number | undefined;
  readonly cvssVector: string | undefined;
  readonly summary: string | undefined;
  readonly package: { readonly name: string; readonly version: string; readonly purl: string | undefined };
  /** Fixed versions of the ranges that contain the installed version, lowest first. */
  readonly fixedIn: readonly string[];
  /** Dependency paths from an importer to the package, shortest first, each `name@version` step. */
  readonly paths: readonly (readonly string[])[];
  /** How many paths exist; `pathsComplete` false when counting stopped at the enumeration cap. */
  readonly pathCount: number;
  readonly pathsComplete: boolean;
  readonly scope: Scope;
  readonly direct: boolean;
  /** Importers (root or workspaces) whose dependencies lead to the package. */
  readonly workspaces: readonly string[];
  /** Inventory ids of the installed copies the finding covers. */
  readonly locations: readonly string[];
  /** FIRST's EPSS for the finding's CVE ids (the highest score), when an EPSS snapshot is imported. */
  readonly epss?: FindingEpss;
  /** The CISA KEV entry of one of the finding's CVE ids, when a KEV catalog is imported and lists it. */
  readonly kev?: FindingKev;
  /** How urgent the finding is (see `priorityOf` in src/assess/priority.ts); set by the scan pipeline. */
  readonly priority?: FindingPriority;
  /** Malicious packages only: what can be done, since such records rarely name a fixed version. */
  readonly remedy?: FindingRemedy;
  /** The VEX statement that speaks about this finding (the latest one), when a VEX document names it. */
  readonly vex?: FindingVex;
  /** The earliest `published` date of the finding's records (ISO 8601), when they state one. */
  readonly published?: string;
  /** The project configuration's exception naming this finding, when there is one (src/assess/exceptions.ts). */
  readonly exception?: FindingException;
}

/**
 * An accepted risk from the project's configuration (`exceptions:`) as applied to a finding. Only
 * an exception that has not `expired` excepts the finding: it stays in every report but never
 * fails the gate or `--fail-on`; an expired one is shown so that the gate can say so.
 */
export interface FindingException {
  /** The exception's id as written (the finding's id or one of its aliases). */
  readonly id: string;
  /** The package it is limited to, as written (name, name@version or purl); absent: every package. */
  readonly package?: string;
  readonly reason: string;
  /** `YYYY-MM-DD`: the last day (UTC) it holds. */
  readonly expires: string;
  readonly author: string;
  /** True from the day after `expires`. */
  readonly expired: boolean;
  /** The configuration file it comes from. */
  readonly source: string;
}

/**
 * A VEX statement as applied to a finding. `suppressed` is true for `not_affected` only: the finding
 * stays in every report but no longer counts for `--fail-on` (see src/assess/vex.ts).
 */
export interface FindingVex {
  readonly status: VexStatus;
  /** The statement's vulnerability id (the finding's id or one of its aliases). */
  readonly vulnerability: string;
  readonly justification?: string;
  /** Why it is not affected (OpenVEX `impact_statement`, CycloneDX `analysis.detail`). */
  readonly impact?: string;
  readonly action?: string;
  readonly notes?: string;
  readonly author: string | undefined;
  readonly timestamp: string | undefined;
  /** The document the statement was read from. */
  readonly source: string;
  readonly suppressed: boolean;
}

export interface FindingRemedy {
  /**
   * `remove`: every version is malicious; `upgrade`: `version` is outside the affected set;
   * `replace`: the affected set is bounded, but the records name no version outside it.
   */
  readonly action: 'remove' | 'upgrade' | 'replace';
  readonly version?: string;
  /** The affected set as the records state it: `>=0`, `4.4.2`, `>=2.0.1 <2.0.2`. */
  readonly affected: string;
  /** One sentence for the report. */
  readonly text: string;
}

export type PriorityLabel = 'critical' | 'high' | 'medium' | 'low';

export interface FindingPriority {
  /** 0 to 100, one decimal: malicious 100, known exploited (KEV) 80–99.9, other vulnerabilities 0–79.9. */
  readonly score: number;
  readonly label: PriorityLabel;
  /** What went into the score, in the formula's order. */
  readonly reasons: readonly string[];
}

export interface FindingEpss {
  /** Probability of exploitation in the next 30 days, 0 to 1. */
  readonly score: number;
  readonly percentile: number;
  readonly cve: string;
  /** The snapshot's score date (`YYYY-MM-DD`), when its comment line gives one. */
  readonly date: string | undefined;
}

export interface FindingKev {
  readonly cve: string;
  readonly dateAdded: string;
  readonly dueDate: string;
  /** CISA's `knownRansomwareCampaignUse`: `Known` or `Unknown`. */
  readonly ransomware: string;
}

/** The CVE ids a vulnerability is known by: its id and aliases of the form CVE-YYYY-N. */
export const cveIds = (finding: Pick<Finding, 'id' | 'aliases'>): string[] =>
  [finding.id, ...finding.aliases].filter((id) => /^CVE-\d{4}-\d+$/.test(id));
