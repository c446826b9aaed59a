import { closeSync, linkSync, lstatSync, openSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import type { Advisory } from '../core/advisory.js';
import { compareTimestamps } from '../core/date.js';
import { PatchPilotError } from '../core/errors.js';
import { message, processRunning, statOrUndefined } from '../util/fs.js';
import { BetterSqlite3, keepForever, prepare } from '../util/sqlite.js';
import { type AdvisoryRow, advisoryRow } from './row.js';

/**
 * The advisory store: one SQLite file holding normalised OSV records, the raw record beside each,
 * and an index from package name to the records that name it. Long-lived state, hence a class.
 */
const SCHEMA_VERSION = 1;
/** SQLite's application_id marks the file as PatchPilot's ("PPAS"). */
const APPLICATION_ID = 0x50504153;
/** Page cache of a connection that writes, in KiB (SQLite's default is 2,000). */
const IMPORT_CACHE_KIB = 64 * 1024;
const NEW_STORE_PAGE_SIZE = 8_192;
/** Upper bound of the memory map of a read-only connection (address space, not memory used). */
const READ_MMAP_BYTES = 1024 * 1024 * 1024;

const schema = `
CREATE TABLE IF NOT EXISTS advisories (
  id TEXT PRIMARY KEY,
  modified TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  withdrawn TEXT,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  normalised TEXT NOT NULL,
  raw TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS affected (
  advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
  package TEXT NOT NULL,
  PRIMARY KEY (package, advisory_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_advisory ON affected(advisory_id);
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY,
  last_imported_at TEXT NOT NULL,
  records INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS syncs (
  name TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  synced_at TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  etag TEXT,
  last_modified TEXT,
  records INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS epss (
  cve TEXT PRIMARY KEY,
  score REAL NOT NULL,
  percentile REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kev (
  cve TEXT PRIMARY KEY,
  date_added TEXT NOT NULL,
  due_date TEXT NOT NULL,
  ransomware TEXT NOT NULL,
  name TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS totals (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL,
  max_rowid INTEGER
);
CREATE TABLE IF NOT EXISTS signals (
  name TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  date TEXT,
  version TEXT,
  records INTEGER NOT NULL
);
`;

export interface StoreStatus {
  readonly path: string;
  readonly advisories: number;
  readonly withdrawn: number;
  readonly malicious: number;
  readonly packages: number;
  readonly newestModified: string | undefined;
  readonly sources: readonly { name: string; lastImportedAt: string; records: number }[];
  readonly syncs: readonly SyncRecord[];
  readonly signals: readonly SignalRecord[];
}

/**
 * One imported exploitation snapshot (`epss` or `kev`): where it came from, its own date (EPSS
 * score date, KEV dateReleased) and version (EPSS model, KEV catalogVersion), how many CVEs.
 * The epss, kev and signals tables were added without a schema bump: a write open creates them,
 * older stores read as having none.
 */
export interface SignalRecord {
  readonly name: SignalName;
  readonly source: string;
  readonly importedAt: string;
  readonly date: string | undefined;
  readonly version: string | undefined;
  readonly records: number;
}

export type SignalName = 'epss' | 'kev';

export interface StoredEpss {
  readonly cve: string;
  readonly score: number;
  readonly percentile: number;
}

export interface StoredKev {
  readonly cve: string;
  readonly dateAdded: string;
  readonly dueDate: string;
  readonly ransomware: string;
  readonly name: string;
}

/**
 * The last successful `db sync` of one remote source. `syncedAt` is when the store was last
 * confirmed current (an unchanged export counts), `changedAt` when an export was last imported.
 * The table was added without a schema bump: a write open creates it, older stores read as none.
 */
export interface SyncRecord {
  readonly name: string;
  readonly url: string;
  readonly syncedAt: string;
  readonly changedAt: string;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  readonly records: number;
}

export type UpsertOutcome = 'added' | 'updated' | 'unchanged';

/** Reads a numeric pragma without better-sqlite3's `pragma()`, which prepares a new statement each call. */
const pragmaNumber = (db: Database.Database, name: 'application_id' | 'user_version'): number =>
  prepare(db, `PRAGMA ${name}`).pluck().get() as number;

/**
 * A write interrupted by a kill (Ctrl-C in the middle of a sync, power loss) leaves a hot journal
 * that only a connection allowed to write can roll back; a read-only open would fail with
 * "attempt to write a readonly database". SQLite rolls it back on the first read of a writable
 * connection. If that is not possible (a read-only folder), the read-only open reports it.
 */
const rollBackHotJournal = (path: string): void => {
  try {
    const db = new BetterSqlite3(path, { fileMustExist: true });
    keepForever(db);
    prepare(db, 'SELECT count(*) FROM sqlite_master').get();
    db.close();
  } catch {
    // Left to the read-only open to report.
  }
};

export class AdvisoryStore {
  readonly path: string;
  private readonly db: Database.Database;
  /** Tables added after schema 1 that a read-only open of an older store may lack. */
  private readonly tables = new Map<string, boolean>();
  /** Whether the open transaction added or replaced advisories, so `totals` must be brought up to date. */
  private advisoriesWritten = false;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
  }

  /**
   * Opens the store. Read-only opens never create the file: a missing store is `DB_EMPTY`. A file
   * that is not a PatchPilot store (another SQLite database, a newer schema, not SQLite at all) is
   * `DB_UNREADABLE`, and a write open never adds PatchPilot's tables to someone else's database.
   */
  static open(path: string, options: { readonly: boolean; shownAs?: string }): AdvisoryStore {
    // The name messages give: a store being built under a temporary name is the user's store.
    const shown = options.shownAs ?? path;
    const stat = statOrUndefined(path);
    if (!stat && options.readonly) throw emptyStore(shown, 'does not exist yet');
    if (stat && !stat.isFile()) throw unreadable(shown, new Error('not a file'));
    if (options.readonly && (statOrUndefined(`${path}-journal`)?.size ?? 0) > 0) rollBackHotJournal(path);
    let db: Database.Database;
    try {
      db = new BetterSqlite3(path, { readonly: options.readonly, fileMustExist: options.readonly });
      keepForever(db);
    } catch (cause) {
      throw unreadable(shown, cause);
    }
    try {
      const application = pragmaNumber(db, 'application_id');
      const version = pragmaNumber(db, 'user_version');
      const tables = prepare(db, "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
        n: number;
      };
      if (application !== APPLICATION_ID && tables.n > 0) {
        throw unreadable(shown, new Error('this SQLite database is not a PatchPilot advisory store'));
      }
      if (version > SCHEMA_VERSION) {
        throw new PatchPilotError(
          'DB_UNREADABLE',
          `${shown}: store schema ${version} is newer than this PatchPilot`,
          {
            hint: 'upgrade PatchPilot or point --db at another file',
          },
        );
      }
      if (options.readonly) {
        if (tables.n === 0) throw emptyStore(shown);
        // A scan reads a few hundred records scattered over the file: read through a memory map,
        // each page costs a page fault instead of a read call, which more than halves the time of
        // that first query. Only read-only connections map the file; SQLite maps pages as used.
        db.exec(`PRAGMA mmap_size = ${READ_MMAP_BYTES}`);
      } else {
        // Records of 1 to 3 KB fill 4 KiB pages badly and often spill into overflow pages: with
        // 8 KiB pages a store of 300,000 records is about 10 % smaller and imports no slower,
        // and the package lookups of a scan stay as fast (16 KiB pages slowed them down). Only a
        // store without tables takes it; an existing store keeps its page size.
        if (tables.n === 0) db.exec(`PRAGMA page_size = ${NEW_STORE_PAGE_SIZE}`);
        db.exec('PRAGMA foreign_keys = ON');
        // A bulk import touches the id, package and advisory indexes at random places: with
        // SQLite's default 2 MiB page cache most of those writes would evict and re-read pages.
        // Memory is taken only as pages are used.
        db.exec(`PRAGMA cache_size = -${IMPORT_CACHE_KIB}`);
        // CREATE … IF NOT EXISTS writes nothing when the tables are there; the pragmas write the
        // header, so they are set only when they differ: opening a store to write and then
        // writing nothing leaves the file byte for byte as it was.
        db.exec(schema);
        if (application !== APPLICATION_ID || version !== SCHEMA_VERSION) {
          db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION}`);
        }
      }
    } catch (cause) {
      db.close();
      if (cause instanceof PatchPilotError) throw cause;
      throw sqliteError(shown, cause);
    }
    return new AdvisoryStore(shown, db);
  }

  /**
   * Opens the store at `path` to write, runs `work` and closes the store.
   *
   * When there is no store at `path` yet, the new one is built under a temporary name beside it
   * and hard-linked into place once `work` has succeeded (a link never replaces a file): a failed
   * or interrupted first import leaves nothing behind, a reader never meets a store still being
   * made, and a store another process created meanwhile is neither replaced nor removed (this
   * write then fails, and nothing of it is kept). Where the file system has no hard links, the new
   * store is built in place, as an existing one is written, and a failed first write leaves it
   * empty.
   */
  static async write<T>(path: string, work: (store: AdvisoryStore) => Promise<T>): Promise<T> {
    // lstat: a symlink, even one that points nowhere yet, is the user's choice of file, written
    // through in place as SQLite follows it.
    const fresh = lstatOrUndefined(path) === undefined ? reserveNewStore(path) : undefined;
    if (fresh === undefined) {
      const store = AdvisoryStore.open(path, { readonly: false });
      try {
        return await work(store);
      } finally {
        store.close();
      }
    }
    // process.exit (a second Ctrl-C) skips the finally below.
    const onExit = (): void => removeQuietly(fresh);
    process.once('exit', onExit);
    try {
      const store = AdvisoryStore.open(fresh, { readonly: false, shownAs: path });
      let result: T;
      try {
        result = await work(store);
      } finally {
        store.close();
      }
      placeNewStore(fresh, path);
      return result;
    } finally {
      process.removeListener('exit', onExit);
      removeQuietly(fresh);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs `work` in one transaction: either every record lands or none does. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.advisoriesWritten = false;
      const result = await work();
      if (this.advisoriesWritten) this.recordTotals();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      // SQLite may already have rolled back (a full disk, an I/O error); never hide the cause.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      if (error instanceof PatchPilotError) throw error;
      throw sqliteError(this.path, error);
    }
  }

  /** Adds or replaces one record; a stored record is replaced only by one with a newer `modified`. */
  upsert(advisory: Advisory, raw: string, source: string, importedAt: string): UpsertOutcome {
    return this.upsertRow(advisoryRow(advisory, raw), source, importedAt);
  }

  /**
   * `upsert` of a record already turned into its row. Its texts are bound as bytes and cast to
   * TEXT in SQL, which takes them as the UTF-8 they are: the column holds text, as it would from
   * a string.
   */
  upsertRow(row: AdvisoryRow, source: string, importedAt: string): UpsertOutcome {
    const existing = prepare(this.db, 'SELECT modified_ms, modified FROM advisories WHERE id = ?').get(
      row.id,
    ) as { modified_ms: number; modified: string } | undefined;
    // Within one millisecond, the further digits of the fraction decide (OSV writes microseconds).
    if (
      existing !== undefined &&
      (existing.modified_ms > row.modifiedMs ||
        (existing.modified_ms === row.modifiedMs && compareTimestamps(existing.modified, row.modified) >= 0))
    )
      return 'unchanged';
    this.advisoriesWritten = true;
    const values = [
      row.modified,
      row.modifiedMs,
      row.withdrawn,
      row.kind,
      source,
      importedAt,
      row.normalised,
      row.raw,
      row.id,
    ];
    if (existing === undefined) {
      prepare(
        this.db,
        `INSERT INTO advisories (modified, modified_ms, withdrawn, kind, source, imported_at, normalised, raw, id)
         VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TEXT), CAST(? AS TEXT), ?)`,
      ).run(values);
    } else {
      prepare(
        this.db,
        `UPDATE advisories SET modified = ?, modified_ms = ?, withdrawn = ?, kind = ?, source = ?,
           imported_at = ?, normalised = CAST(? AS TEXT), raw = CAST(? AS TEXT)
         WHERE id = ?`,
      ).run(values);
      prepare(this.db, 'DELETE FROM affected WHERE advisory_id = ?').run(row.id);
    }
    const add = prepare(this.db, 'INSERT OR IGNORE INTO affected (advisory_id, package) VALUES (?, ?)');
    for (const name of row.packages) add.run(row.id, name);
    return existing === undefined ? 'added' : 'updated';
  }

  recordSource(name: string, importedAt: string, records: number): void {
    prepare(
      this.db,
      `INSERT INTO sources (name, last_imported_at, records) VALUES (?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET last_imported_at = excluded.last_imported_at, records = excluded.records`,
    ).run(name, importedAt, records);
  }

  recordSync(sync: SyncRecord): void {
    prepare(
      this.db,
      `INSERT INTO syncs (name, url, synced_at, changed_at, etag, last_modified, records)
         VALUES (@name, @url, @syncedAt, @changedAt, @etag, @lastModified, @records)
         ON CONFLICT(name) DO UPDATE SET url = excluded.url, synced_at = excluded.synced_at,
           changed_at = excluded.changed_at, etag = excluded.etag, last_modified = excluded.last_modified,
           records = excluded.records`,
    ).run({ ...sync, etag: sync.etag ?? null, lastModified: sync.lastModified ?? null });
  }

  /** Every recorded sync; none for a store written before syncs were recorded. */
  syncs(): SyncRecord[] {
    if (!this.hasTable('syncs')) return [];
    const rows = prepare(
      this.db,
      `SELECT name, url, synced_at AS syncedAt, changed_at AS changedAt, etag, last_modified AS lastModified, records
         FROM syncs ORDER BY name`,
    ).all() as (Omit<SyncRecord, 'etag' | 'lastModified'> & {
      etag: string | null;
      lastModified: string | null;
    })[];
    return rows.map((row) => ({
      ...row,
      etag: row.etag ?? undefined,
      lastModified: row.lastModified ?? undefined,
    }));
  }

  private hasTable(name: string): boolean {
    let has = this.tables.get(name);
    if (has === undefined) {
      has =
        (
          prepare(this.db, "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?").get(
            name,
          ) as { n: number }
        ).n > 0;
      this.tables.set(name, has);
    }
    return has;
  }

  /** Replaces the whole EPSS snapshot, inside the caller's transaction. */
  replaceEpss(rows: readonly StoredEpss[]): void {
    prepare(this.db, 'DELETE FROM epss').run();
    const add = prepare(this.db, 'INSERT INTO epss (cve, score, percentile) VALUES (?, ?, ?)');
    for (const row of rows) add.run(row.cve, row.score, row.percentile);
  }

  /** Replaces the whole KEV catalog, inside the caller's transaction. */
  replaceKev(rows: readonly StoredKev[]): void {
    prepare(this.db, 'DELETE FROM kev').run();
    const add = prepare(
      this.db,
      'INSERT INTO kev (cve, date_added, due_date, ransomware, name) VALUES (?, ?, ?, ?, ?)',
    );
    for (const row of rows) add.run(row.cve, row.dateAdded, row.dueDate, row.ransomware, row.name);
  }

  recordSignal(signal: SignalRecord): void {
    prepare(
      this.db,
      `INSERT INTO signals (name, source, imported_at, date, version, records)
         VALUES (@name, @source, @importedAt, @date, @version, @records)
         ON CONFLICT(name) DO UPDATE SET source = excluded.source, imported_at = excluded.imported_at,
           date = excluded.date, version = excluded.version, records = excluded.records`,
    ).run({ ...signal, date: signal.date ?? null, version: signal.version ?? null });
  }

  /** Every imported snapshot; none for a store written before signals were recorded. */
  signals(): SignalRecord[] {
    if (!this.hasTable('signals')) return [];
    const rows = prepare(
      this.db,
      `SELECT name, source, imported_at AS importedAt, date, version, records FROM signals ORDER BY name`,
    ).all() as (Omit<SignalRecord, 'date' | 'version'> & { date: string | null; version: string | null })[];
    return rows.map((row) => ({ ...row, date: row.date ?? undefined, version: row.version ?? undefined }));
  }

  /** EPSS scores of the given CVE ids that the snapshot holds. */
  epssFor(cves: Iterable<string>): Map<string, StoredEpss> {
    const found = new Map<string, StoredEpss>();
    if (!this.hasTable('epss')) return found;
    const rows = prepare(
      this.db,
      'SELECT cve, score, percentile FROM epss WHERE cve IN (SELECT value FROM json_each(?))',
    ).all(JSON.stringify([...cves])) as StoredEpss[];
    for (const row of rows) found.set(row.cve, row);
    return found;
  }

  /** KEV entries of the given CVE ids. */
  kevFor(cves: Iterable<string>): Map<string, StoredKev> {
    const found = new Map<string, StoredKev>();
    if (!this.hasTable('kev')) return found;
    const rows = prepare(
      this.db,
      `SELECT cve, date_added AS dateAdded, due_date AS dueDate, ransomware, name
         FROM kev WHERE cve IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify([...cves])) as StoredKev[];
    for (const row of rows) found.set(row.cve, row);
    return found;
  }

  /**
   * How many advisories the store holds (withdrawn ones included). Counting 300,000 rows reads
   * the whole id index, so every write transaction records the count in `totals` together with
   * the largest rowid; the count is trusted only while that rowid is still the largest, which a
   * writer that does not know `totals` (an older PatchPilot) would change by adding a record.
   */
  count(): number {
    if (this.hasTable('totals')) {
      const recorded = prepare(
        this.db,
        "SELECT value, max_rowid AS maxRowid FROM totals WHERE name = 'advisories'",
      ).get() as { value: number; maxRowid: number | null } | undefined;
      if (recorded && recorded.maxRowid === this.maxAdvisoryRowid()) return recorded.value;
    }
    return prepare(this.db, 'SELECT count(*) FROM advisories').pluck().get() as number;
  }

  private maxAdvisoryRowid(): number | null {
    return prepare(this.db, 'SELECT max(rowid) FROM advisories').pluck().get() as number | null;
  }

  /** Inside the caller's transaction, after advisories were written. */
  private recordTotals(): void {
    prepare(
      this.db,
      `INSERT INTO totals (name, value, max_rowid) VALUES ('advisories', ?, ?)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value, max_rowid = excluded.max_rowid`,
    ).run(
      prepare(this.db, 'SELECT count(*) FROM advisories').pluck().get() as number,
      this.maxAdvisoryRowid(),
    );
  }

  /**
   * Every non-withdrawn advisory naming one of `names`, keyed by package name. One query: SQLite
   * sorts the names and searches the `affected` primary key for each, then the advisories by id,
   * so the cost grows with the names asked and the rows found; the number of records only adds
   * a level to the indexes now and then.
   */
  advisoriesFor(names: Iterable<string>): Map<string, Advisory[]> {
    const rows = prepare(
      this.db,
      `SELECT f.package AS package, a.normalised AS normalised
         FROM affected f JOIN advisories a ON a.id = f.advisory_id
         WHERE f.package IN (SELECT value FROM json_each(?)) AND a.withdrawn IS NULL`,
    ).all(JSON.stringify([...names])) as { package: string; normalised: string }[];
    const byPackage = new Map<string, Advisory[]>();
    const parsed = new Map<string, Advisory>();
    for (const row of rows) {
      let advisory = parsed.get(row.normalised);
      if (!advisory) {
        advisory = JSON.parse(row.normalised) as Advisory;
        parsed.set(row.normalised, advisory);
      }
      const list = byPackage.get(row.package);
      if (list) list.push(advisory);
      else byPackage.set(row.package, [advisory]);
    }
    return byPackage;
  }

  status(): StoreStatus {
    const counts = prepare(
      this.db,
      `SELECT count(*) AS total,
                coalesce(sum(withdrawn IS NOT NULL), 0) AS withdrawn,
                coalesce(sum(kind = 'malicious'), 0) AS malicious,
                max(modified_ms) AS newest
         FROM advisories`,
    ).get() as { total: number; withdrawn: number; malicious: number; newest: number | null };
    const packages = (
      prepare(this.db, 'SELECT count(DISTINCT package) AS n FROM affected').get() as { n: number }
    ).n;
    const newest =
      counts.newest === null
        ? undefined
        : (prepare(this.db, 'SELECT modified FROM advisories WHERE modified_ms = ? LIMIT 1').get(
            counts.newest,
          ) as {
            modified: string;
          });
    const sources = prepare(
      this.db,
      'SELECT name, last_imported_at AS lastImportedAt, records FROM sources ORDER BY name',
    ).all() as { name: string; lastImportedAt: string; records: number }[];
    return {
      path: this.path,
      advisories: counts.total,
      withdrawn: counts.withdrawn,
      malicious: counts.malicious,
      packages,
      newestModified: newest?.modified,
      sources,
      syncs: this.syncs(),
      signals: this.signals(),
    };
  }
}

