import { describe, expect, it } from 'vitest';
import { checkPatch, effects, evidence, facts, patch, risk } from '../../../test/helpers/policy.js';
import type { RiskFacts } from '../../core/plan.js';
import type { FindingFacts } from '../../core/verdict.js';
import { releaseAge } from './release-age.js';

const young = risk({ publishedAt: '2025-12-31T08:00:00.000Z', ageDays: 1 });
const kev = { cve: 'CVE-2025-1', dateAdded: '2025-12-31' };

const judge = (r: Partial<RiskFacts>, findings: FindingFacts[] = [facts()], options = {}) => {
  const p = patch({ risk: risk(r) });
  return checkPatch(releaseAge, p, evidence(p, { findings }), options);
};

describe('release-age', () => {
  it.each<[string, Partial<RiskFacts>, FindingFacts[], object]>([
    ['30 days old', {}, [facts()], {}],
    ['exactly the minimum age', { ageDays: 3 }, [facts()], {}],
    ['1 day old with the minimum set to 0 (off)', young, [facts()], { minReleaseAgeDays: 0 }],
    ['8 days old against a minimum of 7', { ageDays: 8 }, [facts()], { minReleaseAgeDays: 7 }],
  ])('passes: %s', (_name, r, findings, options) => {
    expect(judge(r, findings, options)).toEqual([]);
  });

  it.each<[string, Partial<RiskFacts>, FindingFacts[], object]>([
    ['1 day old', young, [facts()], {}],
    ['2 days old against the default 3', { ageDays: 2 }, [facts()], {}],
    ['the age is unknown (fail closed)', { publishedAt: undefined, ageDays: undefined }, [facts()], {}],
    ['KEV-listed, but another candidate fixes it too', young, [facts({ kev, onlyFix: false })], {}],
    [
      'the only fix, but not exploited (EPSS 0.02)',
      young,
      [facts({ epss: { cve: 'CVE-2025-1', score: 0.02 } })],
      {},
    ],
    [
      'EPSS exactly at the threshold is not above it',
      young,
      [facts({ epss: { cve: 'CVE-2025-1', score: 0.1 } })],
      {},
    ],
    [
      'EPSS 0.3 under a threshold of 0.5',
      young,
      [facts({ epss: { cve: 'CVE-2025-1', score: 0.3 } })],
      { epssThreshold: 0.5 },
    ],
  ])('proposes (2): %s', (_name, r, findings, options) => {
    const reasons = judge(r, findings, options);
    expect(effects(reasons)).toEqual(['cap 2']);
    expect(reasons[0]?.evidence).toMatch(/proposed, never merged, until it has aged$/);
  });

  it.each<[string, FindingFacts, string]>([
    [
      'the only fix for a KEV-listed finding',
      facts({ kev }),
      'the newest target was published 1 day ago (2025-12-31), under policy.minReleaseAgeDays (3), but it is the only fix for GHSA-aaaa-bbbb-cccc on lib@1.0.0, KEV-listed (CVE-2025-1, added 2025-12-31): waiting is the larger risk',
    ],
    [
      'the only fix for a finding with EPSS above the threshold',
      facts({ epss: { cve: 'CVE-2025-1', score: 0.42 } }),
      'the newest target was published 1 day ago (2025-12-31), under policy.minReleaseAgeDays (3), but it is the only fix for GHSA-aaaa-bbbb-cccc on lib@1.0.0, EPSS 0.42 for CVE-2025-1, above 0.1: waiting is the larger risk',
    ],
  ])('allows a young release, saying why: %s', (_name, finding, text) => {
    const reasons = judge(young, [finding]);
    expect(reasons).toEqual([{ effect: 'allow', evidence: text }]);
  });

  it('says when a target is less than a day old', () => {
    expect(judge({ ageDays: 0 })[0]?.evidence).toMatch(
      /^the newest target was published less than a day ago \(/,
    );
  });

  it('says when a target came out after the day ages are counted to (--today an earlier day)', () => {
    expect(judge({ publishedAt: '2026-01-05T08:00:00.000Z', ageDays: -5 })).toEqual([
      {
        effect: 'cap',
        level: 2,
        evidence:
          'the newest target was published after the day release ages are counted to (2026-01-05), under policy.minReleaseAgeDays (3): proposed, never merged, until it has aged',
      },
    ]);
  });

  it('states an unknown age as such', () => {
    expect(judge({ publishedAt: undefined, ageDays: undefined })[0]?.evidence).toBe(
      'the release age of the targets is unknown (the registry answer states no publish times): proposed, never merged, until it has aged',
    );
  });
});
