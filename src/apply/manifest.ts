import { posix } from 'node:path';
import { PatchPilotError } from '../core/errors.js';
import type { EdgeType } from '../core/inventory.js';
import type { ManifestChange, OverrideChange, PackageChange } from '../core/plan.js';
import { parseJsonDocument } from '../inventory/json.js';
import { detectJsonFormat, formatJson, replaceJsonStrings, rewriteTopLevelMembers } from './json-format.js';

/**
 * Writes a patch's `manifest` changes (a declared range raised) and npm `overrides` changes into
 * one package.json, as pure text in, text out. Formatting is kept: indent, newline style, final
 * newline and key order (a changed value stays where it was; a new override key goes at the end
 * of its object, a new `overrides` object at the end of the manifest).
 *
 * A value that is not what the plan saw (a declared range other than `fromRange`, an override
 * other than `from`, an override to add that exists) is reported in `problems` and left as it is;
 * the caller treats any problem as the patch failing to apply.
 */

export interface ManifestEditResult {
  readonly content: string;
  readonly problems: readonly string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An own, enumerable property even for a key like `__proto__`, which JSON.parse makes own. */
const setOwn = (obj: Json, key: string, value: unknown): void => {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
};

/** A property of the object itself, never one inherited (`__proto__`, `constructor`). */
const own = (obj: Json, key: string): unknown => (Object.hasOwn(obj, key) ? obj[key] : undefined);

const fieldOf: Record<EdgeType, string> = {
  prod: 'dependencies',
  dev: 'devDependencies',
  optional: 'optionalDependencies',
  peer: 'peerDependencies',
};

/** A folder relative to the project root, as the plan writes it: '' for the root. */
const normaliseFolder = (folder: string): string => {
  const normalised = posix.normalize(folder.split('\\').join('/')).replace(/\/+$/, '');
  return normalised === '.' ? '' : normalised.replace(/^\.\//, '');
};

const aliasPattern = /^npm:((?:@[^/@]+\/)?[^/@]+)@(.*)$/;

/** The manifest's folder for an override change: the folder of its `file`, when that is a package.json. */
const overrideFolder = (change: OverrideChange): string | undefined =>
  posix.basename(change.file) === 'package.json' ? normaliseFolder(posix.dirname(change.file)) : undefined;

export const editManifest = (
  content: string,
  importer: string,
  changes: readonly PackageChange[],
): ManifestEditResult => {
  const folder = normaliseFolder(importer);
  const label = folder === '' ? 'package.json' : `${folder}/package.json`;
  const doc = parseJsonDocument(content, label, 'MANIFEST_INVALID');
  if (!isObject(doc)) {
    throw new PatchPilotError('MANIFEST_INVALID', `${label}: the document is not a JSON object`, {
      hint: 'fix this package.json',
    });
  }
  const ranges = changes.filter(
    (c): c is ManifestChange => c.kind === 'manifest' && normaliseFolder(c.importer) === folder,
  );
  const overrides = changes.filter(
    (c): c is OverrideChange => c.kind === 'override' && overrideFolder(c) === folder,
  );
  if (ranges.length === 0 && overrides.length === 0) return { content, problems: [] };

  const problems: string[] = [];
  let dirty = false;
  // Values changed in place, which the text takes as they are; any other edit (a key added or
  // removed) writes the document out again.
  const edits: { path: string[]; value: string }[] = [];
  let structural = false;
  for (const change of ranges) {
    const problem = raiseRange(doc, change, edits);
    if (problem) problems.push(problem);
    else dirty = true;
  }
  for (const change of overrides) {
    const problem =
      change.manager === 'npm' ? editOverride(doc, change) : editFlatOverride(doc, change, edits);
    if (problem) problems.push(problem);
    else {
      dirty = true;
      if (change.manager === 'npm' || change.action !== 'change') structural = true;
    }
  }
  if (!dirty) return { content, problems };
  const bom = content.charCodeAt(0) === 0xfeff ? '\uFEFF' : '';
  // Only the changed strings move: a compact object or a hand-made layout stays as it was.
  const spliced = replaceJsonStrings(content, edits);
  if (spliced !== undefined) {
    const now = JSON.parse(spliced.slice(bom.length)) as Json;
    if (!structural && JSON.stringify(now) === JSON.stringify(doc)) return { content: spliced, problems };
    // A key added or removed: only the top-level members it is in are written anew.
    const rewritten = rewriteTopLevelMembers(spliced, now, doc, detectJsonFormat(content));
    if (rewritten !== undefined) return { content: rewritten, problems };
  }
  return { content: bom + formatJson(doc, detectJsonFormat(content)), problems };
};

/** Raises one declared range in place; returns the problem, if any. */
const raiseRange = (
  doc: Json,
  change: ManifestChange,
  edits: { path: string[]; value: string }[],
): string | undefined => {
  const field = fieldOf[change.type];
  const where = `${field}[${JSON.stringify(change.dependency)}]`;
  const deps = doc[field];
  if (!isObject(deps) || !Object.hasOwn(deps, change.dependency)) {
    return `${where}: not declared (expected ${JSON.stringify(change.fromRange)})`;
  }
  const current = deps[change.dependency];
  let next: string | undefined;
  if (current === change.fromRange) next = change.toRange;
  else if (typeof current === 'string') {
    // The plan may state an alias's range without its `npm:name@` prefix.
    const alias = aliasPattern.exec(current);
    if (alias && alias[2] === change.fromRange) next = change.toRange;
  }
  if (next === undefined) {
    return `${where}: expected ${JSON.stringify(change.fromRange)}, found ${JSON.stringify(current)}`;
  }
  // An alias keeps its prefix: `npm:lodash@^4.17.21`, never a bare range that installs `lodash` under another name.
  const alias = typeof current === 'string' ? aliasPattern.exec(current) : null;
  if (alias && !next.startsWith('npm:')) next = `npm:${alias[1]}@${next}`;
  setOwn(deps, change.dependency, next);
  edits.push({ path: [field, change.dependency], value: next });
  return undefined;
};

/**
 * Adds, changes or removes one yarn `resolutions` or pnpm `pnpm.overrides` entry. Both are flat:
 * the path is one key, `parent/name` for yarn and `parent>name` for pnpm. An existing entry is
 * found by its key as the plan gives it (as the project wrote it: `c@npm:^3`, or a yarn pattern
 * through `**`), else by the path's key; one the project wrote with a leading `**` segment
 * (yarn) is the same entry as `name`.
 */
const editFlatOverride = (
  doc: Json,
  change: OverrideChange,
  edits: { path: string[]; value: string }[],
): string | undefined => {
  const pnpm = change.manager === 'pnpm';
  const field = pnpm ? 'pnpm.overrides' : 'resolutions';
  // A parent's own entry (`a` beside `a/b`) has the path `["a", "."]` in npm's shape.
  const path = change.path.filter((k) => k !== '.');
  const key = path.join(pnpm ? '>' : '/');
  const where = `${field} ${JSON.stringify(change.key || key)}`;
  if (path.length === 0) return `${where}: the plan gives no key`;
  const parent = pnpm ? own(doc, 'pnpm') : doc;
  if (parent !== undefined && !isObject(parent)) return `${where}: "pnpm" is not an object`;
  const holder = parent === undefined ? undefined : own(parent, pnpm ? 'overrides' : 'resolutions');
  if (holder !== undefined && !isObject(holder)) return `${where}: not an object`;
  const keys = [...new Set([change.key, key, ...(pnpm ? [] : [`**/${key}`])])];
  const found = holder === undefined ? undefined : keys.find((k) => Object.hasOwn(holder, k));
  const current = found === undefined ? undefined : (holder as Json)[found];
  if (change.action === 'add') {
    if (change.to === undefined) return `${where}: the plan gives no value to add`;
    if (current !== undefined) return `${where}: already set to ${JSON.stringify(current)}`;
    const entries = holder ?? {};
    setOwn(entries, key, change.to);
    if (holder === undefined) {
      if (pnpm) {
        const pnpmField = (parent as Json | undefined) ?? {};
        setOwn(pnpmField, 'overrides', entries);
        if (parent === undefined) setOwn(doc, 'pnpm', pnpmField);
      } else setOwn(doc, 'resolutions', entries);
    }
    return undefined;
  }
  if (current !== change.from || found === undefined) {
    return current === undefined
      ? `${where}: not in package.json (expected ${JSON.stringify(change.from)})`
      : `${where}: expected ${JSON.stringify(change.from)}, found ${JSON.stringify(current)}`;
  }
  const entries = holder as Json;
  if (change.action === 'change') {
    if (change.to === undefined) return `${where}: the plan gives no new value`;
    setOwn(entries, found, change.to);
    edits.push({ path: pnpm ? ['pnpm', 'overrides', found] : ['resolutions', found], value: change.to });
    return undefined;
  }
  delete entries[found];
  if (Object.keys(entries).length === 0) {
    if (pnpm) {
      delete (parent as Json).overrides;
      if (Object.keys(parent as Json).length === 0) delete doc.pnpm;
    } else delete doc.resolutions;
  }
  return undefined;
};

/**
 * Adds, changes or removes one npm `overrides` entry. A scoped entry under a parent that holds a
 * plain value turns the parent into an object whose `"."` holds that value, as npm documents; an
 * entry whose key holds an object is the object's `"."`. Removing the last key of an object
 * removes the object, up to `overrides` itself.
 */
const editOverride = (doc: Json, change: OverrideChange): string | undefined => {
  const where = `overrides ${JSON.stringify(change.path.join(' > '))}`;
  const { path } = change;
  if (path.length === 0) return `${where}: the plan gives no key`;
  if (doc.overrides !== undefined && !isObject(doc.overrides)) {
    return `${where}: "overrides" is not an object`;
  }
  const adding = change.action === 'add';
  if (adding && change.to === undefined) return `${where}: the plan gives no value to add`;
  if (!adding && doc.overrides === undefined)
    return `${where}: not in package.json (expected ${JSON.stringify(change.from)})`;

  // Walk (and for an addition, build) the objects down to the entry's parent.
  const chain: { holder: Json; key: string }[] = [];
  const created = doc.overrides === undefined;
  let node = (doc.overrides ?? {}) as Json;
  for (const key of path.slice(0, -1)) {
    const child = own(node, key);
    if (isObject(child)) {
      chain.push({ holder: node, key });
      node = child;
      continue;
    }
    if (!adding) return `${where}: not in package.json (expected ${JSON.stringify(change.from)})`;
    if (child !== undefined && typeof child !== 'string')
      return `${where}: ${JSON.stringify(key)} is not an object`;
    // Replaced in place (a string becomes { ".": string }) or appended: nothing is written unless
    // the whole path checks out, so the new objects are linked in at the end.
    chain.push({ holder: node, key });
    node = child === undefined ? {} : { '.': child };
  }
  let last = path.at(-1) as string;
  const self = own(node, last);
  if (last !== '.' && isObject(self)) {
    chain.push({ holder: node, key: last });
    node = self;
    last = '.';
  }
  const current = own(node, last);
  if (current !== undefined && typeof current !== 'string')
    return `${where}: holds ${JSON.stringify(current)}, not a version`;

  if (adding) {
    if (current !== undefined) return `${where}: already set to ${JSON.stringify(current)}`;
    setOwn(node, last, change.to);
    // Link the path in: each object goes where its key already was, or at the end of its holder.
    let child = node;
    for (let i = chain.length - 1; i >= 0; i--) {
      const { holder, key } = chain[i] as { holder: Json; key: string };
      setOwn(holder, key, child);
      child = holder;
    }
    if (created) setOwn(doc, 'overrides', child);
    return undefined;
  }
  if (current !== change.from) {
    return current === undefined
      ? `${where}: not in package.json (expected ${JSON.stringify(change.from)})`
      : `${where}: expected ${JSON.stringify(change.from)}, found ${JSON.stringify(current)}`;
  }
  if (change.action === 'change') {
    if (change.to === undefined) return `${where}: the plan gives no new value`;
    setOwn(node, last, change.to);
    return undefined;
  }
  delete node[last];
  // Emptied objects go, from the entry up; an emptied `overrides` goes too.
  let emptied = node;
  for (let i = chain.length - 1; i >= 0 && Object.keys(emptied).length === 0; i--) {
    const { holder, key } = chain[i] as { holder: Json; key: string };
    delete holder[key];
    emptied = holder;
  }
  if (isObject(doc.overrides) && Object.keys(doc.overrides).length === 0) delete doc.overrides;
  return undefined;
};
