import { z } from 'zod';
import { PatchPilotError } from '../../../core/errors.js';
import { parseJsonDocument } from '../../../inventory/json.js';

/**
 * CISA's Known Exploited Vulnerabilities catalog (`known_exploited_vulnerabilities.json`):
 * `{ title, catalogVersion, dateReleased, count, vulnerabilities: [{ cveID, vendorProject, product,
 * vulnerabilityName, dateAdded, shortDescription, requiredAction, dueDate,
 * knownRansomwareCampaignUse, notes, cwes }] }`. The envelope must have that shape; a malformed
 * entry is reported (by its index) and skipped.
 */
export interface KevRow {
  readonly cve: string;
  readonly dateAdded: string;
  readonly dueDate: string;
  /** `Known` or `Unknown`, as CISA writes it. */
  readonly ransomware: string;
  readonly name: string;
}

export interface KevCatalog {
  readonly title: string | undefined;
  readonly catalogVersion: string;
  readonly dateReleased: string;
  readonly rows: readonly KevRow[];
  /** Entries skipped, each with where and why. */
  readonly problems: readonly { readonly where: string; readonly reason: string }[];
  /** What is odd about the catalog as a whole (its count disagrees with its entries). */
  readonly warnings: readonly string[];
}

const envelopeSchema = z.object({
  title: z.string().optional(),
  catalogVersion: z.string().min(1),
  dateReleased: z.string().min(1),
  count: z.number().int().nonnegative().optional(),
  vulnerabilities: z.array(z.unknown()),
});

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a YYYY-MM-DD date')
  // A day that exists: 2025-13-45 has the shape and no place in the calendar.
  .refine((text) => {
    const day = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
  }, 'not a date in the calendar');

const entrySchema = z.object({
  cveID: z.string().regex(/^CVE-\d{4}-\d+$/, 'expected a CVE id'),
  vulnerabilityName: z.string().optional(),
  dateAdded: date,
  dueDate: date,
  knownRansomwareCampaignUse: z.string().optional(),
});

const issueText = (error: z.ZodError): string => {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${at}${issue.message}`;
};

export const parseKevCatalog = (content: string, path: string): KevCatalog => {
  const doc = parseJsonDocument(content, path, 'ADVISORY_INPUT_INVALID');
  const envelope = envelopeSchema.safeParse(doc);
  if (!envelope.success) {
    throw new PatchPilotError(
      'ADVISORY_INPUT_INVALID',
      `${path}: not CISA's KEV catalog: ${issueText(envelope.error)}`,
      {
        hint: 'expected known_exploited_vulnerabilities.json (catalogVersion, dateReleased, vulnerabilities); nothing was imported',
      },
    );
  }
  const rows: KevRow[] = [];
  const problems: { where: string; reason: string }[] = [];
  const seen = new Set<string>();
  envelope.data.vulnerabilities.forEach((raw, i) => {
    const where = `${path}: vulnerabilities[${i}]`;
    const entry = entrySchema.safeParse(raw);
    if (!entry.success) {
      const id = (raw as { cveID?: unknown } | null)?.cveID;
      problems.push({
        where: typeof id === 'string' ? `${where} (${id.slice(0, 40)})` : where,
        reason: issueText(entry.error),
      });
      return;
    }
    const e = entry.data;
    if (seen.has(e.cveID)) {
      problems.push({ where, reason: `${e.cveID} appears twice; the first entry is kept` });
      return;
    }
    seen.add(e.cveID);
    rows.push({
      cve: e.cveID,
      dateAdded: e.dateAdded,
      dueDate: e.dueDate,
      ransomware: e.knownRansomwareCampaignUse ?? 'Unknown',
      name: e.vulnerabilityName ?? '',
    });
  });
  if (rows.length === 0 && envelope.data.vulnerabilities.length > 0) {
    throw new PatchPilotError(
      'ADVISORY_INPUT_INVALID',
      `${path}: no valid entry among ${envelope.data.vulnerabilities.length} (first: ${problems[0]?.where}: ${problems[0]?.reason})`,
      { hint: 'expected CISA known_exploited_vulnerabilities.json entries; nothing was imported' },
    );
  }
  const warnings: string[] = [];
  if (envelope.data.count !== undefined && envelope.data.count !== envelope.data.vulnerabilities.length) {
    warnings.push(
      `${path}: count says ${envelope.data.count} but vulnerabilities holds ${envelope.data.vulnerabilities.length}`,
    );
  }
  return {
    title: envelope.data.title,
    catalogVersion: envelope.data.catalogVersion,
    dateReleased: envelope.data.dateReleased,
    rows,
    problems,
    warnings,
  };
};
