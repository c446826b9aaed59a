import { createHash } from 'node:crypto';
import {
  type EdgeType,
  type Inventory,
  type InventoryPackage,
  type Scope,
  widestScope,
} from '../../core/inventory.js';
import { spdxLicenseIds } from './write-license-ids.js';

/** What both SBOM writers share: which packages go in, merged how, and the field conversions. */

/** Dependency kinds that `--omit` can leave out, as `npm sbom --omit` does. */
export type OmitKind = 'dev' | 'optional' | 'peer';

export interface SbomOptions {
  readonly toolVersion: string;
  /** Creation time; undefined for a reproducible document (no time, or a fixed one where required). */
  readonly created: Date | undefined;
  /** A random UUID for the serial number or namespace; undefined derives one from the content. */
  readonly uuid: string | undefined;
  readonly omit?: ReadonlySet<OmitKind> | undefined;
}

/** One SBOM entry: the installed copies of one package (same name, version and source) merged. */
export interface SbomEntry {
  /** Stable and unique: `name@version` for registry packages, else source, name, version and resolved. */
  readonly key: string;
  /** The copy with the smallest install location; its fields describe the entry. */
  readonly pkg: InventoryPackage;
  /** The most needed scope among the copies: prod over peer over optional over devOptional over dev. */
  readonly scope: Scope;
  readonly bundled: boolean;
  /** The names the package is installed under when they differ from its name, sorted. */
  readonly aliases: readonly string[];
}

/** The reduced graph: the root project, the entries, and typed edges between entry keys. */
export interface SbomGraph {
  readonly root: InventoryPackage;
  readonly entries: readonly SbomEntry[];
  /** from key (ROOT_KEY for the root) → to key → edge types, each set sorted on output. */
  readonly edges: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<EdgeType>>>;
}

export const ROOT_KEY = '';

const isOmitted = (scope: Scope, omit: ReadonlySet<OmitKind>): boolean => {
  switch (scope) {
    case 'dev':
      return omit.has('dev');
    case 'optional':
      return omit.has('optional');
    case 'devOptional':
      // npm keeps what both the dev and the optional tree need unless both are left out.
      return omit.has('dev') && omit.has('optional');
    case 'peer':
      return omit.has('peer');
    default:
      return false;
  }
};

/**
 * Copies that are one component: registry packages by name@version; git and tarball packages by
 * what they were fetched from; workspaces and local folders by where they are (two workspaces of
 * the same name and version are still two).
 */
