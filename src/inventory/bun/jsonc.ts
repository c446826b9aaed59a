import { parseJsonDocument } from '../json.js';

/**
 * Parses the JSON dialect bun writes and reads for bun.lock (and accepts in package.json): JSON
 * plus trailing commas and `//` and `/* *\/` comments. Comments and trailing commas are blanked
 * out with spaces (newlines kept), so every offset is unchanged and the strict parser's errors
 * keep pointing at the right line and column.
 */
export const parseJsoncDocument = (
  content: string,
  path: string,
  code: 'LOCKFILE_INVALID_JSON' | 'MANIFEST_INVALID',
): unknown => parseJsonDocument(stripJsonc(content), path, code);

/** The text with comments and trailing commas replaced by spaces; strings are left untouched. */
export const stripJsonc = (text: string): string => {
  // Fast path: nothing to strip when there is no comment opener and no comma before a closer.
  if (!text.includes('/') && !/,\s*[}\]]/.test(text)) return text;
  const out = text.split('');
  /**
   * Where a search for `*\/` found none: no search from there on can find one, so none is repeated
   * (each unterminated `/*` would otherwise scan to the end again: quadratic).
   */
  let noCloseFrom = text.length + 1;
  /** The end of the comment starting at `i` (which holds a `/`), or -1 when none starts there. */
  const commentEnd = (i: number): number => {
    const next = text[i + 1];
    if (next === '/') {
      const newline = text.indexOf('\n', i + 2);
      return newline === -1 ? text.length : newline;
    }
    if (next === '*') {
      if (i + 2 >= noCloseFrom) return -1;
      const close = text.indexOf('*/', i + 2);
      // An unterminated block comment is left as is: the strict parser reports it.
      if (close === -1) {
        noCloseFrom = i + 2;
        return -1;
      }
      return close + 2;
    }
    return -1;
  };
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  let i = 0;
  /** The last character outside comments and whitespace: a comma right after `[`, `{` or `,` stays. */
  let last = '';
  while (i < text.length) {
    const c = text[i] as string;
    const previous = last;
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r' && c !== '/') last = c;
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '/') {
      const end = commentEnd(i);
      if (end === -1) i++;
      else {
        blank(i, end);
        i = end;
      }
    } else if (c === ',') {
      // A trailing comma: only whitespace and comments between it and the closing bracket.
      let j = i + 1;
      while (j < text.length) {
        const d = text[j] as string;
        if (d === ' ' || d === '\t' || d === '\n' || d === '\r') j++;
        else if (d === '/' && commentEnd(j) !== -1) j = commentEnd(j);
        else break;
      }
      if ((text[j] === '}' || text[j] === ']') && !'[{,'.includes(previous)) out[i] = ' ';
      i++;
    } else i++;
  }
  return out.join('');
};
