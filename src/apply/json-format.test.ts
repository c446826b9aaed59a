import { describe, expect, it } from 'vitest';
import { detectJsonFormat, formatJson, rewriteTopLevelMembers } from './json-format.js';

describe('detectJsonFormat', () => {
  it.each([
    ['two spaces, LF', '{\n  "a": 1\n}\n', { indent: '  ', newline: '\n', finalNewline: true }],
    [
      'four spaces',
      '{\n    "a": {\n        "b": 1\n    }\n}\n',
      { indent: '    ', newline: '\n', finalNewline: true },
    ],
    ['a tab', '{\n\t"a": 1\n}\n', { indent: '\t', newline: '\n', finalNewline: true }],
    ['CRLF', '{\r\n  "a": 1\r\n}\r\n', { indent: '  ', newline: '\r\n', finalNewline: true }],
    ['no final newline', '{\n  "a": 1\n}', { indent: '  ', newline: '\n', finalNewline: false }],
    ['nothing indented: 2 spaces', '{}\n', { indent: '  ', newline: '\n', finalNewline: true }],
    ['one line', '{"a":1}', { indent: '  ', newline: '\n', finalNewline: false }],
    [
      'blank lines before the first indented one',
      '{\n\n   "a": 1\n}\n',
      { indent: '   ', newline: '\n', finalNewline: true },
    ],
  ])('%s', (_name, text, format) => {
    expect(detectJsonFormat(text)).toEqual(format);
  });
});

describe('formatJson', () => {
  it.each([
    '{\n  "a": 1,\n  "b": [\n    "x"\n  ],\n  "c": {}\n}\n',
    '{\n\t"a": {\n\t\t"b": "c"\n\t}\n}\n',
    '{\r\n  "name": "x",\r\n  "dependencies": {\r\n    "a": "^1.0.0"\r\n  }\r\n}\r\n',
    '{\n    "a": "line\\nbreak"\n}',
  ])('writes a JSON.stringify-formatted file back byte for byte (%#)', (text) => {
    expect(formatJson(JSON.parse(text), detectJsonFormat(text))).toBe(text);
  });

  it('keeps line breaks inside strings escaped with CRLF', () => {
    const text = formatJson({ a: 'x\ny' }, { indent: '  ', newline: '\r\n', finalNewline: false });
    expect(text).toBe('{\r\n  "a": "x\\ny"\r\n}');
  });
});

describe('rewriteTopLevelMembers', () => {
  const format = { indent: '  ', newline: '\n', finalNewline: true } as const;
  it('writes anew only the members that differ, and declines what it cannot do in place', () => {
    const text = '{\n  "a": { "x": 1 },\n  "b": [1, 2],\n  "c": "gone"\n}\n';
    expect(
      rewriteTopLevelMembers(
        text,
        { a: { x: 1 }, b: [1, 2], c: 'gone' },
        { a: { x: 1 }, b: [1, 2, 3], d: 'new' },
        format,
      ),
    ).toBe('{\n  "a": { "x": 1 },\n  "b": [\n    1,\n    2,\n    3\n  ],\n  "d": "new"\n}\n');
    // Members reordered, a key given twice, an empty object: the caller writes the whole document.
    expect(rewriteTopLevelMembers(text, { a: 1, b: 2, c: 3 }, { b: 2, a: 1, c: 3 }, format)).toBeUndefined();
    expect(rewriteTopLevelMembers('{"a": 1, "a": 2}', { a: 2 }, { a: 3 }, format)).toBeUndefined();
    expect(rewriteTopLevelMembers('{}', {}, { a: 1 }, format)).toBeUndefined();
  });
});
