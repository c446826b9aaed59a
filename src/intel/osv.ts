import { z } from 'zod';
import {
  type Advisory,
  type AffectedPackage,
  type AffectedRange,
  type CvssScore,
  parseSeverityLabel,
  type RangeEvent,
} from '../core/advisory.js';
import { rfc3339TimeMs } from '../core/date.js';
import { scoreVector } from './cvss.js';

/**
 * The OSV schema (https://ossf.github.io/osv-schema/), as permissive as matching allows: unknown
 * fields pass, non-npm `affected` entries and non-semver ranges (GIT) are kept out of the result.
 */
const legacyEventTypes = {
  INTRODUCED: 'introduced',
  FIXED: 'fixed',
  LAST_AFFECTED: 'last_affected',
  LIMIT: 'limit',
};

// Strict: an event holds exactly one of these; one that holds two is malformed, and reading just
// its first key would silently widen the range.
const eventSchema = z.union([
  z.strictObject({ introduced: z.string().min(1) }),
  z.strictObject({ fixed: z.string().min(1) }),
  z.strictObject({ last_affected: z.string().min(1) }),
  z.strictObject({ limit: z.string().min(1) }),
  // Records written before OSV schema 1.0 spell events as { type: "FIXED", value: "1.2.3" }.
  z
    .strictObject({
      type: z.enum(['INTRODUCED', 'FIXED', 'LAST_AFFECTED', 'LIMIT']),
      value: z.string().min(1),
    })
    .transform((e) => ({ [legacyEventTypes[e.type]]: e.value }) as RangeEvent),
]);

const rangeSchema = z.object({
  type: z.string(),
  events: z.array(eventSchema).min(1),
});

const affectedSchema = z.object({
  package: z
    .object({
      ecosystem: z.string(),
      name: z.string().min(1),
      purl: z.string().optional(),
    })
    .optional(),
  ranges: z.array(rangeSchema).optional(),
  versions: z.array(z.string()).optional(),
});

// Strict: Date.parse alone takes "March 7, 2024" (in the machine's time zone), "1" (2001) and
// 2024-02-30 (1 March), and a store's order of records must not depend on where it was built.
const isoDate = z.string().refine((s) => rfc3339TimeMs(s) !== undefined, 'not an RFC 3339 date');

const osvRecordSchema = z.object({
  id: z.string().min(1),
  modified: isoDate,
  published: isoDate.optional(),
  withdrawn: isoDate.optional(),
  aliases: z.array(z.string()).nullish(),
  summary: z.string().optional(),
  severity: z.array(z.object({ type: z.string(), score: z.string() })).nullish(),
  affected: z.array(affectedSchema).nullish(),
  database_specific: z.record(z.string(), z.unknown()).nullish(),
});

export type OsvRecord = z.infer<typeof osvRecordSchema>;

export type ParseResult =
  | { ok: true; advisory: Advisory }
  | { ok: false; id: string | undefined; reason: string };

const describeIssues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(record)'}: ${issue.message}`)
    .join('; ');

/** Validates one raw OSV record and normalises it; failures are data, never throws. */
export const parseOsvRecord = (raw: unknown): ParseResult => {
  const plain = plainOsvRecord(raw);
  if (plain) return { ok: true, advisory: normaliseRecord(plain) };
  return parseOsvRecordWithSchema(raw);
};

