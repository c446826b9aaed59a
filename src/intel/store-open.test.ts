import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

import { afterAll, describe, expect, it } from 'vitest';
import { isPatchPilotError } from '../core/errors.js';
import { importAdvisories } from './import.js';
import { AdvisoryStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'patchpilot-store-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = resolve(import.meta.dirname, '../../examples/vulnerable-app/advisories.osv.json');

/** The connection behind a store (a private field: its settings are what this test is about). */
const connection = (store: AdvisoryStore): Database.Database =>
  (store as unknown as { db: Database.Database }).db;

describe('the connections a store opens', () => {
  it('reads a read-only store through a memory map, and writes without one', async () => {
    const path = join(dir, 'store.db');
    const writer = AdvisoryStore.open(path, { readonly: false });
    await importAdvisories(writer, [example], { cwd: dir, now: () => new Date('2026-01-01T00:00:00Z') });
    expect(connection(writer).pragma('mmap_size', { simple: true })).toBe(0);
    writer.close();

    const reader = AdvisoryStore.open(path, { readonly: true });
    try {
      expect(connection(reader).pragma('mmap_size', { simple: true })).toBeGreaterThanOrEqual(
        256 * 1024 * 1024,
      );
      // Reads through the map see what the writer committed.
      expect(reader.advisoriesFor(['lodash']).get('lodash')?.length).toBeGreaterThan(0);
    } finally {
      reader.close();
    }
  });
});

describe('writing a store that does not exist yet', () => {
  const now = () => new Date('2026-01-01T00:00:00Z');
  const count = (path: string): number => {
    const store = AdvisoryStore.open(path, { readonly: true });
    try {
      return store.count();
    } finally {
      store.close();
    }
  };
  const record = (folder: string, id: string, name: string): string => {
    const file = join(folder, `${id}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        id,
        modified: '2025-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'npm', name },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
          },
        ],
      }),
    );
    return file;
  };
  const folderFor = (name: string): string => {
    const folder = join(dir, name);
    mkdirSync(folder);
    return folder;
  };

  it('builds it under another name and puts it in place only when the work succeeded', async () => {
    const folder = folderFor('first');
    const path = join(folder, 'advisories.db');
    const seen: { path: string; placed: boolean; files: string[] }[] = [];
    const result = await AdvisoryStore.write(path, async (store) => {
      seen.push({ path: store.path, placed: existsSync(path), files: readdirSync(folder) });
      return importAdvisories(store, [example], { cwd: dir, now });
    });
    // Messages name the store the user gave; nothing is at that name until the work is done.
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe(path);
    expect(seen[0]?.placed).toBe(false);
    expect(seen[0]?.files).toEqual([expect.stringMatching(/^\.advisories\.db\.new-\d+-[a-z0-9]+$/)]);
    expect(result.added).toBeGreaterThan(0);
    expect(count(path)).toBe(result.added);
    expect(readdirSync(folder)).toEqual(['advisories.db']);
  });

  it('leaves nothing behind when the work fails', async () => {
    const folder = folderFor('failed');
    const path = join(folder, 'advisories.db');
    await expect(
      AdvisoryStore.write(path, async (store) => {
        await importAdvisories(store, [example], { cwd: dir, now });
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readdirSync(folder)).toEqual([]);
  });

  it('never replaces or removes a store another process created meanwhile, and keeps nothing of its own', async () => {
    const folder = folderFor('race');
    const path = join(folder, 'advisories.db');
    const theirs = record(folder, 'GHSA-0000-0000-0001', 'left-pad');
    const ours = record(folder, 'GHSA-0000-0000-0002', 'right-pad');
    let runs = 0;
    const error = await AdvisoryStore.write(path, async (store) => {
      runs++;
      // Another process creates the store and imports into it while this one works.
      await AdvisoryStore.write(path, (other) => importAdvisories(other, [theirs], { cwd: dir, now }));
      return importAdvisories(store, [ours], { cwd: dir, now });
    }).catch((e: unknown) => e);
    expect(isPatchPilotError(error) && error.code).toBe('IO_FAILED');
    expect(error instanceof Error && error.message).toBe(
      `${path}: another process created the store while this import ran; nothing of this import was kept`,
    );
    expect(runs).toBe(1);
    expect(count(path)).toBe(1);
    expect(readdirSync(folder).sort()).toEqual([
      'GHSA-0000-0000-0001.json',
      'GHSA-0000-0000-0002.json',
      'advisories.db',
    ]);
  });

  it('writes through a symlink to a store that does not exist yet, as SQLite does', async () => {
    const folder = folderFor('symlink');
    mkdirSync(join(folder, 'target'));
    const path = join(folder, 'advisories.db');
    symlinkSync(join(folder, 'target', 'real.db'), path);
    const made = await AdvisoryStore.write(path, (store) =>
      importAdvisories(store, [example], { cwd: dir, now }),
    );
    expect(made.added).toBeGreaterThan(0);
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(count(join(folder, 'target', 'real.db'))).toBe(made.added);
    expect(readdirSync(folder).sort()).toEqual(['advisories.db', 'target']);
  });

  it('drops the rollback journal of a store deleted by hand, which would corrupt the new one', async () => {
    const folder = folderFor('orphan-journal');
    const path = join(folder, 'advisories.db');
    // A store killed in the middle of a write, then its file removed by hand.
    const killed = join(folder, 'killed.db');
    // Other records than the new store's, so that playing its journal back would show.
    const others = Array.from({ length: 40 }, (_, i) =>
      record(folder, `GHSA-0000-0000-1${String(i).padStart(3, '0')}`, `other-${i}`),
    );
    await AdvisoryStore.write(killed, (store) => importAdvisories(store, others, { cwd: dir, now }));
    const crash = spawnSync(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3');
         const db = new D(${JSON.stringify(killed)});
         db.exec('BEGIN IMMEDIATE');
         db.exec("UPDATE advisories SET raw = zeroblob(20000)");
         process.kill(process.pid, 'SIGKILL');`,
      ],
      { cwd: resolve(import.meta.dirname, '../..') },
    );
    expect(crash.signal).toBe('SIGKILL');
    expect(existsSync(`${killed}-journal`)).toBe(true);
    renameSync(`${killed}-journal`, `${path}-journal`);
    rmSync(killed);

    const made = await AdvisoryStore.write(path, (store) =>
      importAdvisories(store, [example], { cwd: dir, now }),
    );
    expect(existsSync(`${path}-journal`)).toBe(false);
    const check = new Database(path, { readonly: true });
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      const ids = check.prepare('SELECT id FROM advisories').pluck().all() as string[];
      expect(ids).toHaveLength(made.added);
      expect(ids.some((id) => id.startsWith('GHSA-0000-0000-1'))).toBe(false);
    } finally {
      check.close();
    }
  });

  it("removes what a killed first write left, never a running write's file", async () => {
    const folder = folderFor('stale');
    const path = join(folder, 'advisories.db');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    const files = {
      // A process that is gone, two days ago: removed, with its journal.
      dead: '.advisories.db.new-999999999-dead1',
      deadJournal: '.advisories.db.new-999999999-dead1-journal',
      // A process that runs (this one's parent), two days ago: kept.
      running: `.advisories.db.new-${process.ppid}-running1`,
      // This process's own pid proves nothing (a container's runs may all have the same): removed.
      own: `.advisories.db.new-${process.pid}-own1`,
      // The hard-link probe of a write that was killed: removed.
      probe: '.advisories.db.new-999999999-dead2.link',
      // Another store's: kept.
      other: '.other.db.new-999999999-other1',
    };
    for (const name of Object.values(files)) {
      writeFileSync(join(folder, name), 'left behind');
      utimesSync(join(folder, name), twoDaysAgo, twoDaysAgo);
    }
    // A process that is gone, but today: kept (its owner may be a process of another machine).
    const recent = '.advisories.db.new-999999999-recent1';
    writeFileSync(join(folder, recent), 'being written');
    await AdvisoryStore.write(path, (store) => importAdvisories(store, [example], { cwd: dir, now }));
    expect(readdirSync(folder).sort()).toEqual([recent, files.other, files.running, 'advisories.db'].sort());
  });
});
