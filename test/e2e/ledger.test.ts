import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry, LedgerEntryInput } from '../../src/core/ledger.js';
import { validateStatement, verifyEnvelope } from '../../src/ledger/attest.js';
import { ledgerPath } from '../../src/ledger/location.js';
import { Ledger } from '../../src/ledger/store.js';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * The ledger commands on a ledger seeded through the library, in a real git repository: verify,
 * show, export (signed attestations checked with the public key), quarantine list and release,
 * and verify again after the file was tampered with behind the triggers' back.
 */
const home = tempDir('patchpilot-ledger-e2e-');
const project = join(home.path, 'vulnerable-app');
// State and git configuration come from the test, never from the machine.
const env = {
  PATCHPILOT_HOME: join(home.path, 'state'),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CEILING_DIRECTORIES: home.path,
};
const cli = (args: string[]) => runCli(args, { cwd: project, env });

const commit = 'b1946ac92492d2347c6235b4d2611184b1946ac9';
const base = '2c26b46b68ffc68ff99b453c1d30413413422d70';
const tool = 'patchpilot@0.1.0';
const seed: LedgerEntryInput[] = [
  {
    kind: 'detected',
    subject: 'GHSA-xvch-5gv4-984h minimist@1.2.5',
    actor: tool,
    inputs: {
      advisories: [{ id: 'GHSA-xvch-5gv4-984h', modified: '2024-06-01T00:00:00Z' }],
      storeSnapshot: 's1',
    },
    outcome: { severity: 'critical' },
    time: '2025-03-01T10:00:00Z',
  },
  {
    kind: 'planned',
    subject: 'p-1a2b',
    change: 'p-1a2b',
    actor: tool,
    inputs: { storeSnapshot: 's1' },
    outcome: { strategy: 'in-place', from: '1.2.5', to: '1.2.8' },
    time: '2025-03-01T10:00:01Z',
  },
  {
    kind: 'applied',
    subject: 'p-1a2b',
    change: 'p-1a2b',
    actor: tool,
    inputs: { base },
    outcome: { commit, branch: 'patchpilot/p-1a2b' },
    time: '2025-03-01T10:00:02Z',
  },
  {
    kind: 'tested',
    subject: 'p-1a2b',
    change: 'p-1a2b',
    actor: tool,
    inputs: {},
    outcome: {
      passed: true,
      commands: [{ command: 'npm test', code: 0, durationMs: 812 }],
      exercised: ['minimist'],
    },
    time: '2025-03-01T10:00:03Z',
  },
  {
    kind: 'proved',
    subject: 'p-1a2b',
    change: 'p-1a2b',
    actor: tool,
    inputs: { advisories: [{ id: 'GHSA-xvch-5gv4-984h', modified: '2024-06-01T00:00:00Z' }] },
    outcome: {
      proven: true,
      before: { findings: [{ id: 'GHSA-xvch-5gv4-984h', name: 'minimist', version: '1.2.5' }] },
      after: { findings: [] },
      storeSnapshot: 's1',
    },
    time: '2025-03-01T10:00:04Z',
  },
  {
    kind: 'rolled-back',
    subject: 'p-9f8e',
    change: 'p-9f8e',
    actor: tool,
    inputs: {},
    outcome: {
      reason: 'health check failed after deploy',
      quarantine: [{ name: 'left-pad', version: '1.3.1' }],
    },
    time: '2025-03-02T09:00:00Z',
  },
];

let ledgerFile = '';
const keyFile = join(home.path, 'key.pem');
let publicPem = '';
const keep: unknown[] = [];

beforeAll(() => {
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), '{"name":"vulnerable-app"}');
  const git = (...args: string[]) =>
    expect(spawnSync('git', args, { cwd: project, env: { ...process.env, ...env } }).status).toBe(0);
  git('init', '--quiet');
  git('config', 'user.name', 'Test Person');
  git('config', 'user.email', 'test@example.org');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  ledgerFile = ledgerPath({ env, cwd: project, projectRoot: project });
  const ledger = Ledger.open(ledgerFile);
  ledger.appendAll(seed);
  ledger.close();
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
});
afterAll(() => home.remove());

