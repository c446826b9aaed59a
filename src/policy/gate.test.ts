import { describe, expect, it } from 'vitest';
import { defaultGate, type GateConfig } from '../config/normalize.js';
import type { Finding, FindingException } from '../core/finding.js';
import { addDays, dayOf, daysBetween, evaluateGate, type ReleaseDate, releaseQueries } from './gate.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  id: 'GHSA-aaaa-bbbb-cccc',
  aliases: ['CVE-2024-1'],
  advisories: ['GHSA-aaaa-bbbb-cccc'],
  kind: 'vulnerability',
  severity: 'critical',
  cvssScore: 9.8,
  cvssVector: undefined,
  summary: undefined,
  package: { name: 'lib', version: '1.0.0', purl: 'pkg:npm/lib@1.0.0' },
  fixedIn: ['1.0.1', '2.0.0'],
  paths: [['app', 'lib@1.0.0']],
  pathCount: 1,
  pathsComplete: true,
  scope: 'prod',
  direct: true,
  workspaces: ['app'],
  locations: ['node_modules/lib'],
  published: '2025-01-01T10:00:00Z',
  ...over,
});

const today = '2025-03-01';
const released = (date: string): ReleaseDate => ({ released: `${date}T12:00:00.000Z` });
const evaluate = (
  findings: Finding[],
  releases: Record<string, ReleaseDate> = {},
  gate: GateConfig = defaultGate,
  day = today,
) => evaluateGate(findings, gate, { today: day, releases: new Map(Object.entries(releases)) });
const one = (
  f: Finding,
  releases: Record<string, ReleaseDate> = {},
  gate: GateConfig = defaultGate,
  day = today,
) => evaluate([f], releases, gate, day).checks;

const exception = (over: Partial<FindingException> = {}): FindingException => ({
  id: 'GHSA-aaaa-bbbb-cccc',
  reason: 'not reachable',
  expires: '2025-12-31',
  author: 'Jane',
  expired: false,
  source: '.patchpilot.yml',
  ...over,
});

describe('dates', () => {
  it('adds and counts whole UTC days', () => {
    expect(addDays('2024-02-28', 2)).toBe('2024-03-01');
    expect(daysBetween('2025-01-01', '2025-03-01')).toBe(59);
    expect(daysBetween('2025-03-01', '2025-01-01')).toBe(-59);
  });
});

