import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { PatchPilotError } from '../core/errors.js';
import { ioError, message } from '../util/fs.js';
import { epssDate } from './epss-date.js';
import { type EpssSnapshot, parseEpssCsv } from './sources/epss/index.js';
import { type KevCatalog, parseKevCatalog } from './sources/kev/index.js';
import type { AdvisoryStore, SignalRecord } from './store.js';

/**
 * Exploitation signals: FIRST's EPSS scores and CISA's KEV catalog, keyed by CVE id. Each is a
 * snapshot, so an import replaces the previous one whole, in one transaction.
 */

export interface SignalImportResult {
  readonly signal: SignalRecord;
  readonly skipped: readonly { readonly where: string; readonly reason: string }[];
  /** About the file as a whole, not one entry of it. */
  readonly warnings?: readonly string[];
}

/** Reads a file, gunzipped when it is gzip (by its magic bytes, whatever its name says). */
const readMaybeGzipped = (path: string): string => {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw ioError(path, cause);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (cause) {
      throw new PatchPilotError(
        'ADVISORY_INPUT_INVALID',
        `${path}: not a readable gzip file: ${message(cause)}`,
        {
          hint: 'the file is truncated or corrupt; download it again (nothing was imported)',
          cause,
        },
      );
    }
  } else if (path.toLowerCase().endsWith('.gz')) {
    throw new PatchPilotError('ADVISORY_INPUT_INVALID', `${path}: not a gzip file`, {
      hint: 'the file is not what its extension says; nothing was imported',
    });
  }
  return bytes.toString('utf8');
};

export const readEpssFile = (path: string): EpssSnapshot => parseEpssCsv(readMaybeGzipped(path), path);

export const readKevFile = (path: string): KevCatalog => parseKevCatalog(readMaybeGzipped(path), path);

export { epssDate };

export const importEpss = async (
  store: AdvisoryStore,
  snapshot: EpssSnapshot,
  source: string,
  importedAt: string,
): Promise<SignalImportResult> => {
  const signal: SignalRecord = {
    name: 'epss',
    source,
    importedAt,
    date: snapshot.scoreDate ?? epssDate(snapshot, source),
    version: snapshot.modelVersion,
    records: snapshot.rows.length,
  };
  await store.transaction(async () => {
    store.replaceEpss(snapshot.rows);
    store.recordSignal(signal);
  });
  return { signal, skipped: snapshot.problems };
};

export const importKev = async (
  store: AdvisoryStore,
  catalog: KevCatalog,
  source: string,
  importedAt: string,
): Promise<SignalImportResult> => {
  const signal: SignalRecord = {
    name: 'kev',
    source,
    importedAt,
    date: catalog.dateReleased,
    version: catalog.catalogVersion,
    records: catalog.rows.length,
  };
  await store.transaction(async () => {
    store.replaceKev(catalog.rows);
    store.recordSignal(signal);
  });
  return { signal, skipped: catalog.problems, warnings: catalog.warnings };
};
