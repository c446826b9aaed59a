import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, runCli, tempDir } from '../helpers/cli.js';

/**
 * VEX in and out on a copy of the bundled example: `vex add` writes the project's
 * .patchpilot/vex.json, `scan` applies it (and `--vex` documents) in every format, `--fail-on`
 * ignores suppressed findings, and `--vex-out` round-trips. Spawns are few and each checks much.
 *
 * The example's two critical findings are GHSA-xvch-5gv4-984h (CVE-2021-44906) in minimist@1.2.5
 * (direct) and minimist@0.0.8 (through mkdirp).
 */
const example = join(projectRoot, 'examples/vulnerable-app');
const home = tempDir();
const db = join(home.path, 'store.db');
const app = join(home.path, 'app');
// The author must come from the project's git config, never from the machine's.
// State (the ledger `vex add` writes) stays in the temp folder.
const env = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  PATCHPILOT_HOME: join(home.path, 'state'),
};
const cli = (args: string[]) => runCli(args, { cwd: home.path, env });

interface Vex {
  status: string;
  vulnerability: string;
  justification?: string;
  impact?: string;
  author?: string;
  timestamp?: string;
  source: string;
  suppressed: boolean;
}
interface Report {
  findings: { id: string; severity: string; package: { name: string; version: string }; vex?: Vex }[];
  summary: { total: number; suppressed: number; critical: number };
  vex?: { path: string; format: string; statements: number }[];
}

const key = (f: Report['findings'][number]) => `${f.id} ${f.package.name}@${f.package.version}`;
const statuses = (report: Report) =>
  Object.fromEntries(
    report.findings.map((f) => [key(f), f.vex ? `${f.vex.status}${f.vex.suppressed ? '!' : ''}` : '-']),
  );

/** Statements for the wrong version, the wrong package, and one under investigation. */
const cycloneDxVex = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  metadata: { timestamp: '2025-01-01T00:00:00Z', authors: [{ name: 'Vendor' }] },
  components: [{ 'bom-ref': 'lodash', name: 'lodash', purl: 'pkg:npm/lodash@4.17.15' }],
  vulnerabilities: [
    {
      id: 'GHSA-r683-j2x4-v87g',
      analysis: { state: 'not_affected', justification: 'code_not_present' },
      affects: [{ ref: 'pkg:npm/node-fetch@2.6.1' }],
    },
    {
      id: 'CVE-2021-44906',
      analysis: { state: 'not_affected', justification: 'code_not_reachable' },
      affects: [{ ref: 'lodash' }],
    },
    { id: 'CVE-2022-46175', analysis: { state: 'in_triage' }, affects: [{ ref: 'pkg:npm/json5' }] },
  ],
};

beforeAll(() => {
  expect(runCli(['db', 'import', join(example, 'advisories.osv.json'), '--db', db]).code).toBe(0);
  cpSync(example, app, { recursive: true });
  writeFileSync(join(home.path, 'vendor.cdx.json'), JSON.stringify(cycloneDxVex));
  const git = (...args: string[]) =>
    expect(spawnSync('git', args, { cwd: app, env: { ...process.env, ...env } }).status).toBe(0);
  git('init', '--quiet');
  git('config', 'user.name', 'Test Person');
  git('config', 'user.email', 'test@example.org');
});
afterAll(() => home.remove());