const newStorePrefix = (path: string): string => `.${basename(path)}.new-`;

/**
 * Creates the empty file a new store is built in, beside `path` (same folder, so a hard link can
 * put it in place), and checks that this file system has hard links. Undefined when it cannot:
 * the store is then built in place.
 */
const reserveNewStore = (path: string): string | undefined => {
  removeStaleNewStores(path);
  for (let attempt = 0; attempt < 5; attempt++) {
    const fresh = join(
      dirname(path),
      `${newStorePrefix(path)}${process.pid}-${Math.random().toString(36).slice(2, 10)}`,
    );
    try {
      closeSync(openSync(fresh, 'wx'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      // An unwritable folder: the open in place says so, naming the store.
      return undefined;
    }
    const probe = `${fresh}.link`;
    try {
      linkSync(fresh, probe);
      rmSync(probe, { force: true });
      return fresh;
    } catch {
      removeQuietly(fresh);
      return undefined;
    }
  }
  return undefined;
};

/** Hard-links the finished store `fresh` at `path`, which must still be free. */
const placeNewStore = (fresh: string, path: string): void => {
  // A rollback journal beside a missing store was left by a store killed mid-write and then
  // deleted by hand. It belongs to no store now, and the next open of the new one would play it
  // back into it.
  if (lstatOrUndefined(path) === undefined) {
    try {
      rmSync(`${path}-journal`, { force: true });
    } catch (error) {
      throw new PatchPilotError(
        'IO_FAILED',
        `${path}-journal: cannot remove the rollback journal of a store that is gone: ${message(error)}`,
        {
          hint: 'remove that file, then run the import again (it would be played back into the new store)',
          cause: error,
        },
      );
    }
  }
  try {
    linkSync(fresh, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PatchPilotError(
        'IO_FAILED',
        `${path}: another process created the store while this import ran; nothing of this import was kept`,
        { hint: 'run the import again: it adds to that store' },
      );
    }
    throw new PatchPilotError('IO_FAILED', `${path}: cannot put the new store in place: ${message(error)}`, {
      hint: 'check the permissions of the store folder',
      cause: error,
    });
  }
};

/** lstat: undefined when nothing is at `path`, not even a symlink. */
const lstatOrUndefined = (path: string) => {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/**
 * New stores a first write left under their temporary name when it was killed (SIGKILL, power
 * loss) before its cleanup ran: those of processes that are gone, a day old or more. Best effort.
 */
const removeStaleNewStores = (path: string): void => {
  const prefix = newStorePrefix(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
  for (const name of names) {
    // A store being built, or the probe of its hard link.
    const pid = /^(\d+)-[a-z0-9]+(\.link)?$/.exec(name.slice(prefix.length))?.[1];
    if (!name.startsWith(prefix) || pid === undefined) continue;
    // This process's own pid is not proof of life: in a container every run may have the same.
    if (Number(pid) !== process.pid && processRunning(Number(pid))) continue;
    const file = join(dirname(path), name);
    try {
      if (lstatSync(file).mtimeMs < dayAgo) removeQuietly(file);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
};

/** Removes a store file and its rollback journal (stores never run in WAL mode); never throws. */
const removeQuietly = (file: string): void => {
  for (const each of [file, `${file}-journal`]) {
    try {
      rmSync(each, { force: true });
    } catch {
      // Left for the next write's clean-up of stale files.
    }
  }
};

export const emptyStore = (path: string, state = 'is empty'): PatchPilotError =>
  new PatchPilotError('DB_EMPTY', `advisory store ${path} ${state}`, {
    hint: 'fill it with `patchpilot db import FILE...` (OSV JSON, .jsonl, .jsonl.gz, .zip or a folder of OSV files)',
  });

/** Failures of the file under SQLite (full disk, read-only folder, lock held) are external; the rest mean the file is not usable. */
const sqliteError = (path: string, cause: unknown): PatchPilotError => {
  const code = (cause as { code?: unknown })?.code;
  if (typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|PERM)/.test(code)) {
    return new PatchPilotError('IO_FAILED', `${path}: ${message(cause)}`, {
      hint: 'check free space and permissions of the store folder, or that no other import is running',
      cause,
    });
  }
  return unreadable(path, cause);
};

const unreadable = (path: string, cause: unknown): PatchPilotError =>
  new PatchPilotError('DB_UNREADABLE', `${path}: cannot read the advisory store: ${message(cause)}`, {
    hint: 'point --db or PATCHPILOT_DB at a PatchPilot store, or remove the file and import again',
    cause,
  });
