import { describe, expect, it } from 'vitest';
import { escapeAttribute, escapeText } from './gate-junit.js';

describe('JUnit XML escaping', () => {
  it('escapes markup, keeps line breaks in attributes, and drops what XML 1.0 cannot hold', () => {
    expect(escapeText('a < b && c > "d"')).toBe('a &lt; b &amp;&amp; c &gt; "d"');
    expect(escapeAttribute(`say "it's"\n\tdone\r`)).toBe('say &quot;it&apos;s&quot;&#10;&#9;done&#13;');
    expect(escapeText('bell\u0007 escape\u001b[31m nul\u0000')).toBe('bell escape[31m nul');
    expect(escapeText('lone \ud800 surrogate, pair \ud83d\ude00')).toBe(
      'lone \ufffd surrogate, pair \ud83d\ude00',
    );
  });
});
