import { z } from 'zod';
import { isCalendarDate, rfc3339TimeMs } from '../../core/date.js';
import { PatchPilotError } from '../../core/errors.js';
import {
  isVexJustification,
  splitRecordedBy,
  type VexDocument,
  type VexProduct,
  type VexStatement,
  type VexStatus,
  vexJustifications,
  vexStatuses,
} from '../../core/vex.js';
import { parseJsonDocument } from '../../inventory/json.js';

/**
 * VEX documents → `VexDocument`: OpenVEX 0.2.0 (and the earlier drafts under `https://openvex.dev/ns`)
 * and CycloneDX 1.4 and later JSON (`vulnerabilities[].analysis`). A parser of content: the caller
 * reads the file. A VEX document is human judgement that hides findings, so it is checked whole:
 * anything malformed is an error naming the file and the place, never a statement quietly dropped.
 */

const invalid = (path: string, where: string, message: string): PatchPilotError =>
  new PatchPilotError('VEX_INVALID', `${path}: ${where ? `${where}: ` : ''}${message}`, {
    hint: 'fix the VEX document (OpenVEX 0.2.0 or CycloneDX 1.4+ JSON); nothing was applied',
  });

const place = (prefix: string, path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (at, key) =>
      typeof key === 'number' ? `${at}[${key}]` : at === '' ? String(key) : `${at}.${String(key)}`,
    prefix,
  );

interface Problem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The problem to report. For a value that matches no branch of a union (a product given as a
 * string or an object), the branch that got furthest into the value says what is wrong.
 */
const problemOf = (issue: z.core.$ZodIssue): Problem => {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  let best: Problem | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first === undefined) continue;
    const inner = problemOf(first);
    if (best === undefined || inner.path.length > best.path.length) best = inner;
  }
  return best ? { path: [...issue.path, ...best.path], message: best.message } : issue;
};

/** Parses `value` with `schema`, or throws the first problem with its place in the document. */
const check = <T>(schema: z.ZodType<T>, value: unknown, path: string, prefix: string): T => {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const problem = issue ? problemOf(issue) : { path: [], message: 'invalid' };
  throw invalid(path, place(prefix, problem.path), problem.message);
};

// RFC 3339 date-time (a bare date is tolerated); Date.parse alone would accept "March 7", and
// read 2025-02-30 as 2 March.
const timestamp = z
  .string()
  .refine(
    (s) => !/^\d{4}-\d{2}-\d{2}/.test(s) || isCalendarDate(s.slice(0, 10)),
    'not a date in the calendar',
  )
  .refine((s) => rfc3339TimeMs(s) !== undefined, 'expected an RFC 3339 date-time');

/** A checked timestamp as ISO UTC; one without an offset is UTC, whatever the machine's time zone. */
const isoOf = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : new Date(rfc3339TimeMs(value) as number).toISOString();

export const parseVexDocument = (content: string, path: string): VexDocument => {
  const doc = parseJsonDocument(content, path, 'VEX_INVALID');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw invalid(path, '', 'expected a JSON object (an OpenVEX or CycloneDX document)');
  }
  const record = doc as Record<string, unknown>;
  if (typeof record['@context'] === 'string' && record['@context'].startsWith('https://openvex.dev/ns')) {
    return readOpenVex(record, path);
  }
  if (record.bomFormat === 'CycloneDX') return readCycloneDx(record, path);
  throw invalid(
    path,
    '',
    'neither OpenVEX (an "@context" of https://openvex.dev/ns/v0.2.0) nor CycloneDX (bomFormat "CycloneDX")',
  );
};

// ---------------------------------------------------------------------------------------------
// OpenVEX

/** `https://openvex.dev/ns` (the drafts) and `https://openvex.dev/ns/v0.x.y`. */
const openVexContext = /^https:\/\/openvex\.dev\/ns(?:\/v0\.\d+\.\d+)?\/?$/;

