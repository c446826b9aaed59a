import { PatchPilotError } from '../../core/errors.js';
import { MAX_YAML_ALIASES, withBoundedAliases, yaml } from '../lazy.js';

/**
 * Reads pnpm-lock.yaml into plain values. The `yaml` package is the reference reader, but it takes
 * several hundred milliseconds on a large lockfile, so the layout pnpm writes (js-yaml's dump: block
 * mappings and sequences, plain and quoted scalars on one line, one-line flow collections) is first
 * read by `readSimpleYaml`, a strict reader of that subset. Whenever the text holds anything outside
 * the subset (anchors, tags, block scalars, multi-line scalars, comments after values, duplicate
 * keys, errors), it gives up and the `yaml` package reads the whole file, and reports errors with a
 * line and column. Both readers give the same values on what the subset reader accepts (tested
 * against each other in yaml.test.ts).
 */
export const readYamlDocuments = (content: string, path: string): unknown[] => {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  let fast: unknown[] | undefined;
  try {
    fast = readSimpleYaml(text);
  } catch (error) {
    if (error instanceof TooDeep) throw tooDeep(path);
    throw error;
  }
  if (fast !== undefined) return fast;
  return readWithYamlPackage(text, path);
};

/** How deep block collections may nest; pnpm writes five or six levels. */
export const MAX_YAML_DEPTH = 200;

const tooDeep = (path: string): PatchPilotError =>
  new PatchPilotError('LOCKFILE_INVALID_YAML', `${path}: collections nest more than ${MAX_YAML_DEPTH} deep`, {
    hint: 'pnpm does not write such a lockfile; regenerate it with pnpm install',
  });

export const readWithYamlPackage = (text: string, path: string): unknown[] => {
  let docs: ReturnType<ReturnType<typeof yaml>['parseAllDocuments']>;
  try {
    docs = yaml().parseAllDocuments(text, { prettyErrors: true });
  } catch (error) {
    // Nesting deep enough to exhaust the call stack: an input error, not a crash.
    if (error instanceof RangeError) throw tooDeep(path);
    throw error;
  }
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const [line, column] = error.linePos ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
      const reason = (error.message.split('\n')[0] ?? error.message).replace(
        / at line \d+, column \d+:?$/,
        '',
      );
      throw new PatchPilotError(
        'LOCKFILE_INVALID_YAML',
        `${path}: invalid YAML at line ${line}, column ${column}: ${reason}`,
        {
          hint: 'the lockfile is corrupt or was cut short; regenerate it with pnpm install',
          cause: error,
        },
      );
    }
  }
  try {
    return withBoundedAliases(
      () => list.map((doc) => doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown),
      (reason) =>
        new PatchPilotError('LOCKFILE_INVALID_YAML', `${path}: ${reason}`, {
          hint: 'pnpm does not write such a lockfile; regenerate it with pnpm install',
        }),
    );
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep(path);
    throw error;
  }
};

/** The subset reader met something it does not handle. */
class Unsupported extends Error {}
/** Block collections nested deeper than `MAX_YAML_DEPTH`. */
class TooDeep extends Error {}
const unsupported = (): never => {
  throw new Unsupported();
};

