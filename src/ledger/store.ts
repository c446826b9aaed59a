import type Database from 'better-sqlite3';
import { isoTimeMs } from '../core/date.js';
import { PatchPilotError } from '../core/errors.js';
import {
  GENESIS_HASH,
  isLedgerKind,
  type LedgerEntry,
  type LedgerEntryInput,
  type LedgerKind,
} from '../core/ledger.js';
import { ensureParentDir, message, statOrUndefined } from '../util/fs.js';
import { BetterSqlite3, keepForever, prepare } from '../util/sqlite.js';
import { canonicalJson, entryHash } from './canonical.js';

/**
 * The ledger: one SQLite file per project holding every decision PatchPilot (or a person through
 * it) made, in order, each entry chained to the one before by its hash. SQLite triggers refuse
 * UPDATE and DELETE, which keeps honest code honest; the hash chain and the recorded head make
 * what gets past them (the triggers dropped, the file edited) detectable by `verify`.
 */
const SCHEMA_VERSION = 1;
/** SQLite's application_id marks the file as a PatchPilot ledger ("PPLG"). */
const APPLICATION_ID = 0x50504c47;

const schema = `
CREATE TABLE IF NOT EXISTS entries (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  change TEXT,
  inputs TEXT NOT NULL CHECK (json_valid(inputs)),
  outcome TEXT NOT NULL CHECK (json_valid(outcome)),
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_change ON entries(change, seq);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entries_append_only_update BEFORE UPDATE ON entries
BEGIN
  SELECT RAISE(ABORT, 'the ledger is append-only: an entry cannot be changed');
END;
CREATE TRIGGER IF NOT EXISTS entries_append_only_delete BEFORE DELETE ON entries
BEGIN
  SELECT RAISE(ABORT, 'the ledger is append-only: an entry cannot be deleted');
END;
`;

export type LedgerProblemKind = 'edited' | 'removed' | 'reordered';

export interface LedgerVerification {
  readonly ok: boolean;
  /** The entries the file holds. */
  readonly entries: number;
  /** The first problem found, in seq order. */
  readonly problem?: { seq: number; kind: LedgerProblemKind; text: string };
}

export interface LedgerFilter {
  /** Only the entries of this change. */
  readonly change?: string;
  /** Only entries at or after this ISO date (`2025-01-31`, UTC midnight) or date-time. */
  readonly since?: string;
  /** Only entries of these kinds. */
  readonly kinds?: readonly LedgerKind[];
}

/** Whose ledger a file is, recorded in its `meta` table when it is created. */
export interface LedgerProject {
  /** The repository identity (`location.ts`, `repositoryIdentity`). */
  readonly identity: string;
  readonly identityKind: string;
  /** The project folder, as it was when the ledger was created. */
  readonly path: string;
}

export interface LedgerOpenOptions {
  /** Open for reading only; the file must exist (`LEDGER_NOT_FOUND`) and is never written. */
  readonly readonly?: boolean;
  /** Recorded in `meta` by the open that creates the ledger. */
  readonly project?: LedgerProject;
}

interface Row {
  seq: number;
  time: string;
  actor: string;
  kind: string;
  subject: string;
  change: string | null;
  inputs: string;
  outcome: string;
  prev_hash: string;
  hash: string;
}

const columns = 'seq, time, actor, kind, subject, change, inputs, outcome, prev_hash, hash';

/** Stored JSON that no longer parses (the CHECK constraint dropped) reads as itself, so verify names it edited. */
const parseJson = (text: string): Record<string, unknown> => {
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Falls through.
  }
  return { unparsable: text };
};

