import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { projectRoot, requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';

/**
 * `patchpilot gate` on real projects and real advisories (../shared/data), as of 2026-06-01 (after
 * the newest advisory, 2026-04-10), offline with an empty registry cache: every fix release date
 * is unknown, so the SLAs count from the advisories' publish dates and the evidence says so (the
 * registry path is covered hermetically by test/e2e/gate.test.ts). The shared data has no KEV
 * catalog, so the `kev` rule is not exercised here.
 *
 * Expected, with the default gate (critical 7 days, high 30 days, prod scope):
 * - Juice Shop 2019 (its root package-lock.json): 86 violations, 25 sla-critical (sequelize@5.8.6
 *   alone has five, lodash@4.17.11 GHSA-jf85-cpcp-j695 among them) and 61 sla-high; 5 checks pass,
 *   three of them criticals without any fixed version (libxmljs2@0.21.3 twice, marsdb@0.6.11);
 * - NodeGoat 2020: 30 violations, 8 sla-critical (underscore@1.9.1, bson@1.0.9, three minimist
 *   versions…) and 22 sla-high; NodeGoat 2023 (HEAD) 8 and 23;
 * - a project installing debug@4.4.2, the hijacked release of September 2025: the malicious rule;
 * - the clean fixture: passes.
 * Then on NodeGoat: a VEX statement and exceptions for every other violation pass the gate, and
 * with one exception expired it fails on exactly that finding and says the exception expired.
 */
const hasData = requireSharedData();
const advisories = join(sharedData, 'advisories');
const projects = join(sharedData, 'projects');
const juiceShop = join(projects, 'juice-shop__juice-shop@8303ac5fce');
const nodeGoat = join(projects, 'OWASP__NodeGoat@3137d3c0f1');
const nodeGoat2023 = join(projects, 'OWASP__NodeGoat@c5cb68a708');
const clean = join(projectRoot, 'test/fixtures/gate/clean-app');
const today = '2026-06-01';

interface Check {
  rule: string;
  status: string;
  evidence: string;
  since?: string;
  finding: { id: string; package: { name: string; version: string; purl?: string } };
}
interface Report {
  passed: boolean;
  counts: {
    failed: number;
    passed: number;
    suppressed: number;
    excepted: number;
    expiredExceptions: number;
    failedByRule: Record<string, number>;
  };
  projects: { checks: Check[]; expiredExceptions: { exception: { id: string; expires: string } }[] }[];
  releaseDates: { looked: number; unknown: { package: string; reason: string }[] };
}

const key = (c: Check) => `${c.rule} ${c.finding.id} ${c.finding.package.name}@${c.finding.package.version}`;

describe.skipIf(!hasData)('gate on real projects and advisories', () => {
  let work: ReturnType<typeof tempDir>;
  let db: string;
  const gate = (target: string, ...args: string[]) =>
    runCli(['gate', target, '--db', db, '--today', today, '--offline', '--deterministic', ...args], {
      cwd: work.path,
      env: { PATCHPILOT_HOME: join(work.path, 'home') },
    });
  const gateJson = (target: string, ...args: string[]) => {
    const result = gate(target, '--json', ...args);
    return { code: result.code, stderr: result.stderr, report: JSON.parse(result.stdout) as Report };
  };

  beforeAll(() => {
    work = tempDir();
    db = join(work.path, 'advisories.db');
    const files = ['npm-osv.jsonl.gz', 'npm-osv-more.jsonl.gz', 'npm-malicious-sample.jsonl.gz'];
    const imported = runCli(['db', 'import', ...files.map((f) => join(advisories, f)), '--db', db]);
    expect(imported.code, imported.stderr).toBe(0);
  });
  afterAll(() => work?.remove());

  it('fails Juice Shop 2019 on 25 critical and 61 high findings past their SLA, in JSON, JUnit and SARIF', async () => {
    const { code, stderr, report } = gateJson(juiceShop);
    expect(code, stderr).toBe(1);
    expect(report.counts).toMatchObject({
      failed: 86,
      passed: 5,
      suppressed: 0,
      excepted: 0,
      failedByRule: {
        malicious: 0,
        kev: 0,
        'sla-critical': 25,
        'sla-high': 61,
        'sla-moderate': 0,
        'sla-low': 0,
      },
    });
    const checks = report.projects[0]?.checks ?? [];
    const failed = new Set(checks.filter((c) => c.status === 'failed').map(key));
    for (const expected of [
      'sla-critical GHSA-j9xp-92vc-559j sequelize@5.8.6',
      'sla-critical GHSA-jf85-cpcp-j695 lodash@4.17.11',
      'sla-critical GHSA-xvch-5gv4-984h minimist@0.0.8',
      'sla-critical GHSA-c7hr-j4mj-j2w6 jsonwebtoken@0.1.0',
      'sla-high GHSA-8cf7-32gw-wr33 jsonwebtoken@8.5.1',
      'sla-high GHSA-3jfq-g458-7qm9 tar@4.4.8',
    ]) {
      expect(failed).toContain(expected);
    }
    expect(
      checks.filter((c) => c.finding.package.name === 'sequelize' && c.status === 'failed'),
    ).toHaveLength(5);
    const sequelize = checks.find((c) => key(c) === 'sla-critical GHSA-j9xp-92vc-559j sequelize@5.8.6');
    expect(sequelize).toMatchObject({ since: '2019-11-06' });
    expect(sequelize?.evidence).toContain('not in the registry cache (--offline)');
    expect(
      checks
        .filter((c) => c.status === 'passed')
        .map(key)
        .sort(),
    ).toEqual([
      'sla-critical GHSA-5mrr-rgp6-x4gr marsdb@0.6.11',
      'sla-critical GHSA-78h3-pg4x-j8cv libxmljs2@0.21.3',
      'sla-critical GHSA-mjr4-7xg5-pfvh libxmljs2@0.21.3',
      'sla-high GHSA-p6mc-m468-83gw lodash.set@4.3.2',
      'sla-high GHSA-wm7h-9275-46v2 dicer@0.2.5',
    ]);
    expect(report.releaseDates.looked).toBe(report.releaseDates.unknown.length);
    expect(stderr).toMatch(/^warning: \d+ of \d+ fix release dates unknown/);

    const junit = gate(juiceShop, '--format', 'junit');
    expect(junit.code).toBe(1);
    const validation = await validateXML({
      xml: [{ fileName: 'report.xml', contents: junit.stdout }],
      schema: [
        {
          fileName: 'junit.xsd',
          contents: readFileSync(join(projectRoot, 'test/fixtures/junit/junit.xsd'), 'utf8'),
        },
      ],
    });
    expect(validation.errors).toEqual([]);
    expect(junit.stdout.match(/<failure /g)).toHaveLength(86);
    expect(junit.stdout).toContain('tests="91" failures="86" errors="0" skipped="0"');

    const sarif = gate(juiceShop, '--format', 'sarif');
    const log = JSON.parse(sarif.stdout);
    const schema = createRequire(import.meta.url)('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
    const ajv = new ajvDraft04.default({ allErrors: true, unicodeRegExp: false });
    ajvFormats.default(ajv);
    const validate = ajv.compile(schema);
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(log.runs[0].results).toHaveLength(86);
  });

  it('fails NodeGoat 2020 on 8 critical and 22 high findings past their SLA (2023: 8 and 23)', () => {
    const { code, report } = gateJson(nodeGoat);
    expect(code).toBe(1);
    expect(report.counts).toMatchObject({
      failed: 30,
      passed: 1,
      failedByRule: { malicious: 0, kev: 0, 'sla-critical': 8, 'sla-high': 22 },
    });
    const failed = (report.projects[0]?.checks ?? []).filter((c) => c.status === 'failed').map(key);
    for (const expected of [
      'sla-critical GHSA-cf4h-3jhx-xvhq underscore@1.9.1',
      'sla-critical GHSA-v8w9-2789-6hhr bson@1.0.9',
      'sla-critical GHSA-xvch-5gv4-984h minimist@1.2.5',
    ]) {
      expect(failed).toContain(expected);
    }
    const head = gateJson(nodeGoat2023);
    expect(head.code).toBe(1);
    expect(head.report.counts.failedByRule).toMatchObject({ 'sla-critical': 8, 'sla-high': 23 });
  });

  it('honours VEX and exceptions on NodeGoat, and fails again on an expired exception', () => {
    const { report } = gateJson(nodeGoat);
    const violations = (report.projects[0]?.checks ?? []).filter((c) => c.status === 'failed');
    const bson = violations.find((c) => c.finding.id === 'GHSA-v8w9-2789-6hhr') as Check;
    const underscore = violations.find((c) => c.finding.id === 'GHSA-cf4h-3jhx-xvhq') as Check;
    writeFileSync(
      join(work.path, 'nodegoat.openvex.json'),
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.org/vex/nodegoat',
        author: 'Test',
        timestamp: '2026-01-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: bson.finding.id },
            products: [{ '@id': `pkg:npm/bson@${bson.finding.package.version}` }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    // One exception per other violating finding (a finding can fail several rules: one is enough).
    const others = new Map<string, Check>();
    for (const c of violations) {
      if (c !== bson) others.set(`${c.finding.id} ${c.finding.package.name}@${c.finding.package.version}`, c);
    }
    const exceptions = (underscoreExpires: string) =>
      [
        'exceptions:',
        ...[...others.values()].flatMap((c) => [
          `  - id: ${c.finding.id}`,
          `    package: "${c.finding.package.name}@${c.finding.package.version}"`,
          '    reason: accepted for the test',
          `    expires: ${c === underscore ? underscoreExpires : '2026-12-31'}`,
          '    author: Test',
        ]),
        '',
      ].join('\n');
    const configFile = join(work.path, 'nodegoat.patchpilot.yml');
    const run = () => gateJson(nodeGoat, '--config', configFile, '--vex', 'nodegoat.openvex.json');

    writeFileSync(configFile, exceptions('2026-12-31'));
    const held = run();
    expect(held.code, held.stderr).toBe(0);
    expect(held.report.counts).toMatchObject({
      failed: 0,
      suppressed: 1,
      excepted: 29,
      expiredExceptions: 0,
    });

    writeFileSync(configFile, exceptions('2026-05-31'));
    const expired = run();
    expect(expired.code).toBe(1);
    expect(expired.report.counts).toMatchObject({
      failed: 1,
      suppressed: 1,
      excepted: 28,
      expiredExceptions: 1,
    });
    const [failing] = (expired.report.projects[0]?.checks ?? []).filter((c) => c.status === 'failed');
    expect(key(failing as Check)).toBe('sla-critical GHSA-cf4h-3jhx-xvhq underscore@1.9.1');
    expect(failing?.evidence).toContain('Its exception (Test: accepted for the test) held until 2026-05-31.');
    expect(expired.report.projects[0]?.expiredExceptions.map((e) => e.exception)).toMatchObject([
      { id: 'GHSA-cf4h-3jhx-xvhq', expires: '2026-05-31' },
    ]);
    const text = gate(nodeGoat, '--config', configFile, '--vex', 'nodegoat.openvex.json');
    expect(text.stdout).toContain(
      'EXPIRED exception GHSA-cf4h-3jhx-xvhq (underscore@1.9.1) held until 2026-05-31',
    );
  });

  it('fails a project that installs a malicious release, and passes the clean fixture', () => {
    const app = join(work.path, 'debug-app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'debug-app', version: '1.0.0', dependencies: { debug: '4.4.2' } }),
    );
    writeFileSync(
      join(app, 'package-lock.json'),
      JSON.stringify({
        name: 'debug-app',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'debug-app', version: '1.0.0', dependencies: { debug: '4.4.2' } },
          'node_modules/debug': {
            version: '4.4.2',
            resolved: 'https://registry.npmjs.org/debug/-/debug-4.4.2.tgz',
          },
        },
      }),
    );
    const { code, report } = gateJson(app);
    expect(code).toBe(1);
    expect(report.counts.failedByRule).toMatchObject({ malicious: 1 });
    const [malicious] = report.projects[0]?.checks ?? [];
    expect(malicious).toMatchObject({
      rule: 'malicious',
      status: 'failed',
      finding: { id: 'GHSA-4x49-vf9v-38px' },
    });
    expect(malicious?.evidence).toMatch(
      /^debug@4\.4\.2 is a malicious package \(GHSA-4x49-vf9v-38px, reported 2025-09-\d\d\)\./,
    );

    const passed = gateJson(clean);
    expect(passed.code).toBe(0);
    expect(passed.report).toMatchObject({ passed: true, counts: { failed: 0 } });
  });
});
