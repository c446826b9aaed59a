import { mkdtempSync, rmSync } from 'node:fs';
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
