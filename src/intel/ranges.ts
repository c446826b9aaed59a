import type { AffectedPackage, AffectedRange } from '../core/advisory.js';
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

interface Event {
  readonly kind: Kind;
  readonly version: ParsedVersion;
  readonly zero: boolean;
}

/** A range with its versions parsed and its events in version order, made once per range. */
interface CompiledRange {
  readonly limits: readonly ParsedVersion[];
  readonly events: readonly Event[];
  /** The `fixed` events in the record's order, each with its parsed version. */
  readonly fixed: readonly { readonly text: string; readonly version: ParsedVersion }[];
}

/**
 * Ranges are compiled on first use and kept with the record: a package installed at several
 * versions, or several packages of one record, evaluate the same ranges again.
 */
const compiled = new WeakMap<AffectedRange, CompiledRange>();

const compile = (range: AffectedRange): CompiledRange => {
  const known = compiled.get(range);
  if (known) return known;
  const events: Event[] = [];
  const limits: ParsedVersion[] = [];
  const fixed: { text: string; version: ParsedVersion }[] = [];
  for (const raw of range.events) {
    let kind: Kind;
    let text: string;
    if ('introduced' in raw) {
      kind = 'introduced';
      text = raw.introduced;
    } else if ('fixed' in raw) {
      kind = 'fixed';
      text = raw.fixed;
    } else if ('last_affected' in raw) {
      kind = 'last_affected';
      text = raw.last_affected;
    } else {
      kind = 'limit';
      text = raw.limit;
      if (text === '*') continue;
    }
    const zero = kind === 'introduced' && text === '0';
    // Events whose version cannot be parsed are ignored.
    const parsed = zero ? ZERO : parseVersion(text);
    if (!parsed) continue;
    if (kind === 'limit') limits.push(parsed);
    else events.push({ kind, version: parsed, zero });
    if (kind === 'fixed') fixed.push({ text, version: parsed });
  }
  // Most records list their events in order already; sorting a sorted list still compares.
  let ordered = true;
  for (let i = 1; i < events.length && ordered; i++)
    ordered = compareEvents(events[i - 1] as Event, events[i] as Event) <= 0;
  if (!ordered) events.sort(compareEvents);
  const result = { limits, events, fixed };
  compiled.set(range, result);
  return result;
};

const compareEvents = (a: Event, b: Event): number =>
  a.zero !== b.zero ? (a.zero ? -1 : 1) : compareParsed(a.version, b.version);

/** Whether `version` falls in one range. */
const inRange = (range: CompiledRange, version: ParsedVersion): boolean => {
  const limits = range.limits;
  if (limits.length > 0) {
    let below = false;
    for (const limit of limits) if (compareParsed(version, limit) < 0) below = true;
    if (!below) return false;
  }
  let affected = false;
  for (const event of range.events) {
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
    for (const raw of affected.ranges) {
      const range = compile(raw);
      if (!inRange(range, version)) continue;
      hit = true;
      for (const event of range.fixed) if (compareParsed(event.version, version) > 0) fixed.push(event.text);
    }
  }
  return { affected: hit, fixed };
};
