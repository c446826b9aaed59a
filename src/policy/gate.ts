import { isExcepted, namesFinding } from '../assess/exceptions.js';
import type { ConfigException, GateConfig } from '../config/normalize.js';
import { isoTimeMs } from '../core/date.js';
import type { Finding, FindingException } from '../core/finding.js';
import { compareVersions } from '../core/version.js';

/**
 * The CI gate: findings × the project's gate settings × fix release dates × today → checks. Pure.
 *
 * Rules, each a check per finding it applies to:
 * - `malicious`: a malicious package, in any scope, fails at once;
 * - `kev`: a finding whose CVE is in CISA's KEV catalog, in any scope, fails at once;
 * - `sla-<severity>`: a finding of that severity (unknown counts as low), in one of the gate's scopes, fails when a fix has
 *   been available for more than the SLA's days. "Available since" is the later of the advisory's
 *   publish date (the earliest of its records) and the release date of the lowest fixed version
 *   above the installed one. When that release date cannot be had, the advisory's date alone
 *   counts and the evidence says so; when neither is known the check fails (a gate fails closed).
 *   A finding with no fixed version passes: its SLA starts when a fix is published.
 *
 * A finding a `not_affected` VEX statement suppresses, or an exception excepts, is checked all the
 * same but its checks are `suppressed` / `excepted`, never `failed`. An expired exception excepts
 * nothing; the gate lists it.
 */

export type GateRule = 'malicious' | 'kev' | 'sla-critical' | 'sla-high' | 'sla-moderate' | 'sla-low';

export const gateRules: readonly GateRule[] = [
  'malicious',
  'kev',
  'sla-critical',
  'sla-high',
  'sla-moderate',
  'sla-low',
];

export const gateRuleText: Readonly<Record<GateRule, string>> = {
  malicious: 'no malicious package is installed',
  kev: "no installed package has a vulnerability in CISA's Known Exploited Vulnerabilities catalog",
  'sla-critical': 'critical findings are fixed within the SLA once a fix is available',
  'sla-high': 'high findings are fixed within the SLA once a fix is available',
  'sla-moderate': 'moderate findings are fixed within the SLA once a fix is available',
  'sla-low': 'low findings are fixed within the SLA once a fix is available',
};

export type GateCheckStatus = 'failed' | 'passed' | 'suppressed' | 'excepted';

export interface GateCheck {
  readonly rule: GateRule;
  readonly status: GateCheckStatus;
  readonly finding: Finding;
  /** One or two sentences: why the check has its status, with the dates it used. */
  readonly evidence: string;
  /** `YYYY-MM-DD`: when the fix became available (SLA rules), the package was flagged (malicious), or CISA listed it (kev). */
  readonly since?: string;
  /** SLA rules: the last day the finding may stay unfixed. */
  readonly due?: string;
  /** SLA rules: whole days past `due` (failed) … */
  readonly daysOverdue?: number;
  /** … or left until it (passed). */
  readonly daysLeft?: number;
  /** SLA rules: the fixed version the clock runs from, and its release date when known. */
  readonly fix?: { readonly version: string; readonly released?: string; readonly note?: string };
}

/** A release date as looked up: the date, or why there is none. */
export type ReleaseDate = { readonly released: string } | { readonly unknown: string };

/** A fixed version whose release date an SLA decision needs. */
export interface ReleaseQuery {
  readonly name: string;
  readonly version: string;
}

export const releaseKey = (name: string, version: string): string => `${name}@${version}`;

export interface ExpiredException {
  readonly finding: Finding;
  readonly exception: FindingException;
}

export interface GateEvaluation {
  readonly passed: boolean;
  /** Failed first, then by rule and the findings' order (highest priority first). */
  readonly checks: readonly GateCheck[];
  readonly expired: readonly ExpiredException[];
  /** Exceptions of the configuration that name no finding of the project. */
  readonly unused: readonly ConfigException[];
}

/** `YYYY-MM-DD` (UTC) of an ISO 8601 time; undefined when it does not parse. */
export const dayOf = (iso: string | undefined): string | undefined => {
  if (iso === undefined) return undefined;
  // A time without an offset is UTC, as OSV means it, not the machine's local time.
  const ms = isoTimeMs(iso);
  return ms === undefined ? undefined : new Date(ms).toISOString().slice(0, 10);
};

const dayMs = 86_400_000;
const msOf = (day: string): number => Date.parse(`${day}T00:00:00Z`);
export const addDays = (day: string, days: number): string =>
  new Date(msOf(day) + days * dayMs).toISOString().slice(0, 10);