const openVexDocumentSchema = z.object({
  '@context': z.string().regex(openVexContext, 'unsupported OpenVEX version (0.2.0 and earlier are read)'),
  '@id': z.string().optional(),
  author: z.string({ error: 'expected the author (a string)' }).min(1, 'expected the author'),
  timestamp,
  last_updated: timestamp.optional(),
  version: z.number().int().optional(),
  statements: z.array(z.unknown()),
});

const componentSchema = z.union([
  z.string().min(1),
  z.object({
    '@id': z.string().optional(),
    identifiers: z.object({ purl: z.string().optional() }).optional(),
  }),
]);

const productSchema = z.union([
  z.string().min(1),
  z.object({
    '@id': z.string().optional(),
    identifiers: z.object({ purl: z.string().optional() }).optional(),
    subcomponents: z.array(componentSchema).optional(),
  }),
]);

const statementSchema = z.object({
  // OpenVEX 0.0.1 wrote the vulnerability as a bare string.
  vulnerability: z.union([
    z.string().min(1),
    z.object({
      '@id': z.string().optional(),
      name: z.string({ error: 'expected the vulnerability name' }).min(1, 'expected the vulnerability name'),
      aliases: z.array(z.string()).optional(),
    }),
  ]),
  products: z.array(productSchema).optional(),
  status: z.string().refine((s) => (vexStatuses as readonly string[]).includes(s), {
    message: `expected one of ${vexStatuses.join(', ')}`,
  }),
  justification: z
    .string()
    .refine(isVexJustification, { message: `expected one of ${vexJustifications.join(', ')}` })
    .optional(),
  impact_statement: z.string().optional(),
  action_statement: z.string().optional(),
  status_notes: z.string().optional(),
  timestamp: timestamp.optional(),
  last_updated: timestamp.optional(),
});

/** The purls a component names: its `@id` when that is a purl, and `identifiers.purl`. */
const purlsOf = (component: z.infer<typeof componentSchema>): string[] => {
  if (typeof component === 'string') return component.startsWith('pkg:') ? [component] : [];
  const purls: string[] = [];
  if (component['@id']?.startsWith('pkg:')) purls.push(component['@id']);
  const purl = component.identifiers?.purl;
  if (purl !== undefined && !purls.includes(purl)) purls.push(purl);
  return purls;
};

/** The id at the end of a vulnerability IRI (`https://osv.dev/vulnerability/GHSA-…` → `GHSA-…`). */
const idFromIri = (iri: string | undefined): string | undefined => {
  if (iri === undefined) return undefined;
  const last =
    iri
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .split('/')
      .pop() ?? '';
  return /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][\w.:-]*$/.test(last) ? decodeURIComponent(last) : undefined;
};

const readOpenVex = (doc: Record<string, unknown>, path: string): VexDocument => {
  const head = check(openVexDocumentSchema, doc, path, '');
  const statements = head.statements.map((raw, i): VexStatement => {
    const where = `statements[${i}]`;
    const s = check(statementSchema, raw, path, where);
    const status = s.status as VexStatus;
    if (status === 'not_affected' && s.justification === undefined && !s.impact_statement?.trim()) {
      throw invalid(path, where, 'a not_affected statement needs a justification or an impact_statement');
    }
    const products: VexProduct[] = [];
    for (const product of s.products ?? []) {
      const subcomponents =
        typeof product === 'string' ? [] : (product.subcomponents ?? []).flatMap((c) => purlsOf(c));
      const purls = purlsOf(product);
      if (purls.length === 0) products.push({ purl: undefined, subcomponents });
      for (const purl of purls) products.push({ purl, subcomponents });
    }
    if (products.length === 0) {
      throw invalid(path, where, 'the statement names no product (OpenVEX statements must name one)');
    }
    const vulnerability = typeof s.vulnerability === 'string' ? { name: s.vulnerability } : s.vulnerability;
    const aliases = new Set(vulnerability.aliases ?? []);
    const fromIri = idFromIri('@id' in vulnerability ? vulnerability['@id'] : undefined);
    if (fromIri !== undefined) aliases.add(fromIri);
    aliases.delete(vulnerability.name);
    const recorded = splitRecordedBy(s.status_notes);
    return {
      vulnerability: vulnerability.name,
      aliases: [...aliases],
      products,
      status,
      justification: s.justification,
      impactStatement: s.impact_statement,
      actionStatement: s.action_statement,
      notes: recorded.notes,
      author: recorded.author ?? head.author,
      timestamp: isoOf(s.last_updated ?? s.timestamp ?? head.timestamp),
      source: path,
    };
  });
  return { path, format: 'openvex', author: head.author, statements };
};

