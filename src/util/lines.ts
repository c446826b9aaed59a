import { isUtf8 } from 'node:buffer';
import { createReadStream, open, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PatchPilotError } from '../core/errors.js';
import { message } from './fs.js';

/** Large reads and inflate chunks: a feed of hundreds of megabytes is read in a few hundred steps. */
const CHUNK_BYTES = 1 << 20;
const LF = 0x0a;
const CR = 0x0d;

/**
 * The longest line read: an OSV record is a few kilobytes, the largest known well under a megabyte.
 * A line without end (a gzip bomb inflating to gigabytes of one line) is refused before it fills memory.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** A line's 1-based number, its text and, when they are exactly that text in UTF-8, its bytes. */
export type Line = [n: number, text: string, bytes: Uint8Array | undefined];

/**
 * A file as a stream. A named pipe is read as a socket is, by polling, rather than by reads on the
 * thread pool: a read waiting there for a writer that says nothing keeps the process from
 * exiting, even at Ctrl-C. Opening one still waits for a writer to open it, as a shell's would.
 */
const openForReading = async (path: string): Promise<Readable> => {
  if (!statSync(path).isFIFO()) return createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const fd = await new Promise<number>((resolve, reject) => {
    open(path, 'r', (error, fd) => (error ? reject(error) : resolve(fd)));
  });
  return new Socket({ fd, readable: true, writable: false });
};

/**
 * Lines of a text file, gunzipped when `gzip` is set, in batches (one per chunk read, so that a
 * caller reading a million lines does not wait on a promise for each). A line's bytes are given
 * unless it is a piece of a line split at a lone `\r` or is not valid UTF-8. Lines end at `\n`,
 * `\r\n` or a lone `\r`, as with `node:readline`. Bytes are split before decoding (neither byte
 * occurs inside a UTF-8 sequence), so each line is decoded once, whatever the chunk borders.
 */
export async function* readLines(path: string, gzip: boolean): AsyncGenerator<Line[]> {
  let n = 0;
  /**
   * Adds the lines of bytes that ended at `\n` (`terminated`) or at the end of the file: a `\r`
   * before the `\n` belongs to the line break, any other `\r` ends a line of its own.
   */
  const add = (batch: Line[], bytes: Buffer, terminated: boolean): void => {
    if (bytes.length === 0) {
      if (terminated) batch.push([++n, '', bytes]);
      return;
    }
    const body = bytes[bytes.length - 1] === CR ? bytes.subarray(0, -1) : bytes;
    if (body.indexOf(CR) === -1) {
      // Invalid UTF-8 decodes with replacement characters, which the bytes would not have.
      batch.push([++n, body.toString('utf8'), isUtf8(body) ? body : undefined]);
      return;
    }
    for (const line of body.toString('utf8').split('\r')) batch.push([++n, line, undefined]);
  };
  // The start of a line that continues in the next chunk.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  try {
    const file = await openForReading(path);
    const input = gzip ? file.pipe(createGunzip({ chunkSize: CHUNK_BYTES })) : file;
    file.on('error', (error) => input.emit('error', error));
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const batch: Line[] = [];
      let start = 0;
      for (let end = chunk.indexOf(LF); end !== -1; end = chunk.indexOf(LF, start)) {
        let bytes = chunk.subarray(start, end);
        if (pending.length > 0) {
          pending.push(bytes);
          bytes = Buffer.concat(pending);
          pending = [];
          pendingBytes = 0;
        }
        start = end + 1;
        add(batch, bytes, true);
      }
      if (start < chunk.length) {
        pending.push(chunk.subarray(start));
        pendingBytes += chunk.length - start;
        if (pendingBytes > MAX_LINE_BYTES) {
          throw new PatchPilotError(
            'ADVISORY_INPUT_INVALID',
            `${path}: line ${n + 1} is longer than ${MAX_LINE_BYTES / (1024 * 1024)} MB`,
            {
              hint: 'not a file of one record per line (a compressed file may inflate without bound); nothing was imported',
            },
          );
        }
      }
      if (batch.length > 0) yield batch;
    }
    if (pending.length > 0) {
      const batch: Line[] = [];
      add(batch, Buffer.concat(pending), false);
      if (batch.length > 0) yield batch;
    }
  } catch (cause) {
    if (cause instanceof PatchPilotError) throw cause;
    throw new PatchPilotError(
      'ADVISORY_INPUT_INVALID',
      n === 0
        ? `${path}: cannot read it: ${message(cause)}`
        : `${path}: cannot read past line ${n}: ${message(cause)}`,
      {
        hint: 'the file is truncated or not what its extension says; nothing was imported',
        cause,
      },
    );
  }
}