/** Whole days from `a` to `b` (negative when `b` is earlier). */
export const daysBetween = (a: string, b: string): number => Math.round((msOf(b) - msOf(a)) / dayMs);

/**
 * The severity a finding's SLA goes by: its own, and low for one of unknown severity (as its
 * priority ranks it, and as `scan --fail-on` counts it), so that no gate lets it through unseen.
 */
const slaSeverity = (finding: Finding): Exclude<Finding['severity'], 'unknown'> =>
  finding.severity === 'unknown' ? 'low' : finding.severity;

const slaRule = (finding: Finding): GateRule => `sla-${slaSeverity(finding)}` as GateRule;

const slaDays = (gate: GateConfig, finding: Finding): number | undefined => gate.sla[slaSeverity(finding)];

/** Whether the SLA applies to the finding at all: its severity has one and its scope is gated. */
const slaApplies = (gate: GateConfig, finding: Finding): boolean =>
  finding.kind !== 'malicious' && slaDays(gate, finding) !== undefined && gate.scopes.includes(finding.scope);

/** The lowest fixed version above the installed one. */
export const lowestFix = (finding: Finding): string | undefined =>
  finding.fixedIn.find((v) => compareVersions(v, finding.package.version) > 0);

const held = (finding: Finding): 'suppressed' | 'excepted' | undefined =>
  finding.vex?.suppressed ? 'suppressed' : isExcepted(finding) ? 'excepted' : undefined;

/**
 * The fixed versions whose release dates decide an SLA check: only where the advisory's own date
 * does not already put the finding within its SLA (the fix cannot be older than its advisory).
 */
export const releaseQueries = (
  findings: readonly Finding[],
  gate: GateConfig,
  today: string,
): ReleaseQuery[] => {
  const wanted = new Map<string, ReleaseQuery>();
  for (const finding of findings) {
    // Findings VEX or an exception hold back are asked for too: their checks show the same dates,
    // and an exception that expires must not change them.
    if (!slaApplies(gate, finding)) continue;
    const fix = lowestFix(finding);
    if (fix === undefined) continue;
    const published = dayOf(finding.published);
    if (published !== undefined && addDays(published, slaDays(gate, finding) as number) >= today) continue;
    wanted.set(releaseKey(finding.package.name, fix), { name: finding.package.name, version: fix });
  }
  return [...wanted.values()];
};

export const evaluateGate = (
  findings: readonly Finding[],
  gate: GateConfig,
  options: {
    readonly today: string;
    readonly releases: ReadonlyMap<string, ReleaseDate>;
    readonly exceptions?: readonly ConfigException[];
  },
): GateEvaluation => {
  const checks: GateCheck[] = [];
  for (const finding of findings) {
    if (gate.malicious && finding.kind === 'malicious') checks.push(maliciousCheck(finding));
    if (gate.kev && finding.kev) checks.push(kevCheck(finding));
    if (slaApplies(gate, finding)) checks.push(slaCheck(finding, gate, options.today, options.releases));
  }
  const order = (c: GateCheck): number => (c.status === 'failed' ? 0 : 1);
  checks.sort((a, b) => order(a) - order(b) || gateRules.indexOf(a.rule) - gateRules.indexOf(b.rule));
  return {
    passed: !checks.some((c) => c.status === 'failed'),
    checks,
    expired: findings.flatMap((finding) =>
      finding.exception?.expired ? [{ finding, exception: finding.exception }] : [],
    ),
    unused: (options.exceptions ?? []).filter((e) => !findings.some((f) => namesFinding(e, f))),
  };
};

const pkg = (f: Finding): string => `${f.package.name}@${f.package.version}`;

/** Why a held check does not fail: the VEX statement or the exception, in a few words. */
const heldText = (finding: Finding, status: 'suppressed' | 'excepted'): string => {
  if (status === 'suppressed') {
    const vex = finding.vex;
    return `suppressed by VEX (not_affected${vex?.justification ? `: ${vex.justification}` : ''}${vex?.author ? `, by ${vex.author}` : ''})`;
  }
  const e = finding.exception as FindingException;
  return `excepted until ${e.expires} by ${e.author}: ${e.reason}`;
};

const expiredNote = (finding: Finding): string =>
  finding.exception?.expired
    ? ` Its exception (${finding.exception.author}: ${finding.exception.reason}) held until ${finding.exception.expires}.`
    : '';

