/**
 * Text that reaches a terminal, a CI log or a pull-request comment quotes lockfiles, manifests,
 * advisories and server answers, any of which may hold control characters: an escape sequence
 * that recolours, hides or rewrites what was printed before it, a carriage return or backspace
 * that overwrites it, or a bidirectional override that shows it in another order. They are shown
 * escaped instead (`\u001b`), which inside a JSON string is the same character.
 */

// C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const control = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// The same, but line feeds and tabs, which lay out whole reports.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const controlInText = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escaped = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One value (a name, a path, a reason phrase) as one line: every control character escaped. */
export const printable = (text: string): string => text.replace(control, escaped);

/**
 * A whole report or message: line feeds and tabs kept, every other control character escaped.
 * Checked before it is replaced: most output has none, and a large report is only read once.
 */
export const printableText = (text: string): string => {
  controlInText.lastIndex = 0;
  if (!controlInText.test(text)) return text;
  // A line ending CRLF (a child process's output quoted in a report) ends a line; a lone CR is escaped.
  return text.replace(/\r\n/g, '\n').replace(controlInText, escaped);
};

/**
 * The output of a command the project runs (its tests, its package manager), without the colour
 * and style sequences test runners write (`\u001b[31m`): quoted in a report they would only show
 * escaped. Any other control character stays, to be escaped when printed.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched
export const withoutColours = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');
