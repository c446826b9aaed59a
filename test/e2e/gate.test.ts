import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { binPath, type CliResult, projectRoot, runCli, tempDir } from '../helpers/cli.js';

/**
 * `patchpilot gate` and `patchpilot init` on copies of the bundled example and a clean fixture,
 * against a local HTTP server standing in for the npm registry (release dates), with no network.
 *
 * The example's findings the default gate checks (prod scope, critical and high), as of 2026-05-01:
 * - GHSA-xvch-5gv4-984h (critical) in minimist@1.2.5 (fix 1.2.6) and minimist@0.0.8 (fix 0.2.4);
 * - GHSA-r683-j2x4-v87g (high) in node-fetch@2.6.0 (fix 2.6.7);
 * - GHSA-p6mc-m468-83gw (CVE-2020-8203), GHSA-35jh-r3h4-6jhm and GHSA-r5fr-rjxr-66jc (published
 *   2026-04-01, so within its 30 days) (high) in lodash@4.17.15.
 * json5 is dev-only and the rest are moderate or low: not checked. On top of the example's real
 * advisories the store gets two made up for this test: a KEV catalog listing CVE-2020-8203, and a
 * malicious-package record for mkdirp@0.5.1.
 */
const example = join(projectRoot, 'examples/vulnerable-app');
const clean = join(projectRoot, 'test/fixtures/gate/clean-app');
const junitXsd = readFileSync(join(projectRoot, 'test/fixtures/junit/junit.xsd'), 'utf8');
const work = tempDir();
const db = join(work.path, 'store.db');
const app = join(work.path, 'app');
const today = '2026-05-01';

/** Stand-in registry documents: only `time` and the versions matter here. */
const documents: Record<string, { versions: string[]; time: Record<string, string> }> = {
  // 1.2.6 released after its advisory (2022-03-18): the clock starts at the release.
  minimist: {
    versions: ['1.2.5', '1.2.6'],
    time: { '1.2.5': '2020-03-12T00:00:00Z', '1.2.6': '2022-03-20T10:00:00Z' },
  },
  // 2.6.7 released before its advisory (2022-01-21): the advisory's date counts.
  'node-fetch': {
    versions: ['2.6.0', '2.6.7'],
    time: { '2.6.0': '2019-05-16T00:00:00Z', '2.6.7': '2022-01-16T00:00:00Z' },
  },
  lodash: {
    versions: ['4.17.15', '4.17.19', '4.17.21'],
    time: {
      '4.17.15': '2019-07-19T00:00:00Z',
      '4.17.19': '2020-07-17T00:00:00Z',
      '4.17.21': '2021-02-20T00:00:00Z',
    },
  },
};

