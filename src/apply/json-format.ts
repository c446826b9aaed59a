/**
 * How a JSON file is laid out, so that an edit writes it back the way it was: npm (and most
 * editors) write package.json and package-lock.json with JSON.stringify, so a file re-serialised
 * with its own indent, newline style and final newline differs only where a value changed.
 */
export interface JsonFormat {
  /** The indent of one level: spaces or a tab. */
  readonly indent: string;
  readonly newline: '\n' | '\r\n';
  /** Whether the file ends with a newline. */
  readonly finalNewline: boolean;
}

const defaultIndent = '  ';

/**
 * The file's format: the indent of its first indented line (a first-level key, so one level),
 * 2 spaces when no line is indented; CRLF when the first line break is one.
 */
export const detectJsonFormat = (text: string): JsonFormat => {
  const firstBreak = text.indexOf('\n');
  const newline = firstBreak > 0 && text.charCodeAt(firstBreak - 1) === 13 ? '\r\n' : '\n';
  const indented = /\n([ \t]+)[^ \t\r\n]/.exec(text);
  return {
    indent: indented ? (indented[1] as string) : defaultIndent,
    newline,
    finalNewline: text.endsWith('\n'),
  };
};

/** JSON.stringify with the file's indent, newline style and final newline. */
export const formatJson = (value: unknown, format: JsonFormat): string => {
  const text = JSON.stringify(value, null, format.indent);
  // JSON.stringify escapes line breaks inside strings, so every raw \n is a line break.
  const lines = format.newline === '\n' ? text : text.replaceAll('\n', '\r\n');
  return format.finalNewline ? `${lines}${format.newline}` : lines;
};

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

const skipSpace = (text: string, i: number): number => {
  let at = i;
  while (at < text.length && isSpace(text.charCodeAt(at))) at++;
  return at;
};

/** The end of the string token starting at `i` (a `"`), just past its closing quote. */
const stringEnd = (text: string, i: number): number => {
  let at = i + 1;
  while (at < text.length) {
    const c = text.charCodeAt(at);
    if (c === 92) at += 2;
    else if (c === 34) return at + 1;
    else at++;
  }
  return -1;
};

/** The end of the JSON value starting at `i`; iterative, so that depth costs no stack. */
const valueEnd = (text: string, i: number): number => {
  const c = text.charCodeAt(i);
  if (c === 34) return stringEnd(text, i);
  if (c !== 123 && c !== 91) {
    let at = i;
    while (at < text.length && !/[\s,}\]]/.test(text.charAt(at))) at++;
    return at;
  }
  let depth = 0;
  let at = i;
  while (at < text.length) {
    const d = text.charCodeAt(at);
    if (d === 34) {
      at = stringEnd(text, at);
      if (at < 0) return -1;
      continue;
    }
    if (d === 123 || d === 91) depth++;
    else if (d === 125 || d === 93) {
      depth--;
      if (depth === 0) return at + 1;
    }
    at++;
  }
  return -1;
};

/**
 * Where the value at `path` (object keys from the top) is in a JSON text: [start, end), or
 * undefined when the path leads elsewhere. A key given twice counts as its last, as for
 * JSON.parse. The text is one JSON.parse already read.
 */
export const jsonValueSpan = (text: string, path: readonly string[]): [number, number] | undefined => {
  let at = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  for (const key of path) {
    if (text.charCodeAt(at) !== 123) return undefined;
    at = skipSpace(text, at + 1);
    let found: number | undefined;
    while (text.charCodeAt(at) === 34) {
      const keyEnd = stringEnd(text, at);
      if (keyEnd < 0) return undefined;
      const name = JSON.parse(text.slice(at, keyEnd)) as string;
      at = skipSpace(text, keyEnd);
      if (text.charCodeAt(at) !== 58) return undefined;
      const start = skipSpace(text, at + 1);
      const end = valueEnd(text, start);
      if (end < 0) return undefined;
      if (name === key) found = start;
      at = skipSpace(text, end);
      if (text.charCodeAt(at) === 44) at = skipSpace(text, at + 1);
    }
    if (found === undefined) return undefined;
    at = found;
  }
  const end = valueEnd(text, at);
  return end < 0 ? undefined : [at, end];
};

/**
 * The text with the string values at the given paths replaced, everything else byte for byte as
 * it was; undefined when a path does not lead to a string value.
 */
export const replaceJsonStrings = (
  text: string,
  edits: readonly { readonly path: readonly string[]; readonly value: string }[],
): string | undefined => {
  const spans: { start: number; end: number; value: string }[] = [];
  for (const edit of edits) {
    const span = jsonValueSpan(text, edit.path);
    if (span === undefined || text.charCodeAt(span[0]) !== 34) return undefined;
    spans.push({ start: span[0], end: span[1], value: edit.value });
  }
  spans.sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = `${out.slice(0, s.start)}${JSON.stringify(s.value)}${out.slice(s.end)}`;
  return out;
};
