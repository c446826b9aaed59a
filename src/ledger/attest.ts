import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { PatchPilotError } from '../core/errors.js';
import { canonicalJson, sha256Hex } from './canonical.js';

/**
 * in-toto attestations of a change: Statement v1 documents
 * (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md) about the commit that
 * holds it, and their DSSE envelopes signed with Ed25519
 * (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md). zod is loaded with this
 * module, which only `ledger export` imports.
 */

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const TEST_RESULT_PREDICATE = 'https://in-toto.io/attestation/test-result/v0.1';
export const VULNS_PREDICATE = 'https://in-toto.io/attestation/vulns/v0.2';
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** in-toto's ResourceDescriptor; at least one of uri, digest and content is set. */
export interface ResourceDescriptor {
  readonly name?: string;
  readonly uri?: string;
  readonly digest?: Readonly<Record<string, string>>;
  /** Base64 of the bytes. */
  readonly content?: string;
  readonly downloadLocation?: string;
  readonly mediaType?: string;
  readonly annotations?: Readonly<Record<string, unknown>>;
}

export interface InTotoStatement {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly { name: string; digest: { gitCommit: string } }[];
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
}

/** The test-result predicate, v0.1. */
export interface TestResultPredicate {
  readonly result: 'PASSED' | 'WARNED' | 'FAILED';
  readonly configuration: readonly ResourceDescriptor[];
  readonly url?: string;
  readonly passedTests: readonly string[];
  readonly warnedTests: readonly string[];
  readonly failedTests: readonly string[];
}

/** The vulnerabilities predicate, v0.2. */
export interface VulnsPredicate {
  readonly scanner: {
    readonly uri: string;
    readonly version?: string;
    readonly db?: { readonly uri?: string; readonly version?: string; readonly lastUpdate: string };
    readonly result: readonly {
      readonly id: string;
      readonly severity: readonly { method: string; score: string }[];
      readonly annotations?: readonly Readonly<Record<string, unknown>>[];
    }[];
  };
  readonly metadata: { readonly scanStartedOn: string; readonly scanFinishedOn: string };
}

export interface DsseEnvelope {
  readonly payloadType: string;
  /** Base64 of the serialized statement. */
  readonly payload: string;
  readonly signatures: readonly { keyid: string; sig: string }[];
}

const gitCommit = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** A Statement v1 about one git commit (SHA-1, or SHA-256 in a SHA-256 repository). */
export const buildStatement = (options: {
  readonly subjectName: string;
  readonly commit: string;
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
}): InTotoStatement => {
  const commit = options.commit.toLowerCase();
  if (!gitCommit.test(commit)) {
    throw new PatchPilotError('INTERNAL', `"${options.commit}" is not a git commit id`);
  }
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: options.subjectName, digest: { gitCommit: commit } }],
    predicateType: options.predicateType,
    predicate: options.predicate,
  };
};

/**
 * DSSE's pre-authentication encoding, what is really signed:
 * `DSSEv1 <len(type)> <type> <len(body)> <body>`, lengths in bytes, as ASCII decimals.
 */
export const preAuthEncoding = (payloadType: string, body: Uint8Array): Buffer => {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${body.length} `, 'utf8'),
    body,
  ]);
};

const keyInvalid = (source: string, why: string, cause?: unknown): PatchPilotError =>
  new PatchPilotError('LEDGER_KEY_INVALID', `${source}: ${why}`, {
    hint: 'give an Ed25519 private key in PKCS#8 PEM, e.g. made with `openssl genpkey -algorithm ed25519 -out key.pem`',
    cause,
  });

/** The key id PatchPilot gives a public key: SHA-256 (hex) of its SubjectPublicKeyInfo DER. */
export const keyId = (key: KeyObject): string =>
  sha256Hex((key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' }));

/** An Ed25519 private key from PEM (PKCS#8), or `LEDGER_KEY_INVALID` naming `source`. */
export const readSigningKey = (pem: string, source = 'key'): { privateKey: KeyObject; keyid: string } => {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw keyInvalid(source, 'not a PEM private key (PKCS#8) without a passphrase', cause);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw keyInvalid(
      source,
      `a ${privateKey.asymmetricKeyType ?? 'unknown'} key; attestations are signed with Ed25519`,
    );
  }
  return { privateKey, keyid: keyId(privateKey) };
};

/** Signs a statement: a DSSE envelope whose payload is the statement's canonical JSON. */
export const signStatement = (
  statement: InTotoStatement,
  privateKeyPem: string,
  source = 'key',
): DsseEnvelope => {
  const { privateKey, keyid } = readSigningKey(privateKeyPem, source);
  const body = Buffer.from(canonicalJson(statement), 'utf8');
  const sig = sign(null, preAuthEncoding(DSSE_PAYLOAD_TYPE, body), privateKey);
  return {
    payloadType: DSSE_PAYLOAD_TYPE,
    payload: body.toString('base64'),
    signatures: [{ keyid, sig: sig.toString('base64') }],
  };
};

/**
 * Whether one of the envelope's signatures is a valid Ed25519 signature by the key of
 * `publicKeyPem` (a public key, or the private key it belongs to) over the envelope's payload and
 * type. Key ids are hints only: every signature is tried. A malformed envelope is not valid.
 */
export const verifyEnvelope = (envelope: unknown, publicKeyPem: string): boolean => {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: publicKeyPem, format: 'pem' });
  } catch (cause) {
    throw keyInvalid('public key', 'not a PEM public key', cause);
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw keyInvalid('public key', `a ${publicKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  const e = envelope as Partial<DsseEnvelope> | null;
  if (e === null || typeof e !== 'object') return false;
  if (typeof e.payloadType !== 'string' || typeof e.payload !== 'string' || !Array.isArray(e.signatures))
    return false;
  // What is verified is the decoded bytes, the same bytes `envelopeStatement` reads.
  const body = Buffer.from(e.payload, 'base64');
  const pae = preAuthEncoding(e.payloadType, body);
  return e.signatures.some((signature: unknown) => {
    const sig = (signature as { sig?: unknown } | null)?.sig;
    if (typeof sig !== 'string' || sig === '') return false;
    try {
      return verify(null, pae, publicKey, Buffer.from(sig, 'base64'));
    } catch {
      return false;
    }
  });
};

/** The statement inside an envelope (not verified: call `verifyEnvelope` first). */
export const envelopeStatement = (envelope: DsseEnvelope): unknown =>
  JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));

