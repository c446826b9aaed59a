import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
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

  it('puts the store in place only when the work succeeded, under the name given', async () => {
    const folder = join(dir, 'first');
    mkdirSync(folder);
    const path = join(folder, 'advisories.db');
    const seen: string[] = [];
    const result = await AdvisoryStore.write(path, async (store) => {
      seen.push(store.path);
      return importAdvisories(store, [example], { cwd: dir, now });
    });
    expect(seen).toEqual([path]);
    expect(result.added).toBeGreaterThan(0);
    expect(count(path)).toBe(result.added);
    expect(readdirSync(folder)).toEqual(['advisories.db']);
  });

  it("removes what a killed first write left a day ago, never a parallel write's file", async () => {
    const folder = join(dir, 'stale');
    mkdirSync(folder);
    const path = join(folder, 'advisories.db');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    for (const name of ['.advisories.db.new-1-old', '.advisories.db.new-1-old-journal']) {
      writeFileSync(join(folder, name), 'left by a killed import');
      utimesSync(join(folder, name), twoDaysAgo, twoDaysAgo);
    }
    writeFileSync(join(folder, '.advisories.db.new-2-running'), 'a parallel import');
    writeFileSync(join(folder, '.other.db.new-3-old'), 'another store');
    utimesSync(join(folder, '.other.db.new-3-old'), twoDaysAgo, twoDaysAgo);
    await AdvisoryStore.write(path, (store) => importAdvisories(store, [example], { cwd: dir, now }));
    expect(readdirSync(folder).sort()).toEqual([
      '.advisories.db.new-2-running',
      '.other.db.new-3-old',
      'advisories.db',
    ]);
  });

  it('leaves nothing behind when the work fails', async () => {
    const folder = join(dir, 'failed');
    mkdirSync(folder);
    const path = join(folder, 'advisories.db');
    await expect(
      AdvisoryStore.write(path, async (store) => {
        await importAdvisories(store, [example], { cwd: dir, now });
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readdirSync(folder)).toEqual([]);
  });

  it('never replaces or removes a store another process created meanwhile; the work runs again on it', async () => {
    const folder = join(dir, 'race');
    mkdirSync(folder);
    const path = join(folder, 'advisories.db');
    const theirs = record(folder, 'GHSA-0000-0000-0001', 'left-pad');
    const ours = record(folder, 'GHSA-0000-0000-0002', 'right-pad');
    let runs = 0;
    const result = await AdvisoryStore.write(path, async (store) => {
      runs++;
      if (runs === 1) {
        // Another process creates the store and imports into it while this one works.
        await AdvisoryStore.write(path, (other) => importAdvisories(other, [theirs], { cwd: dir, now }));
      }
      return importAdvisories(store, [ours], { cwd: dir, now });
    });
    expect(runs).toBe(2);
    expect(result.added).toBe(1);
    expect(count(path)).toBe(2);
    expect(readdirSync(folder).sort()).toEqual([
      'GHSA-0000-0000-0001.json',
      'GHSA-0000-0000-0002.json',
      'advisories.db',
    ]);
  });

  it("removes nothing of another process's store when the work fails on it", async () => {
    const folder = join(dir, 'race-failed');
    mkdirSync(folder);
    const path = join(folder, 'advisories.db');
    const theirs = record(folder, 'GHSA-0000-0000-0001', 'left-pad');
    const ours = record(folder, 'GHSA-0000-0000-0002', 'right-pad');
    let runs = 0;
    await expect(
      AdvisoryStore.write(path, async (store) => {
        runs++;
        if (runs > 1) throw new Error('refused');
        await AdvisoryStore.write(path, (other) => importAdvisories(other, [theirs], { cwd: dir, now }));
        return importAdvisories(store, [ours], { cwd: dir, now });
      }),
    ).rejects.toThrow('refused');
    expect(runs).toBe(2);
    expect(count(path)).toBe(1);
    expect(readdirSync(folder).sort()).toEqual([
      'GHSA-0000-0000-0001.json',
      'GHSA-0000-0000-0002.json',
      'advisories.db',
    ]);
  });
});
