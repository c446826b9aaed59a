import { describe, expect, it } from 'vitest';
import {
  evidence,
  facts,
  lock,
  manifest,
  patch,
  planTimeEvidence,
  risk,
  unfixable,
} from '../../test/helpers/policy.js';
import { defaultConfig, type LevelCap } from '../config/normalize.js';
import type { Plan } from '../core/plan.js';
import type { Evidence, Reason } from '../core/verdict.js';
import {
  capOwner,
  combineReasons,
  evaluatePolicy,
  evaluateSubject,
  findingSubjectKey,
  judgePlan,
  type PolicyConfig,
  preparePolicy,
} from './index.js';

const policy = (over: Partial<PolicyConfig> = {}): PolicyConfig => ({ ...defaultConfig.policy, ...over });
const cap = (over: Partial<LevelCap>): LevelCap => ({
  packages: undefined,
  scopes: undefined,
  severities: undefined,
  facts: undefined,
  maxLevel: 2,
  reason: undefined,
  ...over,
});

const good = patch();
const major = patch({
  id: 'p-0000000002',
  strategy: 'relax',
  changes: [manifest('lib', '^1.0.0', '^2.0.0', { from: '1.0.0' })],
  risk: risk({ step: 'major', inRange: false }),
});
const judge = (ev: Evidence, over: Partial<PolicyConfig> = {}, p = good) =>
  evaluateSubject({ kind: 'patch', patch: p }, ev, preparePolicy(policy(over)));

describe('combineReasons', () => {
  const reason = (rule: string, effect: Reason['effect'], level?: 1 | 2 | 3): Reason => ({
    rule,
    effect,
    evidence: rule,
    ...(level === undefined ? {} : { level }),
  });

  it.each<[string, Reason[], number, string[]]>([
    ['no reason: the ceiling', [], 3, []],
    ['an allow never raises, a cap lowers', [reason('a', 'allow'), reason('b', 'cap', 2)], 2, ['b']],
    [
      'the lowest cap wins, whatever the order',
      [reason('a', 'cap', 2), reason('b', 'cap', 1), reason('c', 'cap', 3)],
      1,
      ['b'],
    ],
    [
      'every cap at the verdict level decides',
      [reason('a', 'cap', 2), reason('b', 'cap', 2), reason('a', 'cap', 2)],
      2,
      ['a', 'b'],
    ],
    ['info changes nothing', [reason('a', 'info'), reason('b', 'cap', 3)], 3, ['b']],
  ])('%s', (_name, reasons, level, cappedBy) => {
    const verdict = combineReasons(3, reasons);
    expect(verdict.level).toBe(level);
    expect(verdict.cappedBy).toEqual(cappedBy);
    expect(verdict.reasons).toEqual(reasons);
  });
});

describe('evaluateSubject: the default policy', () => {
  it('merges (3) an in-range patch step with passing tests that loaded it and a proof', () => {
    const verdict = judge(evidence(good));
    expect(verdict.level).toBe(3);
    expect(verdict.cappedBy).toEqual(['max-level']);
    expect(verdict.reasons.map((r) => `${r.rule} ${r.effect}`)).toEqual([
      'max-level cap',
      'semver-step allow',
      'tests-evidence allow',
      'proof-of-fix allow',
    ]);
  });

  it('proposes (2) at plan time: no test evidence, no proof yet, both named', () => {
    const verdict = judge(planTimeEvidence(good));
    expect(verdict.level).toBe(2);
    expect(verdict.cappedBy).toEqual(['tests-evidence', 'proof-of-fix']);
  });

  it('names every cap, binding or not: a young, deprecated major', () => {
    const p = patch({
      ...major,
      risk: risk({ step: 'major', inRange: false, ageDays: 1, deprecated: 'lib@2.0.0: old' }),
    });
    const verdict = judge(
      evidence(p),
      { caps: [cap({ packages: ['lib'], maxLevel: 1, reason: 'frozen' })] },
      p,
    );
    expect(verdict.level).toBe(1);
    expect(verdict.cappedBy).toEqual(['package-cap']);
    expect(verdict.reasons.filter((r) => r.effect === 'cap').map((r) => [r.rule, r.level])).toEqual([
      ['max-level', 3],
      ['semver-step', 2],
      ['release-age', 2],
      ['deprecated', 2],
      ['package-cap', 1],
    ]);
  });

  it('lets a young release merge when it is the only fix for a KEV-listed finding, and says so', () => {
    const p = patch({ risk: risk({ ageDays: 0, publishedAt: '2026-01-01T00:00:00.000Z' }) });
    const ev = evidence(p, { findings: [facts({ kev: { cve: 'CVE-2025-1', dateAdded: '2025-12-31' } })] });
    const verdict = judge(ev, {}, p);
    expect(verdict.level).toBe(3);
    expect(verdict.reasons.find((r) => r.rule === 'release-age')).toMatchObject({
      effect: 'allow',
      evidence: expect.stringContaining(
        'only fix for GHSA-aaaa-bbbb-cccc on lib@1.0.0, KEV-listed (CVE-2025-1',
      ),
    });
  });

  it.each<[string, Partial<PolicyConfig>, number, string[]]>([
    ['maxLevel 1: report only', { maxLevel: 1 }, 1, ['max-level']],
    ['maxLevel 2: a regulated project', { maxLevel: 2 }, 2, ['max-level']],
    ['maxLevel 4: assist is for code fixes, a dependency change merges', { maxLevel: 4 }, 3, ['max-level']],
    ['maxLevel 5: deploy has no stage yet, a dependency change merges', { maxLevel: 5 }, 3, ['max-level']],
    ['a fact cap on patch steps', { caps: [cap({ facts: ['patch'], maxLevel: 2 })] }, 2, ['fact-cap']],
    [
      'a cap equal to the ceiling is named beside it',
      { caps: [cap({ scopes: ['prod'], maxLevel: 3 })] },
      3,
      ['max-level', 'scope-cap'],
    ],
    [
      'a cap above the ceiling binds nothing',
      { caps: [cap({ severities: ['high'], maxLevel: 5 })] },
      3,
      ['max-level'],
    ],
  ])('%s', (_name, over, level, cappedBy) => {
    const verdict = judge(evidence(good), over);
    expect(verdict.level).toBe(level);
    expect(verdict.cappedBy).toEqual(cappedBy);
  });

  it('maps each configured cap onto one rule: the first of packages, scopes, severities, facts', () => {
    expect(capOwner(cap({ packages: ['a'], scopes: ['dev'], facts: ['major'] }))).toBe('package-cap');
    expect(capOwner(cap({ scopes: ['dev'], severities: ['low'] }))).toBe('scope-cap');
    expect(capOwner(cap({ severities: ['low'], facts: ['major'] }))).toBe('severity-cap');
    expect(capOwner(cap({ facts: ['major'] }))).toBe('fact-cap');
    const caps = [cap({ packages: ['lib'], maxLevel: 2 }), cap({ scopes: ['prod'], maxLevel: 1 })];
    const verdict = judge(evidence(good), { caps });
    expect(
      verdict.reasons.filter((r) => r.rule.endsWith('-cap')).map((r) => [r.rule, r.evidence.slice(0, 15)]),
    ).toEqual([
      ['package-cap', 'policy.caps[0] '],
      ['scope-cap', 'policy.caps[1] '],
    ]);
    expect(verdict.level).toBe(1);
  });
});

