import { Worker } from 'node:worker_threads';
import { type ErrorCode, PatchPilotError } from '../core/errors.js';
import { parseOsvRecord } from './osv.js';
import { type AdvisoryRow, advisoryRow } from './row.js';
import { readOsvInput } from './sources/osv-files/index.js';

export type ParsedItem =
  | { readonly kind: 'row'; readonly row: AdvisoryRow }
  | {
      readonly kind: 'skipped';
      readonly where: string;
      readonly id: string | undefined;
      readonly reason: string;
    };

const BATCH_ITEMS = 256;

/**
 * Every record of one OSV input, validated and normalised, in batches of a few hundred (one
 * message each when they cross threads). Malformed records are items too; an input that cannot be
 * read at all throws, as `readOsvInput` does.
 */
export async function* parseOsvInput(path: string): AsyncGenerator<ParsedItem[]> {
  let batch: ParsedItem[] = [];
  for await (const items of readOsvInput(path)) {
    for (const item of items) {
      if (item.kind === 'problem') {
        batch.push({ kind: 'skipped', where: item.where, id: undefined, reason: item.reason });
      } else {
        const parsed = parseOsvRecord(item.raw);
        batch.push(
          parsed.ok
            ? { kind: 'row', row: advisoryRow(parsed.advisory, item.bytes ?? item.text) }
            : { kind: 'skipped', where: item.where, id: parsed.id, reason: parsed.reason },
        );
      }
      if (batch.length === BATCH_ITEMS) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Inputs at least this large are read on a worker thread (below it, starting one costs more than it saves). */
export const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/** Batches the worker may read ahead of the store: enough to keep both threads busy, little memory. */
const READ_AHEAD = 4;

/**
 * A batch as it crosses threads. Posting a few hundred row objects costs about as much as
 * building them, so a batch travels as flat values and one buffer that is moved, not copied:
 * `values` holds, per item, either `'row'`, id, modified, modifiedMs, withdrawn, kind, the number
 * of packages and the packages, or `'skipped'`, where, id, reason; `bytes` holds each row's
 * normalised and raw texts one after the other, `ends` where each of them ends.
 */
export interface PackedBatch {
  readonly values: (string | number | null)[];
  readonly bytes: ArrayBuffer;
  readonly ends: Int32Array;
}

export const packBatch = (items: readonly ParsedItem[]): PackedBatch => {
  const values: (string | number | null)[] = [];
  let rows = 0;
  let size = 0;
  for (const item of items) {
    if (item.kind === 'skipped') {
      values.push('skipped', item.where, item.id ?? null, item.reason);
      continue;
    }
    const { row } = item;
    values.push('row', row.id, row.modified, row.modifiedMs, row.withdrawn, row.kind, row.packages.length);
    for (const name of row.packages) values.push(name);
    rows++;
    size += row.normalised.length + row.raw.length;
  }
  const bytes = new Uint8Array(size);
  const ends = new Int32Array(rows * 2);
  let offset = 0;
  let end = 0;
  for (const item of items) {
    if (item.kind !== 'row') continue;
    for (const text of [item.row.normalised, item.row.raw]) {
      bytes.set(text, offset);
      offset += text.length;
      ends[end++] = offset;
    }
  }
  return { values, bytes: bytes.buffer, ends };
};

export const unpackBatch = (batch: PackedBatch): ParsedItem[] => {
  const { values, ends } = batch;
  const bytes = new Uint8Array(batch.bytes);
  const items: ParsedItem[] = [];
  let start = 0;
  let end = 0;
  const text = (): Uint8Array => {
    const stop = ends[end++] as number;
    const view = bytes.subarray(start, stop);
    start = stop;
    return view;
  };
  for (let i = 0; i < values.length; ) {
    if (values[i] === 'skipped') {
      items.push({
        kind: 'skipped',
        where: values[i + 1] as string,
        id: (values[i + 2] as string | null) ?? undefined,
        reason: values[i + 3] as string,
      });
      i += 4;
      continue;
    }
    const count = values[i + 6] as number;
    const normalised = text();
    items.push({
      kind: 'row',
      row: {
        id: values[i + 1] as string,
        modified: values[i + 2] as string,
        modifiedMs: values[i + 3] as number,
        withdrawn: values[i + 4] as string | null,
        kind: values[i + 5] as AdvisoryRow['kind'],
        packages: values.slice(i + 7, i + 7 + count) as string[],
        normalised,
        raw: text(),
      },
    });
    i += 7 + count;
  }
  return items;
};

export type WorkerMessage =
  | ({ readonly type: 'batch' } & PackedBatch)
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly code?: ErrorCode; readonly message: string; readonly hint?: string };

export interface WorkerInput {
  readonly path: string;
  readonly readAhead: number;
}

/**
 * `parseOsvInput` on a worker thread: the thread decompresses, parses and normalises while the
 * caller writes the store, at most `READ_AHEAD` batches ahead. A failure of the input is thrown
 * here as it would be by `parseOsvInput`; the thread is stopped however the iteration ends
 * (finished, failed, or abandoned by the caller).
 */
export async function* parseOsvInputInWorker(path: string): AsyncGenerator<ParsedItem[]> {
  const worker = new Worker(new URL('./parse-worker.js', import.meta.url), {
    workerData: { path, readAhead: READ_AHEAD } satisfies WorkerInput,
  });
  const inbox: (WorkerMessage | { type: 'crash'; error: unknown })[] = [];
  let wake: (() => void) | undefined;
  const deliver = (message: WorkerMessage | { type: 'crash'; error: unknown }): void => {
    inbox.push(message);
    wake?.();
    wake = undefined;
  };
  worker.on('message', deliver);
  worker.on('error', (error) => deliver({ type: 'crash', error }));
  worker.on('exit', (code) =>
    deliver({ type: 'crash', error: new Error(`the thread reading ${path} stopped (exit code ${code})`) }),
  );
  try {
    for (;;) {
      while (inbox.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const message = inbox.shift() as WorkerMessage | { type: 'crash'; error: unknown };
      if (message.type === 'done') return;
      if (message.type === 'crash') throw message.error;
      if (message.type === 'error') {
        throw message.code
          ? new PatchPilotError(message.code, message.message, { hint: message.hint })
          : new Error(message.message);
      }
      // Ask for the next batch before writing this one, so that both threads work.
      worker.postMessage('more');
      yield unpackBatch(message);
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
}
