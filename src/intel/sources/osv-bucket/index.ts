import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PatchPilotError } from '../../../core/errors.js';
import { ensureParentDir, message, statOrUndefined } from '../../../util/fs.js';
import type { Env } from '../../../util/home.js';
import type { downloadToFile } from '../../../util/http.js';
import { readZipEntries } from '../../../util/zip.js';
import { type ImportProblem, importSource, newTally, throwIfInterrupted } from '../../import.js';
import { AdvisoryStore, type SyncRecord } from '../../store.js';

/**
 * OSV's public bucket: one zip of every record per ecosystem (`<base>/npm/all.zip`). A sync
 * downloads it beside the store, reads every entry before the store is touched, then imports it
 * in one transaction together with the sync record. Anything that fails before the commit leaves
 * the store exactly as it was. The bucket answers conditional GETs, so an unchanged export costs
 * one 304 and no download; records are rewritten only when their `modified` is newer.
 */

export { DEFAULT_OSV_BASE, osvExportUrl } from './url.js';
/** The `syncs` row this source owns. */
export const OSV_BUCKET_NPM = 'osv-bucket/npm';

export interface SyncOptions {
  readonly url: string;
  readonly storePath: string;
  readonly env: Env;
  readonly now: () => Date;
  readonly timeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly onDownloadStart?: (proxy: string | undefined) => void;
  readonly onDownloadProgress?: (received: number, total: number | undefined) => void;
  readonly onImportProgress?: (read: number) => void;
  /** Ctrl-C: the download stops or the import rolls back, and the store stays as it was. */
  readonly signal?: AbortSignal | undefined;
}

export interface SyncResult {
  readonly url: string;
  /** `not-modified`: the server answered 304 to the last sync's ETag / Last-Modified. */
  readonly outcome: 'imported' | 'not-modified';
  readonly syncedAt: string;
  readonly bytes: number;
  readonly read: number;
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly skipped: readonly ImportProblem[];
}

