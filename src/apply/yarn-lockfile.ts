import { satisfies } from 'semver';
import type { LockChange } from '../core/plan.js';
import type { PackageVersion } from '../registry/types.js';

/**
 * Moves locked packages in a yarn classic (v1) `yarn.lock`, as text in, text out: the entry that
 * locks `name` at `from` gets `to`'s version, `resolved` (same registry, new tarball and SHA-1),
 * `integrity` and dependencies, in yarn's own layout. Every other line is kept as it is. The
 * entry's patterns (the ranges its dependents declare) stay: the plan moved the package only to
 * a version they all accept. New dependencies of the new version are not locked here: yarn adds
 * them (and drops what nothing needs any more) when the caller runs it afterwards.
 */

export interface YarnEditResult {
  readonly content: string;
  readonly problems: readonly string[];
}

/** The package name of a yarn pattern (`"@babel/core@^7.0.0"` → `@babel/core`). */
const patternName = (pattern: string): string => {
  const text = pattern.trim().replace(/^"|"$/g, '');
  const at = text.indexOf('@', text.startsWith('@') ? 1 : 0);
  return at === -1 ? text : text.slice(0, at);
};

/** The patterns of an entry's header line: `a@^1, "b@npm:c@^2":` → [`a@^1`, `b@npm:c@^2`]. */
const headerPatterns = (line: string): string[] =>
  line
    .replace(/:\s*$/, '')
    .split(/,\s*/)
    .map((p) => p.trim())
    .filter((p) => p !== '');

/** yarn quotes a key or value that is not a plain word. */
const quote = (text: string): string => (/^[a-zA-Z][\w.-]*$/.test(text) ? text : JSON.stringify(text));

/** The name an aliased pattern installs (`npm:real@range` specs lock the real package). */
const lockedName = (pattern: string): string => {
  const text = pattern.replace(/^"|"$/g, '');
  const at = text.indexOf('@', text.startsWith('@') ? 1 : 0);
  const spec = at === -1 ? '' : text.slice(at + 1);
  return spec.startsWith('npm:') ? patternName(spec.slice(4)) : patternName(text);
};

/** The range of a pattern (`lib@^1.0.0` → `^1.0.0`, `x@npm:lib@^1` → `^1`), for the check below. */
export const patternRange = (pattern: string): string => {
  const text = pattern.replace(/^"|"$/g, '');
  let spec = text.slice(text.indexOf('@', text.startsWith('@') ? 1 : 0) + 1);
  if (spec.startsWith('npm:')) spec = spec.slice(4);
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  // `npm:lib@^1` names the package before its range; a bare `npm:^1` does not.
  return at > 0 && !/^[\d^~<>=*xX| ]/.test(spec) ? spec.slice(at + 1) : spec;
};

/**
 * Why the entry cannot take `to`: one of its patterns (the ranges of the dependents sharing it)
 * does not accept it. yarn shares one entry between every dependent declaring the same range.
 */
export const sharedEntryProblem = (patterns: readonly string[], change: LockChange): string | undefined => {
  const refusing = patterns.filter((p) => !satisfies(change.to, patternRange(p), { loose: true }));
  return refusing.length === 0
    ? undefined
    : `${change.name}@${change.from}: its entry is shared with ${refusing.join(', ')}, which ${change.to} does not satisfy`;
};

/** What the registry gives is written into the lockfile only in the shape it must have. */
export const integrityPattern =
  /^(sha1|sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}( (sha1|sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2})*$/;
const shasumPattern = /^[0-9a-f]{40}$/;

/** A dependency map's entries by name, as both yarn lines write them. */
export const sorted = (record: Readonly<Record<string, string>>): [string, string][] =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const tarballName = (url: string): string => {
  const path = url.split('#')[0] ?? url;
  return path.slice(path.lastIndexOf('/') + 1);
};

/**
 * Rewrites the entries of a yarn lockfile (yarn 1 or berry): each top-level `key:` line with its
 * indented lines goes to `rewrite`, which returns the lines that replace them, or undefined to
 * keep them. Comments and blank lines stay; so does the file's line ending.
 */
