import { createHash } from 'node:crypto';
import { join, parse } from 'node:path';
import { z } from 'zod';
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
  readonly metadata: PackageMetadata;
}

// Bump when the stored shape changes: older entries are then refetched, never misread.
const FORMAT = 1;

const record = z.record(z.string(), z.string());
const versionSchema = z.object({
  version: z.string(),
  dependencies: record,
  optionalDependencies: record,
  peerDependencies: record,
  peerDependenciesMeta: z.record(z.string(), z.object({ optional: z.boolean() })),
  dist: z
    .object({
      tarball: z.string().optional(),
      integrity: z.string().optional(),
      shasum: z.string().optional(),
    })
    .optional(),
  deprecated: z.string().optional(),
  hasInstallScript: z.boolean().optional(),
  publishedAt: z.string().optional(),
});

const entrySchema = z.object({
  format: z.literal(FORMAT),
  url: z.string(),
  form: z.enum(['abbreviated', 'full']),
  fetchedAt: z.number(),
  etag: z.string().optional(),
  lastModified: z.string().optional(),
  metadata: z.object({
    name: z.string(),
    form: z.enum(['abbreviated', 'full']),
    distTags: record,
    versions: z.record(z.string(), versionSchema),
    modified: z.string().optional(),
    skipped: z.array(z.object({ version: z.string(), reason: z.string() })),
  }),
});

// Past this a string cannot hold the file anyway.
const maxEntryBytes = 512 * 1024 * 1024;

/** The file of an entry: a hash of form and URL, so that no package name reaches the file system. */
export const cacheFile = (dir: string, url: string, form: CacheForm): string =>
  join(dir, `${createHash('sha256').update(`${form} ${url}`).digest('hex').slice(0, 40)}.json`);

// JSON has no undefined: optional fields come back absent, and are made explicit again here.
const revive = (data: z.infer<typeof entrySchema>): CacheEntry => ({
  url: data.url,
  form: data.form,
  fetchedAt: data.fetchedAt,
  etag: data.etag,
  lastModified: data.lastModified,
  metadata: {
    name: data.metadata.name,
    form: data.metadata.form,
    distTags: data.metadata.distTags,
    modified: data.metadata.modified,
    skipped: data.metadata.skipped,
    versions: Object.fromEntries(
      Object.entries(data.metadata.versions).map(([key, v]) => [
        key,
        {
          version: v.version,
          dependencies: v.dependencies,
          optionalDependencies: v.optionalDependencies,
          peerDependencies: v.peerDependencies,
          peerDependenciesMeta: v.peerDependenciesMeta,
          dist: v.dist && {
            tarball: v.dist.tarball,
            integrity: v.dist.integrity,
            shasum: v.dist.shasum,
          },
          deprecated: v.deprecated,
          hasInstallScript: v.hasInstallScript,
          publishedAt: v.publishedAt,
        },
      ]),
    ),
  },
});

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
  const parsed = entrySchema.safeParse(json);
  // The URL check guards against a hash collision as much as against a hand-edited file.
  if (!parsed.success || parsed.data.url !== url || parsed.data.form !== form) return undefined;
  return revive(parsed.data);
};

/** Writes the entry atomically; a failed write is reported by the caller's choice (it throws IO_FAILED). */
export const writeCacheEntry = (dir: string, entry: CacheEntry): void => {
  writeFileAtomic(cacheFile(dir, entry.url, entry.form), JSON.stringify({ format: FORMAT, ...entry }));
};
