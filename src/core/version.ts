/**
 * npm version ordering (SemVer 2.0 precedence), as the OSV schema defines it for the npm ecosystem.
 *
 * Parsing is lenient in one documented way: missing minor or patch components count as 0, so an
 * advisory event written as `1.78` orders as `1.78.0`. GitHub's raw `ECOSYSTEM` ranges contain such
 * versions and OSV's own tooling pads them the same way. A leading `v` or `=` is dropped as npm does.
 */
export interface ParsedVersion {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease: readonly string[];
}

const pattern =
  /^[v=\s]*(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*$/;

const cache = new Map<string, ParsedVersion | null>();

export const parseVersion = (text: string): ParsedVersion | undefined => {
  const cached = cache.get(text);
  if (cached !== undefined) return cached ?? undefined;
  const match = pattern.exec(text);
  const parsed: ParsedVersion | null = match
    ? {
        major: match[1] ?? '0',
        minor: match[2] ?? '0',
        patch: match[3] ?? '0',
        prerelease: match[4] === undefined ? [] : match[4].split('.'),
      }
    : null;
  if (cache.size > 100_000) cache.clear();
  cache.set(text, parsed);
  return parsed ?? undefined;
};

/** Strictly valid semver (all three components present), as npm publishes versions. */
export const isStrictVersion = (text: string): boolean =>
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-.]+)?$/.test(
    text,
  );

const isNumeric = (s: string): boolean => /^\d+$/.test(s);

/** Compares digit strings of any length without converting to numbers. */
const compareDigits = (a: string, b: string): number => {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
};

const compareIdentifier = (a: string, b: string): number => {
  const an = isNumeric(a);
  const bn = isNumeric(b);
  if (an && bn) return compareDigits(a, b);
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
};

export const compareParsed = (a: ParsedVersion, b: ParsedVersion): number => {
  const core =
    compareDigits(a.major, b.major) || compareDigits(a.minor, b.minor) || compareDigits(a.patch, b.patch);
  if (core !== 0) return core;
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    // A release sorts after every prerelease of the same core version.
    return b.prerelease.length - a.prerelease.length === 0 ? 0 : a.prerelease.length === 0 ? 1 : -1;
  }
  const n = Math.min(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifier(a.prerelease[i] as string, b.prerelease[i] as string);
    if (c !== 0) return c;
  }
  return a.prerelease.length - b.prerelease.length === 0
    ? 0
    : a.prerelease.length < b.prerelease.length
      ? -1
      : 1;
};

/** Orders two version strings; unparseable versions sort before every valid one, then by text. */
export const compareVersions = (a: string, b: string): number => {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (pa && pb) return compareParsed(pa, pb);
  if (pa) return 1;
  if (pb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
};
