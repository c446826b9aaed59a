import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, runCli, tempDir } from '../helpers/cli.js';

/**
 * `db import-epss` and `db import-kev` with files in FIRST's and CISA's exact formats, naming CVEs
 * that the bundled example's advisories alias: CVE-2021-44906 (GHSA-xvch-5gv4-984h, minimist) and
 * CVE-2020-8203 (GHSA-p6mc-m468-83gw, lodash); CVE-2021-44228 matches nothing in the example.
 */
const example = join(projectRoot, 'examples/vulnerable-app');
const home = tempDir();
const db = join(home.path, 'store.db');
const epssFile = join(home.path, 'epss_scores-2025-01-01.csv.gz');
const kevFile = join(home.path, 'known_exploited_vulnerabilities.json');

const epssCsv = [
  '#model_version:v2023.03.01,score_date:2025-01-01T00:00:00+0000',
  'cve,epss,percentile',
  'CVE-2021-44228,0.97565,0.99996',
  'CVE-2021-44906,0.01234,0.85432',
  'CVE-2020-8203,0.04321,0.91234',
  'CVE-2020-8203x,0.1,0.2',
  '',
].join('\n');

const kevEntry = (cveID: string, ransomware: string) => ({
  cveID,
  vendorProject: 'Example',
  product: 'Example',
  vulnerabilityName: `${cveID} Vulnerability`,
  dateAdded: '2024-11-05',
  shortDescription: 'An example entry.',
  requiredAction:
    'Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.',
  dueDate: '2024-11-26',
  knownRansomwareCampaignUse: ransomware,
  notes: `https://nvd.nist.gov/vuln/detail/${cveID}`,
  cwes: ['CWE-1321'],
});

const kevCatalog = {
  title: 'CISA Catalog of Known Exploited Vulnerabilities',
  catalogVersion: '2025.01.02',
  dateReleased: '2025-01-02T15:00:18.3018Z',
  count: 2,
  vulnerabilities: [kevEntry('CVE-2021-44228', 'Known'), kevEntry('CVE-2021-44906', 'Unknown')],
};

interface Finding {
  id: string;
  package: { name: string; version: string };
  epss?: { score: number; percentile: number; cve: string; date: string };
  kev?: { cve: string; dateAdded: string; dueDate: string; ransomware: string };
  priority: { score: number; label: string; reasons: string[] };
}

beforeAll(() => {
  writeFileSync(epssFile, gzipSync(epssCsv));
  writeFileSync(kevFile, JSON.stringify(kevCatalog, null, 2));
  expect(runCli(['db', 'import', join(example, 'advisories.osv.json'), '--db', db]).code).toBe(0);
});
afterAll(() => home.remove());

