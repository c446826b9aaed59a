import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, type LedgerEntry, type LedgerEntryInput } from '../core/ledger.js';
import {
  buildStatement,
  DSSE_PAYLOAD_TYPE,
  type DsseEnvelope,
  envelopeStatement,
  keyId,
  preAuthEncoding,
  readSigningKey,
  STATEMENT_TYPE,
  signStatement,
  TEST_RESULT_PREDICATE,
  VULNS_PREDICATE,
  validateStatement,
  verifyEnvelope,
} from './attest.js';
import { changeStatements, testResultPredicate } from './export.js';

const commit = '0123456789abcdef0123456789abcdef01234567';
const base = 'fedcba9876543210fedcba9876543210fedcba98';

const ed25519 = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    publicKey,
  };
};

const statement = buildStatement({
  subjectName: 'patchpilot/fix-minimist',
  commit,
  predicateType: TEST_RESULT_PREDICATE,
  predicate: {
    result: 'PASSED',
    configuration: [],
    passedTests: ['npm test'],
    warnedTests: [],
    failedTests: [],
  },
});

describe('buildStatement', () => {
  it('makes an in-toto Statement v1 about a git commit', () => {
    expect(statement).toEqual({
      _type: STATEMENT_TYPE,
      subject: [{ name: 'patchpilot/fix-minimist', digest: { gitCommit: commit } }],
      predicateType: 'https://in-toto.io/attestation/test-result/v0.1',
      predicate: {
        result: 'PASSED',
        configuration: [],
        passedTests: ['npm test'],
        warnedTests: [],
        failedTests: [],
      },
    });
    expect(validateStatement(statement)).toEqual([]);
  });

  it('refuses what is no commit id', () => {
    expect(() =>
      buildStatement({
        ...{ subjectName: 'x', predicateType: VULNS_PREDICATE, predicate: {} },
        commit: 'main',
      }),
    ).toThrow(/not a git commit id/);
  });
});

describe('DSSE signing', () => {
  it('PAE is "DSSEv1 <len> <type> <len> <body>" with byte lengths', () => {
    expect(preAuthEncoding('text/plain', Buffer.from('héllo')).toString()).toBe(
      'DSSEv1 10 text/plain 6 héllo',
    );
  });

  it('signs and verifies with a fresh Ed25519 key; the key id is the SPKI DER hash', () => {
    const key = ed25519();
    const envelope = signStatement(statement, key.privatePem);
    expect(envelope.payloadType).toBe(DSSE_PAYLOAD_TYPE);
    expect(envelope.signatures).toEqual([{ keyid: keyId(key.publicKey), sig: expect.any(String) }]);
    expect(envelope.signatures[0]?.keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(envelopeStatement(envelope)).toEqual(statement);
    expect(verifyEnvelope(envelope, key.publicPem)).toBe(true);
    // The private key stands for its public key too.
    expect(verifyEnvelope(envelope, key.privatePem)).toBe(true);
  });

  it('a tampered payload, type or signature, or another key, fails', () => {
    const key = ed25519();
    const envelope = signStatement(statement, key.privatePem);
    const forged = { ...statement, predicate: { ...statement.predicate, result: 'FAILED' } };
    const tampered: DsseEnvelope = {
      ...envelope,
      payload: Buffer.from(JSON.stringify(forged)).toString('base64'),
    };
    expect(verifyEnvelope(tampered, key.publicPem)).toBe(false);
    expect(verifyEnvelope({ ...envelope, payloadType: 'application/json' }, key.publicPem)).toBe(false);
    const sig = Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64');
    sig[0] = (sig[0] ?? 0) ^ 1;
    expect(
      verifyEnvelope(
        { ...envelope, signatures: [{ keyid: '', sig: sig.toString('base64') }] },
        key.publicPem,
      ),
    ).toBe(false);
    expect(verifyEnvelope(envelope, ed25519().publicPem)).toBe(false);
    expect(verifyEnvelope({ payload: 'x' }, key.publicPem)).toBe(false);
    expect(verifyEnvelope(null, key.publicPem)).toBe(false);
  });

  it('refuses keys that are not Ed25519 private keys: LEDGER_KEY_INVALID', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(() => readSigningKey(rsa.toString(), 'rsa.pem')).toThrow(
      expect.objectContaining({
        code: 'LEDGER_KEY_INVALID',
        message: expect.stringMatching(/^rsa\.pem: a rsa key/),
      }),
    );
    expect(() => readSigningKey('garbage', 'k.pem')).toThrow(
      expect.objectContaining({ code: 'LEDGER_KEY_INVALID' }),
    );
    expect(() => verifyEnvelope({}, 'garbage')).toThrow(
      expect.objectContaining({ code: 'LEDGER_KEY_INVALID' }),
    );
  });
});

