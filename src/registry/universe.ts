import { createRequire } from 'node:module';
import { PatchPilotError } from '../core/errors.js';
import { compareVersions, isStrictVersion } from '../core/version.js';
import { readTextIfExists } from '../util/fs.js';
import { separateDependencies } from './packument.js';
import type { PackageMetadata, PackageVersion, Registry } from './types.js';

/**
 * OSV-Scanner's "universe" files, the mock registry of its guided-remediation tests, as an
 * offline `RegistrySource`. The YAML has `system: npm` and `schema:`, a block in deps.dev's
 * resolve-schema grammar, one level of indentation (a tab, or two spaces as OSV-Scanner reads
 * them) per level:
 *
 *   name                          a package
 *     [Attr|]version              a version it has (`Blocked|1.0.0`: deprecated)
 *       [Type|]name@requirement   a dependency of that version
 *     tag -> version              a symbolic version (dist-tag)
 *
 * Dependency types are space-separated attributes: `Dev` and `Test` (left out: a published
 * package's dev dependencies are never installed), `Opt` (optional), `Scope peer` (peer; with `Opt` an optional
 * peer), `Scope bundle` (left out: bundled inside the tarball), `KnownAs alias` (the dependency is
 * installed as `alias`, spec `npm:name@requirement`). An empty requirement is `*`, as npm reads
 * one. `#` starts a comment. A universe has no tarballs, publish times or scripts: those fields
 * are undefined.
 */

// Loaded on first use: only `--universe` runs need a YAML parser.
const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
const yaml = (): typeof import('yaml') => {
  yamlModule ??= require('yaml') as typeof import('yaml');
  return yamlModule;
};

interface DraftVersion {
  readonly version: string;
  deprecated: string | undefined;
  readonly dependencies: Record<string, string>;
  readonly optional: Record<string, string>;
  readonly peers: Record<string, string>;
  readonly peerOptional: Set<string>;
}

interface DraftPackage {
  readonly versions: Map<string, DraftVersion>;
  readonly tags: Record<string, string>;
}

/** Attributes that take a value, so that the value is not mistaken for a key. */
const valuedAttributes = new Set([
  'Scope',
  'KnownAs',
  'Framework',
  'XTest',
  'MavenClassifier',
  'MavenArtifactType',
  'MavenDependencyOrigin',
  'MavenExclusions',
  'EnabledDependencies',
  'Environment',
]);

const parseType = (text: string): Map<string, string> => {
  const attributes = new Map<string, string>();
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const key = tokens[i] as string;
    if (valuedAttributes.has(key)) attributes.set(key, tokens[++i] ?? '');
    else attributes.set(key, '');
  }
  return attributes;
};

const invalid = (path: string, line: number, what: string): PatchPilotError =>
  new PatchPilotError('UNIVERSE_INVALID', `${path}: line ${line}: ${what}`, {
    hint: 'a universe file is OSV-Scanner\'s mock registry: "system: npm" and a "schema" block',
  });

/**
 * Where the dependency type ends: the first `|`, unless it belongs to the requirement
 * (`a@^1 || ^2`). A type's first word is an attribute, which never holds `@`.
 */
const typeBar = (line: string): number => {
  const bar = line.indexOf('|');
  if (bar < 0) return -1;
  const first = line.slice(0, bar).trim().split(/\s+/)[0] ?? '';
  return first.includes('@') ? -1 : bar;
};

/** Splits `name@requirement`, the scope's `@` being part of the name. */
const splitSpec = (text: string): [string, string] | undefined => {
  const at = text.indexOf('@', 1);
  if (at <= 0) return undefined;
  return [text.slice(0, at), text.slice(at + 1)];
};

/**
 * The shape every universe file OSV-Scanner writes has: comment lines, `system: NAME` and
 * `schema: |` followed by the indented block, nothing else. Read without the YAML parser (whose
 * loading alone costs a tenth of a second); anything else (another key, quotes, another block
 * style, a tab in the block's indentation) returns undefined and goes to the YAML parser.
 */
export const readPlainUniverse = (text: string): { system: string; schema: string } | undefined => {
  const lines = text.split(/\r?\n/);
  let system: string | undefined;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '' || /^#/.test(line)) continue;
    const plain = /^system:[ ]+([A-Za-z0-9_-]+)[ ]*$/.exec(line);
    if (plain && system === undefined) {
      system = plain[1];
      continue;
    }
    if (/^schema:[ ]*\|[ ]*$/.test(line)) break;
    return undefined;
  }
  if (system === undefined || i >= lines.length) return undefined;
  const block: string[] = [];
  let indent: string | undefined;
  let j = i + 1;
  for (; j < lines.length; j++) {
    const line = lines[j] as string;
    if (line.trim() === '') {
      block.push('');
      continue;
    }
    if (indent === undefined) {
      indent = /^( +)/.exec(line)?.[1];
      if (indent === undefined) return undefined;
    }
    if (!line.startsWith(indent)) break;
    block.push(line.slice(indent.length));
  }
  // After the block: only blank lines and comments.
  for (; j < lines.length; j++) {
    const line = lines[j] as string;
    if (line.trim() !== '' && !/^#/.test(line)) return undefined;
  }
  // `|` keeps one final newline and drops the trailing blank lines.
  while (block.length > 0 && block[block.length - 1] === '') block.pop();
  return { system, schema: block.length === 0 ? '' : `${block.join('\n')}\n` };
};

