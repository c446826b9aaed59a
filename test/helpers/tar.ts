import { gzipSync } from 'node:zlib';

/**
 * A minimal ustar writer for test fixtures (npm tarballs): regular files only, deterministic
 * (fixed owner and time), so the same entries always give the same bytes and the same integrity.
 */

export interface TarEntry {
  /** The path inside the archive, `/`-separated (`package/index.js`). */
  readonly path: string;
  readonly content: string | Uint8Array;
  /** Permission bits; default 0o644. */
  readonly mode?: number;
}

const block = 512;
/** 1985-10-26T08:15:00Z, npm's own fixed tarball time. */
const fixedTime = 499_162_500;

const writeString = (header: Buffer, offset: number, size: number, value: string): void => {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > size) throw new Error(`tar: "${value}" does not fit in ${size} bytes`);
  bytes.copy(header, offset);
};

/** An octal number of `size - 1` digits, zero-padded, then NUL. */
const writeOctal = (header: Buffer, offset: number, size: number, value: number): void => {
  const digits = value.toString(8).padStart(size - 1, '0');
  if (digits.length > size - 1) throw new Error(`tar: ${value} does not fit in ${size} bytes`);
  writeString(header, offset, size, `${digits}\0`);
};

/** ustar keeps 100 bytes of name and 155 of prefix: a longer path is split at a `/`. */
const splitPath = (path: string): { name: string; prefix: string } => {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '')
      return { name, prefix };
  }
  throw new Error(`tar: the path is too long for ustar: ${path}`);
};

const header = (path: string, size: number, mode: number): Buffer => {
  const h = Buffer.alloc(block);
  const { name, prefix } = splitPath(path);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, mode);
  writeOctal(h, 108, 8, 0); // uid
  writeOctal(h, 116, 8, 0); // gid
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, fixedTime);
  h.fill(' ', 148, 156); // the checksum counts its own field as spaces
  writeString(h, 156, 1, '0'); // regular file
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  writeOctal(h, 329, 8, 0); // devmajor
  writeOctal(h, 337, 8, 0); // devminor
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
};

/** The uncompressed archive: a header and padded content per entry, then two zero blocks. */
export const tarArchive = (entries: readonly TarEntry[]): Buffer => {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content =
      typeof entry.content === 'string' ? Buffer.from(entry.content, 'utf8') : Buffer.from(entry.content);
    parts.push(header(entry.path, content.length, entry.mode ?? 0o644), content);
    const padding = (block - (content.length % block)) % block;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(2 * block));
  return Buffer.concat(parts);
};

/** `tarArchive`, gzipped (a `.tgz`). */
export const gzipTar = (entries: readonly TarEntry[]): Buffer => gzipSync(tarArchive(entries));