const withHeld = (
  finding: Finding,
  rule: GateRule,
  failing: Omit<GateCheck, 'rule' | 'status' | 'finding'>,
): GateCheck => {
  const status = held(finding);
  if (status === undefined) {
    return {
      rule,
      status: 'failed',
      finding,
      ...failing,
      evidence: `${failing.evidence}${expiredNote(finding)}`,
    };
  }
  return {
    rule,
    status,
    finding,
    ...failing,
    evidence: `${failing.evidence} Not failing: ${heldText(finding, status)}.`,
  };
};

const maliciousCheck = (finding: Finding): GateCheck => {
  const since = dayOf(finding.published);
  return withHeld(finding, 'malicious', {
    evidence:
      `${pkg(finding)} is a malicious package (${finding.id}${since ? `, reported ${since}` : ''}).` +
      `${finding.remedy ? ` ${finding.remedy.text}.` : ''}`,
    ...(since ? { since } : {}),
  });
};

const kevCheck = (finding: Finding): GateCheck => {
  const kev = finding.kev as NonNullable<Finding['kev']>;
  const fix = lowestFix(finding);
  return withHeld(finding, 'kev', {
    evidence:
      `${finding.id} (${kev.cve}) in ${pkg(finding)} is known to be exploited: CISA's KEV catalog lists it ` +
      `since ${kev.dateAdded}${kev.ransomware === 'Known' ? ', used in ransomware campaigns' : ''}. ` +
      `${fix ? `Fixed in ${fix}.` : 'No fixed version is known.'}`,
    since: kev.dateAdded,
  });
};

const slaCheck = (
  finding: Finding,
  gate: GateConfig,
  today: string,
  releases: ReadonlyMap<string, ReleaseDate>,
): GateCheck => {
  const rule = slaRule(finding);
  const days = slaDays(gate, finding) as number;
  const fix = lowestFix(finding);
  if (fix === undefined) {
    const status = held(finding);
    const evidence = `${finding.id} in ${pkg(finding)} has no fixed version yet; the ${days}-day SLA starts when one is published.`;
    return status === undefined
      ? { rule, status: 'passed', finding, evidence }
      : { rule, status, finding, evidence: `${evidence} ${capitalise(heldText(finding, status))}.` };
  }
  const published = dayOf(finding.published);
  const release = releases.get(releaseKey(finding.package.name, fix));
  const released = release && 'released' in release ? dayOf(release.released) : undefined;
  const note = release && 'unknown' in release ? release.unknown : undefined;
  let since: string | undefined;
  let basis: string;
  if (published !== undefined && released !== undefined) {
    // ISO dates order as text.
    since = [published, released].sort()[1] as string;
    basis = `advisory published ${published}, ${fix} released ${released}`;
  } else if (published !== undefined) {
    since = published;
    basis =
      release === undefined
        ? `advisory published ${published}`
        : `advisory published ${published}; release date of ${fix} unknown: ${note}`;
  } else if (released !== undefined) {
    since = released;
    basis = `${fix} released ${released}; the advisory states no publish date`;
  } else {
    basis = `neither the advisory's publish date nor the release date of ${fix} is known${note ? `: ${note}` : ''}`;
  }
  const fixFact = {
    version: fix,
    ...(released !== undefined ? { released } : {}),
    ...(note !== undefined ? { note } : {}),
  };
  const head = `${finding.severity === 'unknown' ? 'unknown-severity (counted as low)' : finding.severity} ${finding.id} in ${pkg(finding)} (${finding.scope}): fixed in ${fix}`;
  if (since === undefined) {
    return withHeld(finding, rule, {
      evidence: `${head}, available since an unknown date (${basis}); the gate fails closed.`,
      fix: fixFact,
    });
  }
  const due = addDays(since, days);
  const left = daysBetween(today, due);
  if (left >= 0) {
    const status = held(finding) ?? 'passed';
    const evidence =
      `${head}, available since ${since} (${basis}); within the ${days}-day SLA, due ${due}, ` +
      `${left} ${left === 1 ? 'day' : 'days'} left.`;
    return {
      rule,
      status,
      finding,
      evidence: status === 'passed' ? evidence : `${evidence} ${capitalise(heldText(finding, status))}.`,
      since,
      due,
      daysLeft: left,
      fix: fixFact,
    };
  }
  return withHeld(finding, rule, {
    evidence:
      `${head}, available since ${since} (${basis}); the ${days}-day SLA ran out on ${due}, ` +
      `${-left} ${left === -1 ? 'day' : 'days'} overdue.`,
    since,
    due,
    daysOverdue: -left,
    fix: fixFact,
  });
};

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
