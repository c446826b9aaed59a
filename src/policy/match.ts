import { z } from 'zod';
import { configScopes, configSeverities, type RiskFact, riskFacts } from '../config/schema.js';
import type { PackageChange, Patch } from '../core/plan.js';
import type { Evidence, Level, PackageMove } from '../core/verdict.js';
import { levelText } from '../core/verdict.js';

/** What the rules share: level options, package patterns, the facts a cap can name, change texts. */

export const levelOption = (fallback: Level) =>
  z
    .int()
    .min(1)
    .max(5)
    .default(fallback)
    .transform((n) => n as Level);

/**
 * Level 4 (assist) is for code-level fixes a human reviews; a dependency change is never assisted.
 * A limit of 4 on a dependency change therefore means "merge at most" (3): it rules out deploy (5)
 * and nothing below.
 */
export const changeLevel = (level: Level): Level => (level >= 4 ? 3 : level);

/** A cap of 4 is 3 for a dependency change; one of 5 is above any ceiling and binds nothing. */
const capLevel = (level: Level): Level => (level === 4 ? 3 : level);

/** Why a ceiling of 4 or 5 means 3 for a dependency change. */
export const aboveMergeNote = (level: Level): string =>
  level === 4
    ? ' (level 4, assist, is for code-level fixes: a dependency change goes at most to 3, merge)'
    : ' (level 5, deploy, needs a deploy stage PatchPilot does not have yet: a dependency change goes at most to 3, merge)';

/**
 * Whether a package name matches a cap's pattern, where `*` stands for any run of characters
 * (`@types/*`, `react*`, `*`); case-insensitive. Matched without regular expressions, in time
 * proportional to the product of the lengths at worst.
 */
