import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

/**
 * better-sqlite3's constructor. The package is CommonJS: required, it loads about 5 ms sooner
 * than through an ES module import, which first scans its sources for the names they export.
 */
export const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

/**
 * better-sqlite3 12 on Node 24 aborts the process when the garbage collector finalises one of its
 * Database or Statement objects at a moment without a current Node environment (Node 24 changed
 * `node::ObjectWrap`; better-sqlite3 13 fixes it but no longer runs on Node 20). PatchPilot
 * therefore never lets those objects become garbage: each is kept for the life of the process.
 * A run creates a few dozen at most, and statements are cached per SQL text. Every SQLite file
 * PatchPilot opens (the advisory store, the ledger) goes through here.
 */
const keepAlive: unknown[] = [];

const cachedStatements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** Keeps a database (or anything of better-sqlite3's) from ever being collected. */
export const keepForever = (value: unknown): void => {
  keepAlive.push(value);
};

/** The statement for `sql` on `db`, prepared once and kept. */
export const prepare = (db: Database.Database, sql: string): Database.Statement => {
  let cache = cachedStatements.get(db);
  if (!cache) {
    cache = new Map();
    cachedStatements.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
    keepAlive.push(statement);
  }
  return statement;
};