describe('evaluateGate', () => {
  it('fails a critical finding whose fix has been out longer than 7 days, from the later of the two dates', () => {
    // Advisory 2025-01-01, fix released 2025-02-10: the clock starts 2025-02-10, due 2025-02-17.
    const [check] = one(finding(), { 'lib@1.0.1': released('2025-02-10') });
    expect(check).toMatchObject({
      rule: 'sla-critical',
      status: 'failed',
      since: '2025-02-10',
      due: '2025-02-17',
      daysOverdue: 12,
      fix: { version: '1.0.1', released: '2025-02-10' },
    });
    expect(check?.evidence).toBe(
      'critical GHSA-aaaa-bbbb-cccc in lib@1.0.0 (prod): fixed in 1.0.1, available since 2025-02-10 ' +
        '(advisory published 2025-01-01, 1.0.1 released 2025-02-10); the 7-day SLA ran out on 2025-02-17, 12 days overdue.',
    );
    // A fix released before its advisory: the advisory's date counts.
    expect(one(finding(), { 'lib@1.0.1': released('2024-06-01') })[0]).toMatchObject({ since: '2025-01-01' });
  });

  it('passes on the due day and fails the day after', () => {
    const f = finding({ severity: 'high' });
    const rel = { 'lib@1.0.1': released('2025-01-01') };
    expect(one(f, rel, defaultGate, '2025-01-31')[0]).toMatchObject({
      status: 'passed',
      daysLeft: 0,
      due: '2025-01-31',
    });
    expect(one(f, rel, defaultGate, '2025-02-01')[0]).toMatchObject({ status: 'failed', daysOverdue: 1 });
  });

  it("falls back to the advisory's date when the release date is unknown, and says why", () => {
    const [check] = one(finding(), { 'lib@1.0.1': { unknown: 'the registry could not be reached' } });
    expect(check).toMatchObject({
      status: 'failed',
      since: '2025-01-01',
      fix: { version: '1.0.1', note: 'the registry could not be reached' },
    });
    expect(check?.evidence).toContain('release date of 1.0.1 unknown: the registry could not be reached');
  });

  it('fails closed when no date is known, and passes a finding without a fixed version', () => {
    const [closed] = one(finding({ published: undefined }), { 'lib@1.0.1': { unknown: 'offline' } });
    expect(closed).toMatchObject({ status: 'failed', fix: { version: '1.0.1' } });
    expect(closed?.evidence).toContain('available since an unknown date');
    expect(closed?.since).toBeUndefined();
    const [nofix] = one(finding({ fixedIn: [] }));
    expect(nofix).toMatchObject({ status: 'passed' });
    expect(nofix?.evidence).toContain('has no fixed version yet');
    // Fixed versions below the installed one (another branch) are no fix for it.
    expect(one(finding({ fixedIn: ['0.9.0'] }))[0]?.status).toBe('passed');
  });

  it('fails malicious packages and KEV-listed findings in any scope, SLAs only in the gated scopes', () => {
    const malicious = finding({
      id: 'MAL-2025-1',
      kind: 'malicious',
      scope: 'dev',
      fixedIn: [],
      remedy: { action: 'remove', affected: '>=0', text: 'Remove lib: every version is malicious' },
    });
    const kev = finding({
      id: 'GHSA-kkkk-kkkk-kkkk',
      scope: 'dev',
      kev: { cve: 'CVE-2024-1', dateAdded: '2025-01-20', dueDate: '2025-02-10', ransomware: 'Known' },
    });
    const result = evaluate([malicious, kev], { 'lib@1.0.1': released('2025-01-01') });
    expect(result.passed).toBe(false);
    expect(result.checks.map((c) => `${c.rule} ${c.status}`)).toEqual(['malicious failed', 'kev failed']);
    expect(result.checks[0]?.evidence).toBe(
      'lib@1.0.0 is a malicious package (MAL-2025-1, reported 2025-01-01). Remove lib: every version is malicious.',
    );
    expect(result.checks[1]?.evidence).toContain(
      "CISA's KEV catalog lists it since 2025-01-20, used in ransomware campaigns",
    );
    const off = evaluate([malicious, kev], {}, { ...defaultGate, malicious: false, kev: false });
    expect(off.checks).toEqual([]);
    expect(off.passed).toBe(true);
    const prodKev = evaluate([{ ...kev, scope: 'prod' }], { 'lib@1.0.1': released('2025-01-01') });
    expect(prodKev.checks.map((c) => `${c.rule} ${c.status}`)).toEqual(['kev failed', 'sla-critical failed']);
  });

  it('holds a finding of unknown severity to the low SLA, saying so', () => {
    const unknown = finding({ severity: 'unknown', cvssScore: undefined });
    // The default gate sets no low SLA: nothing to check.
    expect(one(unknown)).toEqual([]);
    const gate: GateConfig = { ...defaultGate, sla: { ...defaultGate.sla, low: 3 } };
    const [check] = one(unknown, { 'lib@1.0.1': released('2025-01-01') }, gate);
    expect(check).toMatchObject({ rule: 'sla-low', status: 'failed', due: '2025-01-04' });
    expect(check?.evidence).toMatch(
      /^unknown-severity \(counted as low\) GHSA-aaaa-bbbb-cccc in lib@1\.0\.0/,
    );
  });

  it('applies the configured SLAs: off, other days, more scopes', () => {
    const moderate = finding({ severity: 'moderate' });
    expect(one(moderate)).toEqual([]);
    const gate: GateConfig = {
      ...defaultGate,
      sla: { ...defaultGate.sla, critical: undefined, moderate: 10 },
      scopes: ['prod', 'dev'],
    };
    expect(one(finding(), {}, gate)).toEqual([]);
    expect(
      one({ ...moderate, scope: 'dev' }, { 'lib@1.0.1': released('2025-01-01') }, gate)[0],
    ).toMatchObject({
      rule: 'sla-moderate',
      status: 'failed',
      due: '2025-01-11',
    });
  });

  it('lists suppressed and excepted findings without failing, and expired exceptions as failing', () => {
    const rel = { 'lib@1.0.1': released('2025-01-01') };
    const suppressed = finding({
      vex: {
        status: 'not_affected',
        vulnerability: 'CVE-2024-1',
        justification: 'vulnerable_code_not_in_execute_path',
        author: 'Vendor',
        timestamp: undefined,
        source: 'vex.json',
        suppressed: true,
      },
    });
    const excepted = finding({
      package: { name: 'lib', version: '1.0.0', purl: undefined },
      exception: exception(),
    });
    const expired = finding({
      id: 'GHSA-eeee-eeee-eeee',
      exception: exception({ id: 'GHSA-eeee-eeee-eeee', expires: '2025-02-01', expired: true }),
    });
    const result = evaluate([suppressed, excepted, expired], rel);
    expect(result.checks.map((c) => `${c.finding.id} ${c.status}`)).toEqual([
      'GHSA-eeee-eeee-eeee failed',
      'GHSA-aaaa-bbbb-cccc suppressed',
      'GHSA-aaaa-bbbb-cccc excepted',
    ]);
    expect(result.checks[0]?.evidence).toMatch(
      /overdue\. Its exception \(Jane: not reachable\) held until 2025-02-01\.$/,
    );
    expect(result.checks[1]?.evidence).toMatch(
      /Not failing: suppressed by VEX \(not_affected: vulnerable_code_not_in_execute_path, by Vendor\)\.$/,
    );
    expect(result.checks[2]?.evidence).toMatch(
      /Not failing: excepted until 2025-12-31 by Jane: not reachable\.$/,
    );
    expect(result.expired.map((e) => e.finding.id)).toEqual(['GHSA-eeee-eeee-eeee']);
    expect(evaluate([suppressed, excepted], rel).passed).toBe(true);
  });

  it('lists configuration exceptions that name no finding', () => {
    const stale = { id: 'GHSA-gone', package: undefined, reason: 'r', expires: '2030-01-01', author: 'a' };
    const result = evaluateGate([finding({ fixedIn: [] })], defaultGate, {
      today,
      releases: new Map(),
      exceptions: [stale, { ...stale, id: 'CVE-2024-1' }],
    });
    expect(result.unused).toEqual([stale]);
  });
});

