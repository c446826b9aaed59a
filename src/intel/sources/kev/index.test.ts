import { describe, expect, it } from 'vitest';
import { parseKevCatalog } from './index.js';

const entry = (cveID: string, extra: Record<string, unknown> = {}) => ({
  cveID,
  vendorProject: 'Apache',
  product: 'Log4j2',
  vulnerabilityName: 'Apache Log4j2 Remote Code Execution Vulnerability',
  dateAdded: '2021-12-10',
  shortDescription:
    'Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints.',
  requiredAction:
    'For all affected software assets for which updates exist, apply updates per vendor instructions.',
  dueDate: '2021-12-24',
  knownRansomwareCampaignUse: 'Known',
  notes: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228',
  cwes: ['CWE-20', 'CWE-400', 'CWE-502'],
  ...extra,
});

const catalog = (vulnerabilities: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify(
    {
      title: 'CISA Catalog of Known Exploited Vulnerabilities',
      catalogVersion: '2025.01.01',
      dateReleased: '2025-01-01T16:00:18.3018Z',
      count: vulnerabilities.length,
      vulnerabilities,
      ...extra,
    },
    null,
    2,
  );

describe('parseKevCatalog', () => {
  it("reads CISA's catalog", () => {
    const parsed = parseKevCatalog(catalog([entry('CVE-2021-44228')]), 'kev.json');
    expect(parsed.catalogVersion).toBe('2025.01.01');
    expect(parsed.dateReleased).toBe('2025-01-01T16:00:18.3018Z');
    expect(parsed.rows).toEqual([
      {
        cve: 'CVE-2021-44228',
        dateAdded: '2021-12-10',
        dueDate: '2021-12-24',
        ransomware: 'Known',
        name: 'Apache Log4j2 Remote Code Execution Vulnerability',
      },
    ]);
    expect(parsed.problems).toEqual([]);
  });

  it('reports malformed entries by index and keeps the rest', () => {
    const parsed = parseKevCatalog(
      catalog([
        entry('CVE-2021-44228'),
        entry('CVE-2020-1', { dateAdded: '10/12/2021' }),
        entry('not-a-cve'),
        entry('CVE-2021-44228'),
        42,
      ]),
      'kev.json',
    );
    expect(parsed.rows.map((r) => r.cve)).toEqual(['CVE-2021-44228']);
    expect(parsed.problems.map((p) => p.where)).toEqual([
      'kev.json: vulnerabilities[1] (CVE-2020-1)',
      'kev.json: vulnerabilities[2] (not-a-cve)',
      'kev.json: vulnerabilities[3]',
      'kev.json: vulnerabilities[4]',
    ]);
    expect(parsed.problems[0]?.reason).toContain('dateAdded');
    expect(parsed.warnings).toEqual([]);
  });

  it('skips dates that are not in the calendar, and warns of a wrong count without counting it as a skip', () => {
    const parsed = parseKevCatalog(
      catalog(
        [
          entry('CVE-2021-44228'),
          entry('CVE-2021-1', { dateAdded: '2025-13-45' }),
          entry('CVE-2021-2', { dueDate: '2023-02-29' }),
          entry('CVE-2021-3', { dateAdded: '2024-02-29' }),
        ],
        { count: 3 },
      ),
      'kev.json',
    );
    expect(parsed.rows.map((r) => r.cve)).toEqual(['CVE-2021-44228', 'CVE-2021-3']);
    expect(parsed.problems.map((p) => [p.where, p.reason])).toEqual([
      ['kev.json: vulnerabilities[1] (CVE-2021-1)', 'dateAdded: not a date in the calendar'],
      ['kev.json: vulnerabilities[2] (CVE-2021-2)', 'dueDate: not a date in the calendar'],
    ]);
    expect(parsed.warnings).toEqual(['kev.json: count says 3 but vulnerabilities holds 4']);
  });

  it('refuses a document of the wrong shape', () => {
    expect(() => parseKevCatalog(JSON.stringify({ vulns: [] }), 'osv.json')).toThrow(
      expect.objectContaining({
        code: 'ADVISORY_INPUT_INVALID',
        message: expect.stringMatching(/^osv\.json: not CISA's KEV catalog: catalogVersion/),
      }),
    );
    expect(() => parseKevCatalog('[]', 'a.json')).toThrow(/not CISA's KEV catalog/);
    expect(() => parseKevCatalog(catalog([1, 2]), 'k.json')).toThrow(/no valid entry among 2/);
  });

  it('names the line and column of broken JSON', () => {
    const text = catalog([entry('CVE-2021-44228')]);
    expect(() => parseKevCatalog(text.slice(0, 200), 'cut.json')).toThrow(
      expect.objectContaining({
        code: 'ADVISORY_INPUT_INVALID',
        message: expect.stringMatching(
          /^cut\.json: invalid JSON at line \d+, column \d+: the document ends early/,
        ),
      }),
    );
  });
});
