import { rfc3339TimeMs } from '../../../core/date.js';
import { PatchPilotError } from '../../../core/errors.js';

/**
 * FIRST's daily EPSS snapshot (`epss_scores-YYYY-MM-DD.csv.gz`, gunzipped by the caller):
 *
 *   #model_version:v2023.03.01,score_date:2025-01-01T00:00:00+0000
 *   cve,epss,percentile
 *   CVE-2021-44228,0.97565,0.99996
 *
 * The comment line is optional (files before 2022 have none). A malformed row is reported with its
 * line and skipped; a file without the header or without a single score is refused whole, since an
 * import replaces the previous snapshot.
 */
export interface EpssRow {
  readonly cve: string;
  readonly score: number;
  readonly percentile: number;
}

export interface EpssSnapshot {
  readonly modelVersion: string | undefined;
  /** As the comment gives it, e.g. `2025-01-01T00:00:00+0000`. */
  readonly scoreDate: string | undefined;
  readonly rows: readonly EpssRow[];
  readonly problems: readonly { readonly where: string; readonly reason: string }[];
}

const CVE = /^CVE-\d{4}-\d+$/;
const NUMBER = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const invalid = (where: string, reason: string): PatchPilotError =>
  new PatchPilotError('ADVISORY_INPUT_INVALID', `${where}: ${reason}`, {
    hint: "expected FIRST's EPSS CSV (cve,epss,percentile), .csv or .csv.gz; nothing was imported",
  });

/** A probability or percentile: a plain decimal from 0 to 1. */
const unit = (text: string): number | undefined => {
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return value >= 0 && value <= 1 ? value : undefined;
};

/**
 * The fields of one CSV line (RFC 4180): a field in double quotes may hold commas, and `""` for
 * a quote. undefined for a quote left open.
 */
const csvFields = (line: string): string[] | undefined => {
  const fields: string[] = [];
  let i = 0;
  while (true) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      while (true) {
        const quote = line.indexOf('"', i);
        if (quote < 0) return undefined;
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      const comma = line.indexOf(',', i);
      const rest = comma < 0 ? line.slice(i) : line.slice(i, comma);
      if (rest.trim() !== '') return undefined;
      fields.push(value.trim());
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      fields.push((comma < 0 ? line.slice(i) : line.slice(i, comma)).trim());
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
};

export const parseEpssCsv = (content: string, path: string): EpssSnapshot => {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const lines = text.split(/\r?\n/);
  let modelVersion: string | undefined;
  let scoreDate: string | undefined;
  let n = 0;
  // Comment lines before the header: `#key:value,key:value` (values may hold colons).
  while (n < lines.length && (lines[n] as string).startsWith('#')) {
    for (const pair of (lines[n] as string).slice(1).split(',')) {
      const colon = pair.indexOf(':');
      if (colon < 0) continue;
      const key = pair.slice(0, colon).trim();
      const value = pair.slice(colon + 1).trim();
      if (key === 'model_version') modelVersion = value;
      else if (key === 'score_date') scoreDate = rfc3339TimeMs(value) === undefined ? undefined : value;
    }
    n++;
  }
  const headerLine = lines[n];
  if (headerLine === undefined || headerLine.trim() === '') {
    throw invalid(`${path}:${n + 1}`, 'no header line (expected "cve,epss,percentile")');
  }
  const header = (csvFields(headerLine) ?? []).map((h) => h.toLowerCase());
  const column = {
    cve: header.indexOf('cve'),
    epss: header.indexOf('epss'),
    percentile: header.indexOf('percentile'),
  };
  if (column.cve < 0 || column.epss < 0 || column.percentile < 0) {
    throw invalid(`${path}:${n + 1}`, `header "${headerLine.slice(0, 80)}" lacks cve, epss or percentile`);
  }
  const rows: EpssRow[] = [];
  const problems: { where: string; reason: string }[] = [];
  const seen = new Set<string>();
  for (let i = n + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    const where = `${path}:${i + 1}`;
    const cells = csvFields(line);
    if (cells === undefined) {
      problems.push({ where, reason: 'a quoted field is not closed' });
      continue;
    }
    if (cells.length !== header.length) {
      problems.push({ where, reason: `expected ${header.length} fields, got ${cells.length}` });
      continue;
    }
    const cve = cells[column.cve] as string;
    const score = unit(cells[column.epss] as string);
    const percentile = unit(cells[column.percentile] as string);
    if (!CVE.test(cve)) problems.push({ where, reason: `"${cve.slice(0, 40)}" is not a CVE id` });
    else if (score === undefined)
      problems.push({ where, reason: `epss "${cells[column.epss]}" is not a number from 0 to 1` });
    else if (percentile === undefined) {
      problems.push({
        where,
        reason: `percentile "${cells[column.percentile]}" is not a number from 0 to 1`,
      });
    } else if (seen.has(cve)) problems.push({ where, reason: `${cve} appears twice; the first row is kept` });
    else {
      seen.add(cve);
      rows.push({ cve, score, percentile });
    }
  }
  if (rows.length === 0) {
    throw invalid(path, `no valid score${problems.length > 0 ? ` (${problems.length} malformed rows)` : ''}`);
  }
  return { modelVersion, scoreDate, rows, problems };
};
