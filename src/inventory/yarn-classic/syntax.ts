import { PatchPilotError } from '../../core/errors.js';

/**
 * The syntax of yarn classic's (v1) lockfile, which is not YAML: `#` comments, two-space
 * indentation, keys and values separated by a space (`version "1.0.0"`), blocks opened by a key
 * ending in `:`, several keys sharing one block (`"a@^1", a@^1.2:`), strings quoted JSON-style or
 * bare (yarn's tokenizer also takes `key: value`, and so does this one).
 *
 * Read line by line in one pass straight into entries: the fields PatchPilot uses are kept, other
 * fields and blocks (`uid`, `registry`, anything a future yarn 1 adds) are checked for syntax and
 * skipped. No intermediate object tree: a 30,000-line lockfile is read in a few milliseconds.
 */

/** One top-level entry: every pattern that shares it and what they resolved to. */
export interface LockEntry {
  readonly keys: readonly string[];
  /** The line the entry starts on (1-based). */
  readonly line: number;
  version: string | undefined;
  resolved: string | undefined;
  integrity: string | undefined;
  /** `[name, range, name, range, ...]`, in file order. */
  dependencies: string[] | undefined;
  optionalDependencies: string[] | undefined;
}

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const HASH = 35;

export const syntaxError = (path: string, line: number, detail: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_INVALID', `${path}: line ${line}: ${detail}`, {
    hint: 'the yarn.lock is corrupt or was edited by hand; regenerate it with `yarn install`',
  });

/** What the lines of one indentation level add to: an entry's fields (level 1)... */
const INTO_ENTRY = 0;
/** ...the ranges of its `dependencies:` or `optionalDependencies:` (level 2)... */
const INTO_DEPENDENCIES = 1;
/** ...or anything else, checked for syntax and not kept. */
const INTO_SKIP = 2;

/** Parses the lockfile text into its entries, in file order. */
export const parseLockfileEntries = (content: string, path: string): LockEntry[] => {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const entries: LockEntry[] = [];
  // into[level] says what a line indented by `level` steps adds to; `depth` levels are open.
  const into: number[] = [INTO_SKIP];
  let depth = 1;
  let entry: LockEntry | undefined;
  let deps: string[] | undefined;
  const keys: string[] = [];
  let lineNo = 0;
  let start = 0;
  const length = text.length;
  while (start <= length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = length;
    lineNo++;
    // The line is text[lineStart, stop); positions below are offsets into `text`.
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    const lineStart = start;
    start = end + 1;

    let i = lineStart;
    while (i < stop && text.charCodeAt(i) === SPACE) i++;
    if (i === stop) continue; // blank
    const first = text.charCodeAt(i);
    if (first === HASH) continue; // comment
    const indent = i - lineStart;
    if (first === TAB) throw syntaxError(path, lineNo, 'tab in indentation (yarn.lock indents with spaces)');
    if (
      indent === 0 &&
      (first === 60 || first === 61 || first === 62) &&
      /^(<{7}|={7}|>{7})/.test(text.slice(i, i + 7))
    ) {
      throw syntaxError(path, lineNo, 'unresolved merge conflict marker');
    }
    if (indent % 2 !== 0) {
      throw syntaxError(path, lineNo, `indentation of ${indent} spaces is not a multiple of 2`);
    }
    const level = indent / 2;
    if (level >= depth) throw syntaxError(path, lineNo, 'unexpected indentation');
    depth = level + 1;

    // Keys: one or more strings separated by commas.
    keys.length = 0;
    while (true) {
      i = readKey(text, i, stop, path, lineNo);
      keys.push(token);
      while (i < stop && text.charCodeAt(i) === SPACE) i++;
      if (i >= stop || text.charCodeAt(i) !== COMMA) break;
      i++;
      while (i < stop && text.charCodeAt(i) === SPACE) i++;
      if (i === stop) throw syntaxError(path, lineNo, 'expected a key after ","');
    }
    let colon = false;
    if (i < stop && text.charCodeAt(i) === COLON) {
      colon = true;
      i++;
      while (i < stop && text.charCodeAt(i) === SPACE) i++;
    }
    const key = keys[0] as string;

    if (i === stop || text.charCodeAt(i) === HASH) {
      // A block opens.
      if (!colon)
        throw syntaxError(path, lineNo, `expected a value or ":" after ${JSON.stringify(keys.at(-1))}`);
      let child = INTO_SKIP;
      if (level === 0) {
        entry = {
          keys: keys.slice(),
          line: lineNo,
          version: undefined,
          resolved: undefined,
          integrity: undefined,
          dependencies: undefined,
          optionalDependencies: undefined,
        };
        entries.push(entry);
        child = INTO_ENTRY;
      } else if (into[level] === INTO_ENTRY && entry) {
        if (key === 'dependencies' || key === 'optionalDependencies') {
          deps = [];
          entry[key] = deps;
          child = INTO_DEPENDENCIES;
        } else if (key === 'version' || key === 'resolved' || key === 'integrity') {
          throw syntaxError(path, lineNo, `"${key}" must be a string, not a block`);
        }
      } else if (into[level] === INTO_DEPENDENCIES) {
        throw syntaxError(path, lineNo, `dependency ${JSON.stringify(key)} must have a range, not a block`);
      }
      into[depth++] = child;
      continue;
    }

    if (!colon && text.charCodeAt(i - 1) !== SPACE) {
      throw syntaxError(path, lineNo, `expected a space after ${JSON.stringify(keys.at(-1))}`);
    }
    i = readValue(text, i, stop, path, lineNo);
    while (i < stop && text.charCodeAt(i) === SPACE) i++;
    if (i < stop && text.charCodeAt(i) !== HASH) {
      const rest = text.slice(i, Math.min(stop, i + 20));
      throw syntaxError(path, lineNo, `unexpected ${JSON.stringify(rest)} after the value`);
    }
    if (level === 0)
      throw syntaxError(path, lineNo, `top-level key ${JSON.stringify(key)} must open a block`);
    const target = into[level];
    if (target === INTO_DEPENDENCIES) {
      for (const name of keys) (deps as string[]).push(name, token);
    } else if (target === INTO_ENTRY && entry) {
      for (const name of keys) {
        if (name === 'version' || name === 'resolved' || name === 'integrity') entry[name] = token;
        else if (name === 'dependencies' || name === 'optionalDependencies') {
          throw syntaxError(path, lineNo, `"${name}" must be a block`);
        }
      }
    }
  }
  return entries;
};