export const syncOsvBucket = async (options: SyncOptions): Promise<SyncResult> => {
  const { url, storePath } = options;
  const existed = statOrUndefined(storePath) !== undefined;
  removeStaleDownloads(storePath);
  const previous = previousSync(storePath, url);
  const syncedAt = options.now().toISOString();
  const fail = (what: string, cause?: unknown): PatchPilotError =>
    new PatchPilotError(
      'SYNC_FAILED',
      `sync from ${url} failed: ${what}; ${
        existed
          ? `the store ${storePath} is unchanged`
          : // Where the file system has no hard links, a first store is built in place.
            statOrUndefined(storePath)
            ? `an empty store was left at ${storePath}`
            : `no store was created at ${storePath}`
      }`,
      {
        hint: 'check the URL (--base, PATCHPILOT_OSV_BASE), the network and proxy settings, then rerun',
        cause,
      },
    );

  const temporary = join(
    dirname(storePath),
    `.${basename(storePath)}.sync-${randomBytes(6).toString('hex')}.zip`,
  );
  try {
    const conditional: Record<string, string> = {};
    if (previous?.etag) conditional['if-none-match'] = previous.etag;
    if (previous?.lastModified) conditional['if-modified-since'] = previous.lastModified;
    let download: Awaited<ReturnType<typeof downloadToFile>>;
    try {
      ensureParentDir(storePath);
      // Loaded here: undici takes longer to load than a small `db import` takes to run.
      const http = await import('../../../util/http.js');
      download = await http.downloadToFile(url, temporary, {
        env: options.env,
        headers: conditional,
        timeoutMs: options.timeoutMs,
        stallTimeoutMs: options.stallTimeoutMs,
        signal: options.signal,
        onProgress: options.onDownloadProgress,
        onStart: options.onDownloadStart,
      });
    } catch (cause) {
      throw fail(message(cause), cause);
    }
    if (download.kind === 'failed') throw fail(download.reason, download.cause);

    if (download.kind === 'not-modified') {
      if (!previous) throw fail('the server answered 304 Not Modified to an unconditional request');
      const store = openForWrite(storePath, fail);
      try {
        store.recordSync({
          ...previous,
          url,
          syncedAt,
          etag: download.etag ?? previous.etag,
          lastModified: download.lastModified ?? previous.lastModified,
        });
      } finally {
        store.close();
      }
      return {
        url,
        outcome: 'not-modified',
        syncedAt,
        bytes: 0,
        read: 0,
        added: 0,
        updated: 0,
        unchanged: 0,
        skipped: [],
      };
    }

    // Every entry is inflated once before the store is opened for writing: a corrupt archive is
    // found here, with the store untouched and unlocked.
    let entries = 0;
    try {
      for await (const entry of readZipEntries(temporary)) {
        options.signal?.throwIfAborted();
        if (entry.name.toLowerCase().endsWith('.json')) entries++;
      }
    } catch (cause) {
      const inner = cause instanceof PatchPilotError && cause.cause !== undefined ? cause.cause : cause;
      throw fail(`not a readable zip archive (${download.bytes} bytes): ${message(inner)}`, cause);
    }
    if (entries === 0) throw fail(`the archive (${download.bytes} bytes) holds no .json records`);

    // A first sync builds the store beside its final name and puts it there only when the import
    // succeeded (AdvisoryStore.write): a failed one leaves no store behind.
    let opened = false;
    const importInto = async (store: AdvisoryStore): Promise<SyncResult> => {
      opened = true;
      const tally = newTally();
      let records = 0;
      try {
        await store.transaction(async () => {
          records = await importSource(store, temporary, {
            label: url,
            importedAt: syncedAt,
            tally,
            onProgress: options.onImportProgress,
            signal: options.signal,
          });
          // An export in which no record parses is not an export: keep the store and the last
          // sync's validators as they were.
          if (records === 0) {
            throw fail(`the archive holds no OSV record: none of its ${tally.read} entries is one`);
          }
          throwIfInterrupted(options.signal);
          store.recordSource(url, syncedAt, records);
          store.recordSync({
            name: OSV_BUCKET_NPM,
            url,
            syncedAt,
            changedAt: syncedAt,
            etag: download.etag,
            lastModified: download.lastModified,
            records,
          });
        });
      } catch (cause) {
        if (cause instanceof PatchPilotError && cause.code === 'SYNC_FAILED') throw cause;
        throw fail(`import failed: ${message(cause)}`, cause);
      }
      return {
        url,
        outcome: 'imported',
        syncedAt,
        bytes: download.bytes,
        ...tally,
      };
    };
    try {
      return await AdvisoryStore.write(storePath, importInto);
    } catch (cause) {
      // Import failures are SYNC_FAILED already; a store that is not PatchPilot's, or one that
      // could not be put in place after the import, says so itself.
      if (opened || (cause instanceof PatchPilotError && cause.code === 'DB_UNREADABLE')) throw cause;
      throw fail(`cannot open the store for writing: ${message(cause)}`, cause);
    }
  } finally {
    rmSync(temporary, { force: true });
  }
};

/**
 * Downloads left by a sync that was killed (SIGKILL, power loss) before its cleanup ran. Only
 * those older than a day are removed, so a sync running in parallel keeps its file.
 */
const removeStaleDownloads = (storePath: string): void => {
  const prefix = `.${basename(storePath)}.sync-`;
  const dir = dirname(storePath);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.zip')) continue;
    const stat = statOrUndefined(join(dir, name));
    if (stat?.isFile() && stat.mtimeMs < dayAgo) rmSync(join(dir, name), { force: true });
  }
};

/** The last sync of this source from this URL; a sync from another URL says nothing about this one. */
const previousSync = (storePath: string, url: string): SyncRecord | undefined => {
  if (!statOrUndefined(storePath)) return undefined;
  let store: AdvisoryStore;
  try {
    store = AdvisoryStore.open(storePath, { readonly: true });
  } catch (error) {
    // An empty file is fine to sync into; a foreign or newer file is refused before any download.
    if (error instanceof PatchPilotError && error.code === 'DB_EMPTY') return undefined;
    throw error;
  }
  try {
    const sync = store.syncs().find((s) => s.name === OSV_BUCKET_NPM);
    // A store emptied since (records deleted by hand) must not be told "nothing changed".
    return sync && sync.url === url && store.count() > 0 ? sync : undefined;
  } finally {
    store.close();
  }
};

const openForWrite = (
  path: string,
  fail: (what: string, cause?: unknown) => PatchPilotError,
): AdvisoryStore => {
  try {
    return AdvisoryStore.open(path, { readonly: false });
  } catch (cause) {
    if (cause instanceof PatchPilotError && cause.code === 'DB_UNREADABLE') throw cause;
    throw fail(`cannot open the store for writing: ${message(cause)}`, cause);
  }
};