const toEntry = (row: Row): LedgerEntry => ({
  seq: row.seq,
  time: row.time,
  actor: row.actor,
  kind: row.kind as LedgerKind,
  subject: row.subject,
  change: row.change,
  inputs: parseJson(row.inputs),
  outcome: parseJson(row.outcome),
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** Times are stored as `Date#toISOString()`, so stored times compare as text in time order. */
const isoTime = (text: string, what: string): string => {
  const ms = isoTimeMs(text);
  if (ms === undefined) {
    throw new PatchPilotError('USAGE', `${what} "${text}" is not an ISO 8601 date or date-time`, {
      hint: 'write a date as 2025-01-31 or a date-time as 2025-01-31T12:00:00Z',
    });
  }
  return new Date(ms).toISOString();
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const checkInput = (input: LedgerEntryInput): void => {
  const problems: string[] = [];
  if (!isLedgerKind(String(input.kind))) problems.push(`unknown kind "${String(input.kind)}"`);
  if (typeof input.subject !== 'string' || input.subject === '') problems.push('no subject');
  if (typeof input.actor !== 'string' || input.actor === '') problems.push('no actor');
  if (input.change !== undefined && (typeof input.change !== 'string' || input.change === ''))
    problems.push('an empty change id');
  if (!isPlainObject(input.inputs)) problems.push('inputs is not an object');
  if (!isPlainObject(input.outcome)) problems.push('outcome is not an object');
  if (problems.length > 0) {
    throw new PatchPilotError('INTERNAL', `ledger entry refused: ${problems.join(', ')}`);
  }
};

export class Ledger {
  readonly path: string;
  private readonly db: Database.Database;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
  }

  /**
   * Opens the ledger at `path`, creating it (and its folders) unless `readonly`. A file that is not
   * a PatchPilot ledger (another SQLite database, a newer schema, not SQLite) is
   * `LEDGER_UNREADABLE`, and PatchPilot's tables are never added to someone else's database.
   */
  static open(path: string, options: LedgerOpenOptions = {}): Ledger {
    const stat = statOrUndefined(path);
    if (!stat && options.readonly) throw ledgerNotFound(path);
    if (stat && !stat.isFile()) throw unreadable(path, new Error('not a file'));
    if (!options.readonly) ensureParentDir(path);
    let db: Database.Database;
    try {
      db = new BetterSqlite3(path, {
        readonly: options.readonly ?? false,
        fileMustExist: options.readonly ?? false,
      });
      keepForever(db);
    } catch (cause) {
      throw sqliteError(path, cause);
    }
    try {
      const application = prepare(db, 'PRAGMA application_id').pluck().get() as number;
      const version = prepare(db, 'PRAGMA user_version').pluck().get() as number;
      const tables = prepare(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        .pluck()
        .get() as number;
      if (tables > 0 && application !== APPLICATION_ID) {
        throw unreadable(path, new Error('this SQLite database is not a PatchPilot ledger'));
      }
      if (version > SCHEMA_VERSION) {
        throw new PatchPilotError(
          'LEDGER_UNREADABLE',
          `${path}: ledger schema ${version} is newer than this PatchPilot`,
          {
            hint: 'upgrade PatchPilot or point --ledger at another file',
          },
        );
      }
      if (options.readonly) {
        if (tables === 0) throw unreadable(path, new Error('the file holds no ledger'));
      } else {
        const created = tables === 0;
        db.exec(schema);
        if (application !== APPLICATION_ID || version !== SCHEMA_VERSION) {
          db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION}`);
        }
        const setMeta = prepare(db, 'INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
        if (created) setMeta.run('created', new Date().toISOString());
        if (options.project) {
          setMeta.run('identity', options.project.identity);
          setMeta.run('identity_kind', options.project.identityKind);
          setMeta.run('project', options.project.path);
        }
      }
    } catch (cause) {
      db.close();
      if (cause instanceof PatchPilotError) throw cause;
      throw sqliteError(path, cause);
    }
    return new Ledger(path, db);
  }

  close(): void {
    this.db.close();
  }

  /** What the `meta` table says about the ledger (`identity`, `project`, `created`, the head). */
  meta(): Record<string, string> {
    const rows = this.guard(
      () =>
        prepare(this.db, 'SELECT key, value FROM meta ORDER BY key').all() as {
          key: string;
          value: string;
        }[],
    );
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  /** Appends one entry after the last one, in a transaction of its own. */
  append(input: LedgerEntryInput): LedgerEntry {
    return this.appendAll([input])[0] as LedgerEntry;
  }

  /** Appends entries in order, in one transaction: all of them land or none does. */
  appendAll(inputs: readonly LedgerEntryInput[]): LedgerEntry[] {
    for (const input of inputs) checkInput(input);
    // Times and JSON are settled before the transaction, so nothing in it can fail but SQLite.
    const now = new Date().toISOString();
    const prepared = inputs.map((input) => {
      const inputsJson = canonicalJson(input.inputs);
      const outcomeJson = canonicalJson(input.outcome);
      return {
        input,
        time: input.time === undefined ? now : isoTime(input.time, 'entry time'),
        inputsJson,
        outcomeJson,
        // What is hashed is what reads back from the stored JSON, undefined properties dropped.
        inputs: JSON.parse(inputsJson) as LedgerEntry['inputs'],
        outcome: JSON.parse(outcomeJson) as LedgerEntry['outcome'],
      };
    });
    const write = this.db.transaction((): LedgerEntry[] => {
      const last = prepare(this.db, 'SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1').get() as
        | { seq: number; hash: string }
        | undefined;
      let seq = last?.seq ?? 0;
      let prevHash = last?.hash ?? GENESIS_HASH;
      const insert = prepare(
        this.db,
        `INSERT INTO entries (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const written: LedgerEntry[] = [];
      for (const item of prepared) {
        seq += 1;
        const body = {
          seq,
          time: item.time,
          actor: item.input.actor,
          kind: item.input.kind,
          subject: item.input.subject,
          change: item.input.change ?? null,
          inputs: item.inputs,
          outcome: item.outcome,
          prevHash,
        };
        const hash = entryHash(body);
        insert.run(
          seq,
          body.time,
          body.actor,
          body.kind,
          body.subject,
          body.change,
          item.inputsJson,
          item.outcomeJson,
          prevHash,
          hash,
        );
        written.push({ ...body, hash });
        prevHash = hash;
      }
      if (written.length > 0) {
        const setMeta = prepare(
          this.db,
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
        );
        setMeta.run('head_count', String(seq));
        setMeta.run('head_hash', prevHash);
      }
      return written;
    });
    return this.guard(() => write.immediate());
  }

  /** The entries in seq order, optionally only those of one change, since a time, of some kinds. */
  entries(filter: LedgerFilter = {}): LedgerEntry[] {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.change !== undefined) {
      where.push('change = ?');
      values.push(filter.change);
    }
    if (filter.since !== undefined) {
      where.push('time >= ?');
      values.push(isoTime(filter.since, 'since'));
    }
    if (filter.kinds !== undefined) {
      if (filter.kinds.length === 0) return [];
      where.push(`kind IN (${filter.kinds.map(() => '?').join(', ')})`);
      values.push(...filter.kinds);
    }
    const sql = `SELECT ${columns} FROM entries${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
    const rows = this.guard(() => prepare(this.db, sql).all(...values) as Row[]);
    return rows.map(toEntry);
  }

  /**
   * Checks the whole ledger and reports the first problem in seq order:
   * - `edited`: an entry's content no longer matches its hash (named), or an entry was rewritten
   *   with a fresh hash, which the next entry's `prevHash` or the recorded head gives away;
   * - `removed`: a gap in the seq numbers (the missing seq is named), entries renumbered over a
   *   gap, or fewer entries than the head recorded at the last append (truncation);
   * - `reordered`: an intact entry at another seq than the one it was hashed with (the first
   *   such place is named), or chained after an entry other than the one before it.
   * The head lives in the same file: whoever rewrites `meta` too can truncate unseen, which is why
   * attestations and exports leave the machine.
   */
  verify(): LedgerVerification {
    const rows = this.guard(
      () => prepare(this.db, `SELECT ${columns} FROM entries ORDER BY seq`).all() as Row[],
    );
    const entries = rows.map(toEntry);
    const meta = this.meta();
    const headCount = meta.head_count === undefined ? undefined : Number(meta.head_count);
    const headHash = meta.head_hash;
    const found = (seq: number, kind: LedgerProblemKind, text: string): LedgerVerification => ({
      ok: false,
      entries: entries.length,
      problem: { seq, kind, text },
    });
    if (headCount !== undefined && !(Number.isSafeInteger(headCount) && headCount >= 0)) {
      return found(
        entries.at(-1)?.seq ?? 0,
        'edited',
        `the ledger's recorded head count ${JSON.stringify(meta.head_count)} is no entry count: its meta table was edited`,
      );
    }
    const lastSeq = entries.at(-1)?.seq ?? 0;
    const highestSeq = Math.max(lastSeq, headCount ?? 0, entries.length);

    let previous: LedgerEntry | undefined;
    for (const [i, entry] of entries.entries()) {
      const expected = previous === undefined ? 1 : previous.seq + 1;
      // The hash is of the parsed values; the stored text must be their canonical JSON too, or
      // what a reader of the file sees (a repeated key, say) is not what was hashed.
      const row = rows[i] as Row;
      if (
        entryHash(entry) === entry.hash &&
        (row.inputs !== canonicalJson(entry.inputs) || row.outcome !== canonicalJson(entry.outcome))
      ) {
        return found(
          entry.seq,
          'edited',
          `entry ${entry.seq} was edited: its stored ${row.inputs !== canonicalJson(entry.inputs) ? 'inputs are' : 'outcome is'} not the canonical JSON that was hashed`,
        );
      }
      if (entryHash(entry) !== entry.hash) {
        // Intact content at another seq is a move; content that matches its hash at no seq at all
        // was edited.
        const original = originalSeq(entry, highestSeq);
        if (original === undefined) {
          return found(
            entry.seq,
            'edited',
            `entry ${entry.seq} was edited: its content does not match its hash`,
          );
        }
        const owner = entries.find(
          (other) => other !== entry && entryHash({ ...other, seq: entry.seq }) === other.hash,
        );
        if (owner !== undefined || original < entry.seq) {
          return found(
            entry.seq,
            'reordered',
            `entry ${entry.seq} is out of place: it holds the entry recorded as ${original}` +
              (owner ? `, and entry ${entry.seq} sits at ${owner.seq}` : ''),
          );
        }
        return found(
          entry.seq,
          'removed',
          `entry ${entry.seq} was removed: the entry recorded as ${original} was renumbered ${entry.seq}`,
        );
      }
      if (entry.seq !== expected) {
        return found(
          expected,
          'removed',
          entry.seq === expected + 1
            ? `entry ${expected} was removed: entry ${entry.seq} follows entry ${expected - 1}`
            : `entries ${expected} to ${entry.seq - 1} were removed: entry ${entry.seq} follows entry ${expected - 1}`,
        );
      }
      const expectedPrev = previous?.hash ?? GENESIS_HASH;
      if (entry.prevHash !== expectedPrev) {
        const linked = entries.find((other) => other.hash === entry.prevHash);
        if (linked !== undefined) {
          return found(
            entry.seq,
            'reordered',
            `entry ${entry.seq} is out of place: it was recorded after entry ${linked.seq}, not after entry ${entry.seq - 1}`,
          );
        }
        if (previous === undefined) {
          return found(
            entry.seq,
            'edited',
            `entry ${entry.seq} was edited: the first entry links to a previous one`,
          );
        }
        const successor = entries.find((other) => other !== entry && other.prevHash === previous?.hash);
        if (successor !== undefined) {
          return found(
            entry.seq,
            'reordered',
            `entry ${entry.seq} is out of place: the entry recorded after entry ${previous.seq} sits at ${successor.seq}`,
          );
        }
        if (headCount !== undefined && entries.length < headCount) {
          return found(
            entry.seq,
            'removed',
            `an entry before entry ${entry.seq} was removed: it links to an entry the ledger no longer holds`,
          );
        }
        return found(
          previous.seq,
          'edited',
          `entry ${previous.seq} was edited: entry ${entry.seq} was recorded after a different entry ${previous.seq}`,
        );
      }
      previous = entry;
    }
    if (headCount === undefined || headHash === undefined) {
      if (entries.length === 0) return { ok: true, entries: 0 };
      return found(lastSeq, 'edited', "the ledger's recorded head is missing: its meta table was edited");
    }
    if (lastSeq < headCount) {
      return found(
        lastSeq + 1,
        'removed',
        lastSeq + 1 === headCount
          ? `entry ${headCount} was removed from the end: the ledger ends at entry ${lastSeq}`
          : `entries ${lastSeq + 1} to ${headCount} were removed from the end: the ledger ends at entry ${lastSeq}`,
      );
    }
    if (lastSeq > headCount) {
      return found(
        headCount + 1,
        'edited',
        `entry ${headCount + 1} was added behind PatchPilot's back: the recorded head is entry ${headCount}`,
      );
    }
    if (previous !== undefined && previous.hash !== headHash) {
      return found(
        lastSeq,
        'edited',
        `entry ${lastSeq} was edited: its hash is not the one recorded as the head`,
      );
    }
    return { ok: true, entries: entries.length };
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (cause) {
      if (cause instanceof PatchPilotError) throw cause;
      throw sqliteError(this.path, cause);
    }
  }
}

/** The seq an entry's content was hashed with, if it is not its own. */
const originalSeq = (entry: LedgerEntry, highest: number): number | undefined => {
  for (let seq = 1; seq <= highest; seq++) {
    if (seq !== entry.seq && entryHash({ ...entry, seq }) === entry.hash) return seq;
  }
  return undefined;
};

export const ledgerNotFound = (path: string): PatchPilotError =>
  new PatchPilotError('LEDGER_NOT_FOUND', `ledger ${path} does not exist`, {
    hint: '`patchpilot fix` creates the ledger of a project with its first decision; --ledger FILE or PATCHPILOT_LEDGER name another file',
  });

const unreadable = (path: string, cause: unknown): PatchPilotError =>
  new PatchPilotError('LEDGER_UNREADABLE', `${path}: cannot read the ledger: ${message(cause)}`, {
    hint: 'point --ledger or PATCHPILOT_LEDGER at a PatchPilot ledger',
    cause,
  });

/** Failures of the file under SQLite (full disk, read-only folder, lock held) are external; the rest mean the file is not usable. */
const sqliteError = (path: string, cause: unknown): PatchPilotError => {
  const code = (cause as { code?: unknown })?.code;
  if (typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|PERM)/.test(code)) {
    return new PatchPilotError('IO_FAILED', `${path}: ${message(cause)}`, {
      hint: 'check free space and permissions of the ledger folder, or that no other PatchPilot holds it',
      cause,
    });
  }
  return unreadable(path, cause);
};
