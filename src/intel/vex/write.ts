import { createHash } from 'node:crypto';
import { canonicalNpmPurl, parseNpmPurlLoose } from '../../core/purl.js';
import { isVexJustification, type VexStatement, type VexStatus } from '../../core/vex.js';

/**
 * OpenVEX 0.2.0 JSON out: `scan --vex-out` (a document built from normalised statements) and
 * `vex add` (one statement added to, or replacing one in, the project's own document, every other
 * statement left exactly as it was, as the spec asks of updates).
 */

export const openVexContext = 'https://openvex.dev/ns/v0.2.0';

export interface OpenVexStatementJson {
  readonly vulnerability: { readonly name: string; readonly aliases?: readonly string[] };
  readonly timestamp?: string;
  readonly products: readonly {
    readonly '@id': string;
    readonly subcomponents?: readonly { '@id': string }[];
  }[];
  readonly status: VexStatus;
  readonly status_notes?: string;
  readonly justification?: string;
  readonly impact_statement?: string;
  readonly action_statement?: string;
}

export interface OpenVexDocumentJson {
  readonly '@context': string;
  readonly '@id': string;
  readonly author: string;
  readonly timestamp: string;
  readonly last_updated?: string;
  readonly version: number;
  readonly tooling?: string;
  readonly statements: readonly OpenVexStatementJson[];
}

/**
 * A normalised statement in OpenVEX's shape. A justification OpenVEX does not know (a CycloneDX one
 * such as `requires_configuration`) moves into the impact statement, so nothing said is lost and
 * the document stays valid. Statements without a purl are not written (nothing could match them).
 */
export const toOpenVexStatement = (
  statement: VexStatement,
  options: { readonly timestamp: boolean } = { timestamp: true },
): OpenVexStatementJson | undefined => {
  const products = statement.products
    .filter((p): p is { purl: string; subcomponents: readonly string[] } => p.purl !== undefined)
    .map((p) => ({
      '@id': p.purl,
      ...(p.subcomponents.length > 0 ? { subcomponents: p.subcomponents.map((s) => ({ '@id': s })) } : {}),
    }));
  if (products.length === 0) return undefined;
  const known = isVexJustification(statement.justification);
  const impact =
    !known && statement.justification !== undefined
      ? `${statement.justification}${statement.impactStatement ? `: ${statement.impactStatement}` : ''}`
      : statement.impactStatement;
  return {
    vulnerability: {
      name: statement.vulnerability,
      ...(statement.aliases.length > 0 ? { aliases: [...statement.aliases] } : {}),
    },
    ...(options.timestamp && statement.timestamp !== undefined ? { timestamp: statement.timestamp } : {}),
    products,
    status: statement.status,
    ...(statement.notes ? { status_notes: statement.notes } : {}),
    ...(known ? { justification: statement.justification } : {}),
    ...(impact ? { impact_statement: impact } : {}),
    ...(statement.actionStatement ? { action_statement: statement.actionStatement } : {}),
  };
};

export interface OpenVexDocumentOptions {
  readonly author: string;
  /** Document timestamp (ISO 8601); statements without their own inherit it. */
  readonly timestamp: string;
  /** The document IRI; derived from the content when absent, so two equal runs give equal bytes. */
  readonly id?: string;
  readonly tooling?: string;
}

export const buildOpenVexDocument = (
  statements: readonly OpenVexStatementJson[],
  options: OpenVexDocumentOptions,
): OpenVexDocumentJson => {
  const body = {
    author: options.author,
    timestamp: options.timestamp,
    version: 1,
    ...(options.tooling ? { tooling: options.tooling } : {}),
    statements,
  };
  return {
    '@context': openVexContext,
    '@id': options.id ?? contentId(JSON.stringify(body)),
    ...body,
  };
};

/** A name-based UUID (version 5 layout) from the content: deterministic, and a valid IRI. */
const contentId = (text: string): string => {
  const hex = createHash('sha1').update(text).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export const serializeOpenVex = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/** The canonical form of an npm purl, for comparing products: `%40` scope, lower-case name. */
export const normalPurl = (purl: string): string => {
  const parsed = parseNpmPurlLoose(purl);
  return parsed ? canonicalNpmPurl(parsed.name, parsed.version) : purl;
};

const productIds = (products: unknown): string[] | undefined => {
  if (!Array.isArray(products)) return undefined;
  const ids: string[] = [];
  for (const p of products) {
    const id = typeof p === 'string' ? p : (p as { '@id'?: unknown } | null)?.['@id'];
    if (typeof id !== 'string') return undefined;
    ids.push(normalPurl(id));
  }
  return ids;
};

const vulnerabilityName = (vulnerability: unknown): string | undefined => {
  const name =
    typeof vulnerability === 'string' ? vulnerability : (vulnerability as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name.toUpperCase() : undefined;
};

export interface AddStatementOptions {
  readonly author: string;
  /** ISO 8601 time of the change. */
  readonly now: string;
  /** The IRI of a new document. */
  readonly id: string;
}

/**
 * `existing` (an OpenVEX document already validated by `parseVexDocument`, or undefined for a new
 * file) with `statement` added. A statement about the same vulnerability and exactly the same
 * product is replaced; every other statement is kept byte for byte. The document's `version` goes
 * up by one, `last_updated` is set, and the author joins the document's authors.
 */
export const addOpenVexStatement = (
  existing: Record<string, unknown> | undefined,
  statement: OpenVexStatementJson,
  options: AddStatementOptions,
): { readonly document: Record<string, unknown>; readonly replaced: boolean } => {
  if (existing === undefined) {
    return {
      document: {
        '@context': openVexContext,
        '@id': options.id,
        author: options.author,
        timestamp: options.now,
        version: 1,
        statements: [statement],
      },
      replaced: false,
    };
  }
  const statements = Array.isArray(existing.statements) ? [...existing.statements] : [];
  const name = statement.vulnerability.name.toUpperCase();
  const products = statement.products.map((p) => normalPurl(p['@id'])).sort();
  const same = statements.findIndex((s) => {
    const raw = s as { vulnerability?: unknown; products?: unknown };
    const ids = productIds(raw.products)?.sort();
    return (
      vulnerabilityName(raw.vulnerability) === name &&
      ids !== undefined &&
      ids.length === products.length &&
      ids.every((id, i) => id === products[i])
    );
  });
  if (same === -1) statements.push(statement);
  else statements[same] = statement;
  const authors = typeof existing.author === 'string' ? existing.author.split(', ') : [];
  if (!authors.includes(options.author)) authors.push(options.author);
  const version =
    typeof existing.version === 'number' && Number.isInteger(existing.version) ? existing.version : 0;
  return {
    document: {
      ...existing,
      author: authors.join(', '),
      last_updated: options.now,
      version: version + 1,
      statements,
    },
    replaced: same !== -1,
  };
};