const entryKey = (pkg: InventoryPackage): string => {
  switch (pkg.source) {
    case 'registry':
      return `${pkg.name}@${pkg.version}`;
    case 'git':
    case 'tarball':
      return `${pkg.source}|${pkg.name}@${pkg.version}|${pkg.resolved ?? ''}`;
    default:
      return `${pkg.source}|${pkg.name}@${pkg.version}|${pkg.resolved ?? ''}|${pkg.id}`;
  }
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every installed package once (deduplicated by name@version and source), sorted by key, and the
 * edges between them. Packages and edges of an omitted kind are left out.
 */
export const buildSbomGraph = (inventory: Inventory, omit: ReadonlySet<OmitKind> = new Set()): SbomGraph => {
  const root = inventory.packages.get(ROOT_KEY);
  if (!root) throw new Error(`inventory of ${inventory.lockfile} has no root package`);
  const keyOf = new Map<string, string>([[ROOT_KEY, ROOT_KEY]]);
  const groups = new Map<string, InventoryPackage[]>();
  const ids = [...inventory.packages.keys()].sort(compare);
  for (const id of ids) {
    const pkg = inventory.packages.get(id) as InventoryPackage;
    if (id === ROOT_KEY || isOmitted(pkg.scope, omit)) continue;
    const key = entryKey(pkg);
    keyOf.set(id, key);
    const group = groups.get(key);
    if (group) group.push(pkg);
    else groups.set(key, [pkg]);
  }
  const entries: SbomEntry[] = [...groups.keys()].sort(compare).map((key) => {
    const copies = groups.get(key) as InventoryPackage[];
    // Bundled copies carry no integrity or URL of their own: describe the package by the copy that
    // does, and take each fact from the first copy that states it.
    const first =
      copies.find((c) => !c.bundled && c.integrity !== undefined) ?? (copies[0] as InventoryPackage);
    const pkg: InventoryPackage = {
      ...first,
      integrity: first.integrity ?? copies.find((c) => c.integrity !== undefined)?.integrity,
      resolved: first.resolved ?? copies.find((c) => c.resolved !== undefined)?.resolved,
      license: first.license ?? copies.find((c) => c.license !== undefined)?.license,
    };
    const scope = widestScope(copies.map((c) => c.scope));
    const aliases = [...new Set(copies.flatMap((c) => (c.alias === undefined ? [] : [c.alias])))].sort(
      compare,
    );
    return { key, pkg, scope, bundled: copies.every((c) => c.bundled), aliases };
  });

  const edges = new Map<string, Map<string, Set<EdgeType>>>();
  // npm links the root to every workspace, declared as a dependency or not, so every component is
  // reachable from the root; a workspace nobody depends on would otherwise hang loose in the graph.
  const workspaceEdges = inventory.importers
    .filter((importer) => importer.id !== ROOT_KEY)
    .map((importer) => ({ from: ROOT_KEY, to: importer.id, type: 'prod' as const }));
  const declared = new Set(inventory.edges.filter((e) => e.from === ROOT_KEY).map((e) => e.to));
  for (const edge of [...inventory.edges, ...workspaceEdges.filter((e) => !declared.has(e.to))]) {
    if (omit.has(edge.type as OmitKind)) continue;
    const from = keyOf.get(edge.from);
    const to = keyOf.get(edge.to);
    if (from === undefined || to === undefined || from === to) continue;
    const targets = edges.get(from) ?? new Map<string, Set<EdgeType>>();
    edges.set(from, targets);
    const types = targets.get(to) ?? new Set<EdgeType>();
    targets.set(to, types);
    types.add(edge.type);
  }
  return { root, entries, edges };
};

/** The targets of `from`, sorted by key. */
export const targetsOf = (graph: SbomGraph, from: string): [string, EdgeType[]][] =>
  [...(graph.edges.get(from) ?? new Map<string, ReadonlySet<EdgeType>>())]
    .map(([to, types]): [string, EdgeType[]] => [to, [...types].sort(compare)])
    .sort((a, b) => compare(a[0], b[0]));

export type HashAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const digestBytes: Record<HashAlgorithm, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/**
 * The digests of an SRI `integrity` string (`sha512-<base64>`, several separated by spaces), in hex.
 * A digest whose length does not fit its algorithm is no checksum at all, so it is left out.
 */
export const integrityHashes = (integrity: string | undefined): { alg: HashAlgorithm; hex: string }[] => {
  if (integrity === undefined) return [];
  const found = new Map<HashAlgorithm, string>();
  for (const token of integrity.trim().split(/\s+/)) {
    const match = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(token);
    if (!match) continue;
    const alg = match[1] as HashAlgorithm;
    const bytes = Buffer.from(match[2] as string, 'base64');
    if (bytes.length === digestBytes[alg] && !found.has(alg)) found.set(alg, bytes.toString('hex'));
  }
  return [...found].map(([alg, hex]) => ({ alg, hex }));
};

export type LicenseChoice =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'expression'; readonly expression: string; readonly hasRef: boolean }
  | { readonly kind: 'name'; readonly name: string };

/**
 * A `license` field read as SPDX: one listed identifier (case corrected), a valid SPDX license
 * expression (identifiers case corrected), or else a free-text name such as `SEE LICENSE IN x`.
 */
export const classifyLicense = (license: string | undefined): LicenseChoice | undefined => {
  const text = license?.trim();
  if (text === undefined || text === '') return undefined;
  const id = spdxLicenseIds.get(text.toLowerCase());
  if (id !== undefined) return { kind: 'id', id };
  const parsed = parseExpression(text);
  return parsed ? { kind: 'expression', ...parsed } : { kind: 'name', name: text };
};

