import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import type { VexStatement } from '../core/vex.js';
import { applyVex, isSuppressed, purlNamesPackage, vexStatementsOf } from './vex.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  id: 'GHSA-aaaa-bbbb-cccc',
  aliases: ['CVE-2020-1'],
  advisories: ['GHSA-aaaa-bbbb-cccc'],
  kind: 'vulnerability',
  severity: 'high',
  cvssScore: undefined,
  cvssVector: undefined,
  summary: undefined,
  package: { name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15' },
  fixedIn: ['4.17.21'],
  paths: [['app', 'lodash@4.17.15']],
  pathCount: 1,
  pathsComplete: true,
  scope: 'prod',
  direct: true,
  workspaces: ['app'],
  locations: ['node_modules/lodash'],
  ...over,
});

const statement = (over: Partial<VexStatement> = {}): VexStatement => ({
  vulnerability: 'CVE-2020-1',
  aliases: [],
  products: [{ purl: 'pkg:npm/lodash@4.17.15', subcomponents: [] }],
  status: 'not_affected',
  justification: 'vulnerable_code_not_in_execute_path',
  impactStatement: undefined,
  actionStatement: undefined,
  notes: undefined,
  author: 'Jane',
  timestamp: '2025-01-01T00:00:00.000Z',
  source: '.patchpilot/vex.json',
  ...over,
});

const statusOf = (f: Finding, statements: VexStatement[]) => applyVex([f], statements)[0]?.vex?.status;

describe('purlNamesPackage', () => {
  it.each([
    ['pkg:npm/lodash@4.17.15', 'lodash', '4.17.15', true],
    ['pkg:npm/lodash', 'lodash', '4.17.15', true],
    ['pkg:npm/lodash@4.17.16', 'lodash', '4.17.15', false],
    ['pkg:npm/lodash-es@4.17.15', 'lodash', '4.17.15', false],
    ['pkg:npm/%40babel/core@7.0.0', '@babel/core', '7.0.0', true],
    ['pkg:npm/@babel/core@7.0.0', '@babel/core', '7.0.0', true],
    ['pkg:npm/babel/core@7.0.0', '@babel/core', '7.0.0', true],
    ['pkg:npm/%40babel/core', '@babel/core', '7.0.0', true],
    ['pkg:npm/%40babel/core@7.0.0?repository_url=x', '@babel/core', '7.0.0', true],
    ['pkg:npm/JSONStream@1.3.5', 'JSONStream', '1.3.5', true],
    ['pkg:npm/a@1.0.0-beta.1%2Bbuild', 'a', '1.0.0-beta.1+build', true],
    ['pkg:maven/lodash/lodash@4.17.15', 'lodash', '4.17.15', false],
    ['pkg:npm/@babel@7.0.0', '@babel/core', '7.0.0', false],
    ['lodash@4.17.15', 'lodash', '4.17.15', false],
  ])('%s names %s@%s: %s', (purl, name, version, expected) => {
    expect(purlNamesPackage(purl, name, version)).toBe(expected);
  });
});

