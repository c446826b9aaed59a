import { dirname, join, parse, relative, resolve, sep } from 'node:path';
import { PatchPilotError } from '../core/errors.js';
import { readConfinedText, readTextIfExists, realPathOrUndefined, statOrUndefined } from '../util/fs.js';
import type { Env } from '../util/home.js';
import { type ProxySettings, proxySettings } from '../util/http.js';

/**
 * npm's configuration, as far as fetching package documents goes: which registry serves a name,
 * which credential a URL gets, which proxy a request takes. The layers and their order are npm's
 * (highest first): the command line (`--registry`), `npm_config_*` environment variables, the
 * project's `.npmrc`, the user's `.npmrc`, the global `npmrc`.
 */

export const defaultRegistry = 'https://registry.npmjs.org/';

export type NpmrcValue = string | boolean | null | readonly string[];

/** One source of settings: a file, the environment or the command line. */
export interface NpmrcLayer {
  /** A file path, `environment` or `command line`: where a setting came from, for messages. */
  readonly source: string;
  readonly values: ReadonlyMap<string, NpmrcValue>;
}

export interface Credential {
  /** `//host[:port]/path/`: the registry prefix it was configured for. */
  readonly nerfDart: string;
  /**
   * The `Authorization` header value. Never printed: the property is not enumerable, so that
   * JSON.stringify, util.inspect and test diffs of a config leave it out.
   */
  readonly authorization: string;
  readonly kind: 'token' | 'basic';
  readonly source: string;
}

const makeCredential = (
  nerfDart: string,
  authorization: string,
  kind: Credential['kind'],
  source: string,
): Credential => {
  const credential = { nerfDart, kind, source };
  Object.defineProperty(credential, 'authorization', { value: authorization, enumerable: false });
  return Object.freeze(credential) as Credential;
};

export interface NpmConfig {
  /** The default registry, with a trailing slash. */
  readonly registry: string;
  /** `@scope` → registry, with a trailing slash. */
  readonly scopedRegistries: ReadonlyMap<string, string>;
  /** Keyed by nerf dart. */
  readonly credentials: ReadonlyMap<string, Credential>;
  readonly proxy: ProxySettings;
  /** The layers that were read, highest first. */
  readonly sources: readonly string[];
  /** Settings that were ignored and why (values never included). */
  readonly warnings: readonly string[];
}

/**
 * `${NAME}` takes the variable's value; an unset one stays as written, as npm leaves it;
 * `${NAME?}` becomes empty when unset. A backslash before `$` keeps the text literally.
 */
export const expandEnv = (text: string, env: Env): string =>
  text.replace(/(\\*)\$\{([^${}?]+)(\?)?\}/g, (whole, slashes: string, name: string, optional?: string) => {
    const kept = slashes.slice(0, Math.floor(slashes.length / 2));
    if (slashes.length % 2 === 1) return `${kept}${whole.slice(slashes.length)}`;
    const value = env[name];
    return `${kept}${value ?? (optional ? '' : whole.slice(slashes.length))}`;
  });

const isQuoted = (value: string): boolean =>
  value.length >= 2 &&
  ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")));

/**
 * An ini value: quoted ones are taken whole (double quotes as a JSON string; single quotes are
 * dropped, and what they held is read as a JSON string when it is one, as npm's ini reads it); in
 * others `;` and `#` start a comment unless escaped.
 */
const iniValue = (raw: string): string => {
  const value = raw.trim();
  if (isQuoted(value)) {
    const text = value.startsWith("'") ? value.slice(1, -1) : value;
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'string' ? parsed : text;
    } catch {
      return text;
    }
  }
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\') {
      const next = value[i + 1];
      if (next === undefined) out += '\\';
      else if (next === '\\' || next === ';' || next === '#') out += next;
      else out += `\\${next}`;
      i++;
    } else if (c === ';' || c === '#') {
      break;
    } else {
      out += c;
    }
  }
  return out.trim();
};

const typed = (value: string): NpmrcValue =>
  value === 'true' ? true : value === 'false' ? false : value === 'null' ? null : value;

/**
 * Parses one `.npmrc` (ini: `key = value`, `;` and `#` comments, `key[] = value` arrays, `${VAR}`
 * expansion in keys and values). Settings under a `[section]` header are not npm settings and are
 * left out. Never throws: npm accepts any text here.
 */
