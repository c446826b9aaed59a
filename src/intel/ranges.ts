import type { AffectedPackage, AffectedRange, RangeEvent } from '../core/advisory.js';
import { compareParsed, type ParsedVersion, parseVersion } from '../core/version.js';

/**
 * OSV range evaluation for npm (https://ossf.github.io/osv-schema/#evaluation): events of one range
 * are sorted by version and walked in order; `introduced` opens, `fixed` closes (exclusive),
 * `last_affected` closes after its version (inclusive), and a version at or above every `limit`
 * is outside the range. `introduced: "0"` is below every version.
 */
export interface RangeMatch {
  readonly affected: boolean;
  /** `fixed` events of the ranges that contain the version. */
  readonly fixed: readonly string[];
}

const ZERO: ParsedVersion = { major: '0', minor: '0', patch: '0', prerelease: [] };

type Kind = 'introduced' | 'fixed' | 'last_affected' | 'limit';

const eventOf = (event: RangeEvent): [Kind, string] => {
  if ('introduced' in event) return ['introduced', event.introduced];
  if ('fixed' in event) return ['fixed', event.fixed];
  if ('last_affected' in event) return ['last_affected', event.last_affected];
  return ['limit', event.limit];
};

const eventVersion = (kind: Kind, text: string): ParsedVersion | undefined => {
  if (kind === 'introduced' && text === '0') return ZERO;
  return parseVersion(text);
};

/** Whether `version` falls in one range. Events whose version cannot be parsed are ignored. */
const inRange = (range: AffectedRange, version: ParsedVersion): boolean => {
  const events: { kind: Kind; version: ParsedVersion; zero: boolean }[] = [];
  const limits: ParsedVersion[] = [];
  for (const raw of range.events) {
    const [kind, text] = eventOf(raw);
    if (kind === 'limit' && text === '*') continue;
    const parsed = eventVersion(kind, text);
    if (!parsed) continue;
    if (kind === 'limit') limits.push(parsed);
    else events.push({ kind, version: parsed, zero: kind === 'introduced' && text === '0' });
  }
  if (limits.length > 0 && !limits.some((limit) => compareParsed(version, limit) < 0)) return false;
  events.sort((a, b) => (a.zero !== b.zero ? (a.zero ? -1 : 1) : compareParsed(a.version, b.version)));
  let affected = false;
  for (const event of events) {
    const cmp = event.zero ? 1 : compareParsed(version, event.version);
    if (event.kind === 'introduced') {
      if (cmp >= 0) affected = true;
    } else if (event.kind === 'fixed') {
      if (cmp >= 0) affected = false;
    } else if (cmp > 0) {
      affected = false;
    }
  }
  return affected;
};

export const matchAffected = (affected: AffectedPackage, versionText: string): RangeMatch => {
  const version = parseVersion(versionText);
  let hit = affected.versions.includes(versionText);
  const fixed: string[] = [];
  if (version) {
    if (!hit) {
      for (const listed of affected.versions) {
        const parsed = parseVersion(listed);
        if (parsed && compareParsed(parsed, version) === 0) {
          hit = true;
          break;
        }
      }
    }
    for (const range of affected.ranges) {
      if (!inRange(range, version)) continue;
      hit = true;
      for (const event of range.events) {
        if (!('fixed' in event)) continue;
        const parsed = parseVersion(event.fixed);
        if (parsed && compareParsed(parsed, version) > 0) fixed.push(event.fixed);
      }
    }
  }
  return { affected: hit, fixed };
};