export const rewriteEntries = (
  content: string,
  rewrite: (header: string, body: readonly string[]) => readonly string[] | undefined,
): string => {
  const eol = content.includes('\r\n') ? '\r\n' : '\n';
  const lines = content.split(/\r?\n/);
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '' || line.startsWith(' ') || line.startsWith('#') || !line.trimEnd().endsWith(':')) {
      out.push(line);
      continue;
    }
    let end = i + 1;
    while (end < lines.length && (lines[end] as string).startsWith(' ')) end++;
    const body = lines.slice(i + 1, end);
    out.push(...(rewrite(line, body) ?? [line, ...body]));
    i = end - 1;
  }
  return out.join(eol);
};

export const editYarnClassicLockfile = (
  content: string,
  changes: readonly LockChange[],
  versionOf: (name: string, version: string) => PackageVersion | undefined,
): YarnEditResult => {
  const problems: string[] = [];
  const done = new Set<LockChange>();
  const rewritten = rewriteEntries(content, (line, body) => {
    const out: string[] = [];
    const version = body
      .find((l) => /^ {2}version /.test(l))
      ?.replace(/^ {2}version\s+"?([^"]*)"?\s*$/, '$1');
    const patterns = headerPatterns(line);
    const names = new Set(patterns.map(lockedName));
    const change = changes.find((c) => names.has(c.name) && c.from === version);
    if (!change) {
      return undefined;
    }
    const oldResolved = body
      .find((l) => /^ {2}resolved /.test(l))
      ?.replace(/^ {2}resolved\s+"?([^"]*)"?\s*$/, '$1');
    const target = versionOf(change.name, change.to);
    const tarball = target?.dist?.tarball;
    let problem: string | undefined;
    if (!oldResolved?.includes('/-/')) {
      problem = `${change.name}@${change.from}: its entry is not a registry tarball (${oldResolved ?? 'nothing resolved'})`;
    } else problem = sharedEntryProblem(patterns, change);
    if (!problem && (!target?.dist || tarball === undefined)) {
      problem = `${change.name}@${change.to}: the registry gave no tarball to lock`;
    } else if (
      !problem &&
      ((target?.dist?.integrity !== undefined && !integrityPattern.test(target.dist.integrity)) ||
        (target?.dist?.shasum !== undefined && !shasumPattern.test(target.dist.shasum)) ||
        /["\s]/.test(tarball ?? ''))
    ) {
      problem = `${change.name}@${change.to}: the registry's tarball, integrity or shasum is malformed`;
    }
    if (problem || !target?.dist || tarball === undefined || oldResolved === undefined) {
      problems.push(problem ?? `${change.name}@${change.to}: the registry gave no tarball to lock`);
      done.add(change);
      return undefined;
    }
    // The registry host yarn wrote (registry.yarnpkg.com for registry.npmjs.org) stays.
    let resolved = oldResolved.slice(0, oldResolved.lastIndexOf('/-/') + 3) + tarballName(tarball);
    if (target.dist.shasum) resolved += `#${target.dist.shasum}`;
    out.push(line, `  version ${JSON.stringify(change.to)}`, `  resolved ${JSON.stringify(resolved)}`);
    if (target.dist.integrity) out.push(`  integrity ${target.dist.integrity}`);
    // The registry lists optional dependencies under `dependencies` too; yarn writes them once.
    const required = Object.fromEntries(
      Object.entries(target.dependencies).filter(([dep]) => !Object.hasOwn(target.optionalDependencies, dep)),
    );
    for (const [field, deps] of [
      ['dependencies', required],
      ['optionalDependencies', target.optionalDependencies],
    ] as const) {
      const entries = sorted(deps);
      if (entries.length === 0) continue;
      out.push(`  ${field}:`);
      for (const [dep, range] of entries) out.push(`    ${quote(dep)} ${JSON.stringify(range)}`);
    }
    done.add(change);
    return out;
  });
  for (const change of changes) {
    if (!done.has(change)) problems.push(`${change.name}@${change.from}: not locked in yarn.lock`);
  }
  return { content: rewritten, problems };
};