describe('validateStatement', () => {
  it.each([
    [null, ['(statement): Invalid input: expected object, received null']],
    [{ ...statement, _type: 'https://in-toto.io/Statement/v0.1' }, [expect.stringMatching(/^_type: /)]],
    [{ ...statement, subject: [] }, ['subject: expected at least one subject']],
    [{ ...statement, subject: [{ name: 'x' }] }, [expect.stringMatching(/^subject\[0\]\.digest: /)]],
    [
      { ...statement, subject: [{ name: 'x', digest: { gitCommit: 'ABC' } }] },
      ['subject[0].digest.gitCommit: expected lowercase hex'],
    ],
    [{ ...statement, predicateType: 'test-result' }, ['predicateType: expected a URI']],
    [
      { ...statement, predicate: { ...statement.predicate, result: 'OK' } },
      [expect.stringMatching(/^predicate\.result: /)],
    ],
    [
      { ...statement, predicate: { result: 'PASSED', configuration: [{ name: 'only a name' }] } },
      ['predicate.configuration[0]: a resource descriptor needs uri, digest or content'],
    ],
    [
      {
        ...statement,
        predicateType: VULNS_PREDICATE,
        predicate: {
          scanner: { uri: 'pkg:npm/patchpilot@1', result: [{ id: 'GHSA-1' }] },
          metadata: { scanStartedOn: 'today', scanFinishedOn: '2025-01-01T00:00:00Z' },
        },
      },
      [
        'predicate.scanner.result[0].severity: Invalid input: expected array, received undefined',
        'predicate.metadata.scanStartedOn: expected an RFC 3339 timestamp',
      ],
    ],
  ])('%# finds the problem', (value, problems) => {
    expect(validateStatement(value)).toEqual(problems);
  });

  it('allows unknown fields and predicate types, as in-toto consumers must', () => {
    expect(
      validateStatement({
        ...statement,
        extra: 1,
        predicateType: 'https://example.org/p/v1',
        predicate: { any: 'thing' },
      }),
    ).toEqual([]);
  });
});

