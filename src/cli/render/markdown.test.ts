import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../commands/scan.js';
import { MARKDOWN_LIMIT, renderMarkdown } from './markdown.js';

/** A report of `lockfiles` lockfiles with `n` findings each; `score(l, i)` gives the priorities. */
const report = (
  n: number,
  lockfiles = 2,
  score: (l: number, i: number) => number = (_l, i) => 79 - i / n,
): ScanReport => {
  const files = Array.from({ length: lockfiles }, (_, l) => `p${l}/package-lock.json`);
  const findings = files.flatMap((lockfile, l) =>
    Array.from({ length: n }, (_, i) => ({
      id: `GHSA-test-${String(l).padStart(3, '0')}${String(i).padStart(4, '0')}`,
      aliases: [],
      kind: 'vulnerability',
      severity: 'high',
      priority: { score: score(l, i), label: 'high', reasons: [] },
      package: { name: `pkg-${i}`, version: '1.0.0', purl: undefined },
      fixedIn: ['1.0.1'],
      scope: 'prod',
      direct: false,
      paths: [Array.from({ length: 12 }, (_, d) => `some-intermediate-package-${d}@1.0.0`)],
      pathCount: 1,
      pathsComplete: true,
      project: lockfile.split('/')[0],
      lockfile,
    })),
  );
  return {
    schemaVersion: 1,
    tool: { name: 'patchpilot', version: '0.0.0' },
    store: { path: 'store.db', advisories: 1 },
    projects: files.map((lockfile) => ({
      path: lockfile.split('/')[0],
      lockfile,
      format: 'npm-v3',
      packages: n,
      workspaces: [''],
      findings: n,
    })),
    findings,
    summary: {
      critical: 0,
      high: lockfiles * n,
      moderate: 0,
      low: 0,
      unknown: 0,
      total: lockfiles * n,
      suppressed: 0,
      excepted: 0,
    },
  } as unknown as ScanReport;
};

const rowIds = (text: string): string[] =>
  [...text.matchAll(/^\| [\d.]+ high \| high \| - \| (GHSA-test-\d+)/gm)].map((m) => m[1] as string);

describe('renderMarkdown', () => {
  it('shows every finding when the report fits a comment', () => {
    const text = renderMarkdown(report(10));
    expect(rowIds(text)).toHaveLength(20);
    expect(text).not.toContain('not shown');
  });

  it('stays within a comment, keeping the rows of highest priority across the lockfiles', () => {
    // The second lockfile's findings rank above all of the first's.
    const text = renderMarkdown(report(400, 2, (l, i) => (l === 1 ? 79 : 50) - i / 400));
    expect(text.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    const ids = rowIds(text);
    expect(ids.length).toBeGreaterThan(100);
    expect(ids.length).toBeLessThan(400);
    expect(ids.every((id) => id.startsWith('GHSA-test-001'))).toBe(true);
    expect(ids.slice(0, 2)).toEqual(['GHSA-test-0010000', 'GHSA-test-0010001']);
    expect(text).toContain('_400 findings are not shown');
    expect(text).toContain(`_${400 - ids.length} more findings of lower priority are not shown`);
    // A little more room, a few more rows.
    expect(
      rowIds(
        renderMarkdown(
          report(400, 2, (l, i) => (l === 1 ? 79 : 50) - i / 400),
          MARKDOWN_LIMIT + 2000,
        ),
      ).length,
    ).toBeGreaterThan(ids.length);
    // The summary still counts them all.
    expect(text).toContain('800 findings: 0 critical, 800 high');
  });

  it('leaves out the last lockfiles, with a count, when even their headings do not fit', () => {
    const text = renderMarkdown(report(2, 600));
    expect(text.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(rowIds(text)).toEqual([]);
    const shown = text.match(/^## /gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(10);
    expect(text).toContain(`_${600 - shown} more lockfiles are not shown`);
  });
});
