import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { PatchPilotError } from '../core/errors.js';
import { parseJsonDocument } from '../inventory/json.js';
import { MAX_YAML_ALIASES, withBoundedAliases } from '../inventory/lazy.js';
import { closestName } from '../util/did-you-mean.js';
import { readConfinedText, readText, realPathOrUndefined, statOrUndefined } from '../util/fs.js';
import { normalizeConfig, type ProjectConfig } from './normalize.js';
import { configSchema } from './schema.js';

/**
 * Finding and reading a project's `.patchpilot.yml` / `.patchpilot.yaml` / `.patchpilot.json`.
 * Every problem is a CONFIG_INVALID error naming the file, the line when there is one, the key
 * path (`gate.sla.critical`, `exceptions[1].expires`) and what is wrong.
 */

import { configFileNames } from './files.js';

export { configFileNames };

export type ConfigFormat = 'yaml' | 'json';

export interface LoadedConfig {
  /** The file read, relative to the working folder. */
  readonly path: string;
  readonly config: ProjectConfig;
}

/** Larger than any hand-written configuration; a bigger file here is a mistake. */
const maxConfigBytes = 1024 * 1024;
/** Past this a JSON configuration's problems are named without their line. */
const MAX_LOCATED_DEPTH = 64;

const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
// Most projects have no configuration file, and the YAML parser costs start-up time.
const yaml = (): typeof import('yaml') => {
  yamlModule ??= require('yaml') as typeof import('yaml');
  return yamlModule;
};

const display = (cwd: string, path: string): string => {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.split(sep).join('/');
};

export const configFormatOf = (path: string): ConfigFormat => (path.endsWith('.json') ? 'json' : 'yaml');

/**
 * The configuration file of the project in `folder`, read only when it is a regular file inside
 * the project (a symbolic link leading out is refused, as for lockfiles); undefined when there is
 * none. Two of them (say `.patchpilot.yml` and `.patchpilot.json`) is an error: which one counts
 * would be a guess.
 */
export const loadProjectConfig = (folder: string, cwd: string): LoadedConfig | undefined => {
  const present = configFileNames.filter((name) => statOrUndefined(join(folder, name)) !== undefined);
  if (present.length === 0) return undefined;
  if (present.length > 1) {
    throw new PatchPilotError(
      'CONFIG_INVALID',
      `${display(cwd, folder)}: ${present.join(' and ')} both exist; PatchPilot reads one configuration file`,
      { hint: `keep one of ${present.join(', ')} and delete the others` },
    );
  }
  const path = join(folder, present[0] as string);
  const shown = display(cwd, path);
  const realRoot = realPathOrUndefined(folder) ?? folder;
  const read = readConfinedText(path, realRoot, maxConfigBytes);
  switch (read.kind) {
    case 'absent':
      return undefined;
    case 'text':
      return { path: shown, config: parseConfig(read.text, shown, configFormatOf(path)) };
    default: {
      const why =
        read.kind === 'outside'
          ? `leads outside the project (to ${read.realPath})`
          : read.kind === 'too-large'
            ? `is ${read.bytes} bytes, more than a configuration file should be (${maxConfigBytes})`
            : 'is not a regular file';
      throw new PatchPilotError('CONFIG_INVALID', `${shown}: ${why}`, {
        hint: 'keep the configuration in a regular file inside the project',
      });
    }
  }
};

/**
 * The configuration file of the project in `folder` as a commit has it (`fix` and `rollback` act
 * on commits, never on what the working tree may hold): `files` gives, for each name present in
 * the commit's folder, whether it is a regular file and its text. Undefined when there is none.
 */
