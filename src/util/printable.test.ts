import { describe, expect, it } from 'vitest';
import { printable, printableText, withoutColours } from './printable.js';

describe('printable', () => {
  it('escapes every control character, line breaks and bidi overrides included, and nothing else', () => {
    expect(printable('a\u001b[2Jb\r\n\t\u0085\u007f\u202e\u2066c')).toBe(
      'a\\u001b[2Jb\\u000d\\u000a\\u0009\\u0085\\u007f\\u202e\\u2066c',
    );
    expect(printable('café ✓ 名前 @scope/name')).toBe('café ✓ 名前 @scope/name');
  });

  it('keeps the line feeds and tabs of a whole text, and returns a clean text as it is', () => {
    expect(printableText('line 1\n\tline 2\r\u001b[A\n')).toBe('line 1\n\tline 2\\u000d\\u001b[A\n');
    const clean = 'no controls here\n';
    expect(printableText(clean)).toBe(clean);
    // CRLF line ends (a child process's output) end lines; colours of such output can be dropped first.
    expect(printableText('a\r\nb\r')).toBe('a\nb\\u000d');
    expect(withoutColours('\u001b[31mFAIL\u001b[0m x \u001b]0;t\u0007')).toBe('FAIL x \u001b]0;t\u0007');
    // The same result twice: the pattern keeps no state between calls.
    expect(printableText('x\u0007')).toBe('x\\u0007');
    expect(printableText('x\u0007')).toBe('x\\u0007');
  });
});