/** The last string readKey or readValue read (kept here to spare an object per token). */
let token = '';

/** A quoted string at `at` (JSON escapes) into `token`; returns where it ends. */
const readQuoted = (text: string, at: number, stop: number, path: string, lineNo: number): number => {
  const close = text.indexOf('"', at + 1);
  if (close !== -1 && close < stop) {
    token = text.slice(at + 1, close);
    if (!token.includes('\\')) return close + 1;
  }
  // Escapes: find the closing quote past any `\"`, then let JSON decode the string.
  let end = at + 1;
  while (end < stop) {
    const c = text.charCodeAt(end);
    if (c === BACKSLASH) end += 2;
    else if (c === QUOTE) break;
    else end++;
  }
  if (end >= stop) throw syntaxError(path, lineNo, 'unterminated string');
  const raw = text.slice(at, end + 1);
  try {
    token = JSON.parse(raw) as string;
  } catch {
    throw syntaxError(path, lineNo, `invalid escape in string ${raw}`);
  }
  return end + 1;
};

/** A key: quoted, or bare up to a space, a comma or a colon (as yarn's tokenizer reads it). */
const readKey = (text: string, at: number, stop: number, path: string, lineNo: number): number => {
  if (text.charCodeAt(at) === QUOTE) return readQuoted(text, at, stop, path, lineNo);
  let i = at;
  while (i < stop) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB || c === COMMA || c === COLON) break;
    if (c === QUOTE) throw syntaxError(path, lineNo, "unexpected '\"' inside a bare word");
    i++;
  }
  if (i === at) {
    const what = at >= stop ? 'end of line' : JSON.stringify(text[at]);
    throw syntaxError(path, lineNo, `expected a key, found ${what}`);
  }
  token = text.slice(at, i);
  return i;
};

/** A value: quoted, or bare up to the next space (integrity hashes, booleans, old bare ranges). */
const readValue = (text: string, at: number, stop: number, path: string, lineNo: number): number => {
  if (text.charCodeAt(at) === QUOTE) return readQuoted(text, at, stop, path, lineNo);
  let end = text.indexOf(' ', at);
  if (end === -1 || end > stop) end = stop;
  token = text.slice(at, end);
  if (token.includes('"')) throw syntaxError(path, lineNo, "unexpected '\"' inside a bare word");
  return end;
};