const refPattern = /^(DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+$/;

/**
 * SPDX 2.3 Annex D: `simple ["+"] [WITH exception]`, combined with AND and OR (upper case, as the
 * specification matches operators) and parentheses. Returns the expression with identifiers in
 * their listed case, or undefined when the text is not an expression.
 */
const parseExpression = (text: string): { expression: string; hasRef: boolean } | undefined => {
  const tokens = text
    .replace(/([()])/g, ' $1 ')
    .trim()
    .split(/\s+/);
  const out: string[] = [];
  let at = 0;
  let hasRef = false;
  const licenseId = (token: string | undefined): string | undefined => {
    if (token === undefined) return undefined;
    if (refPattern.test(token)) {
      hasRef = true;
      return token;
    }
    const plus = token.endsWith('+');
    const id = spdxLicenseIds.get((plus ? token.slice(0, -1) : token).toLowerCase());
    return id === undefined ? undefined : `${id}${plus ? '+' : ''}`;
  };
  const term = (): boolean => {
    const token = tokens[at];
    if (token === '(') {
      out.push('(');
      at++;
      if (!expression() || tokens[at] !== ')') return false;
      out.push(')');
      at++;
      return true;
    }
    const id = licenseId(token);
    if (id === undefined) return false;
    out.push(id);
    at++;
    if (tokens[at] === 'WITH') {
      const exception = spdxLicenseIds.get(tokens[at + 1]?.toLowerCase() ?? '');
      if (exception === undefined) return false;
      out.push('WITH', exception);
      at += 2;
    }
    return true;
  };
  const expression = (): boolean => {
    if (!term()) return false;
    while (tokens[at] === 'AND' || tokens[at] === 'OR') {
      out.push(tokens[at] as string);
      at++;
      if (!term()) return false;
    }
    return true;
  };
  if (!expression() || at !== tokens.length) return undefined;
  return { expression: out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')'), hasRef };
};

/**
 * A `resolved` URL fit to publish as a download location: http(s) and git URLs, without the
 * credentials a private registry URL may carry. Folders (`file:`) and anything unparsable give undefined.
 */
export const publicUrl = (resolved: string | undefined): string | undefined => {
  if (resolved === undefined) return undefined;
  // Most lockfile URLs are already in the form URL parsing would give back (lower-case host, no
  // credentials, default port, dot segments or escapes of them): skip the parse for those.
  if (alreadyPlain.test(resolved) && !/\/\.|%2e/i.test(resolved)) return resolved;
  // Only these schemes are published; anything else (yarn berry's `name@npm:1.0.0` locators,
  // `file:`) is refused before a parse, whose exception would cost more than the rest of the work.
  if (!publishedScheme.test(resolved.replace(/[\t\n\r]/g, ''))) return undefined;
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    return undefined;
  }
  if (!/^(https?|git|git\+https?|git\+ssh|ssh):$/.test(url.protocol)) return undefined;
  if (url.host === '') return undefined;
  // An ssh user name (git@) is an address, not a secret; any other user name may be a token.
  if (!/ssh:$/.test(url.protocol)) url.username = '';
  url.password = '';
  return url.href;
};

// The URL parser drops leading C0 controls and spaces, so they may come before the scheme (and
// tabs and line breaks anywhere, which the caller strips before the test).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters URL parsing strips
const publishedScheme = /^[\u0000-\u0020]*(?:https?|git|git\+https?|git\+ssh|ssh):/i;
const alreadyPlain = /^https:\/\/[a-z0-9.-]+\/[A-Za-z0-9\-._~/%@!$&'()*+,;=:]*(?:#[0-9a-f]+)?$/;

/** `@scope/name` → group `@scope`, name `name`, as cyclonedx-npm writes scoped packages. */
export const splitScopedName = (name: string): { group: string | undefined; name: string } => {
  const slash = name.indexOf('/');
  return name.startsWith('@') && slash > 0
    ? { group: name.slice(0, slash), name: name.slice(slash + 1) }
    : { group: undefined, name };
};

/** A version 5 style UUID from the SHA-256 of `text`: the same content always gets the same UUID. */
export const uuidFromContent = (text: string): string => {
  const hex = createHash('sha256').update(text).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Two-space JSON with a trailing newline, the form both formats are written in. */
export const serializeSbom = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;