export const loadCommittedConfig = (
  shownFolder: string,
  files: ReadonlyMap<string, { readonly regular: boolean; readonly text: () => string }>,
): LoadedConfig | undefined => {
  const present = configFileNames.filter((name) => files.has(name));
  if (present.length === 0) return undefined;
  const prefix = shownFolder === '' || shownFolder === '.' ? '' : `${shownFolder}/`;
  if (present.length > 1) {
    throw new PatchPilotError(
      'CONFIG_INVALID',
      `${shownFolder || '.'}: ${present.join(' and ')} both exist; PatchPilot reads one configuration file`,
      { hint: `keep one of ${present.join(', ')} and delete the others` },
    );
  }
  const name = present[0] as string;
  const shown = `${prefix}${name}`;
  const file = files.get(name) as { readonly regular: boolean; readonly text: () => string };
  if (!file.regular) {
    throw new PatchPilotError('CONFIG_INVALID', `${shown}: is not a regular file in the commit`, {
      hint: 'keep the configuration in a regular file inside the project',
    });
  }
  const text = file.text();
  if (Buffer.byteLength(text) > maxConfigBytes) {
    throw new PatchPilotError(
      'CONFIG_INVALID',
      `${shown}: is more than a configuration file should be (${maxConfigBytes} bytes)`,
      { hint: 'keep the configuration in a regular file inside the project' },
    );
  }
  return { path: shown, config: parseConfig(text, shown, configFormatOf(name)) };
};

/** A configuration file the user named (`--config FILE`): read wherever it is. */
export const loadConfigFile = (file: string, cwd: string): LoadedConfig => {
  const shown = display(cwd, file);
  const stat = statOrUndefined(file);
  if (!stat?.isFile()) {
    const what =
      stat === undefined
        ? 'no such file'
        : stat.isDirectory()
          ? 'a folder, not a file'
          : 'not a regular file';
    throw new PatchPilotError('CONFIG_NOT_FOUND', `${shown}: ${what}`, {
      hint: 'pass the path of a .patchpilot.yml or .patchpilot.json file',
    });
  }
  return { path: shown, config: parseConfig(readText(file), shown, configFormatOf(file)) };
};