describe('releaseQueries', () => {
  it("asks only for the fixes whose dates decide: SLA applies, advisory's date already past due (held ones too)", () => {
    const queries = releaseQueries(
      [
        finding(),
        finding({ id: 'GHSA-2', package: { name: 'lib', version: '1.0.0', purl: undefined } }),
        finding({
          id: 'GHSA-young',
          package: { name: 'young', version: '1.0.0', purl: undefined },
          published: '2025-02-27T00:00:00Z',
        }),
        finding({
          id: 'GHSA-dev',
          package: { name: 'dev', version: '1.0.0', purl: undefined },
          scope: 'dev',
        }),
        finding({
          id: 'GHSA-nofix',
          package: { name: 'nofix', version: '1.0.0', purl: undefined },
          fixedIn: [],
        }),
        finding({
          id: 'GHSA-exc',
          package: { name: 'exc', version: '1.0.0', purl: undefined },
          exception: exception(),
        }),
        finding({
          id: 'GHSA-undated',
          package: { name: 'undated', version: '1.0.0', purl: undefined },
          published: undefined,
        }),
      ],
      defaultGate,
      today,
    );
    expect(queries).toEqual([
      { name: 'lib', version: '1.0.1' },
      { name: 'exc', version: '1.0.1' },
      { name: 'undated', version: '1.0.1' },
    ]);
  });
});

describe('dayOf', () => {
  it('reads a time without an offset as UTC, whatever the time zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(dayOf('2025-01-31T23:30:00')).toBe('2025-01-31');
      expect(dayOf('2025-01-31T23:30:00-02:00')).toBe('2025-02-01');
      expect(dayOf('March 7, 2025')).toBeUndefined();
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});