// ---------------------------------------------------------------------------------------------
// CycloneDX

const cycloneDxDocumentSchema = z.object({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z
    .string()
    .refine(
      (v) => /^1\.(?:[4-9]|\d{2,})$/.test(v),
      'expected 1.4 or later (earlier versions have no VEX analysis)',
    ),
  metadata: z
    .object({
      timestamp: timestamp.optional(),
      authors: z.array(z.object({ name: z.string().optional(), email: z.string().optional() })).optional(),
      manufacturer: z.object({ name: z.string().optional() }).optional(),
      supplier: z.object({ name: z.string().optional() }).optional(),
      component: z.unknown().optional(),
    })
    .optional(),
  components: z.array(z.unknown()).optional(),
  vulnerabilities: z.array(z.unknown()).optional(),
});

const cycloneDxStates = [
  'resolved',
  'resolved_with_pedigree',
  'exploitable',
  'in_triage',
  'false_positive',
  'not_affected',
] as const;

const cycloneDxVulnerabilitySchema = z.object({
  id: z.string().min(1, 'expected the vulnerability id').optional(),
  references: z.array(z.object({ id: z.string().min(1) })).optional(),
  analysis: z
    .object({
      state: z.enum(cycloneDxStates).optional(),
      justification: z.string().min(1).optional(),
      response: z.array(z.string()).optional(),
      detail: z.string().optional(),
      firstIssued: timestamp.optional(),
      lastUpdated: timestamp.optional(),
    })
    .optional(),
  affects: z.array(z.object({ ref: z.string().min(1, 'expected a ref') })).optional(),
});

/** CycloneDX analysis states as VEX statuses (CISA's mapping). */
const statusOfState: Readonly<Record<(typeof cycloneDxStates)[number], VexStatus>> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  exploitable: 'affected',
  in_triage: 'under_investigation',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
};

/**
 * CycloneDX justifications that mean what an OpenVEX one means. The others (`requires_configuration`,
 * `requires_environment`, `protected_at_perimeter`, `protected_by_mitigating_control`) depend on
 * controls outside the component, which OpenVEX's labels do not describe; they are kept as written.
 */
const justificationOf: Readonly<Record<string, string>> = {
  code_not_present: 'vulnerable_code_not_present',
  code_not_reachable: 'vulnerable_code_not_in_execute_path',
  requires_dependency: 'component_not_present',
  protected_by_compiler: 'inline_mitigations_already_exist',
  protected_at_runtime: 'inline_mitigations_already_exist',
};

/** How deep components may nest; real documents use two or three levels. */
const maxNesting = 1000;

