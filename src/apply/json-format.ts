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
