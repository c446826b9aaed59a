import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, type LedgerEntryInput } from '../core/ledger.js';
import { entryHash } from './canonical.js';
import { Ledger } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'patchpilot-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Databases and statements are kept for the life of the process (see intel/store.ts).
const keep: unknown[] = [];
let files = 0;
const newPath = (): string => join(dir, `ledger-${++files}.db`);

const input = (n: number, extra: Partial<LedgerEntryInput> = {}): LedgerEntryInput => ({
  kind: n % 2 === 0 ? 'planned' : 'detected',
  subject: `subject-${n}`,
  change: n <= 3 ? 'p-aaa' : 'p-bbb',
  actor: 'patchpilot@0.1.0',
  inputs: { storeSnapshot: `snap-${n}`, advisories: [{ id: `GHSA-${n}`, modified: '2025-01-01T00:00:00Z' }] },
  outcome: { n, text: `outcome ${n}` },
  time: `2025-01-0${n}T12:00:00Z`,
  ...extra,
});

/** A ledger of `count` entries, closed; its path. */
const seeded = (count = 5): string => {
  const path = newPath();
  const ledger = Ledger.open(path);
  ledger.appendAll(Array.from({ length: count }, (_, i) => input(i + 1)));
  ledger.close();
  return path;
};

/** Runs raw SQL on the file as an attacker would: the append-only triggers dropped first. */
const tamper = (path: string, ...sql: string[]): void => {
  const db = new Database(path);
  keep.push(db);
  db.exec('DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete');
  for (const statement of sql) db.exec(statement);
  db.close();
};

const verify = (path: string) => {
  const ledger = Ledger.open(path, { readonly: true });
  try {
    return ledger.verify();
  } finally {
    ledger.close();
  }
};

