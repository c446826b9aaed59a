import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, runCli, tempDir } from '../helpers/cli.js';

const example = join(projectRoot, 'examples/vulnerable-app');
const exampleOsv = join(example, 'advisories.osv.json');
const home = tempDir();
const db = join(home.path, 'store.db');

beforeAll(() => {
  const result = runCli(['db', 'import', exampleOsv, '--db', db]);
  expect(result.code).toBe(0);
});
afterAll(() => home.remove());

interface Report {
  schemaVersion: number;
  projects: { path: string; lockfile: string; packages: number; findings: number }[];
  findings: {
    id: string;
    aliases: string[];
    kind: string;
    severity: string;
    cvssScore?: number;
    package: { name: string; version: string };
    fixedIn: string[];
    paths: string[][];
    scope: string;
    direct: boolean;
    project: string;
    priority: { score: number; label: string; reasons: string[] };
  }[];
}

const scanJson = (args: string[], cwd = projectRoot): Report => {
  const result = runCli(['scan', ...args, '--json', '--db', db], { cwd });
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Report;
};

describe('scan on the bundled example', () => {
  it('reports every real advisory of the example, with the --json contract', () => {
    const report = scanJson([example]);
    expect(report.schemaVersion).toBe(1);
    expect(report.projects).toEqual([
      expect.objectContaining({
        path: 'examples/vulnerable-app',
        lockfile: 'examples/vulnerable-app/package-lock.json',
        packages: 6,
        findings: 12,
      }),
    ]);
    const rows = report.findings.map(
      (f) =>
        `${f.id} ${f.package.name}@${f.package.version} ${f.scope} ${f.direct ? 'direct' : 'transitive'}`,
    );
    expect(rows.sort()).toEqual(
      [
        'GHSA-29mw-wpgm-hmr9 lodash@4.17.15 prod direct',
        'GHSA-35jh-r3h4-6jhm lodash@4.17.15 prod direct',
        'GHSA-f23m-r3pf-42rh lodash@4.17.15 prod direct',
        'GHSA-p6mc-m468-83gw lodash@4.17.15 prod direct',
        'GHSA-r5fr-rjxr-66jc lodash@4.17.15 prod direct',
        'GHSA-xxjr-mmjv-4gpg lodash@4.17.15 prod direct',
        'GHSA-xvch-5gv4-984h minimist@1.2.5 prod direct',
        'GHSA-vh95-rmgr-6w4m minimist@0.0.8 prod transitive',
        'GHSA-xvch-5gv4-984h minimist@0.0.8 prod transitive',
        'GHSA-r683-j2x4-v87g node-fetch@2.6.0 prod direct',
        'GHSA-w7rc-rwvf-8q5r node-fetch@2.6.0 prod direct',
        'GHSA-9c47-m6qq-7p4h json5@1.0.1 dev direct',
      ].sort(),
    );
    const transitive = report.findings.find((f) => f.id === 'GHSA-vh95-rmgr-6w4m');
    expect(transitive).toMatchObject({
      aliases: ['CVE-2020-7598'],
      kind: 'vulnerability',
      severity: 'moderate',
      fixedIn: ['0.2.1'],
      paths: [['vulnerable-app', 'mkdirp@0.5.1', 'minimist@0.0.8']],
    });
    expect(transitive?.cvssScore).toBeCloseTo(5.6);
  });

  it('orders the findings by priority, highest first, and --min-priority drops the lower ones', () => {
    const report = scanJson([example, '--deterministic']);
    const rows = report.findings.map(
      (f) => `${f.priority.score} ${f.priority.label} ${f.id} ${f.package.name}@${f.package.version}`,
    );
    expect(rows).toEqual([
      '75 high GHSA-xvch-5gv4-984h minimist@1.2.5',
      '70 high GHSA-xvch-5gv4-984h minimist@0.0.8',
      '66.6 high GHSA-r683-j2x4-v87g node-fetch@2.6.0',
      '61.7 high GHSA-r5fr-rjxr-66jc lodash@4.17.15',
      // Equal priority: the higher CVSS score (7.4) first.
      '60 high GHSA-p6mc-m468-83gw lodash@4.17.15',
      '60 high GHSA-35jh-r3h4-6jhm lodash@4.17.15',
      '53.3 medium GHSA-xxjr-mmjv-4gpg lodash@4.17.15',
      '50.5 medium GHSA-f23m-r3pf-42rh lodash@4.17.15',
      '45 medium GHSA-29mw-wpgm-hmr9 lodash@4.17.15',
      '40 medium GHSA-vh95-rmgr-6w4m minimist@0.0.8',
      '38 low GHSA-9c47-m6qq-7p4h json5@1.0.1',
      '30 low GHSA-w7rc-rwvf-8q5r node-fetch@2.6.0',
    ]);
    expect(report.findings[0]?.priority.reasons).toEqual([
      'severity critical',
      'prod scope',
      'direct dependency',
    ]);

    const high = scanJson([example, '--min-priority', 'high']);
    expect(high.findings.map((f) => f.priority.score)).toEqual([75, 70, 66.6, 61.7, 60, 60]);
    expect(high.projects[0]?.findings).toBe(6);
    expect(scanJson([example, '--min-priority', '50']).findings).toHaveLength(8);
    expect(scanJson([example, '--min-priority', 'critical']).findings).toHaveLength(0);
    expect(runCli(['scan', example, '--db', db, '--min-priority', 'critical', '--fail-on', 'low']).code).toBe(
      0,
    );

    const table = runCli(['scan', example, '--db', db, '--min-priority', 'high']);
    expect(table.stdout).toContain('6 packages, 6 findings');
    expect(table.stdout).toMatch(/PRIORITY {3}SEVERITY/);
    expect(table.stdout).toMatch(/75\.0 high {2}critical {2}9\.8 {4}GHSA-xvch-5gv4-984h {2}minimist@1\.2\.5/);
    expect(table.stdout).not.toContain('json5');
    const markdown = runCli(['scan', example, '--db', db, '--format', 'markdown']);
    expect(markdown.stdout).toContain('| Priority | Severity | Score | ID |');
    expect(markdown.stdout).toContain('| 75.0 high | critical | 9.8 | GHSA-xvch-5gv4-984h');

    for (const value of ['urgent', '101', '-1', '']) {
      const bad = runCli(['scan', example, '--db', db, `--min-priority=${value}`]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`unknown --min-priority "${value}"`);
    }
    expect(runCli(['scan', '--help']).stdout).toContain('--min-priority P');
  });

  it('prints a readable table by default, results on stdout only', () => {
    const result = runCli(['scan', example, '--db', db]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /critical\s+9\.8\s+GHSA-xvch-5gv4-984h\s+minimist@0\.0\.8\s+0\.2\.4\s+prod \(transitive\)\s+vulnerable-app > mkdirp@0\.5\.1 > minimist@0\.0\.8/,
    );
    expect(result.stdout).toContain('12 findings: 2 critical, 5 high, 4 moderate, 1 low, 0 unknown');
  });

  it('prints no control character from a lockfile: escape sequences, line breaks, bidi overrides are escaped', () => {
    const dir = join(home.path, 'controls');
    mkdirSync(dir, { recursive: true });
    const name = 'app\u001b[31mred\r\nfaked line\u202e';
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name, dependencies: { minimist: '0.0.8' } },
          'node_modules/minimist': { version: '0.0.8' },
        },
      }),
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    for (const format of ['table', 'markdown']) {
      const result = runCli(['scan', dir, '--db', db, '--format', format]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).not.toMatch(raw);
      // In Markdown, the backslashes and the bracket of the escapes are escaped too: it reads the same.
      expect(result.stdout).toContain(
        format === 'markdown'
          ? 'app\\\\u001b\\[31mred\\\\u000d\\\\u000afaked line\\\\u202e > minimist@0.0.8'
          : 'app\\u001b[31mred\\u000d\\u000afaked line\\u202e > minimist@0.0.8',
      );
      expect(result.stdout).not.toMatch(/^faked line/m);
    }
    // JSON keeps the name as the lockfile has it (an escape in a JSON string is the same character).
    const json = runCli(['scan', dir, '--db', db, '--json']);
    expect(json.stdout).not.toMatch(raw);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.findings[0]?.paths[0]?.[0]).toBe(name);
    // So do messages: a lockfile key quoted in an error.
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: { '': {}, '../\u001b]0;owned\u0007': { version: '1.0.0' } },
      }),
    );
    const bad = runCli(['scan', dir, '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('\\u001b]0;owned\\u0007');
    expect(bad.stderr).not.toMatch(raw);
    // Nor Markdown that a pull-request comment would read as HTML: `<!--` would hide the findings.
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'app`<!--', dependencies: { minimist: '0.0.8' } },
          'node_modules/minimist': { version: '0.0.8' },
        },
      }),
    );
    const markdown = runCli(['scan', dir, '--db', db, '--format', 'markdown']);
    expect(markdown.stdout).toContain('| app\\`&lt;!-- > minimist@0.0.8 |');
    expect(markdown.stdout).not.toContain('<!--');
  });

  it('warns on stderr when the lockfile is older than its manifest (it installs nothing for a declared dependency)', () => {
    const dir = join(home.path, 'stale');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'stale-app', dependencies: { minimist: '0.0.8' } },
          'node_modules/minimist': { version: '0.0.8' },
        },
      }),
    );
    // lodash was added to package.json after the last install: the lockfile's root entry lacks it too.
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'stale-app', dependencies: { minimist: '0.0.8', lodash: '^4.17.0' } }),
    );
    const result = runCli(['scan', dir, '--db', db, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'package-lock.json is older than its manifests: it installs nothing for 1 declared dependency (first: stale-app needs lodash@^4.17.0)',
    );
    expect((JSON.parse(result.stdout) as Report).findings.map((f) => f.package.name)).toContain('minimist');
    // Up to date: no warning.
    const example = runCli(['scan', join(projectRoot, 'examples/vulnerable-app'), '--db', db]);
    expect(example.stderr).toBe('');
  });

  it('warns on stderr when package.json changed a range since the lockfile was written', () => {
    const dir = join(home.path, 'drifted');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'drifted-app', dependencies: { minimist: '0.0.8' }, devDependencies: { ms: '^2.0.0' } },
          'node_modules/minimist': { version: '0.0.8' },
          'node_modules/ms': { version: '2.1.3', dev: true },
        },
      }),
    );
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'drifted-app',
        dependencies: { minimist: '1.2.8' },
        devDependencies: { ms: '^2.0.0' },
      }),
    );
    const result = runCli(['scan', '--db', db], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'warning: package-lock.json is out of step with package.json: 1 dependency changed since the last install (first: minimist is 1.2.8 there, 0.0.8 in the lockfile); npm ci refuses it (minimist@0.0.8 is outside 1.2.8), and changes made to it may not apply: update it with npm install\n',
    );
    // A range the locked version still satisfies: npm ci takes it (npm 11), the plan still
    // works from the lockfile's range. A dependency added since that another package's copy
    // satisfies is not recorded in the lockfile's root entry at all.
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'drifted-app',
        dependencies: { minimist: '>=0.0.8', ms: '^2.1.0' },
        devDependencies: { ms: '^2.0.0' },
      }),
    );
    const satisfied = runCli(['scan', '--db', db], { cwd: dir });
    expect(satisfied.stderr).toBe(
      'warning: package-lock.json is out of step with package.json: 1 dependency changed since the last install (first: minimist is >=0.0.8 there, 0.0.8 in the lockfile); changes made to it may not apply: update it with npm install\n',
    );
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'drifted-app', dependencies: { debug: '2.6.9' } },
          'node_modules/debug': { version: '2.6.9', dependencies: { ms: '2.0.0' } },
          'node_modules/ms': { version: '2.0.0' },
        },
      }),
    );
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'drifted-app', dependencies: { debug: '2.6.9', ms: '^2.0.0' } }),
    );
    const added = runCli(['scan', '--db', db], { cwd: dir });
    expect(added.stderr).toBe(
      "warning: package-lock.json is out of step with package.json: 1 dependency changed since the last install (first: ms is ^2.0.0 there, not recorded in the lockfile, where another package's ms@2.0.0 is installed); changes made to it may not apply: update it with npm install\n",
    );
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'drifted-app', dependencies: { debug: '2.6.9', ms: '^2.1.0' } }),
    );
    expect(runCli(['scan', '--db', db], { cwd: dir }).stderr).toContain(
      'npm ci refuses it (ms@2.0.0 is outside ^2.1.0)',
    );
  });

  it('--fail-on sets exit 1 only when a finding at or above the level exists', () => {
    expect(runCli(['scan', example, '--db', db, '--fail-on', 'critical']).code).toBe(1);
    expect(runCli(['scan', example, '--db', db, '--fail-on', 'medium']).code).toBe(1);
    const lowOnly = tempDir();
    try {
      const osv = JSON.parse(readFileSync(exampleOsv, 'utf8')) as { vulns: { id: string }[] };
      const store = join(lowOnly.path, 'low.db');
      writeFileSync(
        join(lowOnly.path, 'low.json'),
        JSON.stringify({ vulns: osv.vulns.filter((v) => v.id === 'GHSA-w7rc-rwvf-8q5r') }),
      );
      expect(runCli(['db', 'import', join(lowOnly.path, 'low.json'), '--db', store]).code).toBe(0);
      expect(runCli(['scan', example, '--db', store, '--fail-on', 'moderate']).code).toBe(0);
      expect(runCli(['scan', example, '--db', store, '--fail-on', 'low']).code).toBe(1);
      // A finding of unknown severity (no label, no CVSS vector) counts as low: never let through unseen.
      const unrated = osv.vulns
        .filter((v) => v.id === 'GHSA-w7rc-rwvf-8q5r')
        .map((v) => ({ ...v, id: 'GHSA-test-unrt-0001', database_specific: {}, severity: undefined }));
      const unknownStore = join(lowOnly.path, 'unknown.db');
      writeFileSync(join(lowOnly.path, 'unknown.json'), JSON.stringify({ vulns: unrated }));
      expect(runCli(['db', 'import', join(lowOnly.path, 'unknown.json'), '--db', unknownStore]).code).toBe(0);
      const unknown = runCli(['scan', example, '--db', unknownStore, '--json']);
      expect(
        (JSON.parse(unknown.stdout) as { findings: { severity: string }[] }).findings.map((f) => f.severity),
      ).toEqual(['unknown']);
      expect(runCli(['scan', example, '--db', unknownStore, '--fail-on', 'low']).code).toBe(1);
      expect(runCli(['scan', example, '--db', unknownStore, '--fail-on', 'moderate']).code).toBe(0);
    } finally {
      lowOnly.remove();
    }
    const bad = runCli(['scan', example, '--db', db, '--fail-on', 'severe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown --fail-on "severe"');
  });

  const sarifValidator = () => {
    const schema = createRequire(import.meta.url)('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
    // The schema's `language` pattern has a stray bracket that the /u flag rejects.
    const ajv = new ajvDraft04.default({ allErrors: true, unicodeRegExp: false });
    ajvFormats.default(ajv);
    return ajv.compile(schema);
  };

  it('writes SARIF 2.1.0 that validates against the SARIF schema', () => {
    const result = runCli(['scan', example, '--db', db, '--format', 'sarif']);
    expect(result.code).toBe(0);
    const sarif = JSON.parse(result.stdout);
    const validate = sarifValidator();
    expect(validate(sarif), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation).toEqual({
      uri: 'examples/vulnerable-app/package-lock.json',
      uriBaseId: '%SRCROOT%',
    });
    expect(sarif.runs[0].results).toHaveLength(12);
    expect(sarif.runs[0].tool.driver.rules).toHaveLength(11);
    expect(
      validate({
        ...sarif,
        runs: [{ ...sarif.runs[0], results: [{ ruleId: 'x', level: 'fatal', message: { text: 'm' } }] }],
      }),
    ).toBe(false);
  });

  it('writes valid SARIF locations for paths with spaces and for projects outside the working folder', () => {
    const tree = tempDir();
    try {
      cpSync(example, join(tree.path, 'sp ace/app'), { recursive: true });
      mkdirSync(join(tree.path, 'elsewhere'));
      const validate = sarifValidator();
      const inside = JSON.parse(
        runCli(['scan', 'sp ace/app', '--db', db, '--format', 'sarif'], { cwd: tree.path }).stdout,
      );
      expect(validate(inside), JSON.stringify(validate.errors)).toBe(true);
      expect(inside.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
        'sp%20ace/app/package-lock.json',
      );
      const outside = JSON.parse(
        runCli(['scan', '../sp ace/app', '--db', db, '--format', 'sarif'], {
          cwd: join(tree.path, 'elsewhere'),
        }).stdout,
      );
      expect(validate(outside), JSON.stringify(validate.errors)).toBe(true);
      const location = outside.runs[0].results[0].locations[0].physicalLocation.artifactLocation;
      expect(location.uriBaseId).toBeUndefined();
      expect(location.uri).toMatch(/^file:\/\/\/.*\/sp%20ace\/app\/package-lock\.json$/);
    } finally {
      tree.remove();
    }
  });

  it('reads npm-shrinkwrap.json in preference to package-lock.json, as npm does', () => {
    const tree = tempDir();
    try {
      cpSync(example, tree.path, { recursive: true });
      const lock = JSON.parse(readFileSync(join(tree.path, 'package-lock.json'), 'utf8'));
      delete lock.packages['node_modules/lodash'];
      writeFileSync(join(tree.path, 'npm-shrinkwrap.json'), JSON.stringify(lock));
      const report = scanJson([tree.path]);
      expect(report.projects[0]?.lockfile.endsWith('npm-shrinkwrap.json')).toBe(true);
      expect(report.findings.some((f) => f.package.name === 'lodash')).toBe(false);
    } finally {
      tree.remove();
    }
  });

  it('writes a Markdown report', () => {
    const result = runCli(['scan', example, '--db', db, '--format', 'markdown']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('| Severity | Score | ID | Package | Fixed in | Scope | Path |');
    expect(result.stdout).toContain(
      '| moderate | 5.6 | GHSA-vh95-rmgr-6w4m (CVE-2020-7598) | `minimist@0.0.8` | 0.2.1 | prod, transitive | vulnerable-app > mkdirp@0.5.1 > minimist@0.0.8 |',
    );
  });

  it('--recursive reports every lockfile as its own project, never inside node_modules', () => {
    const tree = tempDir();
    try {
      cpSync(example, join(tree.path, 'services/api'), { recursive: true });
      cpSync(example, join(tree.path, 'services/web'), { recursive: true });
      cpSync(example, join(tree.path, 'services/web/node_modules/dep'), { recursive: true });
      const result = runCli(['scan', '--recursive', '--json', '--db', db], { cwd: tree.path });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('scanning 2 lockfiles');
      const report = JSON.parse(result.stdout) as Report;
      expect(report.projects.map((p) => p.lockfile)).toEqual([
        'services/api/package-lock.json',
        'services/web/package-lock.json',
      ]);
      expect(report.findings.filter((f) => f.project === 'services/web')).toHaveLength(12);
      const single = runCli(['scan', '--json', '--db', db], { cwd: tree.path });
      expect(single.code).toBe(2);
      expect(single.stderr).toContain('no lockfile found');
    } finally {
      tree.remove();
    }
  });

  it('finds the store through PATCHPILOT_DB and under PATCHPILOT_HOME', () => {
    expect(runCli(['scan', example, '--json'], { env: { PATCHPILOT_DB: db } }).code).toBe(0);
    const state = tempDir();
    try {
      expect(runCli(['db', 'import', exampleOsv], { env: { PATCHPILOT_HOME: state.path } }).code).toBe(0);
      expect(existsSync(join(state.path, 'data/advisories.db'))).toBe(true);
      const status = runCli(['db', 'status', '--json'], { env: { PATCHPILOT_HOME: state.path } });
      expect(JSON.parse(status.stdout)).toMatchObject({ advisories: 11, malicious: 0, withdrawn: 0 });
      expect(
        runCli(['scan', example], { env: { XDG_DATA_HOME: join(state.path, 'data', '..', 'xdg') } }).code,
      ).toBe(2);
    } finally {
      state.remove();
    }
  });

  it('deterministic mode prints byte-identical JSON twice', () => {
    const a = runCli(['scan', example, '--json', '--deterministic', '--db', db]);
    const b = runCli(['scan', example, '--json', '--deterministic', '--db', db]);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toContain('generatedAt');
  });
});

describe('start-up cost', () => {
  it('a scan of an npm lockfile without VEX documents or configuration loads only what it uses', () => {
    const hooks = join(projectRoot, 'test/fixtures/load-hooks/register.mjs');
    const result = spawnSync(
      process.execPath,
      ['--import', hooks, join(projectRoot, 'bin/patchpilot.js'), 'scan', example, '--json', '--db', db],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        encoding: 'utf8',
      },
    );
    expect(result.status, result.stderr).toBe(0);
    const loaded = result.stderr.split('\n').filter((line) => line.startsWith('LOADED '));
    expect(loaded.some((line) => line.includes('/dist/pipeline.js'))).toBe(true);
    expect(loaded.filter((line) => /node_modules\/(zod|yaml|undici)\//.test(line))).toEqual([]);
    // Only the npm parser: the other formats' parsers and the SBOM reader load when met.
    expect(loaded.some((line) => line.includes('/dist/inventory/npm/index.js'))).toBe(true);
    expect(
      loaded.filter((line) => /\/dist\/inventory\/(bun|pnpm|yarn-berry|yarn-classic|sbom)\//.test(line)),
    ).toEqual([]);
    // Nothing is hashed, signed or drawn at random, and no VEX document is written.
    expect(loaded.filter((line) => /builtin:crypto$|\/dist\/intel\/vex\/write\.js/.test(line))).toEqual([]);
    // The list is complete: built-ins loaded outside the hooks are named too.
    expect(loaded).toContain('LOADED builtin:fs');
  });

  it("a scan of a yarn 1 lockfile loads yarn 1's parser and not berry's", () => {
    const hooks = join(projectRoot, 'test/fixtures/load-hooks/register.mjs');
    const project = join(projectRoot, 'test/fixtures/yarn-classic/workspaces');
    const result = spawnSync(
      process.execPath,
      ['--import', hooks, join(projectRoot, 'bin/patchpilot.js'), 'scan', project, '--json', '--db', db],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8' },
    );
    expect(result.status, result.stderr).toBe(0);
    const loaded = result.stderr.split('\n').filter((line) => line.startsWith('LOADED '));
    expect(loaded.some((line) => line.includes('/dist/inventory/yarn-classic/index.js'))).toBe(true);
    expect(loaded.some((line) => line.includes('/dist/inventory/yarn-berry/detect.js'))).toBe(true);
    expect(
      loaded.filter((line) => /\/dist\/inventory\/(bun|pnpm|sbom)\/|(npm|yarn-berry)\/index\.js/.test(line)),
    ).toEqual([]);
  });
});

describe('bad input: one clear line, exit 2, no stack trace', () => {
  const cases = tempDir();
  afterAll(() => cases.remove());
  const project = (
    name: string,
    lockfile: string | undefined,
    manifest = '{"name":"x","version":"1.0.0"}',
  ) => {
    const dir = join(cases.path, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), manifest);
    if (lockfile !== undefined) writeFileSync(join(dir, 'package-lock.json'), lockfile);
    return dir;
  };

  it.each([
    [
      'truncated lockfile',
      '{"name":"x","lockfileVersion":3,"packages":{"":{',
      /package-lock\.json: invalid JSON at line 1, column \d+: the document ends early/,
      'LOCKFILE_INVALID_JSON',
    ],
    [
      'non-JSON lockfile',
      'lockfileVersion: 3\n',
      /package-lock\.json: invalid JSON at line 1, column 1: unexpected character "l"/,
      'LOCKFILE_INVALID_JSON',
    ],
    [
      'unknown lockfileVersion',
      '{"lockfileVersion":7,"packages":{}}',
      /package-lock\.json: lockfileVersion 7 is not supported \(known: 1, 2, 3\)/,
      'LOCKFILE_UNSUPPORTED_VERSION',
    ],
    [
      'escaping lockfile key',
      '{"lockfileVersion":3,"packages":{"":{},"../../etc/node_modules/x":{"version":"1.0.0"}}}',
      /key "\.\.\/\.\.\/etc\/node_modules\/x" points outside the project/,
      'LOCKFILE_KEY_ESCAPES',
    ],
    [
      'absolute lockfile key',
      '{"lockfileVersion":3,"packages":{"":{},"/tmp/node_modules/x":{"version":"1.0.0"}}}',
      /key "\/tmp\/node_modules\/x" points outside the project/,
      'LOCKFILE_KEY_ESCAPES',
    ],
    [
      'wrongly shaped entry',
      '{"lockfileVersion":3,"packages":{"":{},"node_modules/x":{"version":7}}}',
      /"packages" → "node_modules\/x" → "version": .*expected string/,
      'LOCKFILE_INVALID',
    ],
    ['directory with no lockfile', undefined, /no lockfile found/, 'LOCKFILE_NOT_FOUND'],
  ])('%s', (name, lockfile, message, code) => {
    const dir = project(name.replace(/\W+/g, '-'), lockfile);
    const result = runCli(['scan', dir, '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [first] = result.stderr.split('\n');
    expect(first).toMatch(message);
    expect(first).toContain(`[${code}]`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('--debug shows the stack trace', () => {
    const dir = project('debug', '{"lockfileVersion":3,"packages":{"":{');
    const result = runCli(['scan', dir, '--db', db, '--debug']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it('a lockfile that is a link out of its folder is refused, never read (its text would be quoted)', () => {
    const secret = join(cases.path, 'secrets.env');
    writeFileSync(secret, 'NPM_TOKEN=npm_not_for_logs\n');
    const dir = join(cases.path, 'linked-lockfile');
    mkdirSync(dir, { recursive: true });
    symlinkSync(secret, join(dir, 'yarn.lock'));
    const result = runCli(['scan', dir, '--db', db]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('yarn.lock: is a link that leads outside its folder');
    expect(result.stderr).toContain('[LOCKFILE_INVALID]');
    expect(result.stderr).not.toContain('npm_not_for_logs');
    // A link to a regular file in the same folder is read.
    const inside = join(cases.path, 'linked-inside');
    mkdirSync(inside, { recursive: true });
    cpSync(join(projectRoot, 'examples/vulnerable-app/package.json'), join(inside, 'package.json'));
    cpSync(join(projectRoot, 'examples/vulnerable-app/package-lock.json'), join(inside, 'lock.json'));
    symlinkSync('lock.json', join(inside, 'package-lock.json'));
    expect(runCli(['scan', inside, '--db', db]).code).toBe(0);
  });

  it('an unreadable store', () => {
    const folder = runCli(['scan', example, '--db', cases.path]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('cannot read the advisory store: not a file [DB_UNREADABLE]');
    const junk = join(cases.path, 'junk.db');
    writeFileSync(junk, 'not a database '.repeat(100));
    const result = runCli(['scan', example, '--db', junk]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/junk\.db: cannot read the advisory store: .* \[DB_UNREADABLE\]/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('an empty store says how to fill it', () => {
    const result = runCli(['scan', example, '--db', join(cases.path, 'none.db')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /advisory store .*none\.db does not exist yet \[DB_EMPTY\]\n {2}hint: fill it with `patchpilot db import FILE\.\.\.`/,
    );
    expect(existsSync(join(cases.path, 'none.db'))).toBe(false);
    const empty = join(cases.path, 'empty.db');
    // An import whose one record is a broken OSV record skips it and leaves an empty store.
    writeFileSync(join(cases.path, 'nothing.json'), '{"id": "GHSA-0000", "affected": []}');
    expect(runCli(['db', 'import', join(cases.path, 'nothing.json'), '--db', empty]).code).toBe(0);
    const again = runCli(['scan', example, '--db', empty]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/advisory store .*empty\.db is empty \[DB_EMPTY\]/);
  });

  it('a failed import changes nothing, not even creating the store', () => {
    const store = join(cases.path, 'partial.db');
    const result = runCli(['db', 'import', exampleOsv, join(cases.path, 'missing.jsonl'), '--db', store]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing\.jsonl: no such file or directory \[ADVISORY_INPUT_NOT_FOUND\]/);
    expect(existsSync(store)).toBe(false);
    const cut = join(cases.path, 'cut.json');
    writeFileSync(cut, '{"vulns": [');
    // Fails after the import began: the store it was building is not put in place.
    const first = runCli(['db', 'import', exampleOsv, cut, '--db', store]);
    expect(first.code).toBe(2);
    expect(first.stderr).toContain('cut.json: not JSON');
    expect(
      readdirSync(cases.path).filter(
        (name) => name.startsWith('.partial.db') || name.startsWith('partial.db'),
      ),
    ).toEqual([]);
    expect(runCli(['db', 'import', exampleOsv, '--db', store]).code).toBe(0);
    const failed = runCli(['db', 'import', cut, '--db', store]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('cut.json: not JSON');
    expect(JSON.parse(runCli(['db', 'status', '--json', '--db', store]).stdout).advisories).toBe(11);
  });

  it('an import of inputs that hold no records is refused, and a first one leaves no store', () => {
    const store = join(cases.path, 'from-nothing.db');
    const empty = join(cases.path, 'empty.jsonl');
    writeFileSync(empty, '');
    const folder = join(cases.path, 'no-records');
    mkdirSync(folder);
    for (const input of [empty, folder]) {
      const result = runCli(['db', 'import', input, '--db', store]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(
        `nothing to import: ${input} holds no records [ADVISORY_INPUT_INVALID]\n  hint: `,
      );
      expect(readdirSync(cases.path).filter((name) => name.includes('from-nothing.db'))).toEqual([]);
    }
    expect(runCli(['db', 'import', exampleOsv, '--db', store]).code).toBe(0);
    expect(runCli(['db', 'import', empty, '--db', store]).code).toBe(2);
    expect(JSON.parse(runCli(['db', 'status', '--json', '--db', store]).stdout).sources).toHaveLength(1);
  });

  it('a foreign SQLite database is never read or written as a store', () => {
    const foreign = join(cases.path, 'foreign.sqlite');
    const made = spawnSync(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(foreign)}); db.exec('CREATE TABLE advisories (x)'); db.close();`,
      ],
      { cwd: projectRoot },
    );
    expect(made.status).toBe(0);
    for (const args of [
      ['scan', example],
      ['db', 'status'],
      ['db', 'import', exampleOsv],
    ]) {
      const result = runCli([...args, '--db', foreign]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('not a PatchPilot advisory store [DB_UNREADABLE]');
    }
  });
});

describe('the command line', () => {
  it.each([
    [['--help']],
    [['scan', '--help']],
    [['db', '--help']],
    [['db', 'import', '--help']],
    [['db', 'status', '--help']],
    [['help', 'scan']],
  ])('%j prints help and exits 0', (args) => {
    const result = runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: patchpilot/);
  });

  it('rejects unknown commands and options with exit 2', () => {
    // One line with its code and a hint, like every other usage error; a typo gets a suggestion.
    for (const [args, line] of [
      [['frobnicate'], 'unknown command "frobnicate"'],
      [['help', 'frobnicate'], 'unknown command "frobnicate"'],
      [['sacn', '.'], 'unknown command "sacn" (did you mean "scan"?)'],
      [['help', 'rollbak'], 'unknown command "rollbak" (did you mean "rollback"?)'],
      [['toString'], 'unknown command "toString"'],
    ] as const) {
      const unknown = runCli([...args]);
      expect(unknown.code, args.join(' ')).toBe(2);
      expect(unknown.stdout).toBe('');
      expect(unknown.stderr).toBe(`patchpilot: ${line} [USAGE]\n  hint: see \`patchpilot --help\`\n`);
    }
    const option = runCli(['scan', '--frobnicate']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("scan: Unknown option '--frobnicate'");
  });

  it('prints its version', () => {
    const result = runCli(['--version']);
    const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    expect(result.stdout.trim()).toBe(pkg.version);
  });
});
