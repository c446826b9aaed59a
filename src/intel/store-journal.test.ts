import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importAdvisories } from './import.js';
import { AdvisoryStore } from './store.js';

/**
 * A write killed mid-transaction (Ctrl-C twice during a sync, SIGKILL, power loss) leaves a hot
 * journal. The next read-only open must roll it back and see the store as it was, not fail.
 */
const dir = mkdtempSync(join(tmpdir(), 'patchpilot-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = resolve(import.meta.dirname, '../../examples/vulnerable-app/advisories.osv.json');

describe('a store whose writer was killed mid-transaction', () => {
  it('opens read-only with the last committed contents', async () => {
    const path = join(dir, 'store.db');
    const store = AdvisoryStore.open(path, { readonly: false });
    await importAdvisories(store, [example], { cwd: dir, now: () => new Date('2026-01-01T00:00:00Z') });
    const committed = store.count();
    store.close();
    expect(committed).toBeGreaterThan(0);

    // Another process deletes everything inside a transaction and is killed before it commits.
    const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');
    const killed = spawnSync(
      process.execPath,
      [
        '-e',
        `const Database = require(${JSON.stringify(betterSqlite3)});
         const db = new Database(${JSON.stringify(path)});
         db.exec('PRAGMA cache_size = 1; BEGIN; DELETE FROM affected; DELETE FROM advisories;');
         db.exec('CREATE TABLE filler (x BLOB)');
         const insert = db.prepare('INSERT INTO filler VALUES (randomblob(4096))');
         for (let i = 0; i < 2000; i++) insert.run();
         process.kill(process.pid, 'SIGKILL');`,
      ],
      { encoding: 'utf8' },
    );
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(`${path}-journal`)).toBe(true);

    const reopened = AdvisoryStore.open(path, { readonly: true });
    try {
      expect(reopened.count()).toBe(committed);
    } finally {
      reopened.close();
    }
  });
});
