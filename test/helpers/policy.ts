import type { LockChange, ManifestChange, Patch, RiskFacts, Unfixable } from '../../src/core/plan.js';
import type { Evidence, FindingFacts } from '../../src/core/verdict.js';
import type { PolicyRule, RuleReason, Subject } from '../../src/policy/rule.js';

/**
 * Builders for policy tests. The defaults describe a change every default rule lets merge: an
 * in-place patch step of `lib` 1.0.0 → 1.0.1 inside the declared range, published 30 days ago, no
 * install scripts, nothing left on the target, tests that passed and loaded `lib`, and a proof.
 */

export const lock = (name: string, from: string, to: string, over: Partial<LockChange> = {}): LockChange => ({
  kind: 'lock',
  name,
  from,
  to,
  locations: [`node_modules/${name}`],
  step: 'patch',
  downgrade: false,
  ...over,
});

export const manifest = (
  dependency: string,
  fromRange: string,
  toRange: string,
  over: Partial<ManifestChange> = {},
): ManifestChange => ({
  kind: 'manifest',
  importer: '',
  dependency,
  name: dependency,
  type: 'prod',
  fromRange,
  toRange,
  from: undefined,
  to: toRange.replace(/^[\^~]/, ''),
  step: 'major',
  downgrade: false,
  ...over,
});

export const risk = (over: Partial<RiskFacts> = {}): RiskFacts => ({
  step: 'patch',
  downgrade: false,
  inRange: true,
  publishedAt: '2025-12-02T00:00:00.000Z',
  ageDays: 30,
  addsInstallScript: false,
  stillAffectedBy: [],
  ...over,
});

export const patch = (over: Partial<Patch> = {}): Patch => ({
  id: 'p-0000000001',
  strategy: 'in-place',
  changes: [lock('lib', '1.0.0', '1.0.1')],
  fixes: [{ id: 'GHSA-aaaa-bbbb-cccc', name: 'lib', version: '1.0.0' }],
  introduces: [],
  risk: risk(),
  score: { weight: 50, fixed: 1, packagesChanged: 1, stepCost: 1 },
  ...over,
});

export const facts = (over: Partial<FindingFacts> = {}): FindingFacts => ({
  id: 'GHSA-aaaa-bbbb-cccc',
  name: 'lib',
  version: '1.0.0',
  severity: 'high',
  scope: 'prod',
  kind: 'vulnerability',
  onlyFix: true,
  ...over,
});

/** Evidence for `p` as `fix` would leave it after a good run; override any part. */
export const evidence = (p: Patch = patch(), over: Partial<Evidence> = {}): Evidence => ({
  risk: p.risk,
  strategy: p.strategy,
  override: false,
  packages: ['lib'],
  scopes: ['prod'],
  findings: [facts()],
  tests: { passed: true, exercised: ['lib'] },
  proof: { proven: true, stillPresent: [] },
  ...over,
});

/** Evidence at plan time: no tests run, nothing proven yet. */
export const planTimeEvidence = (p: Patch = patch(), over: Partial<Evidence> = {}): Evidence => {
  const { tests: _tests, proof: _proof, ...rest } = evidence(p, over);
  return rest;
};

export const unfixable = (over: Partial<Unfixable> = {}): Unfixable => ({
  finding: { id: 'GHSA-aaaa-bbbb-cccc', name: 'lib', version: '1.0.0' },
  reason: 'no-fix-published',
  text: 'no published version of lib above 1.0.0 is free of GHSA-aaaa-bbbb-cccc',
  alternatives: [],
  ...over,
});

export const unfixableEvidence = (u: Unfixable = unfixable()): Evidence => ({
  override: false,
  packages: [u.finding.name],
  scopes: ['prod'],
  findings: [facts({ id: u.finding.id, name: u.finding.name, version: u.finding.version, onlyFix: false })],
});

/** Runs one rule on a patch (with its options parsed from `options`, defaults filled in). */
export const checkPatch = (
  rule: PolicyRule,
  p: Patch,
  ev: Evidence = evidence(p),
  options: unknown = {},
): readonly RuleReason[] => rule.check({ kind: 'patch', patch: p }, ev, rule.options.parse(options));

export const checkSubject = (
  rule: PolicyRule,
  subject: Subject,
  ev: Evidence,
  options: unknown = {},
): readonly RuleReason[] => rule.check(subject, ev, rule.options.parse(options));

/** A reason list in one short form for tables: `cap 2`, `allow`, `info`. */
export const effects = (reasons: readonly RuleReason[]): string[] =>
  reasons.map((r) => (r.level === undefined ? r.effect : `${r.effect} ${r.level}`));
