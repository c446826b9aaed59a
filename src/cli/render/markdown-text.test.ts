import { describe, expect, it } from 'vitest';
import { markdownCell, markdownCode } from './markdown-text.js';

describe('markdownCell', () => {
  it('keeps text on one line, in its cell, and never as HTML', () => {
    expect(markdownCell('a | b\r\nc\rd\ne')).toBe('a \\| b c d e');
    expect(markdownCell('<!-- hidden --> <details> & Jane <jane@example.org>')).toBe(
      '&lt;!-- hidden --> &lt;details> &amp; Jane &lt;jane@example.org>',
    );
  });

  it('shows Markdown syntax as text: no link, image, emphasis, code or block', () => {
    expect(markdownCell('see [docs](https://evil.example) ![x](https://evil.example/p.png)')).toBe(
      'see \\[docs\\](https://&#8203;evil.example) !\\[x\\](https://&#8203;evil.example/p.png)',
    );
    expect(markdownCell('**urgent** _now_ ~~no~~ `x` a\\b')).toBe(
      '\\*\\*urgent\\*\\* \\_now\\_ \\~\\~no\\~\\~ \\`x\\` a\\\\b',
    );
    // A block marker that starts a list item's text would open a heading, a quote or a list.
    expect(markdownCell('# big')).toBe('\\# big');
    expect(markdownCell('> quoted')).toBe('\\> quoted');
    expect(markdownCell('- item')).toBe('\\- item');
    expect(markdownCell('1. first')).toBe('1\\. first');
    expect(markdownCell('a - b # c 1. d')).toBe('a - b # c 1. d');
    expect(markdownCell('not_affected snake_case_name _x x_ __init__')).toBe(
      'not_affected snake_case_name \\_x x\\_ \\_\\_init\\_\\_',
    );
    expect(markdownCell('1.0.0 → 1.0.1')).toBe('1.0.0 → 1.0.1');
    // Leading blanks would let a marker through, or open a code block in a list item.
    expect(markdownCell('   # big')).toBe('\\# big');
    expect(markdownCell('    code')).toBe('code');
    expect(markdownCell('costs $5 or $$x$$')).toBe('costs \\$5 or \\$\\$x\\$\\$');
  });

  it('mentions nobody and references no issue', () => {
    expect(markdownCell('@types/node by @jane, cc @org/team')).toBe(
      '@&#8203;types/node by @&#8203;jane, cc @&#8203;org/team',
    );
    expect(markdownCell('fixes #12, GH-7 and org/repo#3; GHSA-x')).toBe(
      'fixes #&#8203;12, GH-&#8203;7 and org/repo#&#8203;3; GHSA-x',
    );
    // GitHub links a bare address itself.
    expect(markdownCell('see https://evil.example, http://x.example and www.evil.example')).toBe(
      'see https://&#8203;evil.example, http://&#8203;x.example and www&#8203;.evil.example',
    );
    // Neither a version after a name nor an address mentions anyone.
    expect(markdownCell('lodash@4.17.21 jane@example.org')).toBe('lodash@4.17.21 jane@example.org');
    // Text that already holds the entity shows it as written.
    expect(markdownCell('@&#8203;x')).toBe('@&amp;#&#8203;8203;x');
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
