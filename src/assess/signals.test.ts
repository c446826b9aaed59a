import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import { attachSignals } from './signals.js';

const finding = (id: string, aliases: string[]): Finding => ({
  id,
  aliases,
  advisories: [id],
  kind: 'vulnerability',
  severity: 'high',
  cvssScore: undefined,
  cvssVector: undefined,
  summary: undefined,
  package: { name: 'p', version: '1.0.0', purl: undefined },
  fixedIn: [],
  paths: [],
  pathCount: 0,
  pathsComplete: true,
  scope: 'prod',
  direct: true,
  workspaces: [],
  locations: [],
});

describe('attachSignals', () => {
  const epss = new Map([
    ['CVE-2020-1', { cve: 'CVE-2020-1', score: 0.1, percentile: 0.5, date: '2025-01-01' }],
    ['CVE-2020-2', { cve: 'CVE-2020-2', score: 0.7, percentile: 0.9, date: '2025-01-01' }],
  ]);
  const kev = new Map([
    [
      'CVE-2020-1',
      { cve: 'CVE-2020-1', dateAdded: '2024-01-01', dueDate: '2024-01-22', ransomware: 'Known' },
    ],
  ]);

  it('joins through CVE aliases, keeping the highest EPSS score', () => {
    const [a, b, c] = attachSignals(
      [
        finding('GHSA-aaaa', ['CVE-2020-1', 'CVE-2020-2', 'GHSA-bbbb']),
        finding('CVE-2020-1', []),
        finding('GHSA-cccc', ['CVE-2020-3', 'CVE-2020-1x']),
      ],
      { epss, kev },
    );
    expect(a?.epss?.cve).toBe('CVE-2020-2');
    expect(a?.kev?.cve).toBe('CVE-2020-1');
    expect(b?.epss?.score).toBe(0.1);
    expect(b?.kev?.ransomware).toBe('Known');
    expect(c).not.toHaveProperty('epss');
    expect(c).not.toHaveProperty('kev');
  });
});