/** The schemas are built on first use, like the configuration's. */
let schemas: ReturnType<typeof buildSchemas> | undefined;

const buildSchemas = () => {
  const uri = z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/, 'expected a URI');
  const hex = z.string().regex(/^[0-9a-f]+$/, 'expected lowercase hex');
  const digestSet = z
    .record(z.string().min(1), hex)
    .refine((digest) => Object.keys(digest).length > 0, 'expected at least one digest');
  const descriptorFields = {
    name: z.string().optional(),
    uri: uri.optional(),
    digest: digestSet.optional(),
    content: z.base64().optional(),
    downloadLocation: uri.optional(),
    mediaType: z.string().optional(),
    annotations: z.record(z.string(), z.unknown()).optional(),
  };
  const resourceDescriptor = z
    .looseObject(descriptorFields)
    .refine(
      (d) => d.uri !== undefined || d.digest !== undefined || d.content !== undefined,
      'a resource descriptor needs uri, digest or content',
    );
  // A statement's subjects must have a digest: artifacts are matched by it.
  const subject = z.looseObject({ ...descriptorFields, digest: digestSet });
  const statement = z.looseObject({
    _type: z.literal(STATEMENT_TYPE),
    subject: z.array(subject).min(1, 'expected at least one subject'),
    predicateType: uri,
    predicate: z.record(z.string(), z.unknown()).optional(),
  });
  const tests = z.array(z.string()).optional();
  const testResult = z.looseObject({
    result: z.enum(['PASSED', 'WARNED', 'FAILED']),
    configuration: z.array(resourceDescriptor),
    url: uri.optional(),
    passedTests: tests,
    warnedTests: tests,
    failedTests: tests,
  });
  const timestamp = z.iso.datetime({ offset: true, error: 'expected an RFC 3339 timestamp' });
  const vulns = z.looseObject({
    scanner: z.looseObject({
      uri,
      version: z.string().optional(),
      db: z
        .looseObject({ uri: uri.optional(), version: z.string().optional(), lastUpdate: timestamp })
        .optional(),
      result: z.array(
        z.looseObject({
          id: z.string().min(1),
          severity: z.array(z.looseObject({ method: z.string(), score: z.string() })),
          annotations: z.array(z.record(z.string(), z.unknown())).optional(),
        }),
      ),
    }),
    metadata: z.looseObject({ scanStartedOn: timestamp, scanFinishedOn: timestamp }),
  });
  return {
    statement,
    predicates: new Map<string, z.ZodType>([
      [TEST_RESULT_PREDICATE, testResult],
      [VULNS_PREDICATE, vulns],
    ]),
  };
};

const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : `${text}${text === '' ? '' : '.'}${String(key)}`,
    '',
  );

/**
 * The shape problems of an in-toto Statement v1 (`path: problem`), none when it is valid. The
 * predicates PatchPilot writes (test-result v0.1, vulns v0.2) are checked too; unknown fields are
 * allowed, as in-toto's parsing rules say consumers must ignore them.
 */
export const validateStatement = (value: unknown): string[] => {
  schemas ??= buildSchemas();
  const parsed = schemas.statement.safeParse(value);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => `${pathText(issue.path) || '(statement)'}: ${issue.message}`);
  }
  const predicateSchema = schemas.predicates.get(parsed.data.predicateType);
  if (predicateSchema === undefined) return [];
  const predicate = predicateSchema.safeParse(parsed.data.predicate ?? {});
  if (predicate.success) return [];
  return predicate.error.issues.map((issue) => `${pathText(['predicate', ...issue.path])}: ${issue.message}`);
};