describe('ledger verify', () => {
  it("finds the project's ledger in the data home by the repository's identity, and finds it intact", () => {
    expect(ledgerFile).toMatch(/state\/data\/ledgers\/vulnerable-app-[0-9a-f]{16}\.db$/);
    const text = cli(['ledger', 'verify']);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe(`${ledgerFile}: 6 entries, intact\n`);
    const json = runCli(['ledger', 'verify', project, '--json'], { cwd: home.path, env });
    expect(json.code).toBe(0);
    // Paths below the current folder are shown relative to it.
    expect(JSON.parse(json.stdout)).toEqual({
      schemaVersion: 1,
      ledger: relative(home.path, ledgerFile),
      ok: true,
      entries: 6,
    });
  });

  it('exits 1 naming the entry when the file was edited behind the triggers', () => {
    const copy = join(home.path, 'tampered.db');
    copyFileSync(ledgerFile, copy);
    const db = new Database(copy);
    keep.push(db);
    db.exec('DROP TRIGGER entries_append_only_update');
    db.exec(`UPDATE entries SET outcome = '{"passed":true,"commands":[]}' WHERE seq = 4`);
    db.close();
    const result = cli(['ledger', 'verify', '--ledger', copy]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/6 entries; NOT intact: entry 4 edited: entry 4 was edited/);
    const json = JSON.parse(cli(['ledger', 'verify', '--ledger', copy, '--json']).stdout);
    expect(json).toMatchObject({ ok: false, entries: 6, problem: { seq: 4, kind: 'edited' } });
  });

  /** A copy of the ledger changed by `sql` with the append-only triggers dropped. */
  const tampered = (name: string, ...sql: string[]): string => {
    const copy = join(home.path, name);
    copyFileSync(ledgerFile, copy);
    const db = new Database(copy);
    keep.push(db);
    db.exec('DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete');
    for (const statement of sql) db.exec(statement);
    db.close();
    return copy;
  };

  it('exits 1 naming the entry when an entry was deleted', () => {
    const copy = tampered('deleted.db', 'DELETE FROM entries WHERE seq = 3');
    const result = cli(['ledger', 'verify', '--ledger', copy]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '5 entries; NOT intact: entry 3 removed: entry 3 was removed: entry 4 follows entry 2',
    );
    const json = JSON.parse(cli(['ledger', 'verify', '--ledger', copy, '--json']).stdout);
    expect(json).toMatchObject({ ok: false, entries: 5, problem: { seq: 3, kind: 'removed' } });
  });

  it('exits 1 naming the entry when two entries were swapped', () => {
    const cols = 'time, actor, kind, subject, change, inputs, outcome, prev_hash, hash';
    const copy = tampered(
      'swapped.db',
      `CREATE TEMP TABLE a AS SELECT ${cols} FROM entries WHERE seq = 2`,
      `CREATE TEMP TABLE b AS SELECT ${cols} FROM entries WHERE seq = 5`,
      'DELETE FROM entries WHERE seq IN (2, 5)',
      `INSERT INTO entries (seq, ${cols}) SELECT 2, ${cols} FROM b`,
      `INSERT INTO entries (seq, ${cols}) SELECT 5, ${cols} FROM a`,
    );
    const result = cli(['ledger', 'verify', '--ledger', copy]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'NOT intact: entry 2 reordered: entry 2 is out of place: it holds the entry recorded as 5',
    );
    const json = JSON.parse(cli(['ledger', 'verify', '--ledger', copy, '--json']).stdout);
    expect(json).toMatchObject({ ok: false, entries: 6, problem: { seq: 2, kind: 'reordered' } });
  });

  it('exits 2 when the project has no ledger yet: LEDGER_NOT_FOUND, pointing at fix', () => {
    const result = cli(['ledger', 'verify', '--ledger', 'absent.db']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /absent\.db does not exist \[LEDGER_NOT_FOUND\]\n {2}hint: `patchpilot fix` creates/,
    );
  });
});

