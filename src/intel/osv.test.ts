import { describe, expect, it } from 'vitest';
import { parseOsvRecord } from './osv.js';

const base = {
  id: 'GHSA-aaaa-bbbb-cccc',
  modified: '2024-01-02T03:04:05Z',
  aliases: ['CVE-2024-0001'],
  affected: [
    {
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
    },
    { package: { ecosystem: 'PyPI', name: 'left-pad' }, versions: ['1.0'] },
    {
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'GIT', repo: 'x', events: [{ introduced: 'abc' }] }],
    },
  ],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  database_specific: { severity: 'MODERATE' },
};

describe('parseOsvRecord', () => {
  it('keeps npm SEMVER/ECOSYSTEM ranges only and scores the CVSS vector', () => {
    const result = parseOsvRecord(base);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.advisory.affected).toEqual([
      {
        name: 'left-pad',
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }],
        versions: [],
      },
      { name: 'left-pad', ranges: [], versions: [] },
    ]);
    expect(result.advisory.cvss).toEqual([
      { type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
    ]);
    expect(result.advisory.severityLabel).toBe('moderate');
    expect(result.advisory.kind).toBe('vulnerability');
  });

  it('scores CVSS v4.0 and v2 vectors, and leaves garbage unscored', () => {
    const result = parseOsvRecord({
      ...base,
      severity: [
        { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
        { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' },
        { type: 'CVSS_V3', score: 'nonsense' },
      ],
    });
    expect(result.ok && result.advisory.cvss.map((c) => c.score)).toEqual([9.3, 7.5, undefined]);
  });

  it('reads pre-1.0 events written as {type, value}', () => {
    const result = parseOsvRecord({
      ...base,
      affected: [
        {
          package: { ecosystem: 'npm', name: 'elliptic' },
          ranges: [
            {
              type: 'ECOSYSTEM',
              events: [
                { type: 'INTRODUCED', value: '0' },
                { type: 'FIXED', value: '6.5.4' },
              ],
            },
          ],
        },
      ],
    });
    expect(result.ok && result.advisory.affected[0]?.ranges[0]?.events).toEqual([
      { introduced: '0' },
      { fixed: '6.5.4' },
    ]);
  });

  it('marks MAL- records malicious', () => {
    const result = parseOsvRecord({ ...base, id: 'MAL-2024-1', database_specific: undefined });
    expect(result.ok && result.advisory.kind).toBe('malicious');
  });

  it("marks GitHub's malware advisories (CWE-506) malicious, and only those", () => {
    const malware = parseOsvRecord({
      ...base,
      database_specific: { cwe_ids: ['CWE-506'], severity: 'HIGH' },
    });
    expect(malware.ok && malware.advisory.kind).toBe('malicious');
    const other = parseOsvRecord({ ...base, database_specific: { cwe_ids: ['CWE-184'], severity: 'HIGH' } });
    expect(other.ok && other.advisory.kind).toBe('vulnerability');
  });

  it.each([
    [
      { id: 1, module_name: 'bassmaster', vulnerable_versions: '<=1.5.1', patched_versions: '>=1.5.2' },
      /^not an OSV record: a legacy Node Security Project advisory/,
    ],
    [
      {
        '1': { id: 1, module_name: 'bassmaster', vulnerable_versions: '<=1.5.1' },
        '112': { id: 112, module_name: 'tough-cookie', patched_versions: '>=2.3.0' },
      },
      /^not an OSV record: 2 legacy Node Security Project advisories keyed by id/,
    ],
  ])('refuses legacy Node Security Project advisories as not OSV (%#)', (raw, reason) => {
    const result = parseOsvRecord(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('reads an OSV record that happens to carry NSP-like extra fields', () => {
    expect(parseOsvRecord({ ...base, module_name: 'left-pad', vulnerable_versions: '<1.3.0' }).ok).toBe(true);
  });

  it.each([
    [{ ...base, id: '' }, 'id'],
    [{ ...base, modified: 'yesterday' }, 'modified'],
    [{ ...base, affected: 'npm' }, 'affected'],
    [
      {
        ...base,
        affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{}] }] }],
      },
      'affected.0.ranges.0.events.0',
    ],
    [
      {
        ...base,
        affected: [
          {
            package: { ecosystem: 'npm', name: 'x' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '4.0.0' }] }],
          },
        ],
      },
      'affected.0.ranges.0.events.0',
    ],
  ])('reports a malformed record with the failing field (%#)', (raw, field) => {
    const result = parseOsvRecord(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(field);
  });
});
