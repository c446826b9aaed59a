import { z } from 'zod';
import type { FindingFacts } from '../../core/verdict.js';
import { defineRule } from '../rule.js';

const ago = (n: number): string =>
  n < 0
    ? 'after the day release ages are counted to'
    : n === 0
      ? 'less than a day ago'
      : n === 1
        ? '1 day ago'
        : `${n} days ago`;

const urgency = (f: FindingFacts, threshold: number): string | undefined => {
  if (f.kev) return `KEV-listed (${f.kev.cve}, added ${f.kev.dateAdded})`;
  if (f.epss && f.epss.score > threshold) return `EPSS ${f.epss.score} for ${f.epss.cve}, above ${threshold}`;
  return undefined;
};

/**
 * A release younger than `minReleaseAgeDays` has had no time to be looked at: compromised
 * versions are usually found and pulled within days. It is proposed, never merged, unless it is
 * the only fix for a finding that is being exploited (KEV-listed, or EPSS above `epssThreshold`):
 * then waiting is the larger risk and the reason says so. An age the registry did not state counts
 * as young (fail closed).
 */
export const releaseAge = defineRule({
  id: 'release-age',
  description:
    'a target younger than policy.minReleaseAgeDays (default 3) is proposed (2), unless it is the only fix for a KEV-listed or high-EPSS finding',
  options: z.strictObject({
    minReleaseAgeDays: z.int().min(0).default(3),
    epssThreshold: z.number().min(0).max(1).default(0.1),
  }),
  check: (subject, evidence, options) => {
    const risk = evidence.risk;
    if (subject.kind !== 'patch' || !risk || options.minReleaseAgeDays === 0) return [];
    const min = options.minReleaseAgeDays;
    if (risk.ageDays !== undefined && risk.ageDays >= min) return [];
    const age =
      risk.ageDays === undefined
        ? 'the release age of the targets is unknown (the registry answer states no publish times)'
        : `the newest target was published ${ago(risk.ageDays)} (${risk.publishedAt?.slice(0, 10)}), under policy.minReleaseAgeDays (${min})`;
    const urgent = evidence.findings.flatMap((f) => {
      const why = f.onlyFix ? urgency(f, options.epssThreshold) : undefined;
      return why === undefined ? [] : [`${f.id} on ${f.name}@${f.version}, ${why}`];
    });
    if (urgent.length > 0) {
      return [
        {
          effect: 'allow',
          evidence: `${age}, but it is the only fix for ${urgent.join('; ')}: waiting is the larger risk`,
        },
      ];
    }
    return [{ effect: 'cap', level: 2, evidence: `${age}: proposed, never merged, until it has aged` }];
  },
});
