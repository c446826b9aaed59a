import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  type EdgeType,
  type Inventory,
  type InventoryPackage,
  type Scope,
  widestScope,
} from '../../core/inventory.js';
import { spdxExceptionIds, spdxLicenseIds } from './write-license-ids.js';

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
  /** from key (ROOT_KEY for the root) → to key → the edge types between them, as bits (`targetsOf` lists them). */
  readonly edges: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** Edge types as bits, in the alphabetical order the writers list them in. */
const edgeTypes: readonly EdgeType[] = ['dev', 'optional', 'peer', 'prod'];
const edgeTypeBit: Readonly<Record<EdgeType, number>> = { dev: 1, optional: 2, peer: 4, prod: 8 };

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

/**
 * Every installed package once (deduplicated by name@version and source), sorted by key, and the
 * edges between them. Packages and edges of an omitted kind are left out.
 *
 * Lists of keys are sorted with the default order of `sort()`, which for strings is the order of
 * their UTF-16 code units, as `<` compares them.
 */
export const buildSbomGraph = (inventory: Inventory, omit: ReadonlySet<OmitKind> = new Set()): SbomGraph => {
  const root = inventory.packages.get(ROOT_KEY);
  if (!root) throw new Error(`inventory of ${inventory.lockfile} has no root package`);
  const keyOf = new Map<string, string>([[ROOT_KEY, ROOT_KEY]]);
  const groups = new Map<string, InventoryPackage[]>();
  const ids = [...inventory.packages.keys()].sort();
  for (const id of ids) {
    const pkg = inventory.packages.get(id) as InventoryPackage;
    if (id === ROOT_KEY || (omit.size > 0 && isOmitted(pkg.scope, omit))) continue;
    const key = entryKey(pkg);
    keyOf.set(id, key);
    const group = groups.get(key);
    if (group) group.push(pkg);
    else groups.set(key, [pkg]);
  }
  const entries: SbomEntry[] = [...groups.keys()].sort().map((key) => {
    const copies = groups.get(key) as InventoryPackage[];
    const only = copies.length === 1 ? copies[0] : undefined;
    if (only) {
      const aliases = only.alias === undefined ? [] : [only.alias];
      return { key, pkg: only, scope: only.scope, bundled: only.bundled, aliases };
    }
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
    const aliases = [...new Set(copies.flatMap((c) => (c.alias === undefined ? [] : [c.alias])))].sort();
    return { key, pkg, scope, bundled: copies.every((c) => c.bundled), aliases };
  });

  const edges = new Map<string, Map<string, number>>();
  const add = (fromId: string, toId: string, type: EdgeType): void => {
    if (omit.size > 0 && omit.has(type as OmitKind)) return;
    const from = keyOf.get(fromId);
    const to = keyOf.get(toId);
    if (from === undefined || to === undefined || from === to) return;
    let targets = edges.get(from);
    if (!targets) {
      targets = new Map();
      edges.set(from, targets);
    }
    targets.set(to, (targets.get(to) ?? 0) | edgeTypeBit[type]);
  };
  const declared = new Set<string>();
  for (const edge of inventory.edges) {
    if (edge.from === ROOT_KEY) declared.add(edge.to);
    add(edge.from, edge.to, edge.type);
  }
  // npm links the root to every workspace, declared as a dependency or not, so every component is
  // reachable from the root; a workspace nobody depends on would otherwise hang loose in the graph.
  for (const importer of inventory.importers) {
    if (importer.id !== ROOT_KEY && !declared.has(importer.id)) add(ROOT_KEY, importer.id, 'prod');
  }
  return { root, entries, edges };
};

/** The targets of `from`, sorted by key, each with its edge types in alphabetical order. */
export const targetsOf = (graph: SbomGraph, from: string): [string, EdgeType[]][] => {
  const targets = graph.edges.get(from);
  if (!targets) return [];
  return [...targets.keys()].sort().map((to) => {
    const bits = targets.get(to) as number;
    return [to, edgeTypes.filter((type) => (bits & edgeTypeBit[type]) !== 0)];
  });
};

