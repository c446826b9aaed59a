import { resolve } from 'node:path';
import { PatchPilotError } from '../core/errors.js';
import { statOrUndefined } from '../util/fs.js';
import { parseOsvInput, parseOsvInputInWorker, WORKER_MIN_BYTES } from './parse.js';
import type { AdvisoryStore } from './store.js';

export interface ImportProblem {
  readonly where: string;
  readonly id: string | undefined;
  readonly reason: string;
}

export interface ImportResult {
  readonly sources: readonly string[];
  readonly read: number;
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly skipped: readonly ImportProblem[];
}

export interface ImportOptions {
  readonly cwd: string;
  readonly now: () => Date;
  readonly onProgress?: (read: number) => void;
  /** Each record skipped, as it is met (a refused import reports them too). */
  readonly onSkipped?: (problem: ImportProblem) => void;
  /** Checked between records: an abort (Ctrl-C) rolls the whole import back. */
  readonly signal?: AbortSignal | undefined;
}

/** An abort (Ctrl-C, SIGTERM) seen inside an import's transaction: it rolls the import back. */
export const throwIfInterrupted = (signal: AbortSignal | undefined): void => {
  if (signal?.aborted) {
    throw new PatchPilotError(
      'INTERRUPTED',
      'interrupted: the import was rolled back, nothing was imported',
      {
        cause: signal.reason,
      },
    );
  }
};

/**
 * The batches of `source` until `signal` aborts. An abort while the next batch is awaited throws
 * at once: a read that stalls (a named pipe no one writes to, a hung network mount) must not
 * keep Ctrl-C waiting. The source is then closed without waiting for it, since its pending read
 * may never end; on any other way out it is closed before this returns (a worker thread stops).
 */
export async function* untilInterrupted<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  if (!signal) {
    yield* source;
    return;
  }
  const iterator = source[Symbol.asyncIterator]();
  // One listener per wait, removed as soon as the batch comes: a promise raced over and over
  // would keep every batch it was raced with alive until the import ends.
  const next = (): Promise<IteratorResult<T>> =>
    new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error('interrupted'));
      signal.addEventListener('abort', onAbort, { once: true });
      iterator.next().then(
        (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  let stalled = false;
  let done = false;
  try {
    for (;;) {
      throwIfInterrupted(signal);
      stalled = true;
      const result = await next().catch((error: unknown) => {
        throwIfInterrupted(signal);
        throw error;
      });
      stalled = false;
      if (result.done) {
        done = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (stalled) void iterator.return?.()?.catch(() => undefined);
    else if (!done) await iterator.return?.();
  }
}

/**
 * Imports every input in one transaction: a missing file, a truncated archive or any other
 * failure rolls the whole import back. Malformed records are skipped and reported.
 */
export const importAdvisories = async (
  store: AdvisoryStore,
  inputs: readonly string[],
  options: ImportOptions,
): Promise<ImportResult> => {
  const importedAt = options.now().toISOString();
  const tally = newTally();
  const sources = inputs.map((input) => resolve(options.cwd, input));
  await store.transaction(async () => {
    for (const source of sources) {
      const records = await importSource(store, source, {
        label: source,
        importedAt,
        tally,
        onProgress: options.onProgress,
        onSkipped: options.onSkipped,
        signal: options.signal,
      });
      store.recordSource(source, importedAt, records);
    }
    // Ctrl-C during the last batch is seen only now: it still rolls the import back.
    throwIfInterrupted(options.signal);
    // Not one record in any input (an empty file, blank lines, a folder without .json files): the
    // wrong path, or a download that came to nothing. Refused like the wrong file below: a success
    // that leaves an empty store behind would hide the mistake until the first scan.
    if (tally.read === 0) {
      const what =
        sources.length === 1
          ? `${sources[0]} holds no records`
          : `none of the ${sources.length} inputs holds any records`;
      throw new PatchPilotError('ADVISORY_INPUT_INVALID', `nothing to import: ${what}`, {
        hint: "a folder is searched for .json files and a .jsonl file read line by line; import OSV files (OSV's npm export, GitHub's advisory database); nothing was written",
      });
    }
    // Records were read and every one is of another format altogether (the legacy NSP feed, a
    // package.json) or not JSON at all: the wrong file. Refused, so that the import does not look
    // like it succeeded; the transaction rolls back and nothing is recorded. Broken OSV records
    // (an id, then something wrong) are only skipped, as ever.
    if (
      tally.read > 0 &&
      tally.added + tally.updated + tally.unchanged === 0 &&
      tally.skipped.every((s) => s.reason.startsWith('not an OSV record') || s.reason.startsWith('not JSON'))
    ) {
      const what = tally.read === 1 ? 'the record read is not' : `none of the ${tally.read} records read is`;
      throw new PatchPilotError(
        'ADVISORY_INPUT_INVALID',
        `nothing to import: ${what} an OSV record (each is reported as skipped)`,
        {
          hint: `the first one: ${tally.skipped[0]?.reason ?? 'unknown'}; import OSV files (OSV's npm export, GitHub's advisory database); nothing was written`,
        },
      );
    }
  });
  return { sources, ...tally };
};

export interface ImportTally {
  read: number;
  added: number;
  updated: number;
  unchanged: number;
  skipped: ImportProblem[];
}

export const newTally = (): ImportTally => ({ read: 0, added: 0, updated: 0, unchanged: 0, skipped: [] });

/**
 * Upserts every record of one OSV input into the store, inside the caller's transaction, and
 * returns how many records it held. `label` names the source in the store and in problem reports
 * (a URL for a downloaded archive, whose local temporary path means nothing to the user). A large
 * file is read on a worker thread while this one writes the store; the outcome is the same.
 */
export const importSource = async (
  store: AdvisoryStore,
  path: string,
  options: {
    label: string;
    importedAt: string;
    tally: ImportTally;
    onProgress?: ((read: number) => void) | undefined;
    onSkipped?: ((problem: ImportProblem) => void) | undefined;
    /** Checked between records: an abort throws, so the caller's transaction rolls back. */
    signal?: AbortSignal | undefined;
  },
): Promise<number> => {
  const { tally } = options;
  const where = (text: string): string =>
    options.label === path ? text : text.split(path).join(options.label);
  const size = statOrUndefined(path);
  const batches =
    size?.isFile() && size.size >= WORKER_MIN_BYTES ? parseOsvInputInWorker(path) : parseOsvInput(path);
  let records = 0;
  for await (const batch of untilInterrupted(batches, options.signal)) {
    for (const item of batch) {
      throwIfInterrupted(options.signal);
      tally.read++;
      if (tally.read % 5000 === 0) options.onProgress?.(tally.read);
      if (item.kind === 'skipped') {
        const problem = { where: where(item.where), id: item.id, reason: item.reason };
        tally.skipped.push(problem);
        options.onSkipped?.(problem);
        continue;
      }
      records++;
      const outcome = store.upsertRow(item.row, options.label, options.importedAt);
      if (outcome === 'added') tally.added++;
      else if (outcome === 'updated') tally.updated++;
      else tally.unchanged++;
    }
  }
  return records;
};