describe('ledger show', () => {
  it('prints the entries as JSON, filtered by change, kind and time', () => {
    const all = cli(['ledger', 'show', '--json']);
    expect(all.code).toBe(0);
    const entries = JSON.parse(all.stdout) as LedgerEntry[];
    expect(entries.map((e) => [e.seq, e.kind])).toEqual([
      [1, 'detected'],
      [2, 'planned'],
      [3, 'applied'],
      [4, 'tested'],
      [5, 'proved'],
      [6, 'rolled-back'],
    ]);
    expect(entries[0]).toMatchObject({
      change: null,
      prevHash: '0'.repeat(64),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const filtered = JSON.parse(
      cli([
        'ledger',
        'show',
        '--change',
        'p-1a2b',
        '--kind',
        'tested,proved',
        '--kind',
        'planned',
        '--since',
        '2025-03-01T10:00:02Z',
        '--json',
      ]).stdout,
    ) as LedgerEntry[];
    expect(filtered.map((e) => e.seq)).toEqual([4, 5]);
  });

  it('prints a table', () => {
    const result = cli(['ledger', 'show', '--kind', 'rolled-back']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${ledgerFile}: 1 entry`);
    expect(lines[1]).toMatch(/^ {2}SEQ +TIME +ACTOR +KIND +SUBJECT +OUTCOME$/);
    expect(lines[2]).toMatch(
      /^ {2}6 +2025-03-02T09:00:00\.000Z +patchpilot@0\.1\.0 +rolled-back +p-9f8e +\{"quarantine":/,
    );
    expect(lines[2]?.endsWith('…')).toBe(true);
  });

  it('refuses an unknown kind or a bad date', () => {
    expect(cli(['ledger', 'show', '--kind', 'deployed'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unknown --kind "deployed"/),
    });
    expect(cli(['ledger', 'show', '--since', 'yesterday'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--since "yesterday"/),
    });
    // A day the calendar does not have is refused, not rolled over into the next month.
    for (const since of ['2026-02-30', '2026-04-31T12:00:00Z', '2025-02-29']) {
      expect(cli(['ledger', 'show', '--since', since])).toMatchObject({
        code: 2,
        stderr: `patchpilot: ledger show: --since "${since}" is not a date (2025-01-31) or ISO date-time [USAGE]\n  hint: see \`patchpilot ledger show --help\`\n`,
      });
    }
    expect(cli(['ledger', 'show', '--since', '2024-02-29', '--json']).code).toBe(0);
  });
});