/** Parses a universe file's text; `path` only names the file in errors, with the file's line numbers. */
export const parseUniverse = (text: string, path: string): ReadonlyMap<string, PackageMetadata> => {
  let document: unknown = readPlainUniverse(text);
  if (document === undefined) {
    try {
      document = yaml().parse(text);
    } catch (cause) {
      throw new PatchPilotError('UNIVERSE_INVALID', `${path}: invalid YAML: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  const { system, schema } = (typeof document === 'object' && document !== null ? document : {}) as {
    system?: unknown;
    schema?: unknown;
  };
  if (typeof system !== 'string' || system.toLowerCase() !== 'npm') {
    throw new PatchPilotError(
      'UNIVERSE_INVALID',
      `${path}: system ${typeof system === 'string' ? `"${system}"` : 'is missing'}: only npm universes are read`,
    );
  }
  if (typeof schema !== 'string') throw new PatchPilotError('UNIVERSE_INVALID', `${path}: no "schema" block`);
  const schemaStart = text.split('\n').findIndex((l) => /^schema\s*:/.test(l)) + 2;
  const packages = new Map<string, DraftPackage>();
  let pkg: DraftPackage | undefined;
  let ver: DraftVersion | undefined;
  const lines = schema.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = schemaStart + i;
    const hash = (lines[i] as string).indexOf('#');
    const raw = (hash >= 0 ? (lines[i] as string).slice(0, hash) : (lines[i] as string)).trimEnd();
    if (raw.trim() === '') continue;
    let level = 0;
    let at = 0;
    while (at < raw.length) {
      if (raw[at] === '\t') {
        level++;
        at++;
      } else if (raw.startsWith('  ', at)) {
        level++;
        at += 2;
      } else break;
    }
    const line = raw.slice(at);
    if (line.startsWith(' ')) throw invalid(path, lineNo, 'odd indentation (a level is a tab or two spaces)');
    if (level === 0) {
      if (/\s/.test(line)) throw invalid(path, lineNo, `a package line holds one name, not "${line}"`);
      pkg = packages.get(line);
      if (!pkg) {
        pkg = { versions: new Map(), tags: {} };
        packages.set(line, pkg);
      }
      ver = undefined;
    } else if (level === 1) {
      if (!pkg) throw invalid(path, lineNo, `version "${line}" before any package`);
      const symbolic = /^(\S+)\s*->\s*(\S+)$/.exec(line);
      if (symbolic) {
        pkg.tags[symbolic[1] as string] = symbolic[2] as string;
        ver = undefined;
        continue;
      }
      const bar = line.indexOf('|');
      const attributes = bar >= 0 ? parseType(line.slice(0, bar)) : new Map<string, string>();
      const version = (bar >= 0 ? line.slice(bar + 1) : line).trim();
      if (!isStrictVersion(version)) throw invalid(path, lineNo, `"${version}" is not a semver version`);
      ver = pkg.versions.get(version);
      if (!ver) {
        ver = {
          version,
          deprecated: undefined,
          dependencies: {},
          optional: {},
          peers: {},
          peerOptional: new Set(),
        };
        pkg.versions.set(version, ver);
      }
      if (attributes.has('Blocked')) ver.deprecated = 'deprecated (Blocked in the universe)';
    } else if (level === 2) {
      if (!ver) throw invalid(path, lineNo, `dependency "${line}" before any version`);
      if (line.startsWith('ATTR:')) continue;
      const bar = typeBar(line);
      const attributes = bar >= 0 ? parseType(line.slice(0, bar)) : new Map<string, string>();
      const spec = splitSpec((bar >= 0 ? line.slice(bar + 1) : line).trim());
      if (!spec) throw invalid(path, lineNo, `expected name@requirement, got "${line}"`);
      const [name, written] = spec;
      const requirement = written.trim() === '' ? '*' : written;
      const scope = attributes.get('Scope');
      if (attributes.has('Dev') || attributes.has('Test') || scope === 'bundle') continue;
      const alias = attributes.get('KnownAs');
      const key = alias || name;
      const value = alias ? `npm:${name}@${requirement}` : requirement;
      if (scope === 'peer') {
        ver.peers[key] = value;
        if (attributes.has('Opt')) ver.peerOptional.add(key);
      } else if (scope !== undefined) {
        // Maven and other ecosystems' scopes mean nothing for npm.
      } else if (attributes.has('Opt')) {
        ver.optional[key] = value;
      } else {
        ver.dependencies[key] = value;
      }
    } else {
      throw invalid(path, lineNo, `${level} levels of indentation (at most 2)`);
    }
  }
  const result = new Map<string, PackageMetadata>();
  for (const [name, draft] of packages) {
    const versions: Record<string, PackageVersion> = {};
    for (const v of draft.versions.values()) {
      versions[v.version] = {
        version: v.version,
        ...separateDependencies(v.dependencies, v.optional, v.peers, v.peerOptional),
        dist: undefined,
        deprecated: v.deprecated,
        hasInstallScript: undefined,
        publishedAt: undefined,
      };
    }
    const distTags = { ...draft.tags };
    if (distTags.latest === undefined) {
      // npm's `latest` is the newest release unless a publisher says otherwise.
      // A release has no pre-release part; build metadata (`+…`) may hold a hyphen.
      const releases = Object.keys(versions).filter((v) => !v.split('+')[0]?.includes('-'));
      const latest = releases.sort(compareVersions).at(-1);
      if (latest) distTags.latest = latest;
    }
    result.set(name, { name, form: 'universe', distTags, versions, modified: undefined, skipped: [] });
  }
  return result;
};

/** A universe file as a registry: read once, answered from memory. */
export const createUniverseRegistry = (path: string): Registry => {
  const text = readTextIfExists(path);
  if (text === undefined) {
    throw new PatchPilotError('UNIVERSE_NOT_FOUND', `${path}: no such file`, {
      hint: 'give --universe the path of an OSV-Scanner universe YAML file',
    });
  }
  const packages = parseUniverse(text, path);
  return {
    kind: 'universe',
    getPackage: async (name) => packages.get(name),
    close: async () => undefined,
  };
};
