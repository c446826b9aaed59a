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
    const found = objectMembers(text, at)
      ?.members.filter((m) => m.key === key)
      .at(-1);
    if (found === undefined) return undefined;
    at = found.valueStart;
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

interface Member {
  readonly key: string;
  /** Where the member's key starts, and where its value ends. */
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** The members of the object that starts at `at`, in order; undefined when there is none. */
const objectMembers = (text: string, start: number): { members: Member[]; close: number } | undefined => {
  if (text.charCodeAt(start) !== 123) return undefined;
  let at = skipSpace(text, start + 1);
  const members: Member[] = [];
  while (text.charCodeAt(at) === 34) {
    const keyStart = at;
    const keyEnd = stringEnd(text, at);
    if (keyEnd < 0) return undefined;
    const key = JSON.parse(text.slice(at, keyEnd)) as string;
    at = skipSpace(text, keyEnd);
    if (text.charCodeAt(at) !== 58) return undefined;
    const valueStart = skipSpace(text, at + 1);
    const end = valueEnd(text, valueStart);
    if (end < 0) return undefined;
    members.push({ key, start: keyStart, valueStart, end });
    at = skipSpace(text, end);
    if (text.charCodeAt(at) === 44) at = skipSpace(text, at + 1);
  }
  return text.charCodeAt(at) === 125 ? { members, close: at } : undefined;
};

/** The members of the top-level object, in order; undefined when the text is not one. */
const topLevelMembers = (text: string): { members: Member[]; close: number } | undefined =>
  objectMembers(text, skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0));

/**
 * The text with the top-level members that differ between `before` (what the text holds) and
 * `after` written anew, everything else byte for byte as it was: a member changed in place, one
 * added at the end, one removed. undefined when that cannot be done (a key given twice, members
 * reordered, an empty object); the caller writes the whole document then.
 */
export const rewriteTopLevelMembers = (
  text: string,
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
  format: JsonFormat,
): string | undefined => {
  const parsed = topLevelMembers(text);
  if (parsed === undefined || parsed.members.length === 0) return undefined;
  const { members } = parsed;
  if (new Set(members.map((m) => m.key)).size !== members.length) return undefined;
  const kept = Object.keys(before).filter((k) => Object.hasOwn(after, k));
  const added = Object.keys(after).filter((k) => !Object.hasOwn(before, k));
  // The order after is the order before, less what went, with what came at the end.
  if (Object.keys(after).join('\u0000') !== [...kept, ...added].join('\u0000')) return undefined;
  const lineIndent = (at: number): string | undefined => {
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    const lead = text.slice(lineStart, at);
    return /^[ \t]*$/.test(lead) ? lead : undefined;
  };
  const first = members[0] as Member;
  const memberIndent = lineIndent(first.start);
  const serialise = (value: unknown): string =>
    memberIndent === undefined
      ? JSON.stringify(value)
      : JSON.stringify(value, null, format.indent).split('\n').join(`${format.newline}${memberIndent}`);
  let out = text;
  // From the end, so that earlier offsets stay true. What is added goes after the last member kept.
  const lastKept = [...members].reverse().find((m) => Object.hasOwn(after, m.key));
  if (added.length > 0 && lastKept === undefined) return undefined;
  const separator = memberIndent === undefined ? ', ' : `,${format.newline}${memberIndent}`;
  const insertion = added.map((k) => `${separator}${JSON.stringify(k)}: ${serialise(after[k])}`).join('');
  for (let i = members.length - 1; i >= 0; i--) {
    const m = members[i] as Member;
    if (m === lastKept && insertion !== '') out = `${out.slice(0, m.end)}${insertion}${out.slice(m.end)}`;
    if (!Object.hasOwn(after, m.key)) {
      // With the comma and space before it, or (the first member) after it.
      const previous = members[i - 1];
      const next = members[i + 1];
      if (previous !== undefined) out = `${out.slice(0, previous.end)}${out.slice(m.end)}`;
      else if (next !== undefined) out = `${out.slice(0, m.start)}${out.slice(next.start)}`;
      else return undefined;
    } else if (JSON.stringify(before[m.key]) !== JSON.stringify(after[m.key])) {
      out = `${out.slice(0, m.valueStart)}${serialise(after[m.key])}${out.slice(m.end)}`;
    }
  }
  try {
    return JSON.stringify(JSON.parse(out.charCodeAt(0) === 0xfeff ? out.slice(1) : out)) ===
      JSON.stringify(after)
      ? out
      : undefined;
  } catch {
    return undefined;
  }
};
