import { createHash } from 'node:crypto';
import type { LedgerEntry } from '../core/ledger.js';

/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object keys sorted by UTF-16 code units at every
 * depth, no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them. Properties
 * whose value is undefined are dropped (as JSON.stringify drops them); in arrays they become null.
 * Non-finite numbers, bigints, functions and symbols have no JSON form and are refused, so a hash
 * never covers something that would not read back.
 */
export const canonicalJson = (value: unknown): string => {
  const out: string[] = [];
  write(value, out, new Set());
  return out.join('');
};

const write = (value: unknown, out: string[], seen: Set<object>): void => {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} has no JSON form`);
      // JSON.stringify writes numbers as ECMAScript's Number#toString does, which is what RFC 8785
      // prescribes; -0 becomes 0.
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON: a ${typeof value} has no JSON form`);
  }
  const object = value as object;
  const toJson = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function') {
    write((toJson as () => unknown).call(object), out, seen);
    return;
  }
  if (seen.has(object)) throw new TypeError('canonical JSON: the value contains a cycle');
  seen.add(object);
  if (Array.isArray(object)) {
    out.push('[');
    object.forEach((item, index) => {
      if (index > 0) out.push(',');
      write(item === undefined ? null : item, out, seen);
    });
    out.push(']');
  } else {
    const record = object as Record<string, unknown>;
    // Array#sort without a comparator compares UTF-16 code units, as RFC 8785 requires.
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((key, index) => {
      if (index > 0) out.push(',');
      out.push(JSON.stringify(key), ':');
      write(record[key], out, seen);
    });
    out.push('}');
  }
  seen.delete(object);
};

export const sha256Hex = (text: string | Uint8Array): string =>
  createHash('sha256').update(text).digest('hex');

/**
 * The hash of an entry: SHA-256 (hex) of the canonical JSON of every field but `hash` itself:
 * seq, time, actor, kind, subject, change, inputs, outcome and prevHash.
 */
export const entryHash = (entry: Omit<LedgerEntry, 'hash'>): string =>
  sha256Hex(
    canonicalJson({
      seq: entry.seq,
      time: entry.time,
      actor: entry.actor,
      kind: entry.kind,
      subject: entry.subject,
      change: entry.change,
      inputs: entry.inputs,
      outcome: entry.outcome,
      prevHash: entry.prevHash,
    }),
  );