describe('ledger export --format in-toto', () => {
  it('writes the statements of a change: its test run and the scans before and after', () => {
    const result = cli(['ledger', 'export', '--format', 'in-toto', 'p-1a2b']);
    expect(result.code).toBe(0);
    const { statements } = JSON.parse(result.stdout) as {
      statements: { predicateType: string; subject: unknown }[];
    };
    expect(statements.map((s) => s.predicateType)).toEqual([
      'https://in-toto.io/attestation/test-result/v0.1',
      'https://in-toto.io/attestation/vulns/v0.2',
      'https://in-toto.io/attestation/vulns/v0.2',
    ]);
    expect(statements.map((s) => s.subject)).toEqual([
      [{ name: 'patchpilot/p-1a2b', digest: { gitCommit: commit } }],
      [{ name: 'patchpilot/p-1a2b', digest: { gitCommit: base } }],
      [{ name: 'patchpilot/p-1a2b', digest: { gitCommit: commit } }],
    ]);
    for (const statement of statements) expect(validateStatement(statement)).toEqual([]);
  });

  it('signs them with --key: DSSE envelopes that verify with the public key, written with --out', () => {
    const out = join(home.path, 'attestations.json');
    const result = cli([
      'ledger',
      'export',
      '--format',
      'in-toto',
      'p-1a2b',
      project,
      '--key',
      keyFile,
      '--out',
      out,
    ]);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toMatch(/^wrote 3 signed statements of p-1a2b to /);
    const { envelopes } = JSON.parse(readFileSync(out, 'utf8')) as {
      envelopes: { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] }[];
    };
    expect(envelopes).toHaveLength(3);
    for (const envelope of envelopes) {
      expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
      expect(verifyEnvelope(envelope, publicPem)).toBe(true);
      expect(validateStatement(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')))).toEqual(
        [],
      );
    }
    const forged = { ...envelopes[0], payload: Buffer.from('{"_type":"forged"}').toString('base64') };
    expect(verifyEnvelope(forged, publicPem)).toBe(false);
  });

  it('refuses an unknown change, a change without commit, a bad key (exit 2)', () => {
    expect(cli(['ledger', 'export', 'p-0000'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no entry for change p-0000 \[LEDGER_CHANGE_UNKNOWN\]/),
    });
    expect(cli(['ledger', 'export', 'p-9f8e'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/change p-9f8e has no commit .*\[LEDGER_CHANGE_INCOMPLETE\]/),
    });
    writeFileSync(join(home.path, 'bad.pem'), 'not a key');
    expect(cli(['ledger', 'export', 'p-1a2b', '--key', join(home.path, 'bad.pem')])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/\[LEDGER_KEY_INVALID\]/),
    });
    expect(cli(['ledger', 'export', '--format', 'slsa', 'p-1a2b'])).toMatchObject({ code: 2 });
  });

  it('refuses to sign from a ledger that is not intact (exit 2), and writes nothing', () => {
    const copy = join(home.path, 'export-tampered.db');
    copyFileSync(ledgerFile, copy);
    const db = new Database(copy);
    keep.push(db);
    db.exec('DROP TRIGGER entries_append_only_update');
    db.exec(
      `UPDATE entries SET outcome = replace(outcome, '"durationMs":812', '"durationMs":9') WHERE seq = 4`,
    );
    db.close();
    const out = join(home.path, 'export-tampered.json');
    const result = cli(['ledger', 'export', 'p-1a2b', '--ledger', copy, '--key', keyFile, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /entry 4 edited: entry 4 was edited: its content does not match its hash; nothing is exported from a ledger that is not intact \[LEDGER_TAMPERED\]/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('quarantine', () => {
  it('lists what rollbacks quarantined, releases it into the ledger, and refuses what is not held', () => {
    const list = JSON.parse(cli(['quarantine', 'list', '--json']).stdout);
    expect(list.quarantined).toEqual([
      {
        name: 'left-pad',
        version: '1.3.1',
        change: 'p-9f8e',
        reason: 'health check failed after deploy',
        seq: 6,
        time: '2025-03-02T09:00:00.000Z',
      },
    ]);
    expect(cli(['quarantine', 'list']).stdout).toMatch(/left-pad@1\.3\.1 {2}change p-9f8e, entry 6/);

    // A release needs a reason, as a rollback does: nothing is written without one.
    for (const reason of [[], ['--reason', '  ']]) {
      expect(cli(['quarantine', 'release', 'left-pad@1.3.1', ...reason])).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/--reason TEXT is required: say why the version is safe again/),
      });
    }
    expect(cli(['quarantine', 'release', 'left-pad@1.3.2', '--reason', 'x'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/nothing quarantined matches left-pad@1\.3\.2 \[QUARANTINE_NOT_FOUND\]/),
    });
    const released = cli(['quarantine', 'release', 'left-pad@1.3.1', '--reason', 'flaky health check']);
    expect(released).toMatchObject({
      code: 0,
      stdout: 'released left-pad@1.3.1 by Test Person <test@example.org> (ledger entry 7)\n',
    });

    expect(cli(['quarantine', 'list']).stdout).toBe('nothing is quarantined\n');
    const last = (
      JSON.parse(cli(['ledger', 'show', '--kind', 'quarantine-released', '--json']).stdout) as LedgerEntry[]
    )[0];
    expect(last).toMatchObject({
      seq: 7,
      kind: 'quarantine-released',
      subject: 'left-pad@1.3.1',
      change: 'p-9f8e',
      actor: 'Test Person <test@example.org>',
      outcome: { name: 'left-pad', version: '1.3.1', reason: 'flaky health check' },
    });
    expect(cli(['ledger', 'verify']).stdout).toMatch(/7 entries, intact/);
    expect(cli(['quarantine', 'release', 'left-pad', '--reason', 'x'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/QUARANTINE_NOT_FOUND/),
    });
  });

  it('refuses an empty version, a named ledger that does not exist, and a release on a ledger that is not intact', () => {
    expect(cli(['quarantine', 'release', 'left-pad@', '--reason', 'x'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/"left-pad@" names no version/),
    });
    const missing = join(home.path, 'no-such-ledger.db');
    for (const command of [
      ['quarantine', 'list', '--ledger', missing],
      ['quarantine', 'release', 'left-pad', '--reason', 'x', '--ledger', missing],
    ]) {
      expect(cli(command)).toMatchObject({ code: 2, stderr: expect.stringMatching(/LEDGER_NOT_FOUND/) });
    }
    // A quarantine entry forged into an otherwise intact ledger: listed with a warning, never released.
    const copy = join(home.path, 'quarantine-tampered.db');
    copyFileSync(ledgerFile, copy);
    const db = new Database(copy);
    keep.push(db);
    db.exec('DROP TRIGGER entries_append_only_update');
    db.exec(`UPDATE entries SET outcome = replace(outcome, '"1.3.1"', '"1.3.2"') WHERE seq = 6`);
    db.close();
    const list = cli(['quarantine', 'list', '--ledger', copy]);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(/warning: .*quarantine-tampered\.db is not intact \(entry 6 edited/);
    expect(cli(['quarantine', 'release', 'left-pad', '--reason', 'x', '--ledger', copy])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/nothing is released on a ledger that is not intact \[LEDGER_TAMPERED\]/),
    });
  });
});

describe('help', () => {
  it('every command has --help', () => {
    for (const args of [
      ['ledger', '--help'],
      ['ledger', 'verify', '--help'],
      ['ledger', 'show', '--help'],
      ['ledger', 'export', '--help'],
      ['quarantine', '--help'],
      ['quarantine', 'list', '--help'],
      ['quarantine', 'release', '--help'],
      ['help', 'ledger'],
    ]) {
      const result = cli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toMatch(/^Usage: patchpilot (ledger|quarantine)/);
    }
    expect(cli(['--help']).stdout).toMatch(/ledger verify \[DIR\][\s\S]*quarantine release NAME\[@VERSION\]/);
  });
});
