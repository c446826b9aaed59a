import { type SeverityLabel, severityRank } from '../core/advisory.js';
import type { Finding, FindingPriority, PriorityLabel } from '../core/finding.js';
import type { Scope } from '../core/inventory.js';
import { compareVersions } from '../core/version.js';

/**
 * One number per finding, 0–100 with one decimal, that `scan` sorts by and `--min-priority`
 * filters by. Pure.
 *
 * - Malicious (a `MAL-*` record or a GitHub malware advisory): always 100.
 * - Otherwise `raw = (base + kev + epss) × scope + direct`, where
 *   - base: the severity label (critical 70, high 55, moderate 40, low 25, unknown 30) or
 *     CVSS score × 7, whichever is higher;
 *   - kev: +20 when CISA's KEV catalog lists one of the finding's CVE ids;
 *   - epss: +15 × EPSS score, and +5 more when the EPSS percentile is 0.95 or above;
 *   - scope: × 1.0 for prod and peer, × 0.85 for optional and devOptional, × 0.6 for dev;
 *   - direct: +5 when the project depends on the package directly.
 * - Bands keep the order of kinds: KEV findings are clamped to 80–99.9, every other vulnerability
 *   to 0–79.9, so malicious > known exploited > the rest.
 * - Label: 80 and above critical, 60 high, 40 medium, below 40 low.
 */
export const priorityOf = (finding: Finding): FindingPriority => {
  if (isMalicious(finding)) {
    return { score: 100, label: 'critical', reasons: ['malicious package'] };
  }
  const reasons: string[] = [];
  const severityBase = severityBases[finding.severity];
  const cvssBase = finding.cvssScore === undefined ? 0 : finding.cvssScore * 7;
  let raw = Math.max(severityBase, cvssBase);
  reasons.push(
    cvssBase > severityBase
      ? `CVSS ${(finding.cvssScore as number).toFixed(1)}`
      : `severity ${finding.severity}`,
  );
  if (finding.kev) {
    raw += 20;
    reasons.push(`known exploited (KEV ${finding.kev.cve})`);
  }
  if (finding.epss) {
    raw += 15 * finding.epss.score;
    if (finding.epss.percentile >= 0.95) raw += 5;
    reasons.push(
      `EPSS ${(finding.epss.score * 100).toFixed(2)}% (percentile ${(finding.epss.percentile * 100).toFixed(1)})`,
    );
  }
  raw *= scopeFactors[finding.scope];
  reasons.push(`${finding.scope} scope`);
  if (finding.direct) {
    raw += 5;
    reasons.push('direct dependency');
  }
  const score = finding.kev ? clamp(raw, 80, 99.9) : clamp(raw, 0, 79.9);
  return { score, label: priorityLabelOf(score), reasons };
};

export const priorityLabelOf = (score: number): PriorityLabel =>
  score >= 80 ? 'critical' : score >= 60 ? 'high' : score >= 40 ? 'medium' : 'low';

/** The lowest score of each label: what `--min-priority LEVEL` compares against. */
export const priorityThresholds: Readonly<Record<PriorityLabel, number>> = {
  critical: 80,
  high: 60,
  medium: 40,
  low: 0,
};

const severityBases: Readonly<Record<SeverityLabel, number>> = {
  critical: 70,
  high: 55,
  moderate: 40,
  low: 25,
  unknown: 30,
};

const scopeFactors: Readonly<Record<Scope, number>> = {
  prod: 1,
  peer: 1,
  optional: 0.85,
  devOptional: 0.85,
  dev: 0.6,
};

const isMalicious = (finding: Finding): boolean =>
  finding.kind === 'malicious' ||
  [finding.id, ...finding.aliases, ...finding.advisories].some((id) => id.startsWith('MAL-'));

const clamp = (value: number, low: number, high: number): number =>
  Math.round(Math.min(high, Math.max(low, value)) * 10) / 10;

/** Findings × priority → findings carrying `priority`, highest first (ties: severity, CVSS score, id, package). Pure. */
export const prioritize = (findings: readonly Finding[]): Finding[] =>
  findings.map((finding) => ({ ...finding, priority: priorityOf(finding) })).sort(compareByPriority);

export const compareByPriority = (a: Finding, b: Finding): number =>
  (b.priority?.score ?? 0) - (a.priority?.score ?? 0) ||
  severityRank[b.severity] - severityRank[a.severity] ||
  (b.cvssScore ?? 0) - (a.cvssScore ?? 0) ||
  compareText(a.id, b.id) ||
  compareText(a.package.name, b.package.name) ||
  compareVersions(a.package.version, b.package.version);

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
