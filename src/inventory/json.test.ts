import { describe, expect, it } from 'vitest';
import { isPatchPilotError } from '../core/errors.js';
import { jsonErrorOffset, parseJsonDocument } from './json.js';

describe('jsonErrorOffset', () => {
  it.each([
    ['{"a": }', 6],
    ['{"a": [1, 2', 11],
    ['', 0],
    ['{"a": 1,}', 8],
    ['{"a": tru}', 9],
    ['{\n  "a": 1\n  "b": 2\n}', 13],
    ['{"a": "x\u0001"}', 8],
    ['[1, 2] x', 7],
    ['{"a": -}', 6],
  ])('%j fails at %i', (text, offset) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(jsonErrorOffset(text)).toBe(offset);
  });
});

describe('parseJsonDocument', () => {
  const error = (text: string) => {
    try {
      parseJsonDocument(text, '/p/package-lock.json', 'LOCKFILE_INVALID_JSON');
    } catch (e) {
      return e;
    }
    throw new Error('expected a parse error');
  };

  it('names the line and column of a syntax error', () => {
    const e = error('{\n  "lockfileVersion": 3,\n  "packages": {,}\n}');
    expect(isPatchPilotError(e) && e.code).toBe('LOCKFILE_INVALID_JSON');
    expect((e as Error).message).toMatch(
      /^\/p\/package-lock\.json: invalid JSON at line 3, column 16: unexpected character ","/,
    );
  });

  it('says when the document ends early', () => {
    expect((error('{\n  "lockfileVersion": 3,\n  "packages": {\n') as Error).message).toBe(
      '/p/package-lock.json: invalid JSON at line 4, column 1: the document ends early (truncated?)',
    );
  });
});
