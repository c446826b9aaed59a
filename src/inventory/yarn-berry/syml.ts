import { PatchPilotError } from '../../core/errors.js';
import { MAX_YAML_ALIASES, withBoundedAliases, yaml } from '../lazy.js';

/**
 * Reads a yarn berry lockfile as YAML. Yarn writes a small, regular subset of YAML (block mappings
 * indented by two spaces, JSON-quoted or plain scalars, comment lines); `readSubset` reads exactly
 * that subset line by line, several times faster than a full YAML parser on large lockfiles (the
 * 24k-line lockfile of a big monorepo: ~15 ms against ~300 ms). Whenever the text strays from the
 * subset in any way (flow collections, anchors, block scalars, single quotes, tabs, scalars whose
 * YAML type is not plainly a string, duplicate keys, odd indentation...), `readSubset` gives up
 * and the whole document is parsed by the `yaml` package instead, which also reports the line
 * and column of a syntax error. The subset reader is tested to give the same value as `yaml`.
 */
export const parseLockfileYaml = (content: string, path: string): unknown => {
  const fast = readSubset(content);
  if (fast !== undefined) return fast;
  try {
    return withBoundedAliases(
      (): unknown =>
        yaml().parse(content, {
          logLevel: 'error',
          prettyErrors: true,
          uniqueKeys: true,
          maxAliasCount: MAX_YAML_ALIASES,
        }),
      (reason) =>
        new PatchPilotError('LOCKFILE_INVALID_YAML', `${path}: ${reason}`, {
          hint: 'yarn does not write such a lockfile; regenerate it with `yarn install`',
        }),
    );
  } catch (cause) {
    if (!(cause instanceof yaml().YAMLParseError)) throw cause;
    const pos = cause.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'an unknown position';
    const reason = (cause.message.split(' at line ')[0] ?? cause.message).split('\n')[0] ?? cause.code;
    throw new PatchPilotError('LOCKFILE_INVALID_YAML', `${path}: invalid YAML at ${where}: ${reason}`, {
      hint: 'the lockfile is corrupt or was edited by hand; regenerate it with `yarn install`',
      cause,
    });
  }
};

/** Characters that make a line fall outside the subset wherever they appear. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const OUTSIDE_SUBSET = /[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
/** A plain key: a string in YAML's core schema, with no indicator character. */
const PLAIN_KEY = /^[A-Za-z0-9_][\w./@+$~^=-]*$/;
/** The first character of a plain value that YAML reads as the start of a plain string. */
const PLAIN_VALUE_START = /^[A-Za-z0-9_./~^=<($+]/;
/** Plain scalars that YAML 1.2's core schema reads as something other than a string. */
const CORE_NON_STRING =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|0o[0-7]+|0x[0-9a-fA-F]+)$/;

interface Level {
  readonly indent: number;
  readonly map: Record<string, unknown>;
}

/**
 * The document as the `yaml` package would give it, or undefined when the text is not in the
 * subset yarn writes (the caller then parses it with `yaml`).
 */
export const readSubset = (text: string): Record<string, unknown> | undefined => {
  if (OUTSIDE_SUBSET.test(text) || (text.includes('\r') && /\r(?!\n)/.test(text))) return undefined;
  const root: Record<string, unknown> = {};
  const stack: Level[] = [{ indent: 0, map: root }];
  /** A `key:` with nothing after it, whose value is the block below it (or null). */
  let pending: { indent: number; map: Record<string, unknown>; key: string } | undefined;
  let keys = 0;
  let next = 0;
  while (next <= text.length) {
    const lineStart = next;
    let end = text.indexOf('\n', lineStart);
    if (end === -1) end = text.length;
    next = end + 1;
    if (end > lineStart && text.charCodeAt(end - 1) === 13) end--;
    let at = lineStart;
    while (at < end && text.charCodeAt(at) === 32) at++;
    if (at === end || text.charCodeAt(at) === 35 /* # */) continue;
    const indent = at - lineStart;

    if (pending) {
      if (indent > pending.indent) {
        const child: Record<string, unknown> = {};
        pending.map[pending.key] = child;
        stack.push({ indent, map: child });
      } else pending.map[pending.key] = null;
      pending = undefined;
    }
    let top = stack[stack.length - 1] as Level;
    while (top.indent > indent) {
      stack.pop();
      top = stack[stack.length - 1] as Level;
    }
    if (top.indent !== indent) return undefined;

    // The key: JSON-quoted or plain, then a colon that ends the line or is followed by a space.
    let key: string | undefined;
    let colon: number;
    if (text.charCodeAt(at) === 34 /* " */) {
      const close = closingQuote(text, at, end);
      if (close === -1 || text.charCodeAt(close + 1) !== 58 /* : */) return undefined;
      key = quoted(text, at, close);
      colon = close + 1;
    } else {
      colon = text.indexOf(':', at);
      if (colon === -1 || colon >= end) return undefined;
      key = text.slice(at, colon);
      if (!PLAIN_KEY.test(key) || CORE_NON_STRING.test(key)) return undefined;
    }
    if (key === undefined || key === '__proto__' || Object.hasOwn(top.map, key)) return undefined;
    keys++;
    let valueStart = colon + 1;
    while (valueStart < end && text.charCodeAt(valueStart) === 32) valueStart++;
    if (valueStart === end) {
      pending = { indent, map: top.map, key };
      continue;
    }
    if (valueStart === colon + 1) return undefined;
    let valueEnd = end;
    while (text.charCodeAt(valueEnd - 1) === 32) valueEnd--;
    const value = scalar(text, valueStart, valueEnd);
    if (value === undefined) return undefined;
    top.map[key] = value;
  }
  if (pending) pending.map[pending.key] = null;
  return keys === 0 ? undefined : root;
};

/** A scalar value in the subset: JSON-quoted, or plain and typed as YAML's core schema types it. */
const scalar = (text: string, start: number, end: number): string | number | boolean | undefined => {
  if (text.charCodeAt(start) === 34) {
    return closingQuote(text, start, end) === end - 1 ? quoted(text, start, end - 1) : undefined;
  }
  const value = text.slice(start, end);
  if (!PLAIN_VALUE_START.test(value) || value.includes(': ') || value.includes(' #') || value.endsWith(':')) {
    return undefined;
  }
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^[0-9]{1,15}$/.test(value)) return Number(value);
  return CORE_NON_STRING.test(value) ? undefined : value;
};

/** The index of the quote closing the double-quoted scalar at `start`, before `end`; or -1. */
const closingQuote = (text: string, start: number, end: number): number => {
  for (let i = start + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34) return i;
  }
  return -1;
};

/**
 * The double-quoted scalar from `open` to `close` (the quotes). JSON's escapes are a subset of
 * YAML's double-quoted ones, with the same meaning; without a backslash the text is the value
 * (control characters were ruled out for the whole document).
 */
const quoted = (text: string, open: number, close: number): string | undefined => {
  const inner = text.slice(open + 1, close);
  if (!inner.includes('\\')) return inner;
  try {
    const value: unknown = JSON.parse(`"${inner}"`);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
};
