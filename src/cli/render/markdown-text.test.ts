import { describe, expect, it } from 'vitest';
import { markdownCell, markdownCode } from './markdown-text.js';

describe('markdownCell', () => {
  it('keeps text on one line, in its cell, and never as HTML', () => {
    expect(markdownCell('a | b\r\nc\rd\ne')).toBe('a \\| b c d e');
    expect(markdownCell('<!-- hidden --> <details> & Jane <jane@example.org>')).toBe(
      '&lt;!-- hidden --> &lt;details> &amp; Jane &lt;jane@example.org>',
    );
  });
});

describe('markdownCode', () => {
  it('is one code span whatever backticks the text holds', () => {
    expect(markdownCode('lodash@4.17.21')).toBe('`lodash@4.17.21`');
    // A backtick in a lockfile's name cannot close the span and let `<!--` hide what follows.
    expect(markdownCode('x`<!--')).toBe('`` x`<!-- ``');
    expect(markdownCode('a``b`')).toBe('``` a``b` ```');
    expect(markdownCode('a|b\nc')).toBe('`a|b c`');
    expect(markdownCode('a|b', true)).toBe('`a\\|b`');
  });
});