export const parseNpmrc = (text: string, env: Env, source: string): NpmrcLayer => {
  const values = new Map<string, NpmrcValue>();
  let inSection = false;
  for (const line of text.split(/[\r\n]+/)) {
    if (/^\s*([;#]|$)/.test(line)) continue;
    const section = /^\s*\[[^\]]*\]\s*$/.exec(line);
    if (section) {
      inSection = true;
      continue;
    }
    if (inSection) continue;
    const eq = line.indexOf('=');
    const rawKey = iniValue(eq < 0 ? line : line.slice(0, eq));
    if (rawKey === '') continue;
    const value = eq < 0 ? true : typed(expandEnv(iniValue(line.slice(eq + 1)), env));
    let key = expandEnv(rawKey, env);
    if (key.length > 2 && key.endsWith('[]')) {
      key = key.slice(0, -2);
      // A plain `key=` before the first `key[]=` becomes the array's first item, as in npm's ini.
      const previous = values.get(key);
      const list = Array.isArray(previous) ? previous : previous === undefined ? [] : [String(previous)];
      values.set(key, [...list, String(value)]);
      continue;
    }
    values.set(key, value);
  }
  return { source, values };
};

/**
 * `npm_config_*` variables (any case): `_` in the name stands for `-` except at the start, and
 * names are lower-cased, except nerf-darted ones (`npm_config_//host/:_authToken`). Empty values
 * are ignored, as npm ignores them.
 */
export const environmentLayer = (env: Env): NpmrcLayer => {
  const values = new Map<string, NpmrcValue>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '' || !/^npm_config_/i.test(name)) continue;
    let key = name.slice('npm_config_'.length);
    if (!key.startsWith('//')) key = key.replace(/(?!^)_/g, '-').toLowerCase();
    values.set(key, typed(expandEnv(value, env)));
  }
  return { source: 'environment (npm_config_*)', values };
};

/**
 * A URL for messages: without the credentials it may carry, and without its query and fragment
 * (a redirect target may be a signed URL whose query is a credential of its own).
 */
export const displayUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return '(unparsable URL)';
  }
};

/** The text as written, unless it is a URL carrying credentials: those are dropped. */
const withoutCredentials = (text: string): string => {
  try {
    const parsed = new URL(text);
    return parsed.username || parsed.password ? displayUrl(text) : text;
  } catch {
    return text;
  }
};

