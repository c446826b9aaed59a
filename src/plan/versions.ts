import semver from 'semver';
import type { SemverStep } from '../core/plan.js';
import { compareVersions, parseVersion } from '../core/version.js';
import type { PackageMetadata, PackageVersion } from '../registry/types.js';

/**
 * Dependency specs and version choice, as npm reads them. Ranges are the `semver` package's;
 * prereleases match only when a range names one (semver's default, and npm's).
 */

/** A dependency spec: a semver range, a dist-tag, or something the registry cannot answer. */
export type ParsedSpec =
  | { readonly kind: 'range'; readonly name: string | undefined; readonly range: string }
  | { readonly kind: 'tag'; readonly name: string | undefined; readonly tag: string }
  | { readonly kind: 'other'; readonly name: undefined };

const specCache = new Map<string, ParsedSpec>();

const aliasPattern = /^npm:((?:@[^/@]+\/)?[^/@]+)(?:@(.*))?$/;

/** Parses a declared spec; `npm:name@range` aliases carry the real name. */
export const parseSpec = (spec: string): ParsedSpec => {
  const cached = specCache.get(spec);
  if (cached) return cached;
  let parsed: ParsedSpec;
  const alias = aliasPattern.exec(spec);
  const name = alias ? (alias[1] as string) : undefined;
  const body = (alias ? (alias[2] ?? '') : spec).trim();
  if (!alias && /^(?:[a-z][a-z0-9+.-]*:|\.{0,2}\/|~\/|[^@\s/]+\/[^@\s]+$)/i.test(body)) {
    // git, file:, link:, http(s):, workspace:, paths and GitHub shorthands.
    parsed = { kind: 'other', name: undefined };
  } else if (body === '' || body === '*' || body === 'x') {
    parsed = { kind: 'range', name, range: '*' };
  } else if (semver.validRange(body) !== null) {
    parsed = { kind: 'range', name, range: body };
  } else if (/^[A-Za-z][\w.-]*$/.test(body)) {
    parsed = { kind: 'tag', name, tag: body };
  } else {
    parsed = { kind: 'other', name: undefined };
  }
  if (specCache.size > 50_000) specCache.clear();
  specCache.set(spec, parsed);
  return parsed;
};

/** Replaces the range of a spec, keeping an `npm:` alias prefix. */
export const withRange = (spec: string, range: string): string => {
  const alias = aliasPattern.exec(spec);
  return alias ? `npm:${alias[1]}@${range}` : range;
};

/** The range part of a spec (without an alias prefix). */
export const rangeText = (spec: string): string => {
  const alias = aliasPattern.exec(spec);
  return alias ? (alias[2] ?? '') : spec;
};

const rangeCache = new Map<string, semver.Range | null>();

const rangeOf = (range: string): semver.Range | null => {
  let cached = rangeCache.get(range);
  if (cached === undefined) {
    try {
      cached = new semver.Range(range);
    } catch {
      cached = null;
    }
    if (rangeCache.size > 50_000) rangeCache.clear();
    rangeCache.set(range, cached);
  }
  return cached;
};

const satisfiesCache = new Map<string, Map<string, boolean>>();

const semverCache = new Map<string, semver.SemVer | null>();

/** A version parsed once: Range.test would parse the string again for every range. */
const semverOf = (version: string): semver.SemVer | null => {
  let parsed = semverCache.get(version);
  if (parsed === undefined) {
    try {
      parsed = new semver.SemVer(version);
    } catch {
      parsed = null;
    }
    if (semverCache.size > 100_000) semverCache.clear();
    semverCache.set(version, parsed);
  }
  return parsed;
};

export const satisfiesRange = (version: string, range: string): boolean => {
  let byVersion = satisfiesCache.get(range);
  if (!byVersion) {
    if (satisfiesCache.size > 20_000) satisfiesCache.clear();
    byVersion = new Map();
    satisfiesCache.set(range, byVersion);
  }
  let hit = byVersion.get(version);
  if (hit === undefined) {
    const parsed = rangeOf(range);
    const at = semverOf(version);
    try {
      hit = parsed && at ? parsed.test(at) : false;
    } catch {
      hit = false;
    }
    byVersion.set(version, hit);
  }
  return hit;
};

/**
 * Whether an installed version meets a spec. A dist-tag accepts any version: what a tag meant
 * when the lockfile was written is not recorded, and npm keeps the locked version. Specs the
 * registry cannot answer (git, files) accept nothing.
 */
