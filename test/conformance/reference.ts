import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import semver from 'semver';

/**
 * A deliberately separate reading of the OSV range rules, built on npm's `semver` package rather
 * than PatchPilot's own version code, to check PatchPilot's matching against.
 */
export interface RefRecord {
  readonly id: string;
  readonly withdrawn?: string;
  readonly affected?: readonly {
    readonly package?: { readonly ecosystem?: string; readonly name?: string };
    readonly ranges?: readonly {
      readonly type: string;
      readonly events: readonly Record<string, string>[];
    }[];
    readonly versions?: readonly string[];
  }[];
}

export const readJsonl = (path: string): RefRecord[] =>
  gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RefRecord);

/** `1.78` → `1.78.0`: OSV's npm ordering pads missing components. */
const pad = (v: string): string | null => {
  if (semver.valid(v)) return semver.valid(v);
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(v);
  if (!m) return null;
  return semver.valid(`${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}${m[4] ?? ''}`);
};

const eventKinds = new Set(['introduced', 'fixed', 'last_affected', 'limit']);

/** Events as [kind, version]; undefined when one is malformed (the record is then skipped). */
const eventsOf = (events: readonly Record<string, string>[]): [string, string][] | undefined => {
  const out: [string, string][] = [];
  for (const e of events) {
    const keys = Object.keys(e);
    if (keys.length === 2 && typeof e.type === 'string' && typeof e.value === 'string') {
      out.push([e.type.toLowerCase(), e.value]);
    } else if (
      keys.length === 1 &&
      eventKinds.has(keys[0] as string) &&
      typeof e[keys[0] as string] === 'string'
    ) {
      out.push([keys[0] as string, e[keys[0] as string] as string]);
    } else return undefined;
  }
  return out;
};

/** Whether every range of every npm entry has well-formed events (a malformed record matches nothing). */
export const recordIsWellFormed = (record: RefRecord): boolean =>
  (record.affected ?? []).every((a) => (a.ranges ?? []).every((r) => eventsOf(r.events) !== undefined));

const rangeAffects = (events: readonly Record<string, string>[], version: string): boolean => {
  // Intervals: each introduced opens one, closed by the next fixed (exclusive) or last_affected (inclusive).
  const list = (eventsOf(events) ?? [])
    .map(([kind, v]) => ({ kind, v: kind === 'introduced' && v === '0' ? '0.0.0-0' : pad(v) }))
    .filter((e): e is { kind: string; v: string } => e.v !== null);
  const limits = list.filter((e) => e.kind === 'limit').map((e) => e.v);
  if (limits.length > 0 && limits.every((l) => semver.gte(version, l))) return false;
  const sorted = list
    .filter((e) => e.kind !== 'limit')
    .sort((a, b) => {
      if (a.v === '0.0.0-0' && a.kind === 'introduced') return -1;
      if (b.v === '0.0.0-0' && b.kind === 'introduced') return 1;
      return semver.compare(a.v, b.v);
    });
  let open: string | null = null;
  for (const e of sorted) {
    if (e.kind === 'introduced') {
      if (open === null) open = e.v;
    } else if (open !== null) {
      const inside =
        (open === '0.0.0-0' || semver.gte(version, open)) &&
        (e.kind === 'fixed' ? semver.lt(version, e.v) : semver.lte(version, e.v));
      if (inside) return true;
      open = null;
    }
  }
  return open !== null && (open === '0.0.0-0' || semver.gte(version, open));
};

export const recordAffects = (record: RefRecord, name: string, version: string): boolean => {
  if (record.withdrawn || !recordIsWellFormed(record)) return false;
  for (const affected of record.affected ?? []) {
    if (affected.package?.ecosystem !== 'npm' || affected.package.name !== name) continue;
    if ((affected.versions ?? []).some((v) => pad(v) !== null && semver.eq(pad(v) as string, version)))
      return true;
    for (const range of affected.ranges ?? []) {
      if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
      if (rangeAffects(range.events, version)) return true;
    }
  }
  return false;
};