/** Checks a registry URL and gives it the trailing slash the rest of the code relies on. */
export const normalizeRegistryUrl = (value: NpmrcValue | undefined, key: string, source: string): string => {
  const text = typeof value === 'string' ? value.trim() : '';
  let parsed: URL | undefined;
  try {
    parsed = text ? new URL(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    const shown = typeof value === 'string' ? `"${withoutCredentials(value)}"` : String(value);
    throw new PatchPilotError('REGISTRY_CONFIG_INVALID', `${source}: ${key} ${shown} is not an http(s) URL`, {
      hint: `set ${key} to a URL such as ${defaultRegistry}`,
    });
  }
  if (parsed.username || parsed.password) {
    // Fetch refuses such URLs, and its error would print them.
    throw new PatchPilotError(
      'REGISTRY_CONFIG_INVALID',
      `${source}: ${key} "${displayUrl(text)}" carries credentials in the URL`,
      { hint: `remove them from the URL and set //${parsed.host}/:_authToken (or :_auth) instead` },
    );
  }
  parsed.search = '';
  parsed.hash = '';
  return parsed.href.endsWith('/') ? parsed.href : `${parsed.href}/`;
};

/**
 * npm's "nerf dart" of a URL: `//host[:port]/folder/`, the protocol, credentials, query and the
 * last path segment dropped. Credentials in `.npmrc` are keyed by it.
 */
export const nerfDart = (url: string): string => {
  const parsed = new URL(url);
  const folder = parsed.pathname.slice(0, parsed.pathname.lastIndexOf('/') + 1) || '/';
  return `//${parsed.host}${folder}`;
};

const credentialSuffixes = [':_authToken', ':_auth', ':username', ':_password'];

const credentialsOf = (
  merged: ReadonlyMap<string, { value: NpmrcValue; source: string }>,
  warnings: string[],
): Map<string, Credential> => {
  const darts = new Set<string>();
  for (const key of merged.keys()) {
    if (!key.startsWith('//')) continue;
    const suffix = credentialSuffixes.find((s) => key.endsWith(s));
    if (suffix) darts.add(key.slice(0, -suffix.length));
  }
  const text = (key: string): { value: string; source: string } | undefined => {
    const entry = merged.get(key);
    if (typeof entry?.value !== 'string' || entry.value === '') return undefined;
    // npm sends such a value as written; a 401 is then easier to understand with this said first.
    const unset = /\$\{([^${}?]+)\}/.exec(entry.value)?.[1];
    if (unset !== undefined) {
      warnings.push(
        `${entry.source}: ${key} refers to \${${unset}}, which is not set; it is sent as written`,
      );
    }
    return { value: entry.value, source: entry.source };
  };
  const credentialAt = (raw: string, dart: string): Credential | undefined => {
    const token = text(`${raw}:_authToken`);
    const auth = text(`${raw}:_auth`);
    const username = text(`${raw}:username`);
    const password = text(`${raw}:_password`);
    if (token) return makeCredential(dart, `Bearer ${token.value}`, 'token', token.source);
    if (auth) return makeCredential(dart, `Basic ${auth.value}`, 'basic', auth.source);
    if (username && password) {
      // `_password` is stored base64-encoded.
      const clear = Buffer.from(password.value, 'base64').toString('utf8');
      const basic = Buffer.from(`${username.value}:${clear}`).toString('base64');
      return makeCredential(dart, `Basic ${basic}`, 'basic', password.source);
    }
    return undefined;
  };
  const credentials = new Map<string, Credential>();
  // Keys are written `//host/path/:_authToken`; one written without the last slash still means it,
  // but when both are written the one with the slash wins, as npm looks it up first.
  const ordered = [...darts].sort((a, b) => Number(a.endsWith('/')) - Number(b.endsWith('/')));
  for (const raw of ordered) {
    const dart = raw.endsWith('/') ? raw : `${raw}/`;
    const credential = credentialAt(raw, dart);
    if (credential) credentials.set(dart, credential);
  }
  return credentials;
};

const unscopedCredentialKeys = ['_authToken', '_auth', 'username', '_password'];

/** Merges layers (highest first) into the settings this client uses. Pure. */
export const resolveNpmConfig = (layers: readonly NpmrcLayer[], env: Env): NpmConfig => {
  const merged = new Map<string, { value: NpmrcValue; source: string }>();
  for (const layer of [...layers].reverse()) {
    for (const [key, value] of layer.values) merged.set(key, { value, source: layer.source });
  }
  const warnings: string[] = [];
  for (const key of unscopedCredentialKeys) {
    const entry = merged.get(key);
    if (entry) {
      warnings.push(
        `${entry.source}: "${key}" is not tied to a registry and is ignored, as npm 9 and later ignore it; write it as //host/:${key}`,
      );
    }
  }
  const registryEntry = merged.get('registry');
  const registry = registryEntry
    ? normalizeRegistryUrl(registryEntry.value, 'registry', registryEntry.source)
    : defaultRegistry;
  const scopedRegistries = new Map<string, string>();
  for (const [key, entry] of merged) {
    const scope = /^(@[^:/]+):registry$/.exec(key)?.[1];
    if (scope) scopedRegistries.set(scope, normalizeRegistryUrl(entry.value, key, entry.source));
  }
  const text = (key: string): string | undefined => {
    const value = merged.get(key)?.value;
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (Array.isArray(value) && value.length > 0) return value.join(',');
    return undefined;
  };
  const fromEnv = proxySettings(env);
  return {
    registry,
    scopedRegistries,
    credentials: credentialsOf(merged, warnings),
    proxy: {
      httpProxy: text('proxy') ?? fromEnv.httpProxy,
      httpsProxy: text('https-proxy') ?? text('proxy') ?? fromEnv.httpsProxy,
      noProxy: text('noproxy') ?? fromEnv.noProxy,
    },
    sources: layers.map((l) => l.source),
    warnings,
  };
};

/** The registry serving `name`: its scope's registry when one is configured, else the default. */
export const registryFor = (config: NpmConfig, name: string): string => {
  if (name.startsWith('@')) {
    const scope = name.slice(0, name.indexOf('/'));
    const scoped = config.scopedRegistries.get(scope);
    if (scoped) return scoped;
  }
  return config.registry;
};

/**
 * The credential for a request to `url`: the one configured for the longest path prefix of it on
 * the same host and port. A URL on another host never gets another host's credential.
 */
export const credentialFor = (config: NpmConfig, url: string): Credential | undefined => {
  let dart = nerfDart(url);
  for (;;) {
    const found = config.credentials.get(dart);
    if (found) return found;
    const parent = dart.replace(/[^/]+\/$/, '');
    if (parent === dart || !parent.startsWith('//') || parent.length <= 2 || !parent.slice(2).includes('/')) {
      return undefined;
    }
    dart = parent;
  }
};

/** One part of a name (scope or bare name): only characters a URL carries unescaped. */
const isUrlSafePart = (part: string): boolean =>
  part !== '' && part !== '.' && part !== '..' && encodeURIComponent(part) === part;

/**
 * Whether a registry can hold `name`, by npm's rules for names that exist (validate-npm-package-name's
 * rules for old packages: upper case, long names and `~'!()*` were once allowed): `[@scope/]name`,
 * URL-safe characters only, not starting with `.` or `_`, not `node_modules` or `favicon.ico`.
 * Everything else (a path, `%2e%2e`, spaces, a second slash) never reaches a URL or a file name.
 */
export const isValidPackageName = (name: string): boolean => {
  if (name === '' || name.startsWith('.') || name.startsWith('_')) return false;
  if (['node_modules', 'favicon.ico'].includes(name.toLowerCase())) return false;
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  if (scoped) return isUrlSafePart(scoped[1] as string) && isUrlSafePart(scoped[2] as string);
  return isUrlSafePart(name);
};

/**
 * The document URL of `name` on `registry`: `<registry>/<name>`, a scope's slash written `%2f` as
 * npm writes it. Undefined for a name no registry can hold (see `isValidPackageName`).
 */
export const packumentUrl = (registry: string, name: string): string | undefined => {
  if (!isValidPackageName(name)) return undefined;
  return `${registry.replace(/\/+$/, '')}/${name.replace('/', '%2f')}`;
};

/** A workspace glob (`packages/*`, `apps/**`, `{a,b}/*`) as a regular expression over `/` paths. */
const workspacePattern = (glob: string): RegExp => {
  const text = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  let out = '';
  let braces = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '*' && text[i + 1] === '*') {
      // `**/` also matches no folder at all.
      const slash = text[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^$()|[\]{}\\]/g, '\\$&');
  }
  // An unclosed brace is taken literally rather than as a broken expression.
  if (braces > 0) return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return new RegExp(`^${out}$`);
};