const seen: { url: string; accept: string | undefined }[] = [];
const server: Server = createServer((req: IncomingMessage, res) => {
  seen.push({ url: req.url ?? '', accept: req.headers.accept });
  if (req.url?.startsWith('/denied/')) {
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
    return;
  }
  const name = decodeURIComponent((req.url ?? '/').slice(1));
  const doc = documents[name];
  if (!doc) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    return;
  }
  const body = {
    name,
    'dist-tags': { latest: doc.versions.at(-1) },
    versions: Object.fromEntries(
      doc.versions.map((v) => [v, { name, version: v, dist: { tarball: `http://x/${name}-${v}.tgz` } }]),
    ),
    time: { created: '2010-01-01T00:00:00Z', modified: '2024-01-01T00:00:00Z', ...doc.time },
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
let registry: string;

const runCliAsync = (args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: work.path,
      env: { PATH: process.env.PATH, HOME: work.path, PATCHPILOT_HOME: join(work.path, 'home'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });

/** Offline runs get a home of their own, so that no cached document answers. */
const gate = (args: string[], env: Record<string, string> = {}) =>
  runCliAsync(['gate', ...args, '--db', db, '--today', today, '--deterministic'], env);

const validateJunit = async (xml: string) =>
  validateXML({
    xml: [{ fileName: 'report.xml', contents: xml }],
    schema: [{ fileName: 'junit.xsd', contents: junitXsd }],
  });

const sarifValidator = () => {
  const schema = createRequire(import.meta.url)('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  const ajv = new ajvDraft04.default({ allErrors: true, unicodeRegExp: false });
  ajvFormats.default(ajv);
  return ajv.compile(schema);
};

interface Check {
  rule: string;
  status: string;
  evidence: string;
  since?: string;
  due?: string;
  daysOverdue?: number;
  fix?: { version: string; released?: string; note?: string };
  finding: { id: string; package: { name: string; version: string } };
}
interface Report {
  passed: boolean;
  today: string;
  counts: {
    failed: number;
    passed: number;
    suppressed: number;
    excepted: number;
    failedByRule: Record<string, number>;
  };
  projects: {
    path: string;
    config?: string;
    checks: Check[];
    expiredExceptions: unknown[];
    unusedExceptions: unknown[];
  }[];
  releaseDates: { looked: number; unknown: { package: string; reason: string }[] };
}
const row = (c: Check) =>
  `${c.rule} ${c.status} ${c.finding.id} ${c.finding.package.name}@${c.finding.package.version}`;

const config = [
  'gate:',
  '  sla:',
  '    critical: 7',
  'exceptions:',
  '  - id: CVE-2020-8203 # an alias of GHSA-p6mc-m468-83gw',
  '    package: lodash',
  '    reason: zipObjectDeep is never called with user input',
  '    expires: 2026-12-31',
  '    author: Jane Doe',
  '  - id: GHSA-35jh-r3h4-6jhm',
  '    package: pkg:npm/lodash@4.17.15',
  '    reason: template is not used',
  '    expires: 2026-01-01',
  '    author: John Roe',
  '  - id: GHSA-0000-0000-0000',
  "    reason: 'left over: ask @jane, see [#12](https://x.example) **now**'",
  '    expires: 2030-01-01',
  '    author: Jane Doe',
  '',
].join('\n');

const vex = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.org/vex/1',
  author: 'Vendor',
  timestamp: '2026-01-01T00:00:00Z',
  version: 1,
  statements: [
    {
      vulnerability: { name: 'GHSA-r683-j2x4-v87g' },
      products: [{ '@id': 'pkg:npm/node-fetch@2.6.0' }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    },
  ],
};

beforeAll(async () => {
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  registry = `http://127.0.0.1:${port}`;
  const made = join(work.path, 'made-up.json');
  writeFileSync(
    made,
    JSON.stringify({
      vulns: [
        {
          id: 'MAL-0000-0001',
          modified: '2026-02-01T00:00:00Z',
          published: '2026-02-01T00:00:00Z',
          summary: 'Made up for this test: malicious code in mkdirp 0.5.1',
          affected: [{ package: { ecosystem: 'npm', name: 'mkdirp' }, versions: ['0.5.1'] }],
        },
      ],
    }),
  );
  const kev = join(work.path, 'known_exploited_vulnerabilities.json');
  writeFileSync(
    kev,
    JSON.stringify({
      title: 'Made up for this test',
      catalogVersion: '2026.01.01',
      dateReleased: '2026-01-01T00:00:00Z',
      count: 1,
      vulnerabilities: [
        {
          cveID: 'CVE-2020-8203',
          vendorProject: 'lodash',
          product: 'lodash',
          vulnerabilityName: 'made up',
          dateAdded: '2026-01-15',
          shortDescription: 'made up',
          requiredAction: 'update',
          dueDate: '2026-02-05',
          knownRansomwareCampaignUse: 'Unknown',
        },
      ],
    }),
  );
  for (const args of [
    ['db', 'import', join(example, 'advisories.osv.json'), made, '--db', db],
    ['db', 'import-kev', kev, '--db', db],
  ]) {
    const result = runCli(args);
    expect(result.code, result.stderr).toBe(0);
  }
  cpSync(example, app, { recursive: true });
  writeFileSync(join(work.path, 'vendor.openvex.json'), JSON.stringify(vex));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  work.remove();
});

describe('gate on the example, default gate', () => {
  it('fails with each violation and its evidence, dating fixes from the registry', async () => {
    const result = await gate(['app', '--json', '--registry', registry]);
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.passed).toBe(false);
    expect(report.today).toBe(today);
    expect(report.counts).toMatchObject({
      failed: 7,
      passed: 1,
      suppressed: 0,
      excepted: 0,
      failedByRule: {
        malicious: 1,
        kev: 1,
        'sla-critical': 2,
        'sla-high': 3,
        'sla-moderate': 0,
        'sla-low': 0,
      },
    });
    const checks = report.projects[0]?.checks ?? [];
    expect(checks.map(row)).toEqual([
      'malicious failed MAL-0000-0001 mkdirp@0.5.1',
      'kev failed GHSA-p6mc-m468-83gw lodash@4.17.15',
      'sla-critical failed GHSA-xvch-5gv4-984h minimist@1.2.5',
      'sla-critical failed GHSA-xvch-5gv4-984h minimist@0.0.8',
      // KEV raises lodash's priority above node-fetch's.
      'sla-high failed GHSA-p6mc-m468-83gw lodash@4.17.15',
      'sla-high failed GHSA-r683-j2x4-v87g node-fetch@2.6.0',
      'sla-high failed GHSA-35jh-r3h4-6jhm lodash@4.17.15',
      'sla-high passed GHSA-r5fr-rjxr-66jc lodash@4.17.15',
    ]);
    const by = (id: string, version: string, rule = '') =>
      checks.find(
        (c) => c.finding.id === id && c.finding.package.version === version && c.rule.startsWith(rule),
      );
    // The later of the advisory (2022-03-18) and the release (2022-03-20).
    expect(by('GHSA-xvch-5gv4-984h', '1.2.5')).toMatchObject({
      since: '2022-03-20',
      due: '2022-03-27',
      daysOverdue: 1496,
      fix: { version: '1.2.6', released: '2022-03-20' },
    });
    expect(by('GHSA-r683-j2x4-v87g', '2.6.0')).toMatchObject({
      since: '2022-01-21',
      fix: { released: '2022-01-16' },
    });
    // A fixed version the registry does not list: the advisory's date, and the evidence says why.
    expect(by('GHSA-xvch-5gv4-984h', '0.0.8')).toMatchObject({
      since: '2022-03-18',
      fix: { version: '0.2.4', note: 'the registry does not list 0.2.4' },
    });
    expect(by('GHSA-xvch-5gv4-984h', '0.0.8')?.evidence).toContain(
      'release date of 0.2.4 unknown: the registry does not list 0.2.4',
    );
    expect(by('GHSA-r5fr-rjxr-66jc', '4.17.15')?.evidence).toContain('due 2026-05-01, 0 days left');
    expect(by('GHSA-p6mc-m468-83gw', '4.17.15', 'kev')?.evidence).toContain(
      "CISA's KEV catalog lists it since 2026-01-15",
    );
    expect(report.releaseDates).toEqual({
      looked: 5,
      unknown: [{ package: 'minimist@0.2.4', reason: 'the registry does not list 0.2.4' }],
    });
    // Full documents (publish times), one request per package.
    expect(seen.map((s) => s.url).sort()).toEqual(['/lodash', '/minimist', '/node-fetch']);
    expect(seen.every((s) => s.accept === 'application/json')).toBe(true);
  });
});

describe('gate with a configuration, VEX and exceptions', () => {
  beforeAll(() => writeFileSync(join(app, '.patchpilot.yml'), config));

  it('writes JUnit XML that validates: violations fail, suppressed and excepted ones are skipped', async () => {
    const result = await gate(['app', '--format', 'junit', '--vex', 'vendor.openvex.json', '--offline'], {
      PATCHPILOT_HOME: join(work.path, 'home-offline'),
    });
    expect(result.code, result.stderr).toBe(1);
    // Offline with an empty cache: every release date looked up (those of the suppressed and
    // excepted findings too) falls back to the advisory's, with a warning.
    expect(result.stderr).toMatch(
      /^warning: 5 of 5 fix release dates unknown \(offline: no cached full document for /,
    );
    const validation = await validateJunit(result.stdout);
    expect(validation.errors, result.stdout).toEqual([]);
    expect(validation.valid).toBe(true);
    expect(result.stdout).toContain(
      '<testsuite name="app/package-lock.json" tests="8" failures="4" errors="0" skipped="3" time="0">',
    );
    expect(result.stdout).toContain('<property name="config" value="app/.patchpilot.yml"/>');
    expect(result.stdout).toContain(
      '<property name="expired-exception" value="GHSA-35jh-r3h4-6jhm lodash@4.17.15 held until 2026-01-01"/>',
    );
    const testcases = [
      ...result.stdout.matchAll(
        /<testcase classname="([^"]+)" name="([^"]+)" time="0"(\/?)>\n?(\s*<(\w+))?/g,
      ),
    ].map((m) => `${m[1]} ${m[2]} ${m[3] === '/' ? 'passed' : m[5]}`);
    expect(testcases).toEqual([
      'patchpilot.gate.malicious MAL-0000-0001 mkdirp@0.5.1 failure',
      'patchpilot.gate.sla-critical GHSA-xvch-5gv4-984h minimist@1.2.5 failure',
      'patchpilot.gate.sla-critical GHSA-xvch-5gv4-984h minimist@0.0.8 failure',
      'patchpilot.gate.sla-high GHSA-35jh-r3h4-6jhm lodash@4.17.15 failure',
      'patchpilot.gate.kev GHSA-p6mc-m468-83gw lodash@4.17.15 skipped',
      'patchpilot.gate.sla-high GHSA-p6mc-m468-83gw lodash@4.17.15 skipped',
      'patchpilot.gate.sla-high GHSA-r683-j2x4-v87g node-fetch@2.6.0 skipped',
      'patchpilot.gate.sla-high GHSA-r5fr-rjxr-66jc lodash@4.17.15 passed',
    ]);
    expect(result.stdout).toContain('Its exception (John Roe: template is not used) held until 2026-01-01.');
    expect(result.stdout).toContain(
      'Not failing: excepted until 2026-12-31 by Jane Doe: zipObjectDeep is never called with user input.',
    );
    expect(result.stdout).toContain('release date of 1.2.6 unknown: not in the registry cache (--offline)');
  });

  it('writes SARIF that validates, with suppressed and excepted results dismissed', async () => {
    const result = await gate([
      'app',
      '--format',
      'sarif',
      '--vex',
      'vendor.openvex.json',
      '--registry',
      registry,
    ]);
    expect(result.code, result.stderr).toBe(1);
    const sarif = JSON.parse(result.stdout);
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const results = sarif.runs[0].results as {
      ruleId: string;
      level: string;
      suppressions?: { kind: string; status: string; justification: string }[];
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
    expect(results).toHaveLength(7);
    expect(results.filter((r) => r.suppressions === undefined).map((r) => r.ruleId)).toEqual([
      'malicious',
      'sla-critical',
      'sla-critical',
      'sla-high',
    ]);
    expect(results.flatMap((r) => r.suppressions ?? []).map((s) => s.justification)).toEqual([
      'exception until 2026-12-31 by Jane Doe: zipObjectDeep is never called with user input',
      'exception until 2026-12-31 by Jane Doe: zipObjectDeep is never called with user input',
      'VEX not_affected: vulnerable_code_not_in_execute_path, by Vendor',
    ]);
    expect(results[0]?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('app/package-lock.json');
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'malicious',
      'kev',
      'sla-critical',
      'sla-high',
      'sla-moderate',
      'sla-low',
    ]);
  });

  it('says in text and Markdown what failed, what was held back, and which exception expired', async () => {
    const [text, markdown] = await Promise.all([
      gate(['app', '--vex', 'vendor.openvex.json', '--registry', registry]),
      // A registry that refuses: no further request after the first refusal, and the gate goes on.
      gate(
        ['app', '--format', 'markdown', '--vex', 'vendor.openvex.json', '--registry', `${registry}/denied/`],
        {
          PATCHPILOT_HOME: join(work.path, 'home-denied'),
        },
      ),
    ]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'app/package-lock.json (config app/.patchpilot.yml): FAILED, 4 violations (1 malicious, 2 sla-critical, 1 sla-high); 1 suppressed, 2 excepted; 1 within SLA',
    );
    expect(text.stdout).toContain('  FAIL  sla-high  GHSA-35jh-r3h4-6jhm lodash@4.17.15');
    expect(text.stdout).toContain(
      '  EXPIRED exception GHSA-35jh-r3h4-6jhm (lodash@4.17.15) held until 2026-01-01: template is not used (John Roe, app/.patchpilot.yml); it no longer applies',
    );
    expect(text.stdout).toContain('  note: exception GHSA-0000-0000-0000 names no finding of this project');
    expect(text.stdout).toContain(
      'gate FAILED as of 2026-05-01: 4 violations (1 malicious, 2 sla-critical, 1 sla-high), 1 suppressed by VEX, 2 excepted, 1 expired exception',
    );
    expect(markdown.code).toBe(1);
    expect(markdown.stderr).toMatch(
      /^warning: 5 of 5 fix release dates unknown \(GET http:\/\/127\.0\.0\.1:\d+\/denied\/\S+: HTTP 401/,
    );
    expect(seen.filter((s) => s.url.startsWith('/denied/'))).toHaveLength(1);
    expect(markdown.stdout).toContain('5 of 5 fix release dates could not be had from the registry');
    expect(markdown.stdout).toContain('## PatchPilot gate: **failed**');
    expect(markdown.stdout).toContain('| Rule | ID | Package | Scope | Evidence |');
    expect(markdown.stdout).toContain('<summary>Not failing: 3 suppressed or excepted</summary>');
    expect(markdown.stdout).toContain(
      '- GHSA-35jh-r3h4-6jhm for `lodash@4.17.15`: held until 2026-01-01 (John Roe: template is not used)',
    );
    expect(markdown.stdout).toContain(
      // Free text mentions nobody, references no issue and is no link in a pull-request comment.
      'Exceptions that name no finding of this project (left over?):\n\n- GHSA-0000-0000-0000: expires 2030-01-01 ' +
        '(Jane Doe: left over: ask @&#8203;jane, see \\[#&#8203;12\\](https://&#8203;x.example) \\*\\*now\\*\\*)\n',
    );
  });

  it('shows exceptions in scan too, and they never count for --fail-on', () => {
    const result = runCli(['scan', 'app', '--db', db, '--json', '--fail-on', 'critical'], { cwd: work.path });
    // The critical minimist findings are not excepted: still exit 1.
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as {
      projects: { config?: string }[];
      summary: { excepted: number };
      findings: { id: string; exception?: { expired: boolean } }[];
    };
    expect(report.projects[0]?.config).toBe('app/.patchpilot.yml');
    expect(report.summary.excepted).toBe(1);
    expect(
      report.findings
        .filter((f) => f.exception)
        .map((f) => `${f.id} ${f.exception?.expired}`)
        .sort(),
    ).toEqual(['GHSA-35jh-r3h4-6jhm true', 'GHSA-p6mc-m468-83gw false']);
    const text = runCli(['scan', 'app', '--db', db], { cwd: work.path });
    expect(text.stdout).toContain(
      'GHSA-35jh-r3h4-6jhm lodash@4.17.15: exception EXPIRED (held until 2026-01-01), not applied; by John Roe: template is not used',
    );
    expect(text.stdout).toContain(
      'GHSA-p6mc-m468-83gw lodash@4.17.15: excepted until 2026-12-31; by Jane Doe',
    );
  });
});

describe('gate: an expired exception naming two findings', () => {
  it('is listed once per finding and counted once, as is one that names nothing', async () => {
    const dir = join(work.path, 'two-findings');
    cpSync(example, dir, { recursive: true });
    writeFileSync(
      join(dir, '.patchpilot.yml'),
      'exceptions:\n  - id: GHSA-xvch-5gv4-984h\n    reason: r\n    expires: 2026-01-01\n    author: a\n' +
        '  - id: GHSA-0000-0000-0001\n    reason: gone\n    expires: 2026-01-01\n    author: b\n',
    );
    const env = { PATCHPILOT_HOME: join(work.path, 'offline') };
    const result = await gate([dir, '--json', '--offline'], env);
    const report = JSON.parse(result.stdout) as Report & { counts: { expiredExceptions: number } };
    // minimist 0.0.8 and 1.2.5 both have GHSA-xvch-5gv4-984h.
    expect(report.projects[0]?.expiredExceptions).toHaveLength(2);
    // An exception that names nothing is said to have expired too, and counted: two exceptions.
    expect(report.projects[0]?.unusedExceptions).toEqual([
      expect.objectContaining({ id: 'GHSA-0000-0000-0001', expired: true }),
    ]);
    expect(report.counts.expiredExceptions).toBe(2);
    const text = await gate([dir, '--offline'], env);
    expect(text.stdout).toContain(
      '  note: exception GHSA-0000-0000-0001 names no finding of this project; it held until 2026-01-01\n',
    );
  });
});

describe('gate on a clean project, init, and configuration errors', () => {
  it('passes a project without findings, with JUnit that still has a test case', async () => {
    const result = await gate([clean, '--format', 'junit']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect((await validateJunit(result.stdout)).valid).toBe(true);
    expect(result.stdout).toContain(
      '<testcase classname="patchpilot.gate" name="no finding to check" time="0"/>',
    );
  });

  it('init writes a commented default configuration that the gate loads, and never overwrites it', async () => {
    const fresh = join(work.path, 'fresh');
    cpSync(clean, fresh, { recursive: true });
    const first = runCli(['init', fresh]);
    expect(first.code, first.stderr).toBe(0);
    const written = readFileSync(join(fresh, '.patchpilot.yml'), 'utf8');
    expect(written).toContain(
      '# yaml-language-server: $schema=./node_modules/patchpilot/schema/patchpilot.schema.json',
    );
    expect(written).toContain('    critical: 7\n');
    const again = runCli(['init', fresh, '--format', 'json']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already configures this project [CONFIG_EXISTS]');
    const passed = await gate(['fresh', '--json']);
    expect(passed.code, passed.stderr).toBe(0);
    expect((JSON.parse(passed.stdout) as Report).projects[0]?.config).toBe('fresh/.patchpilot.yml');

    writeFileSync(
      join(fresh, '.patchpilot.yml'),
      written.replace('  kev: true', '  kev: true\n  kve: false'),
    );
    const broken = await gate(['fresh']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(
      /^patchpilot: fresh\/\.patchpilot\.yml: line \d+: gate\.kve: unknown key \(did you mean "kev"\?\) \[CONFIG_INVALID\]\n/,
    );
    expect(runCli(['init', fresh, '--force']).code).toBe(0);
    expect(readFileSync(join(fresh, '.patchpilot.yml'), 'utf8')).toBe(written);
  });

  it('lists gate and init in the help, and each has its own', () => {
    const top = runCli(['--help']);
    expect(top.stdout).toContain('  gate [DIR]');
    expect(top.stdout).toContain('  init [DIR]');
    expect(runCli(['gate', '--help']).stdout).toContain('--format FORMAT    text (default), json, sarif');
    expect(runCli(['help', 'init']).stdout).toContain('--force');
    const bad = runCli(['gate', '--today', '2026-02-30']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('gate: --today "2026-02-30" is not a date written YYYY-MM-DD');
  });
});