/** The documents of `text`, or undefined when it is not in the subset pnpm writes. */
export const readSimpleYaml = (text: string): unknown[] | undefined => {
  try {
    return new SimpleReader(text).documents();
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
};

const own = Object.hasOwn;

class SimpleReader {
  private readonly lines: string[];
  /** Indentation of each line; -1 for blank and comment-only lines. */
  private readonly indents: Int32Array;
  private pos = 0;
  private end = 0;
  private depth = 0;

  constructor(text: string) {
    this.lines = text.split('\n');
    this.indents = new Int32Array(this.lines.length);
    for (let i = 0; i < this.lines.length; i++) {
      let line = this.lines[i] as string;
      if (line.endsWith('\r')) {
        line = line.slice(0, -1);
        this.lines[i] = line;
      }
      let n = 0;
      while (line.charCodeAt(n) === 32) n++;
      const c = line.charCodeAt(n);
      if (n === line.length || c === 35 /* # */) this.indents[i] = -1;
      else if (c === 9)
        unsupported(); // a tab in indentation
      else this.indents[i] = n;
    }
  }

  documents(): unknown[] {
    const docs: unknown[] = [];
    let start = 0;
    let sawMarker = false;
    const finish = (stop: number, marked: boolean): void => {
      this.pos = start;
      this.end = stop;
      const first = this.nextLine();
      if (first === -1) {
        // An empty document between markers (or an empty file): leave it to the full parser.
        if (marked) unsupported();
        return;
      }
      if (this.indents[first] !== 0) unsupported();
      docs.push(this.block(0));
      if (this.nextLine() !== -1) unsupported();
    };
    for (let i = 0; i < this.lines.length; i++) {
      const line = this.lines[i] as string;
      if (line.startsWith('---') || line.startsWith('...') || line.startsWith('%')) {
        if (line !== '---') unsupported();
        if (sawMarker || this.hasContent(start, i)) finish(i, sawMarker);
        start = i + 1;
        sawMarker = true;
      }
    }
    finish(this.lines.length, sawMarker);
    return docs;
  }

  private hasContent(from: number, to: number): boolean {
    for (let i = from; i < to; i++) if ((this.indents[i] as number) !== -1) return true;
    return false;
  }

  /** Index of the next non-blank line from `pos` (skipping blanks), or -1 at the end. */
  private nextLine(): number {
    while (this.pos < this.end && this.indents[this.pos] === -1) this.pos++;
    return this.pos < this.end ? this.pos : -1;
  }

  private isSequenceItem(i: number, indent: number): boolean {
    const line = this.lines[i] as string;
    return (
      line.charCodeAt(indent) === 45 && (line.length === indent + 1 || line.charCodeAt(indent + 1) === 32)
    );
  }

  /** A block node whose first line is at `pos`, indented by `indent`. */
  private block(indent: number): unknown {
    const i = this.nextLine();
    if (i === -1) return unsupported();
    if (this.depth >= MAX_YAML_DEPTH) throw new TooDeep();
    this.depth++;
    try {
      return this.isSequenceItem(i, indent) ? this.sequence(indent) : this.mapping(indent);
    } finally {
      this.depth--;
    }
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (true) {
      const i = this.nextLine();
      if (i === -1) return out;
      const lineIndent = this.indents[i] as number;
      if (lineIndent < indent) return out;
      if (lineIndent > indent || this.isSequenceItem(i, indent)) unsupported();
      const line = this.lines[i] as string;
      const [key, valueStart] = readKey(line, indent);
      if (own(out, key) || key === '__proto__' || key === '<<') unsupported();
      this.pos = i + 1;
      if (valueStart >= line.length) {
        // `key:` alone: a nested block, a sequence at the same indentation, or null.
        const next = this.nextLine();
        if (next !== -1 && (this.indents[next] as number) > indent) {
          out[key] = this.block(this.indents[next] as number);
        } else if (next !== -1 && this.indents[next] === indent && this.isSequenceItem(next, indent)) {
          out[key] = this.sequence(indent);
        } else out[key] = null;
      } else {
        out[key] = readInlineValue(line, valueStart);
        this.checkNoContinuation(indent);
      }
    }
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    while (true) {
      const i = this.nextLine();
      if (i === -1) return out;
      const lineIndent = this.indents[i] as number;
      if (lineIndent < indent || (lineIndent === indent && !this.isSequenceItem(i, indent))) return out;
      if (lineIndent > indent) unsupported();
      const line = this.lines[i] as string;
      let start = indent + 1;
      while (line.charCodeAt(start) === 32) start++;
      if (start >= line.length) unsupported();
      const first = line.charCodeAt(start);
      // A mapping or a nested sequence as an item: not written by pnpm.
      if (first === 45 /* - */ && (start + 1 === line.length || line.charCodeAt(start + 1) === 32))
        unsupported();
      if (
        first !== 39 &&
        first !== 34 &&
        first !== 123 &&
        first !== 91 &&
        findPlainKeyEnd(line, start) !== -1
      ) {
        unsupported();
      }
      this.pos = i + 1;
      out.push(readInlineValue(line, start));
      this.checkNoContinuation(indent);
    }
  }

  /** A scalar value ends its line; a more indented line after it would continue it. */
  private checkNoContinuation(indent: number): void {
    const next = this.nextLine();
    if (next !== -1 && (this.indents[next] as number) > indent) unsupported();
  }
}

/** The index of the `:` that ends a plain key starting at `start`, or -1. */
const findPlainKeyEnd = (line: string, start: number): number => {
  for (let k = start; k < line.length; k++) {
    if (line.charCodeAt(k) === 58 && (k + 1 === line.length || line.charCodeAt(k + 1) === 32)) return k;
  }
  return -1;
};

/** Characters that may not start a plain scalar (some only when followed by a space). */
const isIndicator = (c: number): boolean =>
  c === 91 || // [
  c === 93 || // ]
  c === 123 || // {
  c === 125 || // }
  c === 44 || // ,
  c === 35 || // #
  c === 38 || // &
  c === 42 || // *
  c === 33 || // !
  c === 124 || // |
  c === 62 || // >
  c === 39 || // '
  c === 34 || // "
  c === 37 || // %
  c === 64 || // @
  c === 96 || // `
  c === 45 || // -
  c === 63 || // ?
  c === 58; // :

/** Reads the key of a mapping line; returns it and the index where its value starts. */
const readKey = (line: string, indent: number): [string, number] => {
  const c = line.charCodeAt(indent);
  let key: string;
  let after: number;
  if (c === 39 || c === 34) {
    [key, after] = c === 39 ? readSingleQuoted(line, indent) : readDoubleQuoted(line, indent);
    if (line.charCodeAt(after) !== 58) unsupported();
    after++;
  } else {
    if (isIndicator(c)) unsupported();
    let colon = -1;
    for (let k = indent; k < line.length; k++) {
      const d = line.charCodeAt(k);
      if (d === 58) {
        const next = line.charCodeAt(k + 1);
        if (k + 1 === line.length || next === 32) {
          colon = k;
          break;
        }
      } else if (d === 9 || d === 44 || d === 91 || d === 93 || d === 123 || d === 125) unsupported();
      else if (d === 35 && line.charCodeAt(k - 1) === 32) unsupported();
    }
    if (colon === -1 || line.charCodeAt(colon - 1) === 32) unsupported();
    key = line.slice(indent, colon);
    after = colon + 1;
  }
  if (after < line.length && line.charCodeAt(after) !== 32) unsupported();
  while (line.charCodeAt(after) === 32) after++;
  return [key, after];
};

/** A value that fits on the rest of the line: a quoted or plain scalar, or a one-line flow collection. */
const readInlineValue = (line: string, start: number): unknown => {
  const c = line.charCodeAt(start);
  let value: unknown;
  let after: number;
  if (c === 39) [value, after] = readSingleQuoted(line, start);
  else if (c === 34) [value, after] = readDoubleQuoted(line, start);
  else if (c === 123 || c === 91) [value, after] = readFlow(line, start);
  else {
    if (isIndicator(c)) unsupported();
    let end = start;
    for (let k = start; k < line.length; k++) {
      const d = line.charCodeAt(k);
      if (d === 32) {
        const next = line.charCodeAt(k + 1);
        if (next === 35) unsupported(); // a comment
      } else {
        if (d === 9) unsupported();
        if (d === 58 && (k + 1 === line.length || line.charCodeAt(k + 1) === 32)) unsupported();
        end = k + 1;
      }
    }
    return resolvePlain(end === line.length && start === 0 ? line : line.slice(start, end));
  }
  for (let k = after; k < line.length; k++) if (line.charCodeAt(k) !== 32) unsupported();
  return value;
};

const readSingleQuoted = (line: string, start: number): [string, number] => {
  let out = '';
  let k = start + 1;
  while (true) {
    const close = line.indexOf("'", k);
    if (close === -1) return unsupported(); // continues on the next line
    out += line.slice(k, close);
    if (line.charCodeAt(close + 1) === 39) {
      out += "'";
      k = close + 2;
    } else return [out, close + 1];
  }
};

const readDoubleQuoted = (line: string, start: number): [string, number] => {
  let k = start + 1;
  while (k < line.length) {
    const c = line.charCodeAt(k);
    if (c === 92) k += 2;
    else if (c === 34) {
      const raw = line.slice(start, k + 1);
      // Only JSON's escapes, which mean the same in YAML; the others go to the full parser.
      if (raw.includes('\\') && /\\[^"\\/bfnrtu]/.test(raw)) unsupported();
      try {
        return [JSON.parse(raw) as string, k + 1];
      } catch {
        return unsupported();
      }
    } else k++;
  }
  return unsupported();
};

/** A flow mapping or sequence of scalars, closed on the same line. */
const readFlow = (line: string, start: number): [unknown, number] => {
  const isMap = line.charCodeAt(start) === 123;
  const close = isMap ? 125 : 93;
  const map: Record<string, unknown> = {};
  const list: unknown[] = [];
  let k = start + 1;
  const skip = (): void => {
    while (line.charCodeAt(k) === 32) k++;
  };
  const scalar = (isKey: boolean): unknown => {
    const c = line.charCodeAt(k);
    if (c === 39 || c === 34) {
      const [value, after] = c === 39 ? readSingleQuoted(line, k) : readDoubleQuoted(line, k);
      k = after;
      return value;
    }
    if (isIndicator(c)) unsupported();
    const from = k;
    while (k < line.length) {
      const d = line.charCodeAt(k);
      if (d === 44 || d === 91 || d === 93 || d === 123 || d === 125) break;
      if (d === 58 && (k + 1 === line.length || line.charCodeAt(k + 1) === 32)) {
        if (!isKey) unsupported();
        break;
      }
      if (d === 35 && line.charCodeAt(k - 1) === 32) unsupported();
      if (d === 9) unsupported();
      k++;
    }
    return resolvePlain(line.slice(from, k).trimEnd());
  };
  skip();
  if (line.charCodeAt(k) === close) return [isMap ? map : list, k + 1];
  while (true) {
    skip();
    if (isMap) {
      const key = scalar(true);
      if (typeof key !== 'string' || key === '' || own(map, key) || key === '__proto__') unsupported();
      skip();
      if (line.charCodeAt(k) !== 58 || line.charCodeAt(k + 1) !== 32) unsupported();
      k += 2;
      skip();
      map[key as string] = scalar(false);
    } else list.push(scalar(false));
    skip();
    const c = line.charCodeAt(k);
    if (c === close) return [isMap ? map : list, k + 1];
    if (c !== 44) unsupported();
    k++;
  }
};

const intPattern = /^[-+]?[0-9]+$/;
const floatPattern = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/** A plain scalar as the YAML 1.2 core schema reads it (the `yaml` package's default). */
const resolvePlain = (raw: string): unknown => {
  if (raw === '') return unsupported();
  const c = raw.charCodeAt(0);
  // Letters other than the special words, `/`, `@`: by far the most common case.
  if (c >= 97 && c <= 122 && c !== 110 && c !== 116 && c !== 102) return raw;
  if (c === 47) return raw;
  switch (raw) {
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    if (intPattern.test(raw)) {
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) unsupported();
      return n;
    }
    if (floatPattern.test(raw)) return Number(raw);
    if (/^[-+]?(?:0[ox]|\.(?:inf|Inf|INF|nan|NaN|NAN)$)/.test(raw)) unsupported();
  }
  return raw;
};