/** A configuration file's text → the configuration with its defaults. Pure. */
export const parseConfig = (content: string, shown: string, format: ConfigFormat): ProjectConfig => {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  let value: unknown;
  let located: Located | undefined;
  let tooDeepForLines = false;
  if (format === 'json') {
    value = parseJsonDocument(text, shown, 'CONFIG_INVALID');
    // JSON.parse lets a repeated key's last value win, so that a second `"malicious": false`
    // further down would quietly turn a check off.
    const { repeated, depth } = scanJsonKeys(text);
    if (repeated) {
      throw new PatchPilotError(
        'CONFIG_INVALID',
        `${shown}: line ${repeated.line}, column ${repeated.column}: ${JSON.stringify(repeated.key)} is repeated`,
        { hint: 'keep one of the two: a repeated key would let the last one win unseen' },
      );
    }
    // The YAML reader, which finds the lines of the keys a problem names, recurses: not that deep.
    tooDeepForLines = depth > MAX_LOCATED_DEPTH;
  } else {
    located = parseYaml(text, shown);
    const { document } = located;
    value = withBoundedAliases(
      (): unknown => document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {},
      (reason) =>
        new PatchPilotError('CONFIG_INVALID', `${shown}: ${reason}`, {
          hint: 'write the settings out; a configuration needs few aliases, if any',
        }),
    );
  }
  // YAML's own types (`!!set`, `!!omap`, `!!binary`) are no settings: the schema would see an
  // object with no keys and apply the defaults instead of saying so.
  const odd = unplainPath(value);
  if (odd !== undefined) {
    const line = located ? lineOf(located, odd.path, false) : undefined;
    throw new PatchPilotError(
      'CONFIG_INVALID',
      `${shown}: ${line === undefined ? '' : `line ${line}: `}${keyPath(odd.path)}: ${odd.kind}, not a setting (a mapping, list, text, number or boolean)`,
      { hint: 'write the value without a YAML type tag (!!set, !!omap, !!binary)' },
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PatchPilotError('CONFIG_INVALID', `${shown}: expected a mapping of settings at the top level`, {
      hint: 'see `patchpilot init` for a commented example',
    });
  }
  const result = configSchema().safeParse(value);
  if (result.success) return normalizeConfig(result.data);
  // JSON is YAML too: the YAML reader gives the lines of the keys the issues name.
  if (!tooDeepForLines) located ??= tryParseYaml(text);
  const found = located;
  // In the order of the file, so that the first problem named is the first one met reading it.
  const problems = result.error.issues
    .flatMap((issue) => describeIssue(issue, value))
    .map((p) => ({ ...p, line: found ? lineOf(found, p.path, p.atKey) : undefined }))
    .sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  const [first, ...rest] = problems;
  const where = (p: Problem & { line: number | undefined }): string =>
    `${p.line === undefined ? '' : `line ${p.line}: `}${keyPath(p.path)}: ${p.text}`;
  throw new PatchPilotError(
    'CONFIG_INVALID',
    `${shown}: ${first ? where(first) : 'invalid'}${rest.length > 0 ? ` (and ${rest.length} more: ${rest.map(where).join('; ')})` : ''}`,
    {
      hint: 'see `patchpilot init` for a commented example, or the JSON Schema in schema/patchpilot.schema.json',
    },
  );
};

interface Located {
  readonly document: Document.Parsed;
  readonly lines: LineCounter;
}

const parseYaml = (text: string, shown: string): Located => {
  const { parseDocument, LineCounter } = yaml();
  const lines = new LineCounter();
  // The core schema: `expires: 2025-06-30` stays text, `on`/`off` are not booleans (YAML 1.2).
  const document = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: true,
    schema: 'core',
    uniqueKeys: true,
  });
  const error = document.errors[0];
  if (error) {
    const [line, column] = error.linePos ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
    const said = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
    // In the reader's words, not the library's advice to its callers.
    const reason =
      error.code === 'MULTIPLE_DOCS'
        ? 'a second YAML document (after ---): a configuration file holds one'
        : /call stack/i.test(said)
          ? `collections nest too deep to read`
          : said;
    throw new PatchPilotError(
      'CONFIG_INVALID',
      `${shown}: invalid YAML at line ${line}, column ${column}: ${reason}`,
      {
        hint: 'fix the YAML syntax (indentation, quotes, a duplicate key)',
        cause: error,
      },
    );
  }
  return { document, lines };
};

/**
 * A JSON text's first repeated key (its line and column) and how deep it nests. The text already
 * parsed as JSON; read iteratively, since a file of a megabyte can nest half a million deep.
 */
export const scanJsonKeys = (
  text: string,
): { repeated?: { key: string; line: number; column: number }; depth: number } => {
  const objects: (Set<string> | undefined)[] = []; // one per open bracket: its keys, or undefined for a list
  let expectKey = false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      objects.push(c === 0x7b ? new Set() : undefined);
      depth = Math.max(depth, objects.length);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      objects.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = objects.at(-1) !== undefined;
    } else if (c === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      const keys = objects.at(-1);
      if (expectKey && keys !== undefined) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) {
          const before = text.slice(0, i);
          const line = before.split('\n').length;
          return { repeated: { key, line, column: i - before.lastIndexOf('\n') }, depth };
        }
        keys.add(key);
        expectKey = false;
      }
      i = end;
    }
  }
  return { depth };
};

/**
 * The path of the first value that is no JSON value (a Map, Set or bytes from a YAML tag).
 * Iterative: a JSON file nests as deep as it likes.
 */
const unplainPath = (root: unknown): { path: Path; kind: string } | undefined => {
  interface At {
    readonly value: unknown;
    readonly key?: PropertyKey;
    readonly parent?: At;
  }
  const pathOf = (at: At): PropertyKey[] => {
    const path: PropertyKey[] = [];
    for (let x: At | undefined = at; x?.key !== undefined; x = x.parent) path.push(x.key);
    return path.reverse();
  };
  const stack: At[] = [{ value: root }];
  for (let at = stack.pop(); at !== undefined; at = stack.pop()) {
    const { value } = at;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: at });
      continue;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind =
        value instanceof Set
          ? 'a set'
          : value instanceof Map
            ? 'an ordered map'
            : value instanceof Uint8Array
              ? 'a binary value'
              : 'a value of another kind';
      return { path: pathOf(at), kind };
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      stack.push({ value: (value as Record<string, unknown>)[key], key, parent: at });
    }
  }
  return undefined;
};

