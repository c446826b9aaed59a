import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../commands/scan.js';
import { MARKDOWN_LIMIT, renderMarkdown } from './markdown.js';

/** A report of two lockfiles with `n` findings each, highest priority first, long paths. */
const report = (n: number): ScanReport => {
  const lockfiles = ['a/package-lock.json', 'b/package-lock.json'];
  const findings = lockfiles.flatMap((lockfile) =>
    Array.from({ length: n }, (_, i) => ({
      id: `GHSA-test-${String(i).padStart(4, '0')}`,
      aliases: [],
      kind: 'vulnerability',
      severity: 'high',
      priority: { score: 79 - i / n, label: 'high', reasons: [] },
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
    projects: lockfiles.map((lockfile) => ({
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
      high: 2 * n,
      moderate: 0,
      low: 0,
      unknown: 0,
      total: 2 * n,
      suppressed: 0,
      excepted: 0,
    },
  } as unknown as ScanReport;
};

describe('renderMarkdown', () => {
  it('shows every finding when the report fits a comment', () => {
    const text = renderMarkdown(report(10));
    expect(text.match(/^\| [\d.]+ high \|/gm)).toHaveLength(20);
    expect(text).not.toContain('not shown');
  });

  it('stays within a comment: the lowest-priority rows go, and each project says how many', () => {
    const text = renderMarkdown(report(400));
    expect(text.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    const rows = text.match(/^\| [\d.]+ high \| high \| - \| GHSA-test-(\d+)/gm) ?? [];
    expect(rows.length).toBeGreaterThan(100);
    // The first lockfile's highest-priority rows are kept, in order; the second has none left.
    expect(rows[0]).toContain('GHSA-test-0000');
    const second = text.slice(text.indexOf('## `b/package-lock.json`'));
    expect(second).toContain('_400 more findings of lower priority are not shown');
    const first = text.slice(0, text.indexOf('## `b/package-lock.json`'));
    expect(first).toContain(`_${400 - rows.length} more findings of lower priority are not shown`);
    // The summary still counts them all.
    expect(text).toContain('800 findings: 0 critical, 800 high');
  });
});
