/** One OSV record, normalised to what PatchPilot decides on. */

export type SeverityLabel = 'critical' | 'high' | 'moderate' | 'low' | 'unknown';

export const severityRank: Record<SeverityLabel, number> = {
  unknown: 0,
  low: 1,
  moderate: 2,
  high: 3,
  critical: 4,
};

export type AdvisoryKind = 'vulnerability' | 'malicious';

export type RangeEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

export interface AffectedRange {
  readonly type: 'SEMVER' | 'ECOSYSTEM';
  readonly events: readonly RangeEvent[];
}

/** One `affected[]` entry of an OSV record, npm only. */
export interface AffectedPackage {
  readonly name: string;
  readonly ranges: readonly AffectedRange[];
  readonly versions: readonly string[];
}

export interface CvssScore {
  /** `CVSS_V2`, `CVSS_V3`, `CVSS_V4` as in the OSV `severity[].type`. */
  readonly type: string;
  readonly vector: string;
  /** The base score computed from the vector; undefined when the vector cannot be scored. */
  readonly score: number | undefined;
}

export interface Advisory {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly modified: string;
  readonly published: string | undefined;
  readonly withdrawn: string | undefined;
  readonly summary: string | undefined;
  readonly kind: AdvisoryKind;
  /** GitHub's `database_specific.severity`, lower-cased (`moderate`, not `medium`). */
  readonly severityLabel: SeverityLabel | undefined;
  readonly cvss: readonly CvssScore[];
  readonly affected: readonly AffectedPackage[];
}

/** The label a finding shows: GitHub's when present, else the CVSS rating of the primary score. */
export const effectiveSeverity = (
  advisory: Pick<Advisory, 'severityLabel' | 'cvss' | 'kind'>,
): SeverityLabel => {
  if (advisory.kind === 'malicious') return 'critical';
  if (advisory.severityLabel && advisory.severityLabel !== 'unknown') return advisory.severityLabel;
  const primary = primaryCvss(advisory.cvss);
  return primary?.score === undefined ? 'unknown' : ratingOf(primary.score);
};

/**
 * The score a finding shows: from the newest CVSS version present (scores of different versions
 * are not comparable), the highest of that version.
 */
export const primaryCvss = (cvss: readonly CvssScore[]): CvssScore | undefined => {
  let best: CvssScore | undefined;
  for (const c of cvss) {
    if (c.score === undefined) continue;
    if (!best || c.type > best.type || (c.type === best.type && c.score > (best.score as number))) best = c;
  }
  return best;
};

/** CVSS v3/v4 qualitative rating; `none` (0.0) maps to low for ranking purposes. */
const ratingOf = (score: number): SeverityLabel =>
  score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'moderate' : 'low';

export const parseSeverityLabel = (text: string): SeverityLabel | undefined => {
  const lower = text.toLowerCase();
  if (lower === 'medium') return 'moderate';
  return lower in severityRank ? (lower as SeverityLabel) : undefined;
};
