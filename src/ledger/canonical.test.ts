import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../core/ledger.js';
import { canonicalJson, entryHash } from './canonical.js';

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: [3, { d: true, c: null }] }, '{"a":[3,{"c":null,"d":true}],"b":1}'],
    [{ z: undefined, y: 'x' }, '{"y":"x"}'],
    [[undefined, 1], '[null,1]'],
    [
      { '\u20ac': 1, '\r': 2, '1': 3, a: 4, '\ud83d\ude00': 5, '\ufb33': 6 },
      '{"\\r":2,"1":3,"a":4,"\u20ac":1,"\ud83d\ude00":5,"\ufb33":6}',
    ],
    ['line\nbreak "quoted" \u2028', '"line\\nbreak \\"quoted\\" \u2028"'],
    [-0, '0'],
    [1e21, '1e+21'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1.5e-7, '1.5e-7'],
    [new Date('2025-01-02T03:04:05.000Z'), '"2025-01-02T03:04:05.000Z"'],
  ])('%j → %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 does (not by code point)', () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 in UTF-16.
    expect(canonicalJson({ '\ufb33': 1, '\ud83d\ude00': 2 })).toBe('{"\ud83d\ude00":2,"\ufb33":1}');
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/no JSON form/);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(/no JSON form/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(/cycle/);
  });

  it('allows a value shared by two places that is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared] })).toBe('{"a":{"x":1},"b":[{"x":1}]}');
  });
});

describe('entryHash', () => {
  const entry = {
    seq: 1,
    time: '2025-01-01T00:00:00.000Z',
    actor: 'patchpilot@1.0.0',
    kind: 'detected' as const,
    subject: 'GHSA-xxxx lodash@4.17.15',
    change: null,
    inputs: { storeSnapshot: 's1' },
    outcome: { severity: 'high' },
    prevHash: GENESIS_HASH,
  };

  it('is SHA-256 over the canonical JSON of every field but hash', () => {
    const expected = createHash('sha256')
      .update(
        '{"actor":"patchpilot@1.0.0","change":null,"inputs":{"storeSnapshot":"s1"},"kind":"detected",' +
          '"outcome":{"severity":"high"},"prevHash":"' +
          GENESIS_HASH +
          '","seq":1,"subject":"GHSA-xxxx lodash@4.17.15","time":"2025-01-01T00:00:00.000Z"}',
      )
      .digest('hex');
    expect(entryHash(entry)).toBe(expected);
  });

  it('ignores a hash field and extra fields, and changes with every covered field', () => {
    const base = entryHash(entry);
    expect(entryHash({ ...entry, hash: 'x' } as typeof entry)).toBe(base);
    expect(entryHash({ ...entry, seq: 2 })).not.toBe(base);
    expect(entryHash({ ...entry, change: 'p-1' })).not.toBe(base);
    expect(entryHash({ ...entry, outcome: { severity: 'low' } })).not.toBe(base);
    expect(entryHash({ ...entry, prevHash: 'f'.repeat(64) })).not.toBe(base);
  });
});