/** Whether `root`'s package.json lists `member` among its workspaces (`!pattern` excludes). */
const isWorkspaceOf = (root: string, member: string): boolean => {
  let manifest: unknown;
  try {
    manifest = JSON.parse(readTextIfExists(join(root, 'package.json')) ?? 'null');
  } catch {
    return false;
  }
  const declared = (manifest as { workspaces?: unknown } | null)?.workspaces;
  const patterns = Array.isArray(declared)
    ? declared
    : Array.isArray((declared as { packages?: unknown } | undefined)?.packages)
      ? (declared as { packages: unknown[] }).packages
      : [];
  const path = relative(root, member).split(sep).join('/');
  let listed = false;
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || pattern.trim() === '') continue;
    const negated = pattern.startsWith('!');
    if (workspacePattern(negated ? pattern.slice(1) : pattern).test(path)) listed = !negated;
  }
  return listed;
};

/** The folder whose `.npmrc` npm reads, and the workspace cwd is in when that folder is its root. */
const findProject = (cwd: string): { folder: string; workspace: string | undefined } => {
  const start = resolve(cwd);
  let found: string | undefined;
  for (let dir = start; ; ) {
    const manifest = statOrUndefined(join(dir, 'package.json')) !== undefined;
    if (found === undefined) {
      if (manifest || statOrUndefined(join(dir, 'node_modules'))) {
        found = dir;
        // Only a folder with its own package.json can be a workspace.
        if (!manifest) return { folder: found, workspace: undefined };
      }
    } else if (manifest && isWorkspaceOf(dir, found)) {
      return { folder: dir, workspace: found };
    }
    const parent = dirname(dir);
    if (parent === dir) return { folder: found ?? start, workspace: undefined };
    dir = parent;
  }
};