describe('Ledger: appending', () => {
  it('chains entries: seq from 1, prevHash of the first is 64 zeros, each hash covers its entry', () => {
    const ledger = Ledger.open(join(dir, 'nested/folders/chain.db'));
    const first = ledger.append(input(1));
    const [second, third] = ledger.appendAll([input(2), input(3, { change: undefined })]);
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second?.seq).toBe(2);
    expect(second?.prevHash).toBe(first.hash);
    expect(third?.prevHash).toBe(second?.hash);
    expect(third?.change).toBeNull();
    for (const entry of [first, second, third]) {
      if (!entry) throw new Error('missing entry');
      const { hash, ...rest } = entry;
      expect(entryHash(rest)).toBe(hash);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(ledger.entries()).toEqual([first, second, third]);
    expect(ledger.meta()).toMatchObject({ head_count: '3', head_hash: third?.hash });
    expect(ledger.verify()).toEqual({ ok: true, entries: 3 });
    ledger.close();
  });

  it('stores times as ISO UTC, defaults them to now, and drops undefined properties before hashing', () => {
    const ledger = Ledger.open(newPath());
    const before = Date.now();
    const entry = ledger.append({
      kind: 'vex-recorded',
      subject: 'GHSA-1',
      actor: 'Ann <ann@example.org>',
      inputs: { rule: undefined, storeSnapshot: 's' },
      outcome: { status: 'not_affected', note: undefined },
    });
    expect(Date.parse(entry.time)).toBeGreaterThanOrEqual(before - 1);
    expect(entry.inputs).toEqual({ storeSnapshot: 's' });
    expect(entry.outcome).toEqual({ status: 'not_affected' });
    const other = ledger.append({ ...input(1), time: '2025-03-01T01:00:00+01:00' });
    expect(other.time).toBe('2025-03-01T00:00:00.000Z');
    expect(ledger.verify().ok).toBe(true);
    ledger.close();
  });

  it('refuses malformed entries and times without writing anything', () => {
    const ledger = Ledger.open(newPath());
    expect(() => ledger.append({ ...input(1), kind: 'exploded' as never })).toThrow(
      /unknown kind "exploded"/,
    );
    expect(() => ledger.append({ ...input(1), subject: '' })).toThrow(/no subject/);
    expect(() => ledger.appendAll([input(1), { ...input(2), time: 'yesterday' }])).toThrow(/"yesterday"/);
    expect(ledger.entries()).toEqual([]);
    ledger.close();
  });

  it('refuses UPDATE and DELETE of entries through SQLite itself (triggers)', () => {
    const path = seeded(2);
    const db = new Database(path);
    keep.push(db);
    expect(() => db.exec("UPDATE entries SET outcome = '{}' WHERE seq = 1")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM entries WHERE seq = 2')).toThrow(/append-only/);
    db.close();
    expect(verify(path)).toEqual({ ok: true, entries: 2 });
  });

  it('continues the chain of a reopened ledger', () => {
    const path = seeded(2);
    const ledger = Ledger.open(path);
    const third = ledger.append(input(3));
    expect(third.seq).toBe(3);
    expect(third.prevHash).toBe(ledger.entries()[1]?.hash);
    ledger.close();
  });
});

describe('Ledger: reading', () => {
  const path = seeded(5);
  const ledger = Ledger.open(path, { readonly: true });
  afterAll(() => ledger.close());

  it('filters by change, time and kinds, in seq order', () => {
    expect(ledger.entries({ change: 'p-aaa' }).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(ledger.entries({ since: '2025-01-03' }).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(ledger.entries({ since: '2025-01-03T12:00:01Z' }).map((e) => e.seq)).toEqual([4, 5]);
    expect(ledger.entries({ kinds: ['planned'] }).map((e) => e.seq)).toEqual([2, 4]);
    expect(ledger.entries({ kinds: [] })).toEqual([]);
    expect(
      ledger
        .entries({ change: 'p-bbb', kinds: ['detected', 'planned'], since: '2025-01-05' })
        .map((e) => e.seq),
    ).toEqual([5]);
    expect(ledger.entries({ change: 'p-none' })).toEqual([]);
  });

  it('refuses a since that is no date', () => {
    expect(() => ledger.entries({ since: 'last week' })).toThrow(/not an ISO 8601 date/);
    // Date.parse would take these as some other day.
    for (const since of ['2025-02-29', '2024-04-31T00:00:00Z', '2025-13-01', 'March 7', '1', '2025-1-5']) {
      expect(() => ledger.entries({ since }), since).toThrow(`since "${since}" is not an ISO 8601 date`);
    }
    expect(ledger.entries({ since: '2024-02-29' }).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('Ledger: opening', () => {
  it('read-only opens need the file: LEDGER_NOT_FOUND', () => {
    expect(() => Ledger.open(join(dir, 'absent.db'), { readonly: true })).toThrow(
      expect.objectContaining({ code: 'LEDGER_NOT_FOUND' }),
    );
  });

  it('refuses another SQLite database or a file that is no database, and never adds tables to it', () => {
    const foreign = newPath();
    const db = new Database(foreign);
    keep.push(db);
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    expect(() => Ledger.open(foreign)).toThrow(expect.objectContaining({ code: 'LEDGER_UNREADABLE' }));
    const text = newPath();
    writeFileSync(text, 'not a database at all, just some text that is long enough to be a header');
    expect(() => Ledger.open(text, { readonly: true })).toThrow(
      expect.objectContaining({ code: 'LEDGER_UNREADABLE' }),
    );
  });

  it("records the project's identity once, when asked", () => {
    const path = newPath();
    const project = { identity: '0123456789abcdef', identityKind: 'git', path: '/src/app' };
    Ledger.open(path, { project }).close();
    const again = Ledger.open(path, { project: { ...project, path: '/elsewhere' } });
    expect(again.meta()).toMatchObject({
      identity: '0123456789abcdef',
      identity_kind: 'git',
      project: '/src/app',
    });
    again.close();
  });
});

describe('Ledger.verify: tampering', () => {
  it('an empty ledger is intact', () => {
    const path = newPath();
    Ledger.open(path).close();
    expect(verify(path)).toEqual({ ok: true, entries: 0 });
  });

  it('(a) an outcome edited in SQL: edited, naming that entry', () => {
    const path = seeded();
    tamper(path, `UPDATE entries SET outcome = '{"n":3,"text":"all good"}' WHERE seq = 3`);
    expect(verify(path)).toEqual({
      ok: false,
      entries: 5,
      problem: { seq: 3, kind: 'edited', text: expect.stringMatching(/entry 3 was edited/) },
    });
  });

  it('(a) any covered column edited: edited', () => {
    for (const [column, value] of [
      ['actor', "'mallory'"],
      ['kind', "'merged'"],
      ['time', "'2020-01-01T00:00:00.000Z'"],
      ['change', 'NULL'],
      ['inputs', "'{}'"],
    ] as const) {
      const path = seeded();
      tamper(path, `UPDATE entries SET ${column} = ${value} WHERE seq = 4`);
      expect(verify(path).problem, column).toMatchObject({ seq: 4, kind: 'edited' });
    }
  });

  it('(a) stored JSON that parses to the hashed values but is not their canonical text: edited', () => {
    // A repeated key: JSON.parse keeps the last, SQLite's json_extract the first, so readers of
    // the file would disagree about what the entry says.
    const repeated = seeded();
    tamper(repeated, `UPDATE entries SET outcome = '{"n":99,"n":3,"text":"outcome 3"}' WHERE seq = 3`);
    expect(verify(repeated).problem).toMatchObject({
      seq: 3,
      kind: 'edited',
      text: 'entry 3 was edited: its stored outcome is not the canonical JSON that was hashed',
    });
    const spaced = seeded();
    tamper(spaced, `UPDATE entries SET inputs = ' ' || inputs WHERE seq = 2`);
    expect(verify(spaced).problem).toMatchObject({ seq: 2, kind: 'edited' });
  });

  it('(a) a recorded head count that is no number: edited (the meta table)', () => {
    const path = seeded();
    tamper(path, `UPDATE meta SET value = 'abc' WHERE key = 'head_count'`);
    expect(verify(path).problem).toMatchObject({
      kind: 'edited',
      text: expect.stringMatching(/head count "abc" is no entry count/),
    });
  });

  it('(b) an entry deleted: removed, naming the missing seq', () => {
    const path = seeded();
    tamper(path, 'DELETE FROM entries WHERE seq = 3');
    expect(verify(path)).toEqual({
      ok: false,
      entries: 4,
      problem: { seq: 3, kind: 'removed', text: 'entry 3 was removed: entry 4 follows entry 2' },
    });
  });

  it('(b) the first entry, or several, deleted: removed', () => {
    const first = seeded();
    tamper(first, 'DELETE FROM entries WHERE seq = 1');
    expect(verify(first).problem).toMatchObject({ seq: 1, kind: 'removed' });
    const several = seeded();
    tamper(several, 'DELETE FROM entries WHERE seq IN (2, 3)');
    expect(verify(several).problem).toEqual({
      seq: 2,
      kind: 'removed',
      text: 'entries 2 to 3 were removed: entry 4 follows entry 1',
    });
  });

  it('(b) an entry deleted and the later ones renumbered: removed', () => {
    const path = seeded();
    tamper(
      path,
      'DELETE FROM entries WHERE seq = 3',
      'UPDATE entries SET seq = 3 WHERE seq = 4',
      'UPDATE entries SET seq = 4 WHERE seq = 5',
    );
    expect(verify(path).problem).toMatchObject({ seq: 3, kind: 'removed' });
  });

  it('(c) the contents of two rows exchanged: reordered, naming the first out-of-place entry', () => {
    const path = seeded();
    const cols = 'time, actor, kind, subject, change, inputs, outcome, prev_hash, hash';
    tamper(
      path,
      `CREATE TEMP TABLE a AS SELECT ${cols} FROM entries WHERE seq = 2`,
      `CREATE TEMP TABLE b AS SELECT ${cols} FROM entries WHERE seq = 4`,
      'DELETE FROM entries WHERE seq IN (2, 4)',
      `INSERT INTO entries (seq, ${cols}) SELECT 2, ${cols} FROM b`,
      `INSERT INTO entries (seq, ${cols}) SELECT 4, ${cols} FROM a`,
    );
    expect(verify(path)).toEqual({
      ok: false,
      entries: 5,
      problem: {
        seq: 2,
        kind: 'reordered',
        text: 'entry 2 is out of place: it holds the entry recorded as 4, and entry 2 sits at 4',
      },
    });
  });

  it('(c) two seq numbers swapped: reordered', () => {
    const path = seeded();
    tamper(
      path,
      'UPDATE entries SET seq = -1 WHERE seq = 4',
      'UPDATE entries SET seq = 4 WHERE seq = 5',
      'UPDATE entries SET seq = 5 WHERE seq = -1',
    );
    expect(verify(path).problem).toMatchObject({ seq: 4, kind: 'reordered' });
  });

  it('(c) entries swapped and rehashed at their new places: reordered, by the chain', () => {
    const path = seeded();
    const ledger = Ledger.open(path, { readonly: true });
    const entries = ledger.entries();
    ledger.close();
    const [e2, e3] = [entries[1], entries[2]];
    if (!e2 || !e3) throw new Error('seed');
    const moved3 = { ...e3, seq: 2 };
    const moved2 = { ...e2, seq: 3 };
    tamper(
      path,
      `UPDATE entries SET seq = -2 WHERE seq = 2`,
      `UPDATE entries SET seq = 2, hash = '${entryHash(moved3)}' WHERE seq = 3`,
      `UPDATE entries SET seq = 3, hash = '${entryHash(moved2)}' WHERE seq = -2`,
    );
    expect(verify(path).problem).toMatchObject({ seq: 2, kind: 'reordered' });
  });

  it('an entry edited and given a fresh hash: edited, given away by the next entry', () => {
    const path = seeded();
    const ledger = Ledger.open(path, { readonly: true });
    const e3 = ledger.entries()[2];
    ledger.close();
    if (!e3) throw new Error('seed');
    const forged = { ...e3, outcome: { n: 3, text: 'forged' } };
    tamper(
      path,
      `UPDATE entries SET outcome = '{"n":3,"text":"forged"}', hash = '${entryHash(forged)}' WHERE seq = 3`,
    );
    expect(verify(path).problem).toMatchObject({ seq: 3, kind: 'edited' });
  });

  it('the last entry edited and given a fresh hash: edited, given away by the recorded head', () => {
    const path = seeded();
    const ledger = Ledger.open(path, { readonly: true });
    const e5 = ledger.entries()[4];
    ledger.close();
    if (!e5) throw new Error('seed');
    const forged = { ...e5, outcome: { n: 5 } };
    tamper(path, `UPDATE entries SET outcome = '{"n":5}', hash = '${entryHash(forged)}' WHERE seq = 5`);
    expect(verify(path).problem).toMatchObject({ seq: 5, kind: 'edited' });
  });

  it('truncation (the last entries deleted): removed, from the recorded head', () => {
    const one = seeded();
    tamper(one, 'DELETE FROM entries WHERE seq = 5');
    expect(verify(one)).toEqual({
      ok: false,
      entries: 4,
      problem: {
        seq: 5,
        kind: 'removed',
        text: 'entry 5 was removed from the end: the ledger ends at entry 4',
      },
    });
    const two = seeded();
    tamper(two, 'DELETE FROM entries WHERE seq >= 4');
    expect(verify(two).problem).toMatchObject({
      seq: 4,
      kind: 'removed',
      text: expect.stringMatching(/entries 4 to 5/),
    });
    const all = seeded();
    tamper(all, 'DELETE FROM entries');
    expect(verify(all).problem).toMatchObject({ seq: 1, kind: 'removed' });
  });

  it('truncation with the head rewritten too passes: the documented limit', () => {
    const path = seeded();
    const ledger = Ledger.open(path, { readonly: true });
    const e4 = ledger.entries()[3];
    ledger.close();
    tamper(
      path,
      'DELETE FROM entries WHERE seq = 5',
      `UPDATE meta SET value = '4' WHERE key = 'head_count'`,
      `UPDATE meta SET value = '${e4?.hash}' WHERE key = 'head_hash'`,
    );
    expect(verify(path)).toEqual({ ok: true, entries: 4 });
  });

  it('an entry inserted behind its back, chained properly: edited, beyond the recorded head', () => {
    const path = seeded(2);
    const ledger = Ledger.open(path, { readonly: true });
    const e2 = ledger.entries()[1];
    ledger.close();
    if (!e2) throw new Error('seed');
    const body = { ...e2, seq: 3, prevHash: e2.hash, subject: 'forged' };
    tamper(
      path,
      `INSERT INTO entries (seq, time, actor, kind, subject, change, inputs, outcome, prev_hash, hash)
         SELECT 3, time, actor, kind, 'forged', change, inputs, outcome, '${e2.hash}', '${entryHash(body)}'
         FROM entries WHERE seq = 2`,
    );
    expect(verify(path).problem).toMatchObject({ seq: 3, kind: 'edited' });
  });
});
