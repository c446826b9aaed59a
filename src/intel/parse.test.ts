import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ParsedItem, packBatch, parseOsvInput, unpackBatch } from './parse.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchpilot-parse-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const record = (id: string, names: string[], extra: object = {}) => ({
  id,
  modified: '2024-01-01T00:00:00Z',
  affected: names.map((name) => ({ package: { ecosystem: 'npm', name }, versions: ['1.0.0'] })),
  ...extra,
});

const parseAll = async (path: string): Promise<ParsedItem[]> => {
  const items: ParsedItem[] = [];
  for await (const batch of parseOsvInput(path)) items.push(...batch);
  return items;
};

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

describe('parseOsvInput', () => {
  it('turns records into rows, keeps the line as read and reports malformed lines in place', async () => {
    const lines = [
      JSON.stringify(record('GHSA-0001', ['a', 'b', 'a'], { summary: 'déjà vu €' })),
      '{"id": ',
      JSON.stringify(record('MAL-2024-1', ['evil'], { withdrawn: '2024-02-01T00:00:00Z' })),
    ];
    const path = join(dir, 'feed.jsonl');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const items = await parseAll(path);
    expect(items.map((item) => item.kind)).toEqual(['row', 'skipped', 'row']);
    const [first, skipped, last] = items;
    if (first?.kind !== 'row' || skipped?.kind !== 'skipped' || last?.kind !== 'row') return;
    expect(first.row).toMatchObject({
      id: 'GHSA-0001',
      modified: '2024-01-01T00:00:00Z',
      modifiedMs: Date.parse('2024-01-01T00:00:00Z'),
      withdrawn: null,
      kind: 'vulnerability',
      packages: ['a', 'b'],
    });
    expect(text(first.row.raw)).toBe(lines[0]);
    expect(JSON.parse(text(first.row.normalised))).toMatchObject({ id: 'GHSA-0001', summary: 'déjà vu €' });
    expect(skipped).toMatchObject({ where: `${path}:2`, id: undefined });
    expect(last.row).toMatchObject({
      kind: 'malicious',
      withdrawn: '2024-02-01T00:00:00Z',
      packages: ['evil'],
    });
  });
});

describe('packBatch and unpackBatch', () => {
  it('carry a batch across as it was, rows, problems and bytes in order', async () => {
    const path = join(dir, 'feed.jsonl');
    writeFileSync(
      path,
      [
        JSON.stringify(record('GHSA-0001', ['a', 'b'])),
        'not json',
        JSON.stringify(record('GHSA-0002', [])),
        JSON.stringify({ id: 'GHSA-0003' }),
        JSON.stringify(record('GHSA-0004', ['ä'], { details: '€'.repeat(1000) })),
      ].join('\n'),
    );
    const items = await parseAll(path);
    expect(items.map((item) => item.kind)).toEqual(['row', 'skipped', 'row', 'skipped', 'row']);
    const packed = packBatch(items);
    // What crossing a thread does to it: a structured clone, the buffers moved.
    const moved = structuredClone(packed, { transfer: [packed.bytes, packed.ends.buffer as ArrayBuffer] });
    const unpacked = unpackBatch(moved);
    const plain = (list: ParsedItem[]) =>
      list.map((item) =>
        item.kind === 'row'
          ? { ...item.row, normalised: text(item.row.normalised), raw: text(item.row.raw) }
          : item,
      );
    expect(plain(unpacked)).toEqual(plain(items));
    expect(unpackBatch(packBatch([]))).toEqual([]);
  });
});