/** The keys `from` has an edge to, in no particular order. */
export const targetKeysOf = (graph: SbomGraph, from: string): string[] => [
  ...(graph.edges.get(from)?.keys() ?? []),
];

export type HashAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

const digestBytes: Record<HashAlgorithm, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/**
 * The digests of an SRI `integrity` string (`sha512-<base64>`, several separated by spaces), in hex.
 * A digest whose length does not fit its algorithm is no checksum at all, so it is left out.
 */
export const integrityHashes = (integrity: string | undefined): { alg: HashAlgorithm; hex: string }[] => {
  if (integrity === undefined) return [];
  const tokens = /\s/.test(integrity) ? integrity.trim().split(/\s+/) : [integrity];
  if (tokens.length === 1) {
    const digest = digestOf(tokens[0] as string);
    return digest ? [digest] : [];
  }
  const found = new Map<HashAlgorithm, string>();
  for (const token of tokens) {
    const digest = digestOf(token);
    if (digest && !found.has(digest.alg)) found.set(digest.alg, digest.hex);
  }
  return [...found].map(([alg, hex]) => ({ alg, hex }));
};

/** One SRI token, `<alg>-<base64>` with an optional `?options` part, or undefined when it is not one. */
const digestOf = (token: string): { alg: HashAlgorithm; hex: string } | undefined => {
  const dash = token.indexOf('-');
  if (dash <= 0) return undefined;
  const alg = token.slice(0, dash);
  if (!Object.hasOwn(digestBytes, alg)) return undefined;
  const query = token.indexOf('?', dash);
  const base64 = query === -1 ? token.slice(dash + 1) : token.slice(dash + 1, query);
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== digestBytes[alg as HashAlgorithm]) return undefined;
  // Decoding skips what is not base64; the text must be base64 throughout. Text that encodes
  // back to itself is; anything else (no padding, say) is checked character by character.
  if (base64 !== bytes.toString('base64') && !base64Text.test(base64)) return undefined;
  return { alg: alg as HashAlgorithm, hex: bytes.toString('hex') };
};

const base64Text = /^[A-Za-z0-9+/]+={0,2}$/;

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
      const exception = spdxExceptionIds.get(tokens[at + 1]?.toLowerCase() ?? '');
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
 * credentials a private registry URL may carry (user, password, query). Folders (`file:`) and anything unparsable give undefined.
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
  // A query may carry a token or a signature (a private registry, a presigned download URL).
  url.search = '';
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

/** A document and its text, as `serializeSbom` writes it. */
export interface SerializedSbom<T> {
  readonly document: T;
  readonly text: string;
}

/**
 * A document whose identifier (`field`, a top-level string left empty) is derived from its content:
 * the text with the field empty is hashed, and the identifier `idOf` makes of that UUID takes the
 * empty value's place in the text. The document is serialized once.
 */
export const withContentId = <T extends object>(
  document: T,
  field: keyof T & string,
  idOf: (uuid: string) => string,
): SerializedSbom<T> => {
  const text = serializeSbom(document);
  // A line break and two spaces before the key: only a top-level key is written so (a string
  // value holds no raw line break, a nested key is indented further).
  const empty = `\n  ${JSON.stringify(field)}: ""`;
  const at = text.indexOf(empty);
  if ((document as Record<string, unknown>)[field] !== '' || at === -1) {
    throw new Error(`the document's ${field} must be present and empty until it is derived`);
  }
  const id = idOf(uuidFromContent(text));
  return {
    document: { ...document, [field]: id },
    text: `${text.slice(0, at)}\n  ${JSON.stringify(field)}: ${JSON.stringify(id)}${text.slice(at + empty.length)}`,
  };
};
