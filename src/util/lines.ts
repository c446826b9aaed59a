import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { PatchPilotError } from '../core/errors.js';
import { message } from './fs.js';

/** Lines of a text file, gunzipped when `gzip` is set, with their 1-based numbers. */
export async function* readLines(path: string, gzip: boolean): AsyncGenerator<[number, string]> {
  const file = createReadStream(path);
  const input = gzip ? file.pipe(createGunzip()) : file;
  file.on('error', (error) => input.emit('error', error));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      yield [n, line];
    }
  } catch (cause) {
    throw new PatchPilotError(
      'ADVISORY_INPUT_INVALID',
      `${path}: cannot read past line ${n}: ${message(cause)}`,
      {
        hint: 'the file is truncated or not what its extension says; nothing was imported',
        cause,
      },
    );
  }
}
