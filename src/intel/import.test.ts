import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPatchPilotError } from '../core/errors.js';
import { importAdvisories, untilInterrupted } from './import.js';
import { AdvisoryStore } from './store.js';

const record = (id: string, modified: string, name = 'left-pad', extra: object = {}) => ({
  id,
  modified,
  affected: [
    {
      package: { ecosystem: 'npm', name },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }],
    },
  ],
  ...extra,
});

let dir: string;
let store: AdvisoryStore;
const now = () => new Date('2026-01-01T00:00:00Z');
const write = (name: string, content: string | Uint8Array): string => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
};
const run = (...inputs: string[]) => importAdvisories(store, inputs, { cwd: dir, now });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchpilot-import-'));
  store = AdvisoryStore.open(join(dir, 'store.db'), { readonly: false });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('importAdvisories', () => {
  it('reads a single record, a {vulns} document, a folder tree, .jsonl, .jsonl.gz and .zip', async () => {
    const single = write('one.json', JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z')));
    const vulns = write('api.json', JSON.stringify({ vulns: [record('GHSA-0002', '2024-01-01T00:00:00Z')] }));
    write(
      'tree/advisories/github-reviewed/2024/01/GHSA-0003/GHSA-0003.json',
      JSON.stringify(record('GHSA-0003', '2024-01-01T00:00:00Z')),
    );
    write(
      'tree/advisories/unreviewed/GHSA-0004.json',
      JSON.stringify(record('GHSA-0004', '2024-01-01T00:00:00Z')),
    );
    write('tree/README.md', 'not a record');
    const jsonl = write('feed.jsonl', `${JSON.stringify(record('GHSA-0005', '2024-01-01T00:00:00Z'))}\n\n`);
    const gz = write(
      'feed.jsonl.gz',
      gzipSync(`${JSON.stringify(record('GHSA-0006', '2024-01-01T00:00:00Z'))}\n`),
    );
    const zip = write(
      'all.zip',
      zipSync({
        'MAL-2024-1.json': new TextEncoder().encode(
          JSON.stringify(record('MAL-2024-1', '2024-01-01T00:00:00Z', 'evil')),
        ),
        'GHSA-0007.json': new TextEncoder().encode(
          JSON.stringify(record('GHSA-0007', '2024-01-01T00:00:00Z')),
        ),
      }),
    );
    const result = await run(single, vulns, join(dir, 'tree'), jsonl, gz, zip);
    expect(result).toMatchObject({ read: 8, added: 8, updated: 0, unchanged: 0, skipped: [] });
    const status = store.status();
    expect(status).toMatchObject({
      advisories: 8,
      malicious: 1,
      withdrawn: 0,
      packages: 2,
      newestModified: '2024-01-01T00:00:00Z',
    });
    expect(status.sources.map((s) => [s.name.slice(dir.length + 1), s.records])).toEqual([
      ['all.zip', 2],
      ['api.json', 1],
      ['feed.jsonl', 1],
      ['feed.jsonl.gz', 1],
      ['one.json', 1],
      ['tree', 2],
    ]);
    expect([...store.advisoriesFor(['left-pad', 'evil', 'nothing']).keys()].sort()).toEqual([
      'evil',
      'left-pad',
    ]);
  });

  it('refuses a named JSON file that does not parse, but skips one inside a tree', async () => {
    const good = write('good.json', JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z')));
    const cut = write('cut.json', '{"vulns": [{"id": "GHSA-0002"');
    const error = await run(good, cut).catch((e: unknown) => e);
    expect(isPatchPilotError(error) && error.code).toBe('ADVISORY_INPUT_INVALID');
    expect(store.count()).toBe(0);
    write('tree/a/GHSA-0003.JSON', JSON.stringify(record('GHSA-0003', '2024-01-01T00:00:00Z')));
    write('tree/b/broken.json', '{');
    const result = await run(join(dir, 'tree'));
    expect(result.added).toBe(1);
    expect(result.skipped.map((s) => s.where.slice(dir.length + 1))).toEqual(['tree/b/broken.json']);
  });

  it('reads the empty answer of the OSV API as no records', async () => {
    const empty = write('none.json', '{}');
    const good = write('good.json', JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z')));
    expect(await run(empty, good)).toMatchObject({ read: 1, added: 1, skipped: [] });
    // Alone, it holds nothing to import.
    await expect(run(empty)).rejects.toThrow(`nothing to import: ${empty} holds no records`);
  });

  it('is idempotent and replaces a record only by a newer modified', async () => {
    const v1 = write('v1.json', JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z', 'a')));
    const v2 = write('v2.json', JSON.stringify(record('GHSA-0001', '2024-06-01T00:00:00.5Z', 'b')));
    const old = write('old.json', JSON.stringify(record('GHSA-0001', '2023-01-01T00:00:00Z', 'c')));
    expect(await run(v1)).toMatchObject({ added: 1 });
    expect(await run(v1)).toMatchObject({ added: 0, unchanged: 1 });
    expect(await run(v2)).toMatchObject({ updated: 1 });
    expect(await run(old)).toMatchObject({ unchanged: 1 });
    expect([...store.advisoriesFor(['a', 'b', 'c']).keys()]).toEqual(['b']);
  });

  it('tells apart times in the same millisecond by their further digits, in either order', async () => {
    const early = write(
      'early.json',
      JSON.stringify(record('GHSA-0002', '2024-06-01T00:00:15.693100Z', 'early')),
    );
    const late = write('late.json', JSON.stringify(record('GHSA-0002', '2024-06-01T00:00:15.6939Z', 'late')));
    expect(await run(early)).toMatchObject({ added: 1 });
    expect(await run(late)).toMatchObject({ updated: 1 });
    expect(await run(early)).toMatchObject({ unchanged: 1 });
    expect(await run(late)).toMatchObject({ unchanged: 1 });
    expect([...store.advisoriesFor(['early', 'late']).keys()]).toEqual(['late']);
  });

  it('reports malformed records with line or id and skips them', async () => {
    const feed = write(
      'feed.jsonl',
      [
        JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z')),
        '{"id": "GHSA-0002", "modified": ',
        JSON.stringify({ id: 'GHSA-0003', affected: [] }),
        JSON.stringify(record('GHSA-0004', '2024-01-01T00:00:00Z')),
      ].join('\n'),
    );
    const result = await run(feed);
    expect(result.added).toBe(2);
    expect(result.skipped.map((s) => [s.where.slice(dir.length + 1), s.id])).toEqual([
      ['feed.jsonl:2', undefined],
      ['feed.jsonl:3', 'GHSA-0003'],
    ]);
    expect(result.skipped[1]?.reason).toContain('modified');
  });

  it('refuses an import in which not one record is OSV, reporting each, and writes nothing', async () => {
    const nsp = (name: string) => JSON.stringify({ id: 1, module_name: name, vulnerable_versions: '<1.0.0' });
    const wrong = write('nsp.jsonl', [nsp('a'), nsp('b')].join('\n'));
    const seen: string[] = [];
    const error = await importAdvisories(store, [wrong], {
      cwd: dir,
      now,
      onSkipped: (problem) => seen.push(problem.where.slice(dir.length + 1)),
    }).catch((e: unknown) => e);
    expect(isPatchPilotError(error) && error.code).toBe('ADVISORY_INPUT_INVALID');
    expect((error as Error).message).toBe(
      'nothing to import: none of the 2 records read is an OSV record (each is reported as skipped)',
    );
    expect(seen).toEqual(['nsp.jsonl:1', 'nsp.jsonl:2']);
    expect(store.count()).toBe(0);
    expect(store.status().sources).toEqual([]);
    // Beside a file that holds records, the same file's records are only skipped.
    const good = write('good.json', JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z')));
    expect(await run(good, wrong)).toMatchObject({ added: 1, read: 3 });
    // A broken OSV record alone is skipped and reported, not refused: it is the right kind of file.
    const broken = write('broken.json', JSON.stringify({ id: 'GHSA-0009', affected: [] }));
    expect(await run(broken)).toMatchObject({ read: 1, added: 0, skipped: [{ id: 'GHSA-0009' }] });
    const one = write('one-nsp.json', nsp('c'));
    await expect(run(one)).rejects.toThrow('nothing to import: the record read is not an OSV record');
    // Any other file that holds no OSV record at all: a package.json, lines of other objects.
    const manifest = write('package.json', JSON.stringify({ name: 'x', version: '1.0.0' }));
    const refused = await run(manifest).catch((e: unknown) => e);
    expect(isPatchPilotError(refused) && refused.code).toBe('ADVISORY_INPUT_INVALID');
    expect((refused as { hint?: string }).hint).toContain(
      'the first one: not an OSV record: no id and no modified (keys name, version)',
    );
    const lines = write('other.jsonl', ['{"name":"x"}', '{}', '[1]', '"text"', '{"broken'].join('\n'));
    await expect(run(lines)).rejects.toThrow('none of the 5 records read is an OSV record');
    expect(store.count()).toBe(1);
  });

  it('refuses an import whose inputs hold no records at all, and writes nothing', async () => {
    const empty = write('empty.jsonl', '');
    const blank = write('blank.jsonl', '\n  \n\n');
    const gz = write('empty.jsonl.gz', gzipSync(''));
    const none = write('none.json', JSON.stringify({ vulns: [] }));
    mkdirSync(join(dir, 'folder'));
    write('folder/README.md', 'not a record');
    for (const input of [empty, blank, gz, none, join(dir, 'folder')]) {
      const error = await run(input).catch((e: unknown) => e);
      expect(isPatchPilotError(error) && error.code, input).toBe('ADVISORY_INPUT_INVALID');
      expect((error as Error).message).toBe(`nothing to import: ${input} holds no records`);
      expect((error as { hint?: string }).hint).toContain('nothing was written');
    }
    await expect(run(empty, blank)).rejects.toThrow(
      'nothing to import: none of the 2 inputs holds any records',
    );
    expect(store.count()).toBe(0);
    expect(store.status().sources).toEqual([]);
    // Beside an input that holds records, an empty one is no reason to refuse.
    const good = write('good.json', JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z')));
    expect(await run(empty, good)).toMatchObject({ read: 1, added: 1 });
    // Records that are all stored already are records: the import is only idempotent.
    expect(await run(good)).toMatchObject({ read: 1, unchanged: 1 });
  });

  it('keeps withdrawn records out of matching but counts them', async () => {
    const file = write(
      'w.json',
      JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z', 'a', { withdrawn: '2024-02-01T00:00:00Z' })),
    );
    await run(file);
    expect(store.status().withdrawn).toBe(1);
    expect(store.advisoriesFor(['a']).size).toBe(0);
  });

  it('never half-applies: a missing input or a truncated archive rolls everything back', async () => {
    const good = write('good.json', JSON.stringify(record('GHSA-0001', '2024-01-01T00:00:00Z')));
    const error = await run(good, join(dir, 'missing.json')).catch((e: unknown) => e);
    expect(isPatchPilotError(error) && error.code).toBe('ADVISORY_INPUT_NOT_FOUND');
    expect(store.count()).toBe(0);

    const zip = zipSync({
      'a.json': new TextEncoder().encode(JSON.stringify(record('GHSA-0002', '2024-01-01T00:00:00Z'))),
    });
    const truncated = write('cut.zip', zip.slice(0, zip.length - 30));
    const zipError = await run(good, truncated).catch((e: unknown) => e);
    expect(isPatchPilotError(zipError) && zipError.code).toBe('ADVISORY_INPUT_INVALID');
    expect(zipError instanceof Error && zipError.message).toContain('cut.zip');
    expect(store.count()).toBe(0);

    const gz = gzipSync(`${JSON.stringify(record('GHSA-0003', '2024-01-01T00:00:00Z'))}\n`.repeat(50));
    const cutGz = write('cut.jsonl.gz', gz.slice(0, gz.length - 10));
    const gzError = await run(good, cutGz).catch((e: unknown) => e);
    expect(isPatchPilotError(gzError) && gzError.code).toBe('ADVISORY_INPUT_INVALID');
    expect(store.count()).toBe(0);
  });

  /** Imports `lines` as one .jsonl file; Ctrl-C arrives as its malformed line is reported. */
  const importInterrupted = (name: string, lines: readonly string[]): Promise<unknown> => {
    const interrupt = new AbortController();
    return importAdvisories(store, [write(name, `${lines.join('\n')}\n`)], {
      cwd: dir,
      now,
      onSkipped: () => interrupt.abort(new Error('interrupted (SIGINT)')),
      signal: interrupt.signal,
    }).catch((e: unknown) => e);
  };
  const recordLine = (id: string): string => JSON.stringify(record(id, '2024-01-01T00:00:00Z'));

  it('stops when interrupted (Ctrl-C) and rolls the whole import back', async () => {
    await run(write('first.json', recordLine('GHSA-0001')));
    // Ten records, the malformed line, ten more.
    const lines = Array.from({ length: 20 }, (_, i) => recordLine(`GHSA-1${String(i).padStart(3, '0')}`));
    lines.splice(10, 0, '{"id": "GHSA-broken"}');
    const stopped = await importInterrupted('many.jsonl', lines);
    expect(isPatchPilotError(stopped) && stopped.code).toBe('INTERRUPTED');
    expect(stopped instanceof Error && stopped.message).toBe(
      'interrupted: the import was rolled back, nothing was imported',
    );
    // The ten records read before it are not in the store either.
    expect(store.count()).toBe(1);
    expect(
      store
        .advisoriesFor(['left-pad'])
        .get('left-pad')
        ?.map((a) => a.id),
    ).toEqual(['GHSA-0001']);
  });

  it('rolls back a Ctrl-C that comes after the last record, before the commit', async () => {
    const stopped = await importInterrupted('last.jsonl', [
      recordLine('GHSA-2001'),
      recordLine('GHSA-2002'),
      '{"id": "GHSA-broken-last"}',
    ]);
    expect(isPatchPilotError(stopped) && stopped.code).toBe('INTERRUPTED');
    expect(store.count()).toBe(0);
  });
});

const keepAlive: unknown[] = [];

describe('untilInterrupted', () => {
  it('throws at once when interrupted while the next batch never comes, and closes the source', async () => {
    const interrupt = new AbortController();
    let closed = false;
    async function* stalls(): AsyncGenerator<number> {
      yield 1;
      await new Promise(() => undefined);
    }
    async function* finishes(): AsyncGenerator<number> {
      try {
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    setTimeout(() => interrupt.abort(new Error('interrupted (SIGINT)')), 20);
    const stopped = await (async () => {
      for await (const item of untilInterrupted(stalls(), interrupt.signal)) seen.push(item);
    })().catch((e: unknown) => e);
    expect(isPatchPilotError(stopped) && stopped.code).toBe('INTERRUPTED');
    expect(seen).toEqual([1]);

    // A caller that stops early closes the source before going on (a worker thread ends).
    for await (const item of untilInterrupted(finishes(), new AbortController().signal)) {
      expect(item).toBe(1);
      break;
    }
    expect(closed).toBe(true);
  });
});

describe('AdvisoryStore.count', () => {
  const reader = (): AdvisoryStore => AdvisoryStore.open(join(dir, 'store.db'), { readonly: true });

  it('reads the count recorded by the import, and counts rows when another writer added records', async () => {
    await run(
      write(
        'feed.jsonl',
        ['GHSA-0001', 'GHSA-0002', 'GHSA-0003']
          .map((id) => JSON.stringify(record(id, '2024-01-01T00:00:00Z')))
          .join('\n'),
      ),
    );
    store.close();
    // Kept until the process ends: better-sqlite3 12 on Node 24 must not finalise them early.
    const raw = new Database(join(dir, 'store.db'));
    const totals = raw.prepare('SELECT name, value FROM totals');
    const insert = raw.prepare(
      `INSERT INTO advisories (id, modified, modified_ms, kind, source, imported_at, normalised, raw)
       VALUES ('GHSA-0004', 'x', 0, 'vulnerability', 's', 'x', '{}', '{}')`,
    );
    keepAlive.push(raw, totals, insert);
    expect(totals.all()).toEqual([{ name: 'advisories', value: 3 }]);
    let opened = reader();
    expect(opened.count()).toBe(3);
    opened.close();
    // An older PatchPilot adds a record without knowing the totals table.
    insert.run();
    raw.close();
    opened = reader();
    expect(opened.count()).toBe(4);
    opened.close();
    store = AdvisoryStore.open(join(dir, 'store.db'), { readonly: false });
    // Nothing newer: nothing written, the recorded count stays as it was.
    expect(await run(join(dir, 'feed.jsonl'))).toMatchObject({ unchanged: 3 });
    expect(store.count()).toBe(4);
    await run(write('more.json', JSON.stringify(record('GHSA-0005', '2024-01-01T00:00:00Z'))));
    expect(store.count()).toBe(5);
  });

  it('lists a record under each package it names, once, and moves it when an update renames them', async () => {
    const twoPackages = (modified: string, names: string[]) =>
      JSON.stringify({
        ...record('GHSA-0001', modified),
        affected: names.map((name) => ({ package: { ecosystem: 'npm', name }, versions: ['1.0.0'] })),
      });
    await run(write('v1.json', twoPackages('2024-01-01T00:00:00Z', ['a', 'b', 'a'])));
    const first = store.advisoriesFor(['a', 'b', 'c']);
    expect([...first.keys()].sort()).toEqual(['a', 'b']);
    expect(first.get('a')?.length).toBe(1);
    await run(write('v2.json', twoPackages('2024-02-01T00:00:00Z', ['c'])));
    expect([...store.advisoriesFor(['a', 'b', 'c']).keys()]).toEqual(['c']);
    expect(store.count()).toBe(1);
  });
});

describe('AdvisoryStore.open', () => {
  it('refuses a store written by a newer PatchPilot, for reading and for writing', () => {
    store.close();
    const path = join(dir, 'store.db');
    const raw = new Database(path);
    raw.pragma('user_version = 2');
    raw.close();
    for (const readonly of [true, false]) {
      const error = (() => {
        try {
          AdvisoryStore.open(path, { readonly });
        } catch (e) {
          return e;
        }
      })();
      expect(isPatchPilotError(error) && error.message).toBe(
        `${path}: store schema 2 is newer than this PatchPilot`,
      );
    }
    store = AdvisoryStore.open(join(dir, 'other.db'), { readonly: false });
  });

  it('reports a missing store as empty and a foreign file as unreadable', () => {
    const missing = (() => {
      try {
        AdvisoryStore.open(join(dir, 'nope.db'), { readonly: true });
      } catch (e) {
        return e;
      }
    })();
    expect(isPatchPilotError(missing) && missing.code).toBe('DB_EMPTY');
    const junk = write('junk.db', 'this is not sqlite at all, not even close'.repeat(50));
    const unreadable = (() => {
      try {
        AdvisoryStore.open(junk, { readonly: true });
      } catch (e) {
        return e;
      }
    })();
    expect(isPatchPilotError(unreadable) && unreadable.code).toBe('DB_UNREADABLE');
  });
});