describe('changeStatements', () => {
  let seq = 0;
  const entry = (input: Omit<LedgerEntryInput, 'actor' | 'subject'>): LedgerEntry => ({
    seq: ++seq,
    time: `2025-02-0${seq}T10:00:00.000Z`,
    actor: 'patchpilot@0.1.0',
    subject: 'p-1',
    change: input.change ?? null,
    kind: input.kind,
    inputs: input.inputs,
    outcome: input.outcome,
    prevHash: GENESIS_HASH,
    hash: 'h',
  });
  const entries = [
    entry({ kind: 'planned', change: 'p-1', inputs: {}, outcome: {} }),
    entry({
      kind: 'tested',
      change: 'p-1',
      inputs: {},
      outcome: {
        passed: true,
        commands: [
          { command: 'npm ci', code: 0, durationMs: 1200 },
          { command: 'npm test', code: 0, durationMs: 3400 },
        ],
        exercised: ['minimist'],
      },
    }),
    entry({
      kind: 'proved',
      change: 'p-1',
      inputs: { advisories: [{ id: 'GHSA-xvch-5gv4-984h', modified: '2024-06-01T00:00:00Z' }] },
      outcome: {
        proven: true,
        before: {
          findings: [{ id: 'GHSA-xvch-5gv4-984h', name: 'minimist', version: '1.2.5', severity: 'critical' }],
        },
        after: { findings: [] },
        storeSnapshot: '2025-01-31T00:00:00Z',
      },
    }),
    entry({
      kind: 'applied',
      change: 'p-1',
      inputs: { base },
      outcome: { commit, branch: 'patchpilot/p-1' },
    }),
    entry({ kind: 'tested', change: 'p-2', inputs: {}, outcome: { passed: false } }),
  ];

  it('one test-result statement per test run, two vulns statements (before on the base commit, after)', () => {
    const statements = changeStatements(entries, { change: 'p-1', toolVersion: '0.1.0' });
    expect(statements.map((s) => [s.predicateType, s.subject])).toEqual([
      [TEST_RESULT_PREDICATE, [{ name: 'patchpilot/p-1', digest: { gitCommit: commit } }]],
      [VULNS_PREDICATE, [{ name: 'patchpilot/p-1', digest: { gitCommit: base } }]],
      [VULNS_PREDICATE, [{ name: 'patchpilot/p-1', digest: { gitCommit: commit } }]],
    ]);
    for (const s of statements) expect(validateStatement(s)).toEqual([]);
    expect(statements[0]?.predicate).toEqual({
      result: 'PASSED',
      configuration: [
        {
          name: 'npm ci',
          content: 'bnBtIGNp',
          mediaType: 'text/plain',
          annotations: { exitCode: 0, durationMs: 1200 },
        },
        {
          name: 'npm test',
          content: 'bnBtIHRlc3Q=',
          mediaType: 'text/plain',
          annotations: { exitCode: 0, durationMs: 3400 },
        },
      ],
      passedTests: ['npm ci', 'npm test'],
      warnedTests: [],
      failedTests: [],
    });
    expect(statements[1]?.predicate).toEqual({
      scanner: {
        uri: 'pkg:npm/patchpilot@0.1.0',
        version: '0.1.0',
        db: { version: '2025-01-31T00:00:00Z', lastUpdate: '2025-01-31T00:00:00.000Z' },
        result: [
          {
            id: 'GHSA-xvch-5gv4-984h',
            severity: [{ method: 'osv', score: 'critical' }],
            annotations: [{ package: 'minimist', version: '1.2.5' }],
          },
        ],
      },
      metadata: { scanStartedOn: '2025-02-03T10:00:00.000Z', scanFinishedOn: '2025-02-03T10:00:00.000Z' },
    });
    expect(statements[2]?.predicate).toMatchObject({ scanner: { result: [] } });
  });

  it('no test-result statement for a run in which no test ran (the project has none)', () => {
    const none = entries.map((e) =>
      e.kind === 'tested' && e.change === 'p-1'
        ? { ...e, outcome: { ran: false, passed: false, commands: [{ command: 'npm ci', code: 0 }] } }
        : e,
    );
    const statements = changeStatements(none, { change: 'p-1', toolVersion: '0.1.0' });
    expect(statements.map((s) => s.predicateType)).toEqual([VULNS_PREDICATE, VULNS_PREDICATE]);
  });

  it('test results: FAILED with the failing commands; WARNED when nothing the change moved was loaded', () => {
    expect(
      testResultPredicate({
        passed: false,
        commands: [
          { command: 'npm ci', code: 0 },
          { command: 'npm test', code: 1 },
        ],
      }),
    ).toMatchObject({ result: 'FAILED', passedTests: ['npm ci'], failedTests: ['npm test'] });
    expect(
      testResultPredicate({ passed: true, commands: [{ command: 'npm test', code: 0 }], exercised: [] }),
    ).toMatchObject({
      result: 'WARNED',
      passedTests: [],
      warnedTests: ['npm test'],
    });
  });

  it('a proposed change without a recorded base: the before scan names the change commit', () => {
    const proposed = [
      entries[2] as LedgerEntry,
      entry({ kind: 'proposed', change: 'p-1', inputs: {}, outcome: { commit } }),
    ];
    const statements = changeStatements(proposed, { change: 'p-1', toolVersion: '0.1.0' });
    expect(statements.map((s) => s.subject[0])).toEqual([
      { name: 'p-1 (before)', digest: { gitCommit: commit } },
      { name: 'p-1', digest: { gitCommit: commit } },
    ]);
  });

  it('attests the whole scans a proof keeps, and leaves out the before scan it could not make', () => {
    const whole = (scan: Record<string, unknown>) => [
      entry({
        kind: 'proved',
        change: 'p-1',
        inputs: {},
        outcome: {
          proven: true,
          before: { findings: [{ id: 'GHSA-targeted', name: 'a', version: '1.0.0' }] },
          after: { findings: [] },
          scan,
        },
      }),
      entry({
        kind: 'applied',
        change: 'p-1',
        inputs: { base },
        outcome: { commit, branch: 'patchpilot/p-1' },
      }),
    ];
    const ids = (statements: ReturnType<typeof changeStatements>) =>
      statements.map((s) =>
        (s.predicate as { scanner: { result: { id: string }[] } }).scanner.result.map((r) => r.id),
      );
    const both = changeStatements(
      whole({
        before: { findings: [{ id: 'GHSA-targeted' }, { id: 'GHSA-other' }] },
        after: { findings: [{ id: 'GHSA-other' }] },
      }),
      { change: 'p-1', toolVersion: '0.1.0' },
    );
    expect(ids(both)).toEqual([['GHSA-targeted', 'GHSA-other'], ['GHSA-other']]);
    // No base scan: no before statement, rather than the targeted findings passed off as a scan.
    const afterOnly = changeStatements(whole({ after: { findings: [{ id: 'GHSA-other' }] } }), {
      change: 'p-1',
      toolVersion: '0.1.0',
    });
    expect(afterOnly.map((s) => s.subject[0]?.digest.gitCommit)).toEqual([commit]);
    expect(ids(afterOnly)).toEqual([['GHSA-other']]);
  });

  it("attests only the run that made the commit, not a held-back run's tests or a later dry run's", () => {
    const other = 'e'.repeat(40);
    const run = (passed: boolean, snapshot: string, applied?: string) => [
      entry({ kind: 'planned', change: 'p-1', inputs: {}, outcome: {} }),
      entry({
        kind: 'tested',
        change: 'p-1',
        inputs: {},
        outcome: { passed, commands: [{ command: 'npm test', code: passed ? 0 : 1 }], exercised: ['a'] },
      }),
      entry({
        kind: 'proved',
        change: 'p-1',
        inputs: {},
        outcome: { proven: true, before: { findings: [] }, after: { findings: [] }, storeSnapshot: snapshot },
      }),
      entry({
        kind: 'applied',
        change: 'p-1',
        inputs: { base },
        outcome: applied === undefined ? {} : { commit: applied, branch: 'patchpilot/p-1' },
      }),
    ];
    const ledger = [...run(false, 'held-back'), ...run(true, 'committed', other), ...run(true, 'dry-run')];
    const statements = changeStatements(ledger, { change: 'p-1', toolVersion: '0.1.0' });
    expect(statements.map((s) => s.predicateType)).toEqual([
      TEST_RESULT_PREDICATE,
      VULNS_PREDICATE,
      VULNS_PREDICATE,
    ]);
    expect(statements[0]?.predicate).toMatchObject({ result: 'PASSED' });
    expect(statements.map((s) => s.subject[0]?.digest.gitCommit)).toEqual([other, base, other]);
    expect(statements[2]?.predicate).toMatchObject({ scanner: { db: { version: 'committed' } } });
  });

  it('refuses an unknown change, one without commit, one with nothing to attest', () => {
    expect(() => changeStatements(entries, { change: 'p-9', toolVersion: '1' })).toThrow(
      expect.objectContaining({ code: 'LEDGER_CHANGE_UNKNOWN' }),
    );
    expect(() => changeStatements(entries, { change: 'p-2', toolVersion: '1' })).toThrow(
      expect.objectContaining({
        code: 'LEDGER_CHANGE_INCOMPLETE',
        message: expect.stringMatching(/no commit/),
      }),
    );
    const onlyApplied = [entry({ kind: 'applied', change: 'p-3', inputs: {}, outcome: { commit } })];
    expect(() => changeStatements(onlyApplied, { change: 'p-3', toolVersion: '1' })).toThrow(
      /nothing to attest/,
    );
  });
});