/** bom-ref → purl, over metadata.component and every component, however nested. */
const componentPurls = (roots: readonly unknown[]): Map<string, string | undefined> => {
  const byRef = new Map<string, string | undefined>();
  const visit = (value: unknown, depth: number): void => {
    if (depth > maxNesting || typeof value !== 'object' || value === null) return;
    const c = value as { 'bom-ref'?: unknown; purl?: unknown; components?: unknown };
    const purl = typeof c.purl === 'string' ? c.purl : undefined;
    if (typeof c['bom-ref'] === 'string') byRef.set(c['bom-ref'], purl);
    if (Array.isArray(c.components)) for (const child of c.components) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return byRef;
};

const authorOf = (metadata: z.infer<typeof cycloneDxDocumentSchema>['metadata']): string | undefined => {
  const authors = (metadata?.authors ?? [])
    .map((a) => (a.name && a.email ? `${a.name} <${a.email}>` : (a.name ?? a.email)))
    .filter((a): a is string => a !== undefined && a !== '');
  if (authors.length > 0) return authors.join(', ');
  return metadata?.manufacturer?.name || metadata?.supplier?.name || undefined;
};

const readCycloneDx = (doc: Record<string, unknown>, path: string): VexDocument => {
  const head = check(cycloneDxDocumentSchema, doc, path, '');
  const author = authorOf(head.metadata);
  const purlOfRef = componentPurls([head.metadata?.component, ...(head.components ?? [])]);
  const serialNumber = doc.serialNumber;
  const statements: VexStatement[] = [];
  (head.vulnerabilities ?? []).forEach((raw, i) => {
    const where = `vulnerabilities[${i}]`;
    const v = check(cycloneDxVulnerabilitySchema, raw, path, where);
    // A vulnerability without an analysis state is a finding someone reports, not a VEX statement.
    const state = v.analysis?.state;
    if (state === undefined) return;
    if (v.id === undefined) throw invalid(path, `${where}.id`, 'expected the vulnerability id');
    const analysis = v.analysis ?? {};
    const status = statusOfState[state];
    const given = analysis.justification;
    const justification = given === undefined ? undefined : (justificationOf[given] ?? given);
    const detail = analysis.detail?.trim() || undefined;
    if (
      status === 'not_affected' &&
      justification === undefined &&
      detail === undefined &&
      state !== 'false_positive'
    ) {
      throw invalid(path, `${where}.analysis`, 'not_affected needs a justification or a detail');
    }
    const products: VexProduct[] = [];
    const elsewhere: string[] = [];
    (v.affects ?? []).forEach((affect, k) => {
      const ref = affect.ref;
      if (ref.startsWith('pkg:')) {
        products.push({ purl: ref, subcomponents: [] });
        return;
      }
      // A BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`) may point into this document, or
      // into another BOM by a bom-ref that is a package URL (PatchPilot's and many tools' are).
      const link = ref.startsWith('urn:cdx:');
      const raw = link ? ref.slice(ref.indexOf('#') + 1) : ref;
      let decoded = raw;
      if (link) {
        try {
          decoded = decodeURIComponent(raw);
        } catch {
          // Kept as written.
        }
      }
      // The link's serial (`urn:cdx:<uuid>/<version>`) is this document's own, or another BOM's.
      const serial = link ? ref.slice('urn:cdx:'.length).split(/[/#]/)[0] : undefined;
      const own = !link || (typeof serialNumber === 'string' && serialNumber === `urn:uuid:${serial}`);
      const local = purlOfRef.has(raw) ? raw : decoded;
      if (purlOfRef.has(local)) products.push({ purl: purlOfRef.get(local), subcomponents: [] });
      else if (!own && decoded.startsWith('pkg:')) products.push({ purl: decoded, subcomponents: [] });
      else if (!own) elsewhere.push(ref);
      else throw invalid(path, `${where}.affects[${k}].ref`, `"${ref}" names no component of this document`);
    });
    if (products.length === 0) {
      throw invalid(
        path,
        `${where}.affects`,
        elsewhere.length > 0
          ? `"${elsewhere[0]}" names a component of another BOM by a bom-ref that is no package URL, which cannot be matched: name it by its purl`
          : 'the analysis names no affected component',
      );
    }
    const response = (analysis.response ?? []).join(', ');
    const aliases = [...new Set((v.references ?? []).map((r) => r.id))].filter((id) => id !== v.id);
    statements.push({
      vulnerability: v.id,
      aliases,
      products,
      status,
      justification,
      impactStatement:
        status === 'not_affected'
          ? (detail ?? (state === 'false_positive' ? 'false positive' : undefined))
          : undefined,
      actionStatement:
        status === 'affected'
          ? [response && `response: ${response}`, detail].filter(Boolean).join('. ') || undefined
          : undefined,
      notes: status === 'affected' || status === 'not_affected' ? undefined : detail,
      author,
      timestamp: isoOf(analysis.lastUpdated ?? analysis.firstIssued ?? head.metadata?.timestamp),
      source: path,
    });
  });
  return { path, format: 'cyclonedx', author, statements };
};