describe('VEX', () => {
  it('vex add records statements; scan suppresses exactly what they name, in every format', () => {
    const added = cli([
      'vex',
      'add',
      'GHSA-xvch-5gv4-984h',
      '--package',
      'pkg:npm/minimist@1.2.5',
      '--status',
      'not_affected',
      '--justification',
      'vulnerable_code_not_in_execute_path',
      '--reason',
      'argv is never parsed from user input',
      '--author',
      'Jane Doe <jane@example.org>',
      '--dir',
      'app',
      '--json',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toBe('');
    expect(JSON.parse(added.stdout)).toMatchObject({
      file: 'app/.patchpilot/vex.json',
      replaced: false,
      statements: 1,
      statement: {
        vulnerability: { name: 'GHSA-xvch-5gv4-984h' },
        products: [{ '@id': 'pkg:npm/minimist@1.2.5' }],
      },
    });
    const document = JSON.parse(readFileSync(join(app, '.patchpilot/vex.json'), 'utf8'));
    expect(document).toMatchObject({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      author: 'Jane Doe <jane@example.org>',
      version: 1,
      statements: [{ status: 'not_affected', impact_statement: 'argv is never parsed from user input' }],
    });
    expect(document.statements[0].timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // The decision is in the project's ledger too, with its author.
    const ledger = cli(['ledger', 'show', 'app', '--json']);
    expect(ledger.code, ledger.stderr).toBe(0);
    expect(JSON.parse(ledger.stdout)).toMatchObject([
      {
        kind: 'vex-recorded',
        subject: 'GHSA-xvch-5gv4-984h pkg:npm/minimist@1.2.5',
        actor: 'Jane Doe <jane@example.org>',
        outcome: { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' },
      },
    ]);

    // minimist@0.0.8 is still critical and unsuppressed: --fail-on critical fails.
    const first = cli([
      'scan',
      'app',
      '--db',
      db,
      '--vex',
      'vendor.cdx.json',
      '--json',
      '--fail-on',
      'critical',
    ]);
    expect(first.code, first.stderr).toBe(1);
    const report = JSON.parse(first.stdout) as Report;
    expect(report.summary).toMatchObject({ total: 12, critical: 2, suppressed: 1 });
    expect(report.vex).toEqual([
      { path: 'vendor.cdx.json', format: 'cyclonedx', statements: 3 },
      { path: 'app/.patchpilot/vex.json', format: 'openvex', statements: 1 },
    ]);
    const byKey = Object.fromEntries(report.findings.map((f) => [key(f), f]));
    expect(byKey['GHSA-xvch-5gv4-984h minimist@1.2.5']?.vex).toMatchObject({
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      impact: 'argv is never parsed from user input',
      author: 'Jane Doe <jane@example.org>',
      source: 'app/.patchpilot/vex.json',
      suppressed: true,
    });
    // Another version, another package: not named. The json5 statement keeps its finding.
    expect(byKey['GHSA-xvch-5gv4-984h minimist@0.0.8']?.vex).toBeUndefined();
    expect(byKey['GHSA-r683-j2x4-v87g node-fetch@2.6.0']?.vex).toBeUndefined();
    expect(report.findings.filter((f) => f.package.name === 'lodash' && f.vex)).toEqual([]);
    expect(byKey['GHSA-9c47-m6qq-7p4h json5@1.0.1']?.vex).toMatchObject({
      status: 'under_investigation',
      author: 'Vendor',
      suppressed: false,
    });

    // Every version of minimist, by an alias, the author from git.
    const again = cli([
      'vex',
      'add',
      'CVE-2021-44906',
      '--package',
      'pkg:npm/minimist',
      '--status',
      'not_affected',
      '--reason',
      'only our own CLI flags',
      '--dir',
      'app',
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      'recorded CVE-2021-44906 in pkg:npm/minimist: not_affected (only our own CLI flags), by Test Person <test@example.org>',
    );

    // Only suppressed findings reach critical now; high ones are not suppressed.
    const table = cli(['scan', 'app', '--db', db, '--fail-on', 'critical']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('6 packages, 12 findings (2 suppressed by VEX)');
    expect(table.stdout).toMatch(/ VEX +PATH/);
    // The later statement (every version) wins over Jane's for 1.2.5 too.
    expect(table.stdout).toMatch(
      /GHSA-xvch-5gv4-984h +minimist@1\.2\.5 .* suppressed: not_affected +vulnerable-app/,
    );
    expect(table.stdout).toContain(
      'GHSA-xvch-5gv4-984h minimist@0.0.8: not_affected (only our own CLI flags), suppressed; by Test Person <test@example.org>',
    );
    expect(table.stdout).toContain('0 unknown, 2 suppressed by VEX');
    expect(cli(['scan', 'app', '--db', db, '--fail-on', 'high']).code).toBe(1);

    const markdown = cli(['scan', 'app', '--db', db, '--format', 'markdown']);
    expect(markdown.stdout).toContain('| Scope | VEX | Path |');
    expect(markdown.stdout).toContain(
      '| prod | **suppressed: not_affected** | vulnerable-app > minimist@1.2.5 |',
    );
    expect(markdown.stdout).toContain('by Test Person &lt;test@example.org>');
    expect(markdown.stdout).toContain('1 low, 0 unknown; 2 suppressed by VEX.');

    const sarif = JSON.parse(cli(['scan', 'app', '--db', db, '--format', 'sarif']).stdout);
    const schema = createRequire(import.meta.url)('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
    const ajv = new ajvDraft04.default({ allErrors: true, unicodeRegExp: false });
    ajvFormats.default(ajv);
    const validate = ajv.compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const results = sarif.runs[0].results as { ruleId: string; suppressions?: unknown[] }[];
    const suppressed = results.filter((r) => r.suppressions);
    expect(suppressed.map((r) => r.ruleId)).toEqual(['GHSA-xvch-5gv4-984h', 'GHSA-xvch-5gv4-984h']);
    expect(suppressed[0]?.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: expect.stringContaining(
          'not_affected (only our own CLI flags), suppressed; by Test Person',
        ),
      },
    ]);

    const list = JSON.parse(cli(['vex', 'list', '--dir', 'app', '--json']).stdout);
    expect(
      list.statements.map((s: { vulnerability: string; author: string }) => [s.vulnerability, s.author]),
    ).toEqual([
      ['GHSA-xvch-5gv4-984h', 'Jane Doe <jane@example.org>'],
      ['CVE-2021-44906', 'Test Person <test@example.org>'],
    ]);
  });

  it('scan --vex-out with no finding writes nothing: an OpenVEX document needs a statement', () => {
    const clean = join(home.path, 'clean');
    mkdirSync(clean);
    writeFileSync(join(clean, 'package.json'), '{"name":"clean","version":"1.0.0"}');
    writeFileSync(
      join(clean, 'package-lock.json'),
      JSON.stringify({
        name: 'clean',
        version: '1.0.0',
        lockfileVersion: 3,
        packages: { '': { name: 'clean', version: '1.0.0' } },
      }),
    );
    const first = cli(['scan', 'clean', '--db', db, '--vex-out', 'clean.openvex.json', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe(
      'not written: clean.openvex.json: no findings, so no VEX statement to make (an OpenVEX document needs at least one)\n',
    );
    expect(existsSync(join(home.path, 'clean.openvex.json'))).toBe(false);
    // An earlier document would state statuses that no longer hold: it goes, as it would have
    // been replaced.
    writeFileSync(join(home.path, 'clean.openvex.json'), 'earlier');
    const again = cli(['scan', 'clean', '--db', db, '--vex-out', 'clean.openvex.json', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('; the earlier document there was removed');
    expect(existsSync(join(home.path, 'clean.openvex.json'))).toBe(false);
    // Through a link: the document it names goes, as a write would have gone there; the link stays.
    writeFileSync(join(home.path, 'linked.openvex.json'), 'earlier');
    symlinkSync('linked.openvex.json', join(home.path, 'vex-link.json'));
    const linked = cli(['scan', 'clean', '--db', db, '--vex-out', 'vex-link.json', '--json']);
    expect(linked.stderr).toContain('; the earlier document there was removed');
    expect(existsSync(join(home.path, 'linked.openvex.json'))).toBe(false);
    expect(lstatSync(join(home.path, 'vex-link.json')).isSymbolicLink()).toBe(true);
    // A document the scan read its statements from is never removed.
    const triage = `${JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.org/vex/triage',
      author: 'Test Person <test@example.org>',
      timestamp: '2024-01-01T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: 'GHSA-xvch-5gv4-984h' },
          products: [{ '@id': 'pkg:npm/minimist@1.2.5' }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
        },
      ],
    })}\n`;
    writeFileSync(join(home.path, 'triage.openvex.json'), triage);
    const own = cli([
      'scan',
      'clean',
      '--db',
      db,
      '--vex',
      'triage.openvex.json',
      '--vex-out',
      'triage.openvex.json',
      '--json',
    ]);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stderr).toContain('; it is a VEX input of this scan and stays');
    expect(readFileSync(join(home.path, 'triage.openvex.json'), 'utf8')).toBe(triage);
  });

  it('scan --vex-out writes every status as OpenVEX; fed back with --vex it gives the same statuses', () => {
    const out = cli([
      'scan',
      'app',
      '--db',
      db,
      '--vex',
      'vendor.cdx.json',
      '--vex-out',
      'status.openvex.json',
      '--deterministic',
      '--min-priority',
      'critical',
      '--json',
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('wrote status.openvex.json: OpenVEX 0.2.0, 11 statements');
    const document = JSON.parse(readFileSync(join(home.path, 'status.openvex.json'), 'utf8'));
    expect(document).toMatchObject({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      author: 'PatchPilot',
      version: 1,
    });
    const written = document.statements.flatMap(
      (s: { vulnerability: { name: string }; products: { '@id': string }[]; status: string }) =>
        s.products.map((p) => `${s.vulnerability.name} ${p['@id']} ${s.status}`),
    );
    // Every finding, whatever --min-priority shows; both minimist versions in one statement.
    expect(written).toHaveLength(12);
    expect(written).toContain('GHSA-xvch-5gv4-984h pkg:npm/minimist@0.0.8 not_affected');
    expect(written).toContain('GHSA-xvch-5gv4-984h pkg:npm/minimist@1.2.5 not_affected');
    expect(written).toContain('GHSA-9c47-m6qq-7p4h pkg:npm/json5@1.0.1 under_investigation');
    expect(written).toContain('GHSA-r683-j2x4-v87g pkg:npm/node-fetch@2.6.0 under_investigation');

    const before = JSON.parse(
      cli(['scan', 'app', '--db', db, '--vex', 'vendor.cdx.json', '--json', '--deterministic']).stdout,
    ) as Report;
    // The document alone, without the project's own file.
    renameSync(join(app, '.patchpilot'), join(app, '.patchpilot-off'));
    try {
      const fed = cli([
        'scan',
        'app',
        '--db',
        db,
        '--vex',
        'status.openvex.json',
        '--vex-out',
        'again.openvex.json',
        '--deterministic',
        '--json',
        '--fail-on',
        'critical',
      ]);
      expect(fed.code, fed.stderr).toBe(0);
      const after = JSON.parse(fed.stdout) as Report;
      const expected = Object.fromEntries(
        Object.entries(statuses(before)).map(([k, v]) => [k, v === '-' ? 'under_investigation' : v]),
      );
      expect(statuses(after)).toEqual(expected);
      // Who said it survives the round trip.
      expect(
        after.findings.find((f) => f.package.version === '0.0.8' && f.id === 'GHSA-xvch-5gv4-984h')?.vex
          ?.author,
      ).toBe('Test Person <test@example.org>');
      const again = JSON.parse(readFileSync(join(home.path, 'again.openvex.json'), 'utf8'));
      const summary = (d: {
        statements: { vulnerability: { name: string }; status: string; products: unknown[] }[];
      }) => d.statements.map((s) => [s.vulnerability.name, s.status, s.products]);
      expect(summary(again)).toEqual(summary(document));
    } finally {
      renameSync(join(app, '.patchpilot-off'), join(app, '.patchpilot'));
    }
  });

  it('vex add warns when the statement names nothing the lockfile installs: another version, no such package, an alias', () => {
    const dir = join(home.path, 'aliased');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'aliased', dependencies: { 'lodash-old': 'npm:lodash@4.17.11' } },
          'node_modules/lodash-old': { name: 'lodash', version: '4.17.11' },
        },
      }),
    );
    const add = (purl: string) =>
      cli([
        'vex',
        'add',
        'GHSA-jf85-cpcp-j695',
        '--package',
        purl,
        '--status',
        'not_affected',
        '--reason',
        'r',
        '--dir',
        'aliased',
        '--no-ledger',
        '--author',
        'Jane Doe <jane@example.org>',
      ]);
    const alias = add('pkg:npm/lodash-old@4.17.11');
    expect(alias.code, alias.stderr).toBe(0);
    expect(alias.stderr).toBe(
      'warning: lodash-old is installed as an npm: alias of lodash; scan matches statements by the real name, so this one applies to nothing: record it for pkg:npm/lodash@4.17.11\n',
    );
    expect(add('pkg:npm/lodash@4.17.21').stderr).toBe(
      'warning: the project installs lodash 4.17.11, not 4.17.21: the statement applies to nothing until it does\n',
    );
    expect(add('pkg:npm/left-pad').stderr).toBe(
      "warning: the project's lockfile installs no left-pad: the statement applies to nothing until it does\n",
    );
    expect(add('pkg:npm/lodash@4.17.11').stderr).toBe('');
  });

  it('refuses an invalid document or statement with one clear line and exit 2', () => {
    writeFileSync(
      join(home.path, 'bad.json'),
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        author: 'x',
        timestamp: '2025-01-01T00:00:00Z',
        statements: [
          { vulnerability: { name: 'CVE-1' }, products: [{ '@id': 'pkg:npm/a' }], status: 'not_affected' },
        ],
      }),
    );
    const bad = cli(['scan', 'app', '--db', db, '--vex', 'bad.json']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(
      'patchpilot: bad.json: statements[0]: a not_affected statement needs a justification or an impact_statement [VEX_INVALID]',
    );
    const missing = cli(['scan', 'app', '--db', db, '--vex', 'nope.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json: no such file [VEX_NOT_FOUND]');
    const usage = cli([
      'vex',
      'add',
      'CVE-1',
      '--package',
      'pkg:npm/a',
      '--status',
      'not_affected',
      '--dir',
      'app',
    ]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('not_affected needs --justification or --reason');
    for (const version of ['not%20a%20version', '1.2', 'v1.2.3', '%5E1.2.3']) {
      const notVersion = cli([
        'vex',
        'add',
        'CVE-1',
        '--package',
        `pkg:npm/a@${version}`,
        '--status',
        'fixed',
      ]);
      expect(notVersion.code).toBe(2);
      expect(notVersion.stderr).toMatch(/is not a version \(pkg:npm\/NAME@1\.2\.3/);
    }
    expect(cli(['vex', 'add', '--help']).stdout).toContain('--justification JUST');
  });

  it('vex add writes nothing when the ledger cannot take the entry, nor through a .patchpilot that leads outside', () => {
    const project = join(home.path, 'own');
    mkdirSync(join(project, '.patchpilot'), { recursive: true });
    const add = (dir: string, extra: string[]) =>
      cli([
        'vex',
        'add',
        'CVE-2021-44906',
        '--package',
        'pkg:npm/minimist',
        '--status',
        'fixed',
        '--author',
        'Test Person',
        '--dir',
        dir,
        ...extra,
      ]);
    expect(add(project, ['--no-ledger']).code).toBe(0);
    const before = readFileSync(join(project, '.patchpilot/vex.json'), 'utf8');
    writeFileSync(join(home.path, 'not-a-ledger.db'), 'junk\n');
    const refused = add(project, ['--ledger', join(home.path, 'not-a-ledger.db')]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('LEDGER_');
    expect(readFileSync(join(project, '.patchpilot/vex.json'), 'utf8')).toBe(before);

    const linked = join(home.path, 'linked');
    const elsewhere = join(home.path, 'elsewhere');
    mkdirSync(linked);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(linked, '.patchpilot'));
    const outside = add(linked, ['--no-ledger']);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('leads outside the project');
    expect(outside.stderr).toContain('[VEX_INVALID]');
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
