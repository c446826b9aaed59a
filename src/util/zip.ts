import yauzl from 'yauzl';
import { PatchPilotError } from '../core/errors.js';
import { message } from './fs.js';

/**
 * The largest entry read. OSV records are a few kilobytes; a bigger entry is a broken or hostile
 * archive (a few hundred kilobytes of zip can inflate to gigabytes). yauzl checks that an entry
 * inflates to exactly its declared size, so checking the declared size bounds the memory used.
 */
export const MAX_ZIP_ENTRY_BYTES = 64 * 1024 * 1024;

/** Entries of a zip archive, one at a time, each read fully into memory (OSV records are small). */
export async function* readZipEntries(path: string): AsyncGenerator<{ name: string; content: Buffer }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (error, file) =>
      error ? reject(zipError(path, error)) : resolve(file),
    );
  });
  try {
    while (true) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry) => {
          cleanup();
          resolve(e);
        };
        const onEnd = () => {
          cleanup();
          resolve(undefined);
        };
        const onError = (error: Error) => {
          cleanup();
          reject(zipError(path, error));
        };
        const cleanup = () => {
          zip.off('entry', onEntry);
          zip.off('end', onEnd);
          zip.off('error', onError);
        };
        zip.on('entry', onEntry);
        zip.on('end', onEnd);
        zip.on('error', onError);
        zip.readEntry();
      });
      if (!entry) return;
      if (entry.fileName.endsWith('/')) continue;
      if (entry.uncompressedSize > MAX_ZIP_ENTRY_BYTES) {
        throw zipError(
          path,
          new Error(
            `entry ${entry.fileName} inflates to ${entry.uncompressedSize} bytes (limit ${MAX_ZIP_ENTRY_BYTES})`,
          ),
        );
      }
      const content = await new Promise<Buffer>((resolve, reject) => {
        zip.openReadStream(entry, (error, stream) => {
          if (error) return reject(zipError(path, error));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', (e) => reject(zipError(path, e)));
          stream.on('end', () => resolve(Buffer.concat(chunks)));
        });
      });
      yield { name: entry.fileName, content };
    }
  } finally {
    zip.close();
  }
}

const zipError = (path: string, cause: unknown): PatchPilotError =>
  new PatchPilotError('ADVISORY_INPUT_INVALID', `${path}: not a readable zip archive: ${message(cause)}`, {
    hint: 'the download may be truncated; fetch it again. Nothing was imported',
    cause,
  });
