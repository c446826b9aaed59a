import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot, runCli, runCliAsync, tempDir } from '../helpers/cli.js';

/**
 * `db import` of a file large enough to be read on a worker thread (4 MiB and up) gives the same
 * store as the same records read on the main thread from small files: same rows, same package
 * index, same report of malformed lines; a large file that breaks off changes nothing. Ctrl-C
 * stops an import at once, even one waiting on its input.
 */
const dir = tempDir();
afterAll(() => dir.remove());

interface OsvRecord {
  id: string;
  [key: string]: unknown;
}

const examples = (
  JSON.parse(readFileSync(join(projectRoot, 'examples/vulnerable-app/advisories.osv.json'), 'utf8')) as {
    vulns: OsvRecord[];
  }
).vulns;

// Random details keep the gzipped file above the threshold too; "é" and "€" make sure that text
// beyond ASCII goes through as it is.
const lines = Array.from({ length: 4000 }, (_, i) => {
  const template = examples[i % examples.length] as OsvRecord;
  return JSON.stringify({
    ...template,
    id: `${template.id}-n${i}`,
    details: `é€ ${randomBytes(1100).toString('base64')}`,
  });
});
lines.splice(1234, 0, '{"id": "broken", "modified": ');
lines.splice(2345, 0, JSON.stringify({ id: 'GHSA-no-modified', affected: [] }));
const text = `${lines.join('\n')}\n`;

const importJson = (db: string, ...files: string[]) => {
  const result = runCli(['db', 'import', ...files, '--db', db, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as {
    read: number;
    added: number;
    unchanged: number;
    skipped: { where: string; id?: string }[];
  };
};

/**
 * better-sqlite3 12 on Node 24 aborts when the garbage collector finalises one of its objects at
 * the wrong moment (see docs/architecture.md), so this file, like the store, keeps every database
 * and statement it makes until the process ends.
 */
const keepAlive: unknown[] = [];
const openStore = (db: string): Database.Database => {
  const sqlite = new Database(db, { readonly: true });
  keepAlive.push(sqlite);
  return sqlite;
};
const query = (sqlite: Database.Database, sql: string): Database.Statement => {
  const statement = sqlite.prepare(sql);
  keepAlive.push(statement);
  return statement;
};

const contents = (db: string) => {
  const sqlite = openStore(db);
  try {
    return {
      advisories: query(
        sqlite,
        'SELECT id, modified, modified_ms, withdrawn, kind, normalised, raw FROM advisories ORDER BY id',
      ).all(),
      affected: query(sqlite, 'SELECT advisory_id, package FROM affected ORDER BY 1, 2').all(),
      types: query(sqlite, 'SELECT DISTINCT typeof(normalised), typeof(raw) FROM advisories').raw().all(),
    };
  } finally {
    sqlite.close();
  }
};

describe('db import of a large file', () => {
  it('stores what importing the same records from small files stores', () => {
    const big = join(dir.path, 'big.jsonl');
    writeFileSync(big, text);
    expect(statSync(big).size).toBeGreaterThan(4 * 1024 * 1024);
    const bigGz = join(dir.path, 'big.jsonl.gz');
    writeFileSync(bigGz, gzipSync(text));
    expect(statSync(bigGz).size).toBeGreaterThan(4 * 1024 * 1024);
    const parts = [0, 1, 2, 3].map((k) => {
      const part = join(dir.path, `part-${k}.jsonl`);
      writeFileSync(part, `${lines.slice(k * 1001, (k + 1) * 1001).join('\n')}\n`);
      expect(statSync(part).size).toBeLessThan(4 * 1024 * 1024);
      return part;
    });

    const whole = importJson(join(dir.path, 'whole.db'), big);
    expect(whole).toMatchObject({ read: 4002, added: 4000, unchanged: 0 });
    expect(whole.skipped.map((s) => [s.where.slice(dir.path.length + 1), s.id])).toEqual([
      ['big.jsonl:1235', undefined],
      ['big.jsonl:2346', 'GHSA-no-modified'],
    ]);
    const wholeGz = importJson(join(dir.path, 'whole-gz.db'), bigGz);
    expect(wholeGz.skipped.map((s) => s.where.slice(dir.path.length + 1))).toEqual([
      'big.jsonl.gz:1235',
      'big.jsonl.gz:2346',
    ]);
    const split = importJson(join(dir.path, 'split.db'), ...parts);
    expect(split).toMatchObject({ read: 4002, added: 4000 });

    const expected = contents(join(dir.path, 'split.db'));
    expect(expected.types).toEqual([['text', 'text']]);
    expect(contents(join(dir.path, 'whole.db'))).toEqual(expected);
    expect(contents(join(dir.path, 'whole-gz.db'))).toEqual(expected);
    const sqlite = openStore(join(dir.path, 'whole-gz.db'));
    const rawOf = query(sqlite, 'SELECT raw FROM advisories WHERE id = ?').pluck();
    for (const line of [lines[0], lines[lines.length - 1]] as string[]) {
      expect(rawOf.get((JSON.parse(line) as OsvRecord).id)).toBe(line);
    }
    sqlite.close();
    expect(importJson(join(dir.path, 'whole.db'), big)).toMatchObject({ added: 0, unchanged: 4000 });
  });

  it('changes nothing when a large file breaks off', () => {
    const gz = gzipSync(text);
    const cut = join(dir.path, 'cut.jsonl.gz');
    writeFileSync(cut, gz.subarray(0, gz.length - 1000));
    const db = join(dir.path, 'cut.db');
    importJson(db, join(dir.path, 'part-0.jsonl'));
    const before = contents(db);
    const result = runCli(['db', 'import', cut, '--db', db]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cut\.jsonl\.gz: cannot read past line \d+: .*\[ADVISORY_INPUT_INVALID\]/);
    expect(contents(db)).toEqual(before);
  });

  it('stops at Ctrl-C while its input stalls: the import rolls back, and a first one leaves no store', async () => {
    // A named pipe that gives 5,120 records (20 batches of 256) and then nothing: the writer keeps
    // it open, so the import waits for a line that never comes. Ctrl-C, sent once the progress
    // line for 5,000 records is out, must end it at once, whenever it arrives.
    const feed = join(dir.path, 'feed.jsonl');
    execFileSync('mkfifo', [feed]);
    const many = Array.from({ length: 5120 }, (_, i) => {
      const template = examples[i % examples.length] as OsvRecord;
      return JSON.stringify({ ...template, id: `${template.id}-c${i}` });
    });
    // Read-write, so that opening does not wait for the reader (Linux).
    const writer = createWriteStream('', { fd: openSync(feed, 'r+') });
    writer.write(`${many.join('\n')}\n`);
    const folder = join(dir.path, 'interrupted');
    mkdirSync(folder);
    const db = join(folder, 'store.db');
    try {
      const result = await runCliAsync(['db', 'import', feed, '--db', db], {
        onSpawn: (child) => {
          let sent = false;
          child.stderr?.on('data', (chunk: Buffer | string) => {
            if (sent || !String(chunk).includes('read 5000 records…')) return;
            sent = true;
            child.kill('SIGINT');
          });
        },
      });
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain(
        'interrupted: the import was rolled back, nothing was imported [INTERRUPTED]',
      );
      expect(readdirSync(folder)).toEqual([]);
    } finally {
      writer.destroy();
    }
  }, 30_000);
});