export const satisfiesSpec = (version: string, spec: string | ParsedSpec): boolean => {
  const parsed = typeof spec === 'string' ? parseSpec(spec) : spec;
  if (parsed.kind === 'tag') return true;
  if (parsed.kind === 'other') return false;
  return satisfiesRange(version, parsed.range);
};

const sortedCache = new WeakMap<PackageMetadata, readonly string[]>();

/** The metadata's valid versions, lowest first. */
export const sortedVersions = (meta: PackageMetadata): readonly string[] => {
  let sorted = sortedCache.get(meta);
  if (!sorted) {
    sorted = Object.keys(meta.versions)
      .filter((v) => semver.valid(v) !== null)
      .sort(compareVersions);
    sortedCache.set(meta, sorted);
  }
  return sorted;
};

export const isPrerelease = (version: string): boolean => (parseVersion(version)?.prerelease.length ?? 0) > 0;

const engineCache = new Map<string, boolean>();

/**
 * Whether a version declares it runs on a Node.js version (`engines.node`, as npm checks it: an
 * unreadable range fails); true when either is unknown.
 */
export const engineAccepts = (version: PackageVersion | undefined, node: string | undefined): boolean => {
  const range = version?.nodeEngine;
  if (range === undefined || node === undefined) return true;
  const key = `${node}\u0000${range}`;
  let hit = engineCache.get(key);
  if (hit === undefined) {
    try {
      hit = semver.satisfies(node, range, { includePrerelease: true });
    } catch {
      hit = false;
    }
    if (engineCache.size > 5_000) engineCache.clear();
    engineCache.set(key, hit);
  }
  return hit;
};

/**
 * The version npm installs for a spec (npm-pick-manifest's order): a preferred version when it
 * satisfies (what the lockfile already has); the `latest` tag when it satisfies, is not deprecated
 * and runs on `node`; else the highest satisfying version, preferring one that runs on `node` and
 * is not deprecated, then one that runs on `node`, then one that is not deprecated.
 */
export const pickVersion = (
  meta: PackageMetadata,
  spec: ParsedSpec,
  preferred?: string | undefined,
  node?: string | undefined,
): string | undefined => {
  if (spec.kind === 'other') return undefined;
  if (spec.kind === 'tag') {
    const tagged = meta.distTags[spec.tag];
    return tagged !== undefined && Object.hasOwn(meta.versions, tagged) ? tagged : undefined;
  }
  if (
    preferred !== undefined &&
    Object.hasOwn(meta.versions, preferred) &&
    satisfiesRange(preferred, spec.range)
  ) {
    return preferred;
  }
  const latest = meta.distTags.latest;
  if (latest !== undefined && Object.hasOwn(meta.versions, latest) && satisfiesRange(latest, spec.range)) {
    const pv = meta.versions[latest];
    if (pv?.deprecated === undefined && engineAccepts(pv, node)) return latest;
  }
  const sorted = sortedVersions(meta);
  let best: string | undefined;
  let bestScore = -1;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const v = sorted[i] as string;
    if (!satisfiesRange(v, spec.range)) continue;
    const pv = meta.versions[v];
    const runs = engineAccepts(pv, node);
    const current = pv?.deprecated === undefined;
    const score = (runs && current ? 4 : 0) + (runs ? 2 : 0) + (current ? 1 : 0);
    if (score === 7) return v;
    if (score > bestScore) {
      best = v;
      bestScore = score;
    }
  }
  return best;
};

/** The highest published version a spec accepts (no tag or deprecation preference). */
export const maxSatisfying = (meta: PackageMetadata, spec: ParsedSpec): string | undefined => {
  if (spec.kind === 'tag') return pickVersion(meta, spec);
  if (spec.kind === 'other') return undefined;
  const sorted = sortedVersions(meta);
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (satisfiesRange(sorted[i] as string, spec.range)) return sorted[i];
  }
  return undefined;
};

/**
 * The semver step between two versions. Inside 0.x every change is major: `^0.2.0` does not
 * accept 0.3.0, and 0.x releases make no compatibility promise.
 */
export const stepBetween = (from: string, to: string): SemverStep => {
  if (from === to) return 'none';
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (!a || !b) return 'major';
  if (a.major !== b.major || a.major === '0') return 'major';
  if (a.minor !== b.minor) return 'minor';
  return 'patch';
};

export const isDowngrade = (from: string, to: string): boolean => compareVersions(to, from) < 0;