const tryParseYaml = (text: string): Located | undefined => {
  try {
    return parseYaml(text, '');
  } catch {
    return undefined;
  }
};

type Path = readonly PropertyKey[];

interface Problem {
  readonly path: Path;
  readonly text: string;
  /** The line is the key's own (an unknown key), not its value's. */
  readonly atKey: boolean;
}

/** `gate.sla.critical`, `exceptions[1].expires`, `(top level)` for the root. */
export const keyPath = (path: Path): string => {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '(top level)' : out;
};

const valueAt = (root: unknown, path: Path): unknown => {
  let at: unknown = root;
  for (const segment of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[segment];
  }
  return at;
};

const typeName = (value: unknown): string =>
  typeof value === 'string' ? `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"` : String(value);

const describeIssue = (issue: z.core.$ZodIssue, root: unknown): Problem[] => {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...issue.path, key],
      text: `unknown key${suggestion(key, knownKeys(issue.path))}`,
      atKey: true,
    }));
  }
  const value = valueAt(root, issue.path);
  if (value === undefined && issue.code === 'invalid_type') {
    return [{ path: issue.path, text: 'missing (required)', atKey: false }];
  }
  // Zod's own messages start with "Invalid input:"; the schema's are written for people.
  const text = issue.message.replace(/^Invalid (input|option|string): /, '');
  const scalar = value === null || typeof value !== 'object';
  return [{ path: issue.path, text: scalar ? `${text} (found ${typeName(value)})` : text, atKey: false }];
};

/** The keys the schema allows at `path`, for "did you mean". */
const knownKeys = (path: Path): string[] => {
  // Walk the schema's JSON-like shape: objects and arrays of objects.
  let schema: unknown = configSchema();
  for (const segment of path) {
    schema = unwrap(schema);
    const def = (schema as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown } })
      .def;
    if (def?.type === 'object' && typeof segment === 'string') schema = def.shape?.[segment];
    else if (def?.type === 'array' && typeof segment === 'number') schema = def.element;
    else return [];
  }
  const def = (unwrap(schema) as { def?: { type?: string; shape?: Record<string, unknown> } }).def;
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
};

const unwrap = (schema: unknown): unknown => {
  let at = schema as { def?: { type?: string; innerType?: unknown } } | undefined;
  while (at?.def && (at.def.type === 'optional' || at.def.type === 'default') && at.def.innerType) {
    at = at.def.innerType as typeof at;
  }
  return at;
};

/** ` (did you mean "critical"?)`, or ` (known: a, b, c)` when no key is close. */
const suggestion = (key: string, known: readonly string[]): string => {
  if (known.length === 0) return '';
  const best = closestName(key, known);
  return best === undefined ? ` (known: ${known.join(', ')})` : ` (did you mean "${best}"?)`;
};

/** The 1-based line of the node at `path` (of its key when `atKey`), when the document has it. */
const lineOf = (located: Located, path: Path, atKey: boolean): number | undefined => {
  const { isMap, isSeq, isScalar } = yaml();
  let node: unknown = located.document.contents;
  let keyNode: unknown;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(segment),
      );
      if (!pair) return lineAtNode(located, node);
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      keyNode = undefined;
      node = node.items[segment];
    } else {
      return lineAtNode(located, node);
    }
  }
  return lineAtNode(located, atKey && keyNode !== undefined ? keyNode : (node ?? keyNode));
};

const lineAtNode = (located: Located, node: unknown): number | undefined => {
  const range = (node as YamlNode | undefined)?.range;
  return range ? located.lines.linePos(range[0]).line : undefined;
};