describe('db import-epss and db import-kev', () => {
  it('import both snapshots, reporting a malformed row by its line', () => {
    const epss = runCli(['db', 'import-epss', epssFile, '--db', db]);
    expect(epss.code, epss.stderr).toBe(0);
    expect(epss.stdout).toContain(
      'imported 3 EPSS scores (model v2023.03.01, score date 2025-01-01T00:00:00+0000)',
    );
    expect(epss.stderr).toContain(`skipped at ${epssFile}:6: "CVE-2020-8203x" is not a CVE id`);
    const kev = runCli(['db', 'import-kev', kevFile, '--db', db, '--json']);
    expect(kev.code, kev.stderr).toBe(0);
    expect(JSON.parse(kev.stdout)).toMatchObject({
      name: 'kev',
      source: kevFile,
      records: 2,
      version: '2025.01.02',
      date: '2025-01-02T15:00:18.3018Z',
      skipped: [],
    });
  });

  it('scan --json: the findings aliasing those CVEs carry epss and kev, the others do not', () => {
    const result = runCli(['scan', example, '--db', db, '--json', '--deterministic']);
    expect(result.code, result.stderr).toBe(0);
    const findings = (JSON.parse(result.stdout) as { findings: Finding[] }).findings;
    const minimist = findings.filter((f) => f.id === 'GHSA-xvch-5gv4-984h');
    expect(minimist.map((f) => f.package.version).sort()).toEqual(['0.0.8', '1.2.5']);
    for (const f of minimist) {
      expect(f.epss).toEqual({
        score: 0.01234,
        percentile: 0.85432,
        cve: 'CVE-2021-44906',
        date: '2025-01-01',
      });
      expect(f.kev).toEqual({
        cve: 'CVE-2021-44906',
        dateAdded: '2024-11-05',
        dueDate: '2024-11-26',
        ransomware: 'Unknown',
      });
    }
    const lodash = findings.find((f) => f.id === 'GHSA-p6mc-m468-83gw');
    expect(lodash?.epss).toEqual({
      score: 0.04321,
      percentile: 0.91234,
      cve: 'CVE-2020-8203',
      date: '2025-01-01',
    });
    expect(lodash).not.toHaveProperty('kev');
    const others = findings.filter((f) => f.id !== 'GHSA-xvch-5gv4-984h' && f.id !== 'GHSA-p6mc-m468-83gw');
    expect(others.length).toBe(9);
    for (const f of others) {
      expect(f).not.toHaveProperty('epss');
      expect(f).not.toHaveProperty('kev');
    }
  });

  it('scan puts the known exploited minimist findings first, at critical priority', () => {
    const result = runCli(['scan', example, '--db', db, '--json', '--deterministic']);
    const findings = (JSON.parse(result.stdout) as { findings: Finding[] }).findings;
    expect(findings.slice(0, 3).map((f) => `${f.priority.score} ${f.id} ${f.package.version}`)).toEqual([
      '95.2 GHSA-xvch-5gv4-984h 1.2.5',
      '90.2 GHSA-xvch-5gv4-984h 0.0.8',
      '66.6 GHSA-r683-j2x4-v87g 2.6.0',
    ]);
    expect(findings[0]?.priority).toEqual({
      score: 95.2,
      label: 'critical',
      reasons: [
        'severity critical',
        'known exploited (KEV CVE-2021-44906)',
        'EPSS 1.23% (percentile 85.4)',
        'prod scope',
        'direct dependency',
      ],
    });
    expect(findings.find((f) => f.id === 'GHSA-p6mc-m468-83gw')?.priority.score).toBe(60.6);
    const critical = runCli(['scan', example, '--db', db, '--json', '--min-priority', 'critical']);
    expect(
      (JSON.parse(critical.stdout) as { findings: Finding[] }).findings.map((f) => f.package.version),
    ).toEqual(['1.2.5', '0.0.8']);
  });

  it('shows the signals in the table, markdown and SARIF', () => {
    const table = runCli(['scan', example, '--db', db]);
    expect(table.stdout).toMatch(/SCORE {2}EXPLOIT {10}ID/);
    expect(table.stdout).toMatch(/9\.8 {4}KEV, EPSS 1\.23% {2}GHSA-xvch-5gv4-984h/);
    expect(table.stdout).toMatch(/7\.4 {4}EPSS 4\.32% {7}GHSA-p6mc-m468-83gw/);
    const markdown = runCli(['scan', example, '--db', db, '--format', 'markdown']);
    expect(markdown.stdout).toContain('| Severity | Score | Exploitation | ID |');
    expect(markdown.stdout).toContain('| critical | 9.8 | KEV, EPSS 1.23% | GHSA-xvch-5gv4-984h');
    const sarif = JSON.parse(runCli(['scan', example, '--db', db, '--format', 'sarif']).stdout) as {
      runs: { results: { ruleId: string; properties: Record<string, unknown> }[] }[];
    };
    const results = sarif.runs[0]?.results ?? [];
    const xvch = results.find((r) => r.ruleId === 'GHSA-xvch-5gv4-984h');
    expect(xvch?.properties.kev).toMatchObject({ cve: 'CVE-2021-44906' });
    expect(xvch?.properties.epss).toMatchObject({ score: 0.01234 });
    expect(xvch?.properties.priority).toMatchObject({ score: 95.2, label: 'critical' });
    expect(results.find((r) => r.ruleId === 'GHSA-r683-j2x4-v87g')?.properties).not.toHaveProperty('epss');
  });

  it('db status shows both sources, in text and JSON', () => {
    const text = runCli(['db', 'status', '--db', db]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `  epss  ${epssFile}, 3 CVEs, model v2023.03.01, dated 2025-01-01T00:00:00+0000, imported `,
    );
    expect(text.stdout).toContain(
      `  kev  ${kevFile}, 2 CVEs, catalog 2025.01.02, dated 2025-01-02T15:00:18.3018Z`,
    );
    const json = JSON.parse(runCli(['db', 'status', '--db', db, '--json']).stdout) as { signals: unknown[] };
    expect(json.signals).toEqual([
      expect.objectContaining({ name: 'epss', source: epssFile, records: 3, version: 'v2023.03.01' }),
      expect.objectContaining({ name: 'kev', source: kevFile, records: 2, version: '2025.01.02' }),
    ]);
  });

  it('refuses a file of the wrong shape with exit 2, naming it, and keeps the previous snapshot', () => {
    const wrong = join(home.path, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ vulns: [] }));
    const result = runCli(['db', 'import-kev', wrong, '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${wrong}: not CISA's KEV catalog`);
    expect(result.stderr).toContain('[ADVISORY_INPUT_INVALID]');
    const missing = runCli(['db', 'import-epss', join(home.path, 'nope.csv'), '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[ADVISORY_INPUT_NOT_FOUND]');
    const json = JSON.parse(runCli(['db', 'status', '--db', db, '--json']).stdout) as {
      signals: { name: string; records: number }[];
    };
    expect(json.signals.map((s) => [s.name, s.records])).toEqual([
      ['epss', 3],
      ['kev', 2],
    ]);
  });
});
