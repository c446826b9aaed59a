import { describe, expect, it } from 'vitest';
import { parseOsvRecord, parseOsvRecordWithSchema, plainOsvRecord } from './osv.js';

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
    // Date.parse reads each of these as some time; none is RFC 3339.
    [{ ...base, modified: 'March 7, 2024' }, 'modified'],
    [{ ...base, modified: '1' }, 'modified'],
    [{ ...base, modified: '12/31/2023' }, 'modified'],
    [{ ...base, modified: '+275760-09-13T00:00:00Z' }, 'modified'],
    [{ ...base, modified: '2024-02-30T00:00:00Z' }, 'modified'],
    [{ ...base, published: 'Tue Jan 02 2024' }, 'published'],
    [{ ...base, withdrawn: '2024' }, 'withdrawn'],
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

  describe('the hand-checked shape gives what the schema gives', () => {
    const npm = (extra: object) => ({ package: { ecosystem: 'npm', name: 'x' }, ...extra });
    const range = (events: unknown) => npm({ ranges: [{ type: 'SEMVER', events }] });
    const variants: Record<string, unknown> = {
      base,
      'malicious, versions only': {
        id: 'MAL-2024-1',
        modified: '2024-06-25T12:24:03Z',
        published: '2024-06-25T12:24:03Z',
        summary: 'Malicious code in x (npm)',
        affected: [npm({ versions: ['1.0.0'] })],
        database_specific: { 'malicious-packages-origins': [{ source: 'ossf' }] },
        credits: [{ name: 'someone' }],
      },
      'null aliases, severity, affected, database_specific': {
        id: 'GHSA-1',
        modified: '2024-01-01T00:00:00Z',
        aliases: null,
        severity: null,
        affected: null,
        database_specific: null,
      },
      'no affected at all': { id: 'GHSA-1', modified: '2024-01-01T00:00:00Z' },
      'extra fields everywhere': {
        ...base,
        affected: [
          {
            package: { ecosystem: 'npm', name: 'x', purl: 'pkg:npm/x', extra: 1 },
            ranges: [
              { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { last_affected: '1.0.0' }], more: [] },
            ],
            versions: ['0.1.0'],
            ecosystem_specific: {},
          },
        ],
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', extra: true }],
      },
      'entry without package': { ...base, affected: [{ ranges: [] }] },
      'legacy events': {
        ...base,
        affected: [
          range([
            { type: 'INTRODUCED', value: '0' },
            { type: 'LIMIT', value: '2' },
          ]),
        ],
      },
      'empty id': { ...base, id: '' },
      'numeric id': { ...base, id: 7 },
      'bad modified': { ...base, modified: 'yesterday' },
      'missing modified': { ...base, modified: undefined },
      'null published': { ...base, published: null },
      'bad withdrawn': { ...base, withdrawn: 'never' },
      withdrawn: { ...base, withdrawn: '2024-05-01T00:00:00Z' },
      'null summary': { ...base, summary: null },
      'numeric alias': { ...base, aliases: ['CVE-1', 2] },
      'severity without score': { ...base, severity: [{ type: 'CVSS_V3' }] },
      'affected not a list': { ...base, affected: { package: {} } },
      'null package': { ...base, affected: [{ package: null }] },
      'empty package name': { ...base, affected: [npm({ package: { ecosystem: 'npm', name: '' } })] },
      'numeric purl': { ...base, affected: [npm({ package: { ecosystem: 'npm', name: 'x', purl: 1 } })] },
      'null ranges': { ...base, affected: [npm({ ranges: null })] },
      'null versions': { ...base, affected: [npm({ versions: null })] },
      'numeric version': { ...base, affected: [npm({ versions: ['1.0.0', 1] })] },
      'no events': { ...base, affected: [range([])] },
      'empty event': { ...base, affected: [range([{}])] },
      'two keys in one event': { ...base, affected: [range([{ introduced: '0', fixed: '1' }])] },
      'unknown event key': { ...base, affected: [range([{ introduced: '0' }, { broken: '1' }])] },
      'empty version in event': { ...base, affected: [range([{ introduced: '' }])] },
      'numeric version in event': { ...base, affected: [range([{ fixed: 1 }])] },
      'events not a list': { ...base, affected: [range({ introduced: '0' })] },
      'range without type': { ...base, affected: [npm({ ranges: [{ events: [{ introduced: '0' }] }] })] },
      'database_specific a list': { ...base, database_specific: [] },
      'a list': [base],
      'a string': 'GHSA-1',
      null: null,
    };
    it.each(Object.entries(variants))('%s', (_name, raw) => {
      expect(parseOsvRecord(raw)).toEqual(parseOsvRecordWithSchema(raw));
    });

    it('takes the common shapes by hand and leaves the rest to the schema', () => {
      expect(plainOsvRecord(base)).toBe(base);
      expect(plainOsvRecord(variants['malicious, versions only'])).toBeDefined();
      expect(plainOsvRecord(variants['legacy events'])).toBeUndefined();
      expect(plainOsvRecord(variants['two keys in one event'])).toBeUndefined();
    });
  });
});
