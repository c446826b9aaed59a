import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CacheEntry, cacheFile, readCacheEntry, readEntry, writeCacheEntry } from './cache.js';

const version = {
  version: '1.0.0',
  dependencies: { a: '^1.0.0' },
  optionalDependencies: {},
  peerDependencies: {},
  peerDependenciesMeta: {},
  dist: { tarball: 'https://r/x/-/x-1.0.0.tgz' },
  hasInstallScript: false,
  nodeEngine: '>=20',
};
const entry = {
  format: 2,
  url: 'https://r/x',
  form: 'abbreviated',
  fetchedAt: 1,
  etag: '"e"',
  metadata: {
    name: 'x',
    form: 'abbreviated',
    distTags: { latest: '1.0.0' },
    versions: { '1.0.0': version },
    skipped: [],
  },
};

describe('cache entries', () => {
  it('reads an entry back, optional fields explicit', () => {
    const read = readEntry(JSON.parse(JSON.stringify(entry)));
    expect(read?.lastModified).toBeUndefined();
    expect(read?.metadata?.versions['1.0.0']).toEqual({
      ...version,
      dist: { tarball: 'https://r/x/-/x-1.0.0.tgz', integrity: undefined, shasum: undefined },
      deprecated: undefined,
      publishedAt: undefined,
    });
  });

  it('counts any other shape as absent', () => {
    const broken = (path: string[], value: unknown): unknown => {
      const copy = JSON.parse(JSON.stringify(entry)) as Record<string, unknown>;
      let at = copy;
      for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
      at[path.at(-1) as string] = value;
      return copy;
    };
    // An entry of the format before `nodeEngine` was kept is fetched again, not read without it.
    expect(readEntry(broken(['format'], 1))).toBeUndefined();
    expect(readEntry(broken(['metadata', 'versions', '1.0.0', 'nodeEngine'], 20))).toBeUndefined();
    expect(readEntry(broken(['fetchedAt'], '1'))).toBeUndefined();
    expect(readEntry(broken(['etag'], null))).toBeUndefined();
    expect(readEntry(broken(['metadata', 'form'], 'other'))).toBeUndefined();
    expect(readEntry(broken(['metadata', 'skipped'], [{ version: 1 }]))).toBeUndefined();
    expect(readEntry(broken(['metadata', 'versions', '1.0.0', 'dependencies'], { a: 1 }))).toBeUndefined();
    expect(
      readEntry(broken(['metadata', 'versions', '1.0.0', 'peerDependenciesMeta'], { p: {} })),
    ).toBeUndefined();
    expect(readEntry(broken(['metadata', 'versions', '1.0.0', 'hasInstallScript'], 'yes'))).toBeUndefined();
    expect(readEntry('[]')).toBeUndefined();
    expect(readEntry(broken(['metadata'], 'none'))).toBeUndefined();
    expect(readEntry({ ...entry, metadata: undefined })).toBeUndefined();
  });

  it('reads a recorded absence (the registry answered 404) as an entry without metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchpilot-cache-'));
    try {
      const absent: CacheEntry = {
        url: 'https://r/missing',
        form: 'abbreviated',
        fetchedAt: 1,
        etag: undefined,
        lastModified: undefined,
        metadata: undefined,
      };
      writeCacheEntry(dir, absent);
      const file = cacheFile(dir, absent.url, absent.form);
      expect(JSON.parse(readFileSync(file, 'utf8')).metadata).toBeNull();
      expect(readCacheEntry(dir, absent.url, absent.form)).toEqual(absent);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps odd keys as plain data', () => {
    const text = JSON.stringify(entry).replace('"a":"^1.0.0"', '"__proto__":"^1.0.0"');
    const read = readEntry(JSON.parse(text));
    const deps = read?.metadata?.versions['1.0.0']?.dependencies ?? {};
    expect(Object.keys(deps)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(deps)).toBe(Object.prototype);
  });
});