export const matchesPattern = (pattern: string, name: string): boolean => {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  let pi = 0;
  let ni = 0;
  let star = -1;
  let resume = 0;
  while (ni < n.length) {
    if (pi < p.length && p[pi] !== '*' && p[pi] === n[ni]) {
      pi++;
      ni++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      resume = ni;
    } else if (star !== -1) {
      pi = star + 1;
      ni = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
};

/**
 * The risk facts (config/schema.ts `riskFacts`) a patch's evidence has. What is unknown counts as
 * present, so a cap fails closed: a release age the registry did not state is `young-release`,
 * install scripts it did not state are `adds-install-script`, and a change without test evidence
 * (every change at plan time) is `untested`.
 */
export const factsOf = (evidence: Evidence, minReleaseAgeDays: number): ReadonlySet<RiskFact> => {
  const facts = new Set<RiskFact>();
  const risk = evidence.risk;
  if (!risk) return facts;
  if (risk.inRange) facts.add('in-range');
  if (risk.step !== 'none') facts.add(risk.step);
  if (risk.downgrade) facts.add('downgrade');
  if (evidence.override) facts.add('override');
  if (risk.addsInstallScript !== false) facts.add('adds-install-script');
  if (minReleaseAgeDays > 0 && (risk.ageDays === undefined || risk.ageDays < minReleaseAgeDays)) {
    facts.add('young-release');
  }
  if (risk.deprecated !== undefined) facts.add('deprecated');
  if (risk.stillAffectedBy.length > 0) facts.add('still-affected');
  if (untestedPackages(evidence) !== undefined) facts.add('untested');
  return facts;
};

/**
 * Why the tests do not vouch for the change: `[]` when there is no test evidence or the tests
 * failed, the changed packages they never loaded otherwise; undefined when they passed and loaded
 * every changed package.
 */
export const untestedPackages = (evidence: Evidence): readonly string[] | undefined => {
  const tests = evidence.tests;
  if (!tests?.passed) return [];
  const loaded = new Set(tests.exercised);
  const missing = evidence.packages.filter((name) => !loaded.has(name));
  return missing.length === 0 ? undefined : missing;
};

/** One configured cap as the cap rules take it: `index` is its place in `policy.caps`. */
export const capOption = z.strictObject({
  index: z.int().min(0),
  packages: z.array(z.string().min(1)).optional(),
  scopes: z.array(z.enum(configScopes)).optional(),
  severities: z.array(z.enum(configSeverities)).optional(),
  facts: z.array(z.enum(riskFacts)).optional(),
  maxLevel: levelOption(3),
  reason: z.string().optional(),
});

export type CapOption = z.output<typeof capOption>;

export const capRuleOptions = z.strictObject({
  caps: z.array(capOption).default([]),
  /** For the `young-release` fact. */
  minReleaseAgeDays: z.int().min(0).default(3),
});

/** What a matching cap matched on, one phrase per condition; undefined when it does not match. */
export const capMatch = (
  cap: CapOption,
  evidence: Evidence,
  minReleaseAgeDays: number,
): string[] | undefined => {
  const phrases: string[] = [];
  // A cap that names packages judges scopes and per-package facts by those packages' own moves
  // (a major of another package in the same patch is not theirs).
  let named: readonly string[] | undefined;
  if (cap.packages) {
    const hits = evidence.packages.filter((name) => cap.packages?.some((p) => matchesPattern(p, name)));
    if (hits.length === 0) return undefined;
    phrases.push(`package ${hits.join(', ')} matches ${cap.packages.join(', ')}`);
    named = hits;
  }
  const moves = named === undefined ? undefined : evidence.moves?.filter((m) => named?.includes(m.name));
  if (cap.scopes) {
    const scopes = moves === undefined ? evidence.scopes : [...new Set(moves.flatMap((m) => m.scopes))];
    const hits = scopes.filter((s) => cap.scopes?.includes(s));
    if (hits.length === 0) return undefined;
    phrases.push(
      `${moves === undefined ? '' : `${named?.join(', ')} `}installed in scope ${hits.join(', ')}`,
    );
  }
  if (cap.severities) {
    const hits = [...new Set(evidence.findings.map((f) => f.severity))].filter((s) =>
      cap.severities?.includes(s),
    );
    if (hits.length === 0) return undefined;
    phrases.push(`fixes a ${hits.join(', ')} finding`);
  }
  if (cap.facts) {
    const facts =
      moves === undefined
        ? factsOf(evidence, minReleaseAgeDays)
        : factsOfMoves(evidence, minReleaseAgeDays, moves);
    const hits = cap.facts.filter((f) => facts.has(f));
    if (hits.length === 0) return undefined;
    phrases.push(`${moves === undefined ? '' : `${named?.join(', ')} `}has ${hits.join(', ')}`);
  }
  return phrases;
};

/**
 * The facts of some of a patch's packages: their own steps, downgrades, override entries and test
 * evidence; the facts of the patch as a whole (in-range, release age, install scripts,
 * deprecation, what still affects it) as they are.
 */
const factsOfMoves = (
  evidence: Evidence,
  minReleaseAgeDays: number,
  moves: readonly PackageMove[],
): ReadonlySet<RiskFact> => {
  const facts = new Set(factsOf(evidence, minReleaseAgeDays));
  for (const own of ['major', 'minor', 'patch', 'downgrade', 'override'] as const) facts.delete(own);
  for (const m of moves) {
    if (m.step !== 'none') facts.add(m.step);
    if (m.downgrade) facts.add('downgrade');
    if (m.override) facts.add('override');
  }
  const untested = untestedPackages(evidence);
  if (untested !== undefined && untested.length > 0 && !moves.some((m) => untested.includes(m.name)))
    facts.delete('untested');
  return facts;
};

/** The cap rules' shared check: one `cap` reason per configured cap that matches. */
export const checkCaps = (evidence: Evidence, options: z.output<typeof capRuleOptions>) =>
  options.caps.flatMap((cap) => {
    const phrases = capMatch(cap, evidence, options.minReleaseAgeDays);
    if (phrases === undefined) return [];
    const level = capLevel(cap.maxLevel);
    const why = cap.reason === undefined ? '' : `: ${cap.reason}`;
    const note = level === cap.maxLevel ? '' : aboveMergeNote(cap.maxLevel);
    return [
      {
        effect: 'cap' as const,
        level,
        evidence: `policy.caps[${cap.index}] limits it to ${levelText(cap.maxLevel)}${note}: the change ${phrases.join('; ')}${why}`,
      },
    ];
  });

/** `lodash 4.17.20 → 4.17.21`, `dep ^1.0.0 → ^2.0.0 (2.0.1)`. */
export const changeText = (change: PackageChange): string => {
  switch (change.kind) {
    case 'lock':
      return `${change.name} ${change.from} → ${change.to}`;
    case 'manifest': {
      const where = change.importer === '' ? '' : ` in ${change.importer}`;
      return `${change.dependency} ${change.fromRange} → ${change.toRange}${where} (installs ${change.to})`;
    }
    case 'add':
      return `+${change.name}@${change.to}`;
    case 'override':
      return change.action === 'remove'
        ? `overrides: remove "${change.key}"`
        : `overrides: "${change.key}": "${change.to ?? ''}"`;
    default:
      return `-${change.name}@${change.from}`;
  }
};

/** The lock and manifest changes of a patch that match `keep`, as text. */
export const changesWhere = (
  patch: Patch,
  keep: (change: Extract<PackageChange, { kind: 'lock' | 'manifest' }>) => boolean,
): string => {
  const texts: string[] = [];
  for (const change of patch.changes) {
    if ((change.kind === 'lock' || change.kind === 'manifest') && keep(change))
      texts.push(changeText(change));
  }
  return texts.join(', ');
};