/** The same result as `parseOsvRecord`, from the zod schema alone. */
export const parseOsvRecordWithSchema = (raw: unknown): ParseResult => {
  const result = osvRecordSchema.safeParse(raw);
  if (!result.success) {
    const id =
      typeof raw === 'object' && raw !== null && 'id' in raw
        ? String((raw as { id: unknown }).id)
        : undefined;
    return { ok: false, id, reason: notOsvReason(raw) ?? describeIssues(result.error) };
  }
  return { ok: true, advisory: normaliseRecord(result.data) };
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isDate = (value: unknown): boolean => typeof value === 'string' && rfc3339TimeMs(value) !== undefined;
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isStringList = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

const eventKeys = new Set(['introduced', 'fixed', 'last_affected', 'limit']);

/** An event in the current form: exactly one of the four keys, with a non-empty version. */
const isPlainEvent = (event: unknown): boolean => {
  if (!isObject(event)) return false;
  let keys = 0;
  for (const key in event) {
    if (++keys > 1 || !eventKeys.has(key) || !isText(event[key])) return false;
  }
  return keys === 1;
};

const isPlainAffected = (entry: unknown): boolean => {
  if (!isObject(entry)) return false;
  const { package: pkg, ranges, versions } = entry;
  if (pkg !== undefined) {
    if (!isObject(pkg) || typeof pkg.ecosystem !== 'string' || !isText(pkg.name)) return false;
    if (pkg.purl !== undefined && typeof pkg.purl !== 'string') return false;
  }
  if (versions !== undefined && !isStringList(versions)) return false;
  if (ranges === undefined) return true;
  return (
    Array.isArray(ranges) &&
    ranges.every(
      (range) =>
        isObject(range) &&
        typeof range.type === 'string' &&
        Array.isArray(range.events) &&
        range.events.length > 0 &&
        range.events.every(isPlainEvent),
    )
  );
};

/**
 * The record itself when it has the shape nearly every record has, checked by hand: zod's parse
 * costs about as much as the JSON.parse of the record, and an import reads hundreds of
 * thousands. Only records the schema accepts and leaves as they are pass (the fields normalising
 * reads are the same either way); anything else, valid or not, legacy `{type, value}` events
 * included, is undefined and goes through the schema, which stays the definition.
 */
export const plainOsvRecord = (raw: unknown): OsvRecord | undefined => {
  if (!isObject(raw)) return undefined;
  const r = raw;
  const ok =
    isText(r.id) &&
    isDate(r.modified) &&
    (r.published === undefined || isDate(r.published)) &&
    (r.withdrawn === undefined || isDate(r.withdrawn)) &&
    (r.aliases == null || isStringList(r.aliases)) &&
    (r.summary === undefined || typeof r.summary === 'string') &&
    (r.severity == null ||
      (Array.isArray(r.severity) &&
        r.severity.every((s) => isObject(s) && typeof s.type === 'string' && typeof s.score === 'string'))) &&
    (r.affected == null || (Array.isArray(r.affected) && r.affected.every(isPlainAffected))) &&
    (r.database_specific == null || isObject(r.database_specific));
  return ok ? (r as OsvRecord) : undefined;
};

const isNspAdvisory = (value: unknown): boolean =>
  isObject(value) &&
  'module_name' in value &&
  ('vulnerable_versions' in value || 'patched_versions' in value);

const nspHint = 'PatchPilot imports OSV records only';

/**
 * A record that fails the schema because it is another format altogether gets a reason that says
 * so, rather than a list of missing OSV fields. The Node Security Project's legacy advisories
 * (nodejs/security-wg `vuln/npm`) come one per record, or as one object of them keyed by id.
 */
const notOsvReason = (raw: unknown): string | undefined => {
  if (isNspAdvisory(raw)) {
    return `not an OSV record: a legacy Node Security Project advisory (module_name, vulnerable_versions); ${nspHint}`;
  }
  const values = isObject(raw) ? Object.values(raw) : [];
  if (values.length > 0 && values.every(isNspAdvisory)) {
    return `not an OSV record: ${values.length} legacy Node Security Project advisories keyed by id; ${nspHint}`;
  }
  // Every OSV record has an id and a modified time; one with neither is another file altogether
  // (a package.json, a lockfile, a report), not a broken record.
  if (!isObject(raw))
    return `not an OSV record: ${Array.isArray(raw) ? 'an array' : `a ${raw === null ? 'null' : typeof raw}`}, not an object`;
  if (!('id' in raw) && !('modified' in raw)) {
    const keys = Object.keys(raw);
    const shown =
      keys.length === 0
        ? 'no keys'
        : `keys ${keys
            .slice(0, 4)
            .map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k))
            .join(', ')}${keys.length > 4 ? ', …' : ''}`;
    return `not an OSV record: no id and no modified (${shown})`;
  }
  return undefined;
};

const normaliseRecord = (record: OsvRecord): Advisory => {
  const affected: AffectedPackage[] = [];
  for (const entry of record.affected ?? []) {
    if (entry.package?.ecosystem !== 'npm') continue;
    const ranges: AffectedRange[] = [];
    for (const range of entry.ranges ?? []) {
      if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
      ranges.push({ type: range.type, events: range.events as RangeEvent[] });
    }
    affected.push({ name: entry.package.name, ranges, versions: entry.versions ?? [] });
  }
  const cvss: CvssScore[] = (record.severity ?? [])
    .filter((s) => s.type.startsWith('CVSS_'))
    .map((s) => ({ type: s.type, vector: s.score, score: scoreVector(s.score) }));
  const label = record.database_specific?.severity;
  return {
    id: record.id,
    aliases: [...new Set(record.aliases ?? [])].filter((a) => a !== record.id),
    modified: record.modified,
    published: record.published,
    withdrawn: record.withdrawn,
    summary: record.summary,
    kind: isMalicious(record) ? 'malicious' : 'vulnerability',
    severityLabel: typeof label === 'string' ? parseSeverityLabel(label) : undefined,
    cvss,
    affected,
  };
};

/**
 * OSV's malicious-packages feed uses `MAL-` ids, and the same records carry origins in
 * database_specific. GitHub's own malware advisories (GHSA ids, e.g. a hijacked release) are
 * tagged CWE-506, "Embedded Malicious Code".
 */
const isMalicious = (record: OsvRecord): boolean =>
  record.id.startsWith('MAL-') ||
  record.database_specific?.['malicious-packages-origins'] !== undefined ||
  (Array.isArray(record.database_specific?.cwe_ids) && record.database_specific.cwe_ids.includes('CWE-506'));
