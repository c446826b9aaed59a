import { createHash } from 'node:crypto';
import { join, parse } from 'node:path';
import { readConfinedText, realPathOrUndefined, writeFileAtomic } from '../util/fs.js';
import type { PackageMetadata } from './types.js';

/**
 * The disk cache of package documents: one file per document URL and form, holding the
 * normalised metadata with the validators (ETag, Last-Modified) and the time it was fetched or
 * last confirmed. Writes are atomic; an entry that cannot be read back (corrupt, truncated, an
 * older format) counts as absent and is overwritten by the next fetch.
 */

export type CacheForm = 'abbreviated' | 'full';

export interface CacheEntry {
  readonly url: string;
  readonly form: CacheForm;
  /** Epoch milliseconds of the last 200 or 304. */
  readonly fetchedAt: number;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /**
   * Undefined when the registry answered that the package does not exist (HTTP 404 or 410).
   * That answer is kept so that an offline run answers as the online run did; an online run
   * asks again rather than trust it, since a registry also answers 404 to a missing credential.
   */
  readonly metadata: PackageMetadata | undefined;
}

// Bump when the stored shape changes: older entries are then refetched, never misread.
const FORMAT = 2;

// Every planning run reads thousands of entries, some with thousands of versions: they are checked
// by hand, field by field, as zod would check the same shape (docs/decisions/0001 for lockfiles
// makes the same trade). Anything else than that shape makes the entry count as absent.

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (value: unknown): value is string | undefined =>
  value === undefined || typeof value === 'string';

/** A record of strings, as parsed (JSON.parse makes every key, `__proto__` included, plain data). */
const stringRecord = (value: unknown): Record<string, string> | undefined => {
  if (!isObject(value)) return undefined;
  for (const key in value) if (Object.hasOwn(value, key) && typeof value[key] !== 'string') return undefined;
  return value as Record<string, string>;
};

/** Sets a key as plain data: an assignment to `__proto__` would set the prototype instead. */
const put = <T>(target: Record<string, T>, key: string, value: T): void => {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
};

const readVersion = (value: unknown): PackageMetadata['versions'][string] | undefined => {
  if (!isObject(value) || typeof value.version !== 'string') return undefined;
  const dependencies = stringRecord(value.dependencies);
  const optionalDependencies = stringRecord(value.optionalDependencies);
  const peerDependencies = stringRecord(value.peerDependencies);
  if (!dependencies || !optionalDependencies || !peerDependencies) return undefined;
  const metaIn = value.peerDependenciesMeta;
  if (!isObject(metaIn)) return undefined;
  const peerDependenciesMeta: Record<string, { optional: boolean }> = {};
  for (const key in metaIn) {
    if (!Object.hasOwn(metaIn, key)) continue;
    const item = metaIn[key];
    if (!isObject(item) || typeof item.optional !== 'boolean') return undefined;
    put(peerDependenciesMeta, key, { optional: item.optional });
  }
  const dist = value.dist;
  if (dist !== undefined) {
    if (!isObject(dist)) return undefined;
    if (!optionalString(dist.tarball) || !optionalString(dist.integrity) || !optionalString(dist.shasum))
      return undefined;
  }
  if (
    !optionalString(value.deprecated) ||
    !optionalString(value.publishedAt) ||
    !optionalString(value.nodeEngine) ||
    (value.hasInstallScript !== undefined && typeof value.hasInstallScript !== 'boolean')
  ) {
    return undefined;
  }
  return {
    version: value.version,
    dependencies,
    optionalDependencies,
    peerDependencies,
    peerDependenciesMeta,
    dist: dist && {
      tarball: dist.tarball as string | undefined,
      integrity: dist.integrity as string | undefined,
      shasum: dist.shasum as string | undefined,
    },
    deprecated: value.deprecated as string | undefined,
    hasInstallScript: value.hasInstallScript as boolean | undefined,
    publishedAt: value.publishedAt as string | undefined,
    ...(typeof value.nodeEngine === 'string' ? { nodeEngine: value.nodeEngine } : {}),
  };
};

const isForm = (value: unknown): value is CacheForm => value === 'abbreviated' || value === 'full';

/** A parsed cache file as an entry; JSON has no undefined, so optional fields come back absent. */
export const readEntry = (json: unknown): CacheEntry | undefined => {
  if (!isObject(json) || json.format !== FORMAT) return undefined;
  const { url, form, fetchedAt, etag, lastModified, metadata } = json;
  if (typeof url !== 'string' || !isForm(form) || typeof fetchedAt !== 'number') return undefined;
  if (!optionalString(etag) || !optionalString(lastModified)) return undefined;
  if (metadata === null) return { url, form, fetchedAt, etag, lastModified, metadata: undefined };
  if (!isObject(metadata)) return undefined;
  if (typeof metadata.name !== 'string' || !isForm(metadata.form) || !optionalString(metadata.modified))
    return undefined;
  const distTags = stringRecord(metadata.distTags);
  if (!distTags || !isObject(metadata.versions) || !Array.isArray(metadata.skipped)) return undefined;
  const skipped: { version: string; reason: string }[] = [];
  for (const item of metadata.skipped) {
    if (!isObject(item) || typeof item.version !== 'string' || typeof item.reason !== 'string')
      return undefined;
    skipped.push({ version: item.version, reason: item.reason });
  }
  const versions: Record<string, PackageMetadata['versions'][string]> = {};
  for (const key in metadata.versions) {
    if (!Object.hasOwn(metadata.versions, key)) continue;
    const version = readVersion(metadata.versions[key]);
    if (!version) return undefined;
    put(versions, key, version);
  }
  return {
    url,
    form,
    fetchedAt,
    etag,
    lastModified,
    metadata: {
      name: metadata.name,
      form: metadata.form,
      distTags,
      modified: metadata.modified,
      skipped,
      versions,
    },
  };
};

// Past this a string cannot hold the file anyway.
const maxEntryBytes = 512 * 1024 * 1024;

/** The file of an entry: a hash of form and URL, so that no package name reaches the file system. */
export const cacheFile = (dir: string, url: string, form: CacheForm): string =>
  join(dir, `${createHash('sha256').update(`${form} ${url}`).digest('hex').slice(0, 40)}.json`);

/** The entry for `url` in `form`, or undefined when there is none or it cannot be trusted. */
export const readCacheEntry = (dir: string, url: string, form: CacheForm): CacheEntry | undefined => {
  let text: string;
  try {
    // Only a regular file: a FIFO or a link to a device in the cache folder must not hang the run.
    const file = cacheFile(dir, url, form);
    const real = realPathOrUndefined(file);
    if (real === undefined) return undefined;
    const read = readConfinedText(file, parse(real).root, maxEntryBytes);
    if (read.kind !== 'text') return undefined;
    text = read.text;
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const entry = readEntry(json);
  // The URL check guards against a hash collision as much as against a hand-edited file.
  if (!entry || entry.url !== url || entry.form !== form) return undefined;
  return entry;
};

/** Writes the entry atomically; a failed write is reported by the caller's choice (it throws IO_FAILED). */
export const writeCacheEntry = (dir: string, entry: CacheEntry): void => {
  // A package the registry does not have is stored as `"metadata": null` (JSON has no undefined).
  writeFileAtomic(
    cacheFile(dir, entry.url, entry.form),
    JSON.stringify({ format: FORMAT, ...entry, metadata: entry.metadata ?? null }),
  );
};
