import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPatchPilotError } from '../core/errors.js';
import { MAX_LINE_BYTES, readLines } from './lines.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchpilot-lines-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Lines and numbers; checks on the way that the bytes given with a line are exactly its text. */
const collect = async (path: string, gzip: boolean): Promise<[number, string][]> => {
  const lines: [number, string][] = [];
  for await (const batch of readLines(path, gzip)) {
    expect(batch.length).toBeGreaterThan(0);
    for (const [n, line, bytes] of batch) {
      if (bytes) expect(Buffer.from(bytes).toString('utf8')).toBe(line);
      lines.push([n, line]);
    }
  }
  return lines;
};

/** What node:readline makes of the same bytes, the behaviour readLines keeps. */
const viaReadline = async (path: string): Promise<[number, string][]> => {
  const lines: [number, string][] = [];
  let n = 0;
  for await (const line of createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    lines.push([++n, line]);
  }
  return lines;
};

describe('readLines', () => {
  const cases: Record<string, string> = {
    empty: '',
    'one line, no newline': '{"a":1}',
    'one line': '{"a":1}\n',
    'blank lines': '\n\n{"a":1}\n\n',
    crlf: 'a\r\nb\r\n\r\nc',
    'lone carriage returns': 'a\rb\r\rc\r',
    'carriage return before crlf': 'a\r\r\nb',
    'trailing carriage return': 'a\nb\r',
    'multi-byte characters': 'é€😀\n日本語\r\nż',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(`splits like node:readline: ${name}`, async () => {
      const path = join(dir, 'in.txt');
      writeFileSync(path, text);
      expect(await collect(path, false)).toEqual(await viaReadline(path));
    });
  }

  it('joins lines and multi-byte characters that cross read chunks', async () => {
    // Lines longer than one read (1 MiB), with a 3-byte character and a \r\n on every border.
    const long = `${'x'.repeat((1 << 20) - 2)}€${'y'.repeat(1 << 20)}`;
    const text = `${long}\r\n${'z'.repeat((1 << 20) - 1)}\r\nshort\n€`;
    const plain = join(dir, 'long.txt');
    writeFileSync(plain, text);
    const gz = join(dir, 'long.txt.gz');
    writeFileSync(gz, gzipSync(text));
    const expected = await viaReadline(plain);
    expect(expected.map(([, line]) => line.length)).toEqual([long.length, (1 << 20) - 1, 5, 1]);
    expect(await collect(plain, false)).toEqual(expected);
    expect(await collect(gz, true)).toEqual(expected);
  });

  it('gives the bytes of whole, valid UTF-8 lines only', async () => {
    const path = join(dir, 'mixed.txt');
    writeFileSync(
      path,
      Buffer.concat([Buffer.from('ok €\r\n'), Buffer.from([0x62, 0xff, 0x0a]), Buffer.from('a\rb\n\n')]),
    );
    const got: [string, boolean][] = [];
    for await (const batch of readLines(path, false)) {
      for (const [, line, bytes] of batch) got.push([line, bytes !== undefined]);
    }
    expect(got).toEqual([
      ['ok €', true],
      ['b\uFFFD', false],
      ['a', false],
      ['b', false],
      ['', true],
    ]);
  });

  it('reports a truncated gzip file with the last line read', async () => {
    const path = join(dir, 'cut.gz');
    const gz = gzipSync('first\nsecond\n'.repeat(1000));
    writeFileSync(path, gz.subarray(0, gz.length - 10));
    const error = await collect(path, true).catch((e: unknown) => e);
    expect(isPatchPilotError(error) && error.code).toBe('ADVISORY_INPUT_INVALID');
    expect(String((error as Error).message)).toMatch(/cannot read past line \d+/);
  });

  it('says a file that is not gzip at all cannot be read, without a line 0', async () => {
    const path = join(dir, 'plain.jsonl.gz');
    writeFileSync(path, '{"id":"x"}\n');
    const error = await collect(path, true).catch((e: unknown) => e);
    expect(isPatchPilotError(error) && error.code).toBe('ADVISORY_INPUT_INVALID');
    expect(String((error as Error).message)).toBe(`${path}: cannot read it: incorrect header check`);
  });
});

describe('readLines: a line without end', () => {
  it('refuses a line longer than MAX_LINE_BYTES before it fills memory (a gzip bomb of one line)', async () => {
    {
      const path = join(dir, 'bomb.jsonl.gz');
      // 80 MB of one line, compressed to about 80 KB.
      writeFileSync(path, gzipSync(Buffer.alloc(80 * 1024 * 1024, 0x61)));
      const error = await (async () => {
        for await (const _ of readLines(path, true)) {
          // nothing: the first batch never ends
        }
      })().catch((e: unknown) => e);
      expect(isPatchPilotError(error) && error.code).toBe('ADVISORY_INPUT_INVALID');
      expect(String((error as Error).message)).toBe(
        `${path}: line 1 is longer than ${MAX_LINE_BYTES / (1024 * 1024)} MB`,
      );
    }
  });
});
