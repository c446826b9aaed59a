import { describe, expect, it } from 'vitest';
import { parseEpssCsv } from './index.js';

const real = [
  '#model_version:v2023.03.01,score_date:2025-01-01T00:00:00+0000',
  'cve,epss,percentile',
  'CVE-2021-44228,0.97565,0.99996',
  'CVE-2022-0235,0.00356,0.72191',
  '',
].join('\n');

describe('parseEpssCsv', () => {
  it("reads FIRST's daily file: comment line, header, rows", () => {
    const snapshot = parseEpssCsv(real, 'epss_scores-2025-01-01.csv');
    expect(snapshot.modelVersion).toBe('v2023.03.01');
    expect(snapshot.scoreDate).toBe('2025-01-01T00:00:00+0000');
    expect(snapshot.rows).toEqual([
      { cve: 'CVE-2021-44228', score: 0.97565, percentile: 0.99996 },
      { cve: 'CVE-2022-0235', score: 0.00356, percentile: 0.72191 },
    ]);
    expect(snapshot.problems).toEqual([]);
  });

  it('reads files without the comment line, with CRLF and a byte-order mark', () => {
    const snapshot = parseEpssCsv('\ufeffcve,epss,percentile\r\nCVE-2020-8203,0.01,0.5\r\n', 'old.csv');
    expect(snapshot.modelVersion).toBeUndefined();
    expect(snapshot.scoreDate).toBeUndefined();
    expect(snapshot.rows).toEqual([{ cve: 'CVE-2020-8203', score: 0.01, percentile: 0.5 }]);
  });

  it('reads quoted fields, as a spreadsheet or pandas writes them, and ignores a score_date that is no date', () => {
    const snapshot = parseEpssCsv(
      '#model_version:v2023.03.01,score_date:not-a-date\n"cve","epss","percentile"\n"CVE-2021-44906","0.01234","0.85"\n"CVE-2020-1,x",0.1,0.2\n"CVE-2020-2,0.1,0.2\n',
      'quoted.csv',
    );
    expect(snapshot.scoreDate).toBeUndefined();
    expect(snapshot.rows).toEqual([{ cve: 'CVE-2021-44906', score: 0.01234, percentile: 0.85 }]);
    expect(snapshot.problems).toEqual([
      { where: 'quoted.csv:4', reason: '"CVE-2020-1,x" is not a CVE id' },
      { where: 'quoted.csv:5', reason: 'a quoted field is not closed' },
    ]);
  });

  it('reports malformed rows with their line and keeps the rest', () => {
    const text = [
      '#model_version:v2023.03.01,score_date:2025-01-01T00:00:00+0000',
      'cve,epss,percentile',
      'CVE-2021-44228,0.97565,0.99996',
      'GHSA-xxxx,0.1,0.2',
      'CVE-2020-1,abc,0.2',
      'CVE-2020-2,0.1,1.5',
      'CVE-2020-3,0.1',
      'CVE-2021-44228,0.5,0.5',
      'CVE-2020-4,,0.2',
    ].join('\n');
    const snapshot = parseEpssCsv(text, 'e.csv');
    expect(snapshot.rows.map((r) => r.cve)).toEqual(['CVE-2021-44228']);
    expect(snapshot.problems.map((p) => p.where)).toEqual([
      'e.csv:4',
      'e.csv:5',
      'e.csv:6',
      'e.csv:7',
      'e.csv:8',
      'e.csv:9',
    ]);
    expect(snapshot.problems[0]?.reason).toContain('not a CVE id');
    expect(snapshot.problems[1]?.reason).toContain('epss "abc"');
    expect(snapshot.problems[2]?.reason).toContain('percentile "1.5"');
    expect(snapshot.problems[3]?.reason).toContain('expected 3 fields, got 2');
    expect(snapshot.problems[4]?.reason).toContain('appears twice');
  });

  it('refuses a file without the header, naming the line', () => {
    expect(() => parseEpssCsv('#model_version:v1\nCVE-2021-44228,0.9,0.9\n', 'x.csv')).toThrow(
      expect.objectContaining({
        code: 'ADVISORY_INPUT_INVALID',
        message: expect.stringContaining('x.csv:2'),
      }),
    );
    expect(() => parseEpssCsv('', 'empty.csv')).toThrow(/empty.csv:1: no header line/);
  });

  it('refuses a file without a single valid score (an import would wipe the previous snapshot)', () => {
    expect(() => parseEpssCsv('cve,epss,percentile\n', 'h.csv')).toThrow(/h.csv: no valid score/);
    expect(() => parseEpssCsv('cve,epss,percentile\nnope,1,1\n', 'b.csv')).toThrow(/1 malformed rows/);
    expect(() => parseEpssCsv('<html>not found</html>\n', 'page.csv')).toThrow(
      /lacks cve, epss or percentile/,
    );
  });
});