describe('applyVex', () => {
  it('attaches the statement, suppressing only not_affected', () => {
    const [f] = applyVex([finding()], [statement({ impactStatement: 'never called' })]);
    expect(f?.vex).toEqual({
      status: 'not_affected',
      vulnerability: 'CVE-2020-1',
      justification: 'vulnerable_code_not_in_execute_path',
      impact: 'never called',
      author: 'Jane',
      timestamp: '2025-01-01T00:00:00.000Z',
      source: '.patchpilot/vex.json',
      suppressed: true,
    });
    expect(isSuppressed(f as Finding)).toBe(true);
    for (const status of ['affected', 'under_investigation', 'fixed'] as const) {
      const [kept] = applyVex([finding()], [statement({ status, justification: undefined })]);
      expect(kept?.vex).toMatchObject({ status, suppressed: false });
    }
  });

  it('matches by id or any alias, on either side, case-insensitively', () => {
    expect(statusOf(finding(), [statement({ vulnerability: 'GHSA-AAAA-BBBB-CCCC' })])).toBe('not_affected');
    expect(statusOf(finding(), [statement({ vulnerability: 'X-1', aliases: ['ghsa-aaaa-bbbb-cccc'] })])).toBe(
      'not_affected',
    );
    expect(
      statusOf(finding({ aliases: [], advisories: ['OSV-1', 'GHSA-aaaa-bbbb-cccc'] }), [
        statement({ vulnerability: 'OSV-1' }),
      ]),
    ).toBe('not_affected');
    expect(statusOf(finding(), [statement({ vulnerability: 'CVE-2020-2' })])).toBeUndefined();
  });

  it('matches the package by purl, with or without version; another package or version is not named', () => {
    const scoped = finding({ package: { name: '@s/a', version: '1.0.0', purl: 'pkg:npm/%40s/a@1.0.0' } });
    const product = (purl: string) => [{ purl, subcomponents: [] }];
    expect(statusOf(finding(), [statement({ products: product('pkg:npm/lodash') })])).toBe('not_affected');
    expect(statusOf(finding(), [statement({ products: product('pkg:npm/lodash@4.17.16') })])).toBeUndefined();
    expect(statusOf(finding(), [statement({ products: product('pkg:npm/underscore') })])).toBeUndefined();
    expect(statusOf(scoped, [statement({ products: product('pkg:npm/@s/a@1.0.0') })])).toBe('not_affected');
    expect(statusOf(scoped, [statement({ products: product('pkg:npm/%40s/a') })])).toBe('not_affected');
    expect(statusOf(scoped, [statement({ products: product('pkg:npm/a@1.0.0') })])).toBeUndefined();
  });

  it('applies a subcomponent only inside a product that is every importer leading to the package', () => {
    const inApp = [{ purl: 'pkg:npm/app@1.0.0', subcomponents: ['pkg:npm/lodash'] }];
    expect(statusOf(finding(), [statement({ products: inApp })])).toBe('not_affected');
    // A library's statement about its own dependency.
    const inLib = [{ purl: 'pkg:npm/express@4.0.0', subcomponents: ['pkg:npm/lodash'] }];
    expect(statusOf(finding(), [statement({ products: inLib })])).toBeUndefined();
    // Two workspaces reach the package; the statement speaks for one of them.
    const two = finding({ workspaces: ['app', 'admin'] });
    expect(statusOf(two, [statement({ products: inApp })])).toBeUndefined();
    const both = [...inApp, { purl: 'pkg:npm/admin', subcomponents: ['pkg:npm/lodash@4.17.15'] }];
    expect(statusOf(two, [statement({ products: both })])).toBe('not_affected');
  });

  it('lets the latest statement win; on equal timestamps the one read last', () => {
    const early = statement({ timestamp: '2025-01-01T00:00:00.000Z' });
    const late = statement({
      status: 'affected',
      justification: undefined,
      timestamp: '2025-06-01T00:00:00.000Z',
    });
    expect(statusOf(finding(), [early, late])).toBe('affected');
    expect(statusOf(finding(), [late, early])).toBe('affected');
    const same = statement({ status: 'under_investigation', justification: undefined });
    expect(statusOf(finding(), [early, same])).toBe('under_investigation');
    expect(statusOf(finding(), [same, early])).toBe('not_affected');
    // A statement without a timestamp loses to any dated one.
    expect(statusOf(finding(), [early, statement({ status: 'affected', timestamp: undefined })])).toBe(
      'not_affected',
    );
  });
});

describe('vexStatementsOf', () => {
  it('keeps stated statuses, makes malicious packages affected and the rest under_investigation', () => {
    const stated = applyVex(
      [
        finding(),
        finding({ package: { name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' } }),
      ],
      [statement({ products: [{ purl: 'pkg:npm/lodash', subcomponents: [] }], impactStatement: 'unused' })],
    );
    const malicious = finding({
      id: 'MAL-2025-1',
      aliases: [],
      kind: 'malicious',
      package: { name: 'evil', version: '1.0.0', purl: undefined },
      fixedIn: [],
    });
    const open = finding({ id: 'GHSA-zzzz-zzzz-zzzz', aliases: [] });
    const statements = vexStatementsOf([...stated, malicious, open]);
    expect(statements.map((s) => [s.vulnerability, s.products.map((p) => p.purl), s.status])).toEqual([
      ['GHSA-aaaa-bbbb-cccc', ['pkg:npm/lodash@4.17.15', 'pkg:npm/lodash@4.17.20'], 'not_affected'],
      ['GHSA-zzzz-zzzz-zzzz', ['pkg:npm/lodash@4.17.15'], 'under_investigation'],
      ['MAL-2025-1', ['pkg:npm/evil@1.0.0'], 'affected'],
    ]);
    expect(statements[0]).toMatchObject({
      aliases: ['CVE-2020-1'],
      justification: 'vulnerable_code_not_in_execute_path',
      impactStatement: 'unused',
      notes: 'recorded by Jane',
      timestamp: '2025-01-01T00:00:00.000Z',
    });
    expect(statements[1]?.notes).toContain('fixed in 4.17.21');
    expect(statements[1]?.timestamp).toBeUndefined();
    expect(statements[2]?.actionStatement).toBe('Remove evil: the package is malicious.');
  });
});
