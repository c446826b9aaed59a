import type { Advisory } from '../core/advisory.js';
import { rfc3339TimeMs } from '../core/date.js';

/**
 * One advisory as the store writes it: the normalised record already serialised, so that the
 * work of reading an input (decompressing, JSON, validation, normalisation) can run on another
 * thread than the one that writes the store. The two large texts are UTF-8 bytes: they move
 * between threads without a copy and reach SQLite without another conversion.
 */
export interface AdvisoryRow {
  readonly id: string;
  readonly modified: string;
  readonly modifiedMs: number;
  readonly withdrawn: string | null;
  readonly kind: Advisory['kind'];
  /** The `Advisory`, as JSON (UTF-8). */
  readonly normalised: Uint8Array;
  /** The OSV record as read (UTF-8). */
  readonly raw: Uint8Array;
  /** The distinct package names of `affected`, in order. */
  readonly packages: readonly string[];
}

/** `raw` is the record's text, or its UTF-8 bytes when the reader has them. */
export const advisoryRow = (advisory: Advisory, raw: string | Uint8Array): AdvisoryRow => ({
  id: advisory.id,
  modified: advisory.modified,
  modifiedMs: rfc3339TimeMs(advisory.modified) ?? Date.parse(advisory.modified),
  withdrawn: advisory.withdrawn ?? null,
  kind: advisory.kind,
  normalised: Buffer.from(JSON.stringify(advisory)),
  raw: typeof raw === 'string' ? Buffer.from(raw) : raw,
  packages:
    advisory.affected.length === 1
      ? [(advisory.affected[0] as Advisory['affected'][number]).name]
      : [...new Set(advisory.affected.map((a) => a.name))],
});
