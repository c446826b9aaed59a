import type { AffectedPackage, AffectedRange } from '../core/advisory.js';
import type { FindingRemedy } from '../core/finding.js';
import { compareVersions } from '../core/version.js';
import { matchAffected } from '../intel/ranges.js';

/**
 * What can be done about a malicious package. Malicious records rarely name a fixed version: a
 * typosquat is malicious in every version, a hijacked package only in the versions the attacker
 * published. Pure: decided from the affected entries of the vulnerability's records alone; whether
 * the registry still serves a version outside the affected set is for the planner to check.
 */
export const malwareRemedy = (
  name: string,
  version: string,
  affected: readonly AffectedPackage[],
  fixedIn: readonly string[],
): FindingRemedy => {
  const entries = affected.filter((entry) => entry.name === name);
  const set = describeAffected(entries);
  const compromised = `treat every machine that installed ${name}@${version} as compromised and rotate the secrets it could reach`;
  if (entries.some((entry) => entry.ranges.some(coversEveryVersion))) {
    return {
      action: 'remove',
      affected: set,
      text: `every version of ${name} is malicious: remove it, and whatever depends on it; ${compromised}`,
    };
  }
  const clean = [...fixedIn]
    .sort(compareVersions)
    .find((candidate) => !entries.some((entry) => matchAffected(entry, candidate).affected));
  if (clean !== undefined) {
    return {
      action: 'upgrade',
      version: clean,
      affected: set,
      text: `${name}@${version} is malicious (affected: ${set}); ${clean} is outside the affected set: move to it or remove the package; ${compromised}`,
    };
  }
  return {
    action: 'replace',
    affected: set,
    text: `${name}@${version} is malicious (affected: ${set}); move to a published version outside that set if there is one, else remove the package; ${compromised}`,
  };
};

const ZERO = new Set(['0', '0.0.0']);

/** A range that opens at zero and never closes: every version, published or to come. */
const coversEveryVersion = (range: AffectedRange): boolean =>
  range.events.some((event) => 'introduced' in event && ZERO.has(event.introduced)) &&
  range.events.every((event) => 'introduced' in event || ('limit' in event && event.limit === '*'));

const LISTED = 5;

/** `4.4.2`, `>=1.2.0 <1.2.4`, `1.0.0, 1.0.1 and 3 more`: the affected set as the records state it. */
export const describeAffected = (entries: readonly AffectedPackage[]): string => {
  const parts = new Set<string>();
  for (const entry of entries) {
    for (const range of entry.ranges) {
      const text = rangeText(range);
      if (text) parts.add(text);
    }
  }
  const versions = [...new Set(entries.flatMap((entry) => entry.versions))].sort(compareVersions);
  if (parts.size === 0 || versions.length <= LISTED) {
    const shown = versions.slice(0, LISTED).join(', ');
    if (shown) parts.add(versions.length > LISTED ? `${shown} and ${versions.length - LISTED} more` : shown);
  }
  return parts.size > 0 ? [...parts].join(' || ') : 'unstated';
};

const rangeText = (range: AffectedRange): string => {
  const intervals: string[][] = [];
  for (const event of range.events) {
    if ('introduced' in event) intervals.push([ZERO.has(event.introduced) ? '>=0' : `>=${event.introduced}`]);
    else {
      const bound =
        'fixed' in event
          ? `<${event.fixed}`
          : 'last_affected' in event
            ? `<=${event.last_affected}`
            : event.limit === '*'
              ? undefined
              : `<${event.limit}`;
      if (bound === undefined) continue;
      const open = intervals.at(-1);
      if (open && open.length === 1) open.push(bound);
      else intervals.push([bound]);
    }
  }
  return intervals.map((interval) => interval.join(' ')).join(' || ');
};