describe('evaluatePolicy', () => {
  const plan = {
    patches: [good, major],
    alternatives: [],
    unfixable: [unfixable({ finding: { id: 'GHSA-zzzz', name: 'old', version: '0.1.0' } })],
  } as unknown as Plan;

  it('judges every chosen patch and every unfixable finding', () => {
    const ev = new Map<string, Evidence>([
      [good.id, evidence(good)],
      [major.id, evidence(major, { packages: ['lib'] })],
    ]);
    const result = evaluatePolicy(plan, ev, defaultConfig.policy);
    expect([...result.patches].map(([id, v]) => [id, v.level, v.cappedBy])).toEqual([
      [good.id, 3, ['max-level']],
      [major.id, 2, ['semver-step']],
    ]);
    expect(
      result.unfixable.map((u) => [findingSubjectKey(u.finding), u.verdict.level, u.verdict.cappedBy]),
    ).toEqual([['GHSA-zzzz old@0.1.0', 1, ['no-fix']]]);
  });

  it('judges what the plan alone says when no evidence was gathered (plan time)', () => {
    const result = evaluatePolicy(plan, new Map(), defaultConfig.policy);
    expect(result.patches.get(good.id)?.cappedBy).toEqual(['tests-evidence', 'proof-of-fix']);
    expect(result.patches.get(major.id)?.cappedBy).toEqual(['semver-step', 'tests-evidence', 'proof-of-fix']);
    expect(result.unfixable[0]?.verdict.reasons.map((r) => r.rule)).toEqual(['no-fix']);
  });

  it('judgePlan gathers the evidence and gives plain data', () => {
    const full = { ...plan, alternatives: [] } as unknown as Plan;
    const verdicts = judgePlan(full, { findings: [], policy: defaultConfig.policy });
    expect(Object.keys(verdicts.patches)).toEqual([good.id, major.id]);
    expect(verdicts.patches[major.id]?.cappedBy).toEqual(['semver-step', 'tests-evidence', 'proof-of-fix']);
    expect(JSON.parse(JSON.stringify(verdicts))).toEqual(verdicts);
  });

  it('is pure: the same inputs give equal verdicts', () => {
    const a = evaluatePolicy(plan, new Map(), defaultConfig.policy);
    const b = evaluatePolicy(plan, new Map(), defaultConfig.policy);
    expect([...a.patches]).toEqual([...b.patches]);
    expect(a.unfixable).toEqual(b.unfixable);
  });

  it('a patch with lock changes in several places is judged by its largest step', () => {
    const p = patch({
      id: 'p-3',
      changes: [lock('a', '1.0.0', '1.0.1'), lock('b', '1.0.0', '1.3.0', { step: 'minor' })],
      risk: risk({ step: 'minor' }),
    });
    const verdict = judge(
      evidence(p, { packages: ['a', 'b'], tests: { passed: true, exercised: ['a', 'b'] } }),
      {},
      p,
    );
    expect(verdict.level).toBe(3);
    expect(verdict.reasons.find((r) => r.rule === 'semver-step')?.evidence).toBe(
      'minor step inside the declared ranges (lockfile-only): b 1.0.0 → 1.3.0',
    );
  });
});
