import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import { prioritize, priorityLabelOf, priorityOf } from './priority.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  id: 'GHSA-aaaa-bbbb-cccc',
  aliases: ['CVE-2020-1'],
  advisories: ['GHSA-aaaa-bbbb-cccc'],
  kind: 'vulnerability',
  severity: 'critical',
  cvssScore: undefined,
  cvssVector: undefined,
  summary: undefined,
  package: { name: 'p', version: '1.0.0', purl: undefined },
  fixedIn: [],
  paths: [],
  pathCount: 0,
  pathsComplete: true,
  scope: 'prod',
  direct: false,
  workspaces: [],
  locations: [],
  ...over,
});

const kev = { cve: 'CVE-2020-1', dateAdded: '2024-01-01', dueDate: '2024-02-01', ransomware: 'Unknown' };
const epss = (score: number, percentile: number) => ({
  score,
  percentile,
  cve: 'CVE-2020-1',
  date: undefined,
});

describe('priorityOf', () => {
  it.each([
    ['malicious kind', finding({ kind: 'malicious', scope: 'dev' }), 100, 'critical'],
    ['MAL- record', finding({ id: 'MAL-2024-1', aliases: [], advisories: ['MAL-2024-1'] }), 100, 'critical'],
    ['plain critical', finding(), 70, 'high'],
    ['critical, CVSS 9.8, direct', finding({ cvssScore: 9.8, direct: true }), 75, 'high'],
    ['CVSS above the label', finding({ severity: 'high', cvssScore: 8.8 }), 61.6, 'high'],
    ['label above the CVSS', finding({ severity: 'high', cvssScore: 7.2 }), 55, 'medium'],
    ['moderate', finding({ severity: 'moderate' }), 40, 'medium'],
    ['low', finding({ severity: 'low' }), 25, 'low'],
    ['unknown', finding({ severity: 'unknown' }), 30, 'low'],
    ['dev critical', finding({ scope: 'dev' }), 42, 'medium'],
    ['optional critical', finding({ scope: 'optional' }), 59.5, 'medium'],
    ['peer critical', finding({ scope: 'peer' }), 70, 'high'],
    ['KEV critical', finding({ kev }), 90, 'critical'],
    ['KEV low in dev (floored)', finding({ severity: 'low', scope: 'dev', kev }), 80, 'critical'],
    [
      'KEV, EPSS, direct (capped)',
      finding({ kev, epss: epss(1, 1), cvssScore: 10, direct: true }),
      99.9,
      'critical',
    ],
    [
      'EPSS without KEV (capped)',
      finding({ epss: epss(1, 0.99), cvssScore: 10, direct: true }),
      79.9,
      'high',
    ],
    ['EPSS 0.5', finding({ severity: 'high', epss: epss(0.5, 0.5) }), 62.5, 'high'],
    ['EPSS top percentile', finding({ severity: 'high', epss: epss(0.5, 0.95) }), 67.5, 'high'],
  ])('%s', (_name, f, score, label) => {
    const priority = priorityOf(f);
    expect(priority.score).toBe(score);
    expect(priority.label).toBe(label);
    expect(priority.reasons.length).toBeGreaterThan(0);
  });

  it('orders malicious > KEV critical > plain critical', () => {
    const malicious = priorityOf(finding({ kind: 'malicious', severity: 'low', scope: 'dev' })).score;
    const known = priorityOf(finding({ kev, scope: 'dev' })).score;
    const plain = priorityOf(finding({ cvssScore: 10, direct: true, epss: epss(1, 1) })).score;
    expect(malicious).toBeGreaterThan(known);
    expect(known).toBeGreaterThan(plain);
  });

  it('ranks prod above dev, EPSS and directness upwards', () => {
    const base = priorityOf(finding({ severity: 'high' })).score;
    expect(priorityOf(finding({ severity: 'high', scope: 'dev' })).score).toBeLessThan(base);
    expect(priorityOf(finding({ severity: 'high', epss: epss(0.1, 0.5) })).score).toBeGreaterThan(base);
    expect(priorityOf(finding({ severity: 'high', direct: true })).score).toBeGreaterThan(base);
  });

  it('explains itself', () => {
    expect(
      priorityOf(finding({ cvssScore: 9.8, kev, epss: epss(0.01234, 0.85432), direct: true })).reasons,
    ).toEqual([
      'severity critical',
      'known exploited (KEV CVE-2020-1)',
      'EPSS 1.23% (percentile 85.4)',
      'prod scope',
      'direct dependency',
    ]);
    expect(priorityOf(finding({ kind: 'malicious' })).reasons).toEqual(['malicious package']);
  });

  it.each([
    [100, 'critical'],
    [80, 'critical'],
    [79.9, 'high'],
    [60, 'high'],
    [59.9, 'medium'],
    [40, 'medium'],
    [39.9, 'low'],
    [0, 'low'],
  ])('labels %d as %s', (score, label) => expect(priorityLabelOf(score)).toBe(label));
});

describe('prioritize', () => {
  it('attaches priority and sorts by it, ties by severity, id, then package', () => {
    const sorted = prioritize([
      finding({ id: 'GHSA-b', severity: 'low' }),
      finding({ id: 'GHSA-z', severity: 'high', cvssScore: 8 }),
      finding({
        id: 'GHSA-a',
        severity: 'high',
        cvssScore: 8,
        package: { name: 'q', version: '1.0.0', purl: undefined },
      }),
      finding({ id: 'GHSA-a', severity: 'high', cvssScore: 8 }),
      finding({ id: 'GHSA-y', severity: 'moderate', cvssScore: 8 }),
      finding({ id: 'MAL-1', kind: 'malicious', scope: 'dev' }),
      finding({ id: 'GHSA-k', severity: 'moderate', kev }),
    ]);
    expect(sorted.map((f) => `${f.id} ${f.package.name} ${f.priority?.score}`)).toEqual([
      'MAL-1 p 100',
      'GHSA-k p 80',
      'GHSA-a p 56',
      'GHSA-a q 56',
      'GHSA-z p 56',
      'GHSA-y p 56',
      'GHSA-b p 25',
    ]);
  });
});