/**
 * The project folder as npm finds it: the nearest folder up from cwd with package.json or
 * node_modules, unless a folder further up is a workspace root that lists it (npm then reads the
 * root's `.npmrc`, not the workspace's).
 */
export const projectFolder = (cwd: string): string => findProject(cwd).folder;

export interface LoadNpmConfigOptions {
  readonly cwd: string;
  readonly env: Env;
  /** `--registry URL`: above every other setting of `registry`, as npm's own flag. */
  readonly registry?: string | undefined;
}

const expandHome = (path: string, home: string): string =>
  path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;

/** Far above any real `.npmrc`; a bigger one is not read. */
const maxNpmrcBytes = 1024 * 1024;

/**
 * The text of a configuration file, or undefined when there is none. Only a regular file of sane
 * size is read: a project's `.npmrc` comes with the repository, and a symbolic link to /dev/zero
 * or a FIFO must not hang or exhaust the run. Such a file is skipped with a warning.
 */
const readConfigFile = (path: string, warnings: string[]): string | undefined => {
  const real = realPathOrUndefined(path);
  if (real === undefined) return undefined;
  const read = readConfinedText(path, parse(real).root, maxNpmrcBytes);
  switch (read.kind) {
    case 'text':
      return read.text;
    case 'not-a-file':
      warnings.push(`${path}: not a regular file; ignored`);
      return undefined;
    case 'too-large':
      warnings.push(`${path}: ${read.bytes} bytes, more than an npmrc holds; ignored`);
      return undefined;
    default:
      return undefined;
  }
};

/**
 * Reads the layers npm reads and resolves them. The user file is `npm_config_userconfig` or
 * `~/.npmrc`; the global file is read when `npm_config_globalconfig` or `npm_config_prefix` says
 * where it is (npm passes both to the scripts it runs).
 */
export const loadNpmConfig = (options: LoadNpmConfigOptions): NpmConfig => {
  const { cwd, env } = options;
  const home = env.HOME || env.USERPROFILE || '/';
  const environment = environmentLayer(env);
  const setting = (key: string): string | undefined => {
    const value = environment.values.get(key);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const fileWarnings: string[] = [];
  const fileLayer = (path: string): NpmrcLayer | undefined => {
    const text = readConfigFile(path, fileWarnings);
    return text === undefined ? undefined : parseNpmrc(text, env, path);
  };
  const userPath = resolve(cwd, expandHome(setting('userconfig') ?? '~/.npmrc', home));
  const { folder, workspace } = findProject(cwd);
  const projectPath = join(folder, '.npmrc');
  if (workspace !== undefined && statOrUndefined(join(workspace, '.npmrc'))) {
    fileWarnings.push(`${join(workspace, '.npmrc')}: a workspace's own .npmrc is ignored, as npm ignores it`);
  }
  const prefix = setting('prefix');
  const globalSetting = setting('globalconfig') ?? (prefix ? join(prefix, 'etc', 'npmrc') : undefined);
  const globalPath = globalSetting ? resolve(cwd, expandHome(globalSetting, home)) : undefined;
  const layers: NpmrcLayer[] = [];
  if (options.registry !== undefined) {
    layers.push({ source: 'command line', values: new Map([['registry', options.registry]]) });
  }
  if (environment.values.size > 0) layers.push(environment);
  // npm skips the project file when it is the user file (a project in the home folder).
  const project = projectPath === userPath ? undefined : fileLayer(projectPath);
  if (project) layers.push(project);
  const user = fileLayer(userPath);
  if (user) layers.push(user);
  const global = globalPath && globalPath !== userPath ? fileLayer(globalPath) : undefined;
  if (global) layers.push(global);
  const resolved = resolveNpmConfig(layers, env);
  return { ...resolved, warnings: [...fileWarnings, ...resolved.warnings] };
};
