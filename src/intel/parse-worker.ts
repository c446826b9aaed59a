import { parentPort, workerData } from 'node:worker_threads';
import { isPatchPilotError } from '../core/errors.js';
import { message } from '../util/fs.js';
import { packBatch, parseOsvInput, type WorkerInput, type WorkerMessage } from './parse.js';

/**
 * The worker thread of `parseOsvInputInWorker`: reads one input and posts its batches, never more
 * than `readAhead` ahead of what the store has taken. Stays alive after `done` until the caller
 * stops it, so that the end of the thread is never mistaken for a crash.
 */
const run = async (port: NonNullable<typeof parentPort>, input: WorkerInput): Promise<void> => {
  let credit = input.readAhead;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    credit++;
    wake?.();
    wake = undefined;
  });
  const post = (m: WorkerMessage): void => port.postMessage(m);
  try {
    for await (const items of parseOsvInput(input.path)) {
      while (credit === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      credit--;
      const packed = packBatch(items);
      port.postMessage({ type: 'batch', ...packed } satisfies WorkerMessage, [
        packed.bytes,
        packed.ends.buffer as ArrayBuffer,
      ]);
    }
    post({ type: 'done' });
  } catch (error) {
    post(
      isPatchPilotError(error)
        ? { type: 'error', code: error.code, message: error.message, hint: error.hint }
        : { type: 'error', message: message(error) },
    );
  }
};

if (parentPort) void run(parentPort, workerData as WorkerInput);
