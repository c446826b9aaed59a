import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';
import { type RefRecord, recordAffects } from './reference.js';

/**
 * Every advisory file of ../shared/data/advisories, through the real CLI:
 * - each OSV record imports, or is skipped with a stated reason (none is, today); the legacy Node
 *   Security Project file is not OSV and every one of its records is refused with that reason;
 * - for every npm `affected[]` entry with an explicit `versions` list, `scan` reports the record
 *   for every listed version, installed from one synthetic lockfile per file;
 * - every listed version also lies in the entry's ranges, by PatchPilot's range evaluation and by
 *   the separate `semver`-based reading in reference.ts alike, except the exceptions listed below,
 *   and the two readings agree around every event version of every record;
 * - withdrawn records never produce findings.
 */
const hasData = requireSharedData();
const advisories = join(sharedData, 'advisories');

/**
 * The OSV files, their record counts (../shared/data/README.md), and how many (record, version)
 * pairs the explicit `versions` lists of their npm entries hold.
 */
const osvFiles: Record<string, { records: number; listedPairs: number }> = {
  'npm-osv.jsonl.gz': { records: 219, listedPairs: 8 },
  'npm-osv-more.jsonl.gz': { records: 3533, listedPairs: 235 },
  'npm-osv-more-withdrawn-suspects.jsonl.gz': { records: 71, listedPairs: 2 },
  'npm-malicious-sample.jsonl.gz': { records: 5000, listedPairs: 4309 },
};
const nspFile = 'nodejs-security-wg-npm.jsonl.gz';
const nspRecords = 468;

/**
 * OSV records that import skips, as `<file>:<line>` → the reason. None today: a new skip fails the
 * test until it is understood and listed here.
 */
const knownSkips = new Map<string, RegExp>();

/**
 * Listed versions that are not versions npm can publish or install (not strict SemVer), as
 * `<id> <name>@<listed>`. The matcher matches them as written; a lockfile can never hold them, so
 * the scan installs their padded form instead (OSV's npm ordering pads `12.0` to `12.0.0`).
 */
const notNpmVersions = new Map<string, string>([
  [
    'GHSA-pwvp-h579-hfxg total4@12.0',
    'GitHub lists "12.0" (a Total.js CMS release number), which npm cannot publish; scanned as 12.0.0',
  ],
  [
    'GHSA-q3x9-28f7-w8rc total4@12.0',
    'GitHub lists "12.0" (a Total.js CMS release number), which npm cannot publish; scanned as 12.0.0',
  ],
]);

/**
 * Listed versions outside every range of their own entry by the OSV evaluation rules (PatchPilot's
 * and the reference's alike): the record contradicts itself. They still match, because OSV makes
 * the affected set the union of `versions` and the ranges, as PatchPilot does.
 */
const outsideOwnRanges = new Map<string, string>([
  [
    'MAL-2025-3960 @sage-org/fabric-ui-root-config@99.9.0',
    'the only range is `introduced: 99.9.1` (no end), while `versions` lists 99.9.0 and 99.9.1',
  ],
]);

interface RawEntry {
  readonly package?: { readonly ecosystem?: string; readonly name?: string };
  readonly ranges?: readonly { readonly type: string; readonly events: readonly Record<string, string>[] }[];
  readonly versions?: readonly string[];
}

interface RawRecord {
  readonly id: string;
  readonly modified: string;
  readonly withdrawn?: string;
  readonly affected?: readonly RawEntry[];
  readonly [key: string]: unknown;
}

/** The file's lines as written, blank ones included, so positions match the importer's `file:line`. */
const readLines = (file: string): string[] => {
  const lines = gunzipSync(readFileSync(join(advisories, file)))
    .toString('utf8')
    .split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
};

const readRecords = (file: string): RawRecord[] =>
  readLines(file)
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RawRecord);

interface ImportOutcome {
  readonly code: number;
  readonly read: number;
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly skipped: number;
  /** `file:line` → id and reason, from stderr. */
  readonly skips: Map<string, { id: string; reason: string }>;
}

const importFiles = (db: string, files: readonly string[]): ImportOutcome => {
  const result = runCli(['db', 'import', ...files, '--db', db]);
  const summary =
    /read (\d+) records into .*: (\d+) added, (\d+) updated, (\d+) unchanged, (\d+) skipped/.exec(
      result.stdout,
    );
  if (!summary) throw new Error(`db import printed no summary:\n${result.stdout}\n${result.stderr}`);
  const skips = new Map<string, { id: string; reason: string }>();
  for (const line of result.stderr.split('\n')) {
    const skip = /^skipped (\(no id\)|\S+) at (.+:\d+): (.*)$/.exec(line);
    if (skip) skips.set(skip[2] as string, { id: skip[1] as string, reason: skip[3] as string });
  }
  const [read, added, updated, unchanged, skipped] = summary.slice(1).map(Number) as number[];
  return {
    code: result.code,
    read: read as number,
    added: added as number,
    updated: updated as number,
    unchanged: unchanged as number,
    skipped: skipped as number,
    skips,
  };
};

const storedCount = (db: string): number => {
  const status = runCli(['db', 'status', '--db', db, '--json']);
  expect(status.code).toBe(0);
  return (JSON.parse(status.stdout) as { advisories: number }).advisories;
};

const strict = (v: string): boolean => semver.valid(v) === v;

/** `12.0` → `12.0.0`, as OSV's npm ordering reads it; undefined when `v` is no version at all. */
const padOrUndefined = (v: string): string | undefined => {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?$/.exec(v);
  return (m && semver.valid(`${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}${m[4] ?? ''}`)) || undefined;
};

const padded = (v: string): string => {
  const out = padOrUndefined(v);
  if (!out) throw new Error(`listed version ${v} cannot be read as a version at all`);
  return out;
};

interface Pair {
  readonly record: RawRecord;
  readonly entry: RawEntry;
  readonly name: string;
  readonly listed: string;
  /** The version the synthetic lockfile installs: `listed` itself unless npm cannot publish it. */
  readonly installed: string;
}

const npmEntries = (record: RawRecord): (RawEntry & { package: { name: string } })[] =>
  (record.affected ?? []).filter(
    (e): e is RawEntry & { package: { name: string } } =>
      e.package?.ecosystem === 'npm' && typeof e.package.name === 'string',
  );

const listedPairs = (records: readonly RawRecord[]): Pair[] =>
  records.flatMap((record) =>
    npmEntries(record).flatMap((entry) =>
      (entry.versions ?? []).map((listed) => ({
        record,
        entry,
        name: entry.package.name,
        listed,
        installed: strict(listed) ? listed : padded(listed),
      })),
    ),
  );

const holder = (level: number): string => `patchpilot-conformance-holder-${level}`;

/**
 * A package-lock.json v3 installing every given name@version from the registry. A location holds
 * one version of a name, so the n-th version of a name sits under holder package n.
 */
const writeLockfile = (dir: string, pairs: Iterable<readonly [string, string]>): string => {
  const byName = new Map<string, Set<string>>();
  for (const [name, version] of pairs) {
    const set = byName.get(name) ?? new Set<string>();
    set.add(version);
    byName.set(name, set);
  }
  const rootDeps: Record<string, string> = {};
  const holderDeps = new Map<number, Record<string, string>>();
  const located: Record<string, { version: string; dependencies?: Record<string, string> }> = {};
  for (const [name, versions] of [...byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
    [...versions].sort(semver.compare).forEach((version, level) => {
      if (level === 0) {
        rootDeps[name] = version;
        located[`node_modules/${name}`] = { version };
      } else {
        const deps = holderDeps.get(level) ?? {};
        deps[name] = version;
        holderDeps.set(level, deps);
        located[`node_modules/${holder(level)}/node_modules/${name}`] = { version };
      }
    });
  }
  for (const [level, dependencies] of holderDeps) {
    rootDeps[holder(level)] = '1.0.0';
    located[`node_modules/${holder(level)}`] = { version: '1.0.0', dependencies };
  }
  mkdirSync(dir, { recursive: true });
  const manifest = { name: 'advisory-versions', version: '1.0.0', dependencies: rootDeps };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  const lockfile = join(dir, 'package-lock.json');
  writeFileSync(
    lockfile,
    JSON.stringify(
      {
        name: manifest.name,
        version: manifest.version,
        lockfileVersion: 3,
        requires: true,
        packages: { '': manifest, ...located },
      },
      null,
      2,
    ),
  );
  return lockfile;
};

/** Scans a lockfile and returns its findings as `<advisory id> <name>@<version>` keys. */
const scanFindings = (lockfile: string, db: string): Set<string> => {
  const scan = runCli(['scan', lockfile, '--json', '--db', db, '--max-paths', '1']);
  expect(scan.stderr).toBe('');
  expect(scan.code).toBe(0);
  const report = JSON.parse(scan.stdout) as {
    findings: { advisories: string[]; package: { name: string; version: string } }[];
  };
  const out = new Set<string>();
  for (const finding of report.findings) {
    for (const id of finding.advisories) out.add(`${id} ${finding.package.name}@${finding.package.version}`);
  }
  return out;
};

/** A copy of `record` marked withdrawn; `later` also moves `modified` on, as a real withdrawal does. */
const withdrawnCopy = (record: RawRecord, later: boolean): RawRecord => {
  const modified = later ? new Date(Date.parse(record.modified) + 1000).toISOString() : record.modified;
  return { ...record, modified, withdrawn: modified };
};

const writeJsonl = (path: string, records: readonly RawRecord[]): string => {
  writeFileSync(path, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return path;
};

describe.skipIf(!hasData)('advisory records of ../shared/data/advisories', () => {
  const home = tempDir();
  const stores = new Map<string, string>();
  const imports = new Map<string, ImportOutcome>();
  const records = new Map<string, RawRecord[]>();
  let matchAffected: typeof import('../../src/intel/ranges.js').matchAffected;
  let parseOsvRecord: typeof import('../../src/intel/osv.js').parseOsvRecord;

  /** The record cut down to one affected entry, normalised as import does. */
  const advisoryOf = (record: RawRecord, entry: RawEntry) => {
    const parsed = parseOsvRecord({ id: record.id, modified: record.modified, affected: [entry] });
    if (!parsed.ok) throw new Error(`${record.id}: ${parsed.reason}`);
    return parsed.advisory;
  };

  /**
   * For each record, the installable versions that its npm entries affect by PatchPilot's matcher:
   * listed versions, event versions (`4.0` read as 4.0.0) and 0.0.0.
   */
  const probePairs = (list: readonly RawRecord[]) =>
    list.flatMap((record) =>
      npmEntries(record).flatMap((raw) => {
        const [entry] = advisoryOf(record, raw).affected;
        if (!entry) return [];
        const candidates = new Set(['0.0.0', ...(raw.versions ?? [])]);
        for (const range of raw.ranges ?? [])
          for (const e of range.events) for (const v of Object.values(e)) candidates.add(v);
        const installable = [...candidates].map((v) => (strict(v) ? v : padOrUndefined(v)));
        return [...new Set(installable)]
          .filter((v): v is string => v !== undefined && matchAffected(entry, v).affected)
          .map((version) => ({ id: record.id, name: raw.package.name, version }));
      }),
    );

  beforeAll(async () => {
    ({ matchAffected } = await import(join(projectRoot, 'dist/intel/ranges.js')));
    ({ parseOsvRecord } = await import(join(projectRoot, 'dist/intel/osv.js')));
    for (const file of Object.keys(osvFiles)) {
      const db = join(home.path, `${file}.db`);
      stores.set(file, db);
      imports.set(file, importFiles(db, [join(advisories, file)]));
      records.set(file, readRecords(file));
    }
  });
  afterAll(() => home.remove());

  describe.each(Object.entries(osvFiles))('%s', (file, { records: count, listedPairs: pairCount }) => {
    it('imports every record, or skips it with a stated reason', () => {
      const outcome = imports.get(file) as ImportOutcome;
      const lines = readLines(file);
      const nonBlank = lines.filter((l) => l.trim() !== '').length;
      expect(nonBlank).toBe(count);
      expect(outcome.code).toBe(0);
      expect(outcome.read).toBe(count);
      expect(outcome.skips.size).toBe(outcome.skipped);
      expect(outcome.added + outcome.updated + outcome.unchanged + outcome.skipped).toBe(count);
      // Ids are unique within a file, so a fresh store adds every record it does not skip.
      expect(new Set(records.get(file)?.map((r) => r.id)).size).toBe(count);
      expect(outcome.added).toBe(count - outcome.skipped);
      expect(storedCount(stores.get(file) as string)).toBe(outcome.added);
      for (const [where, { reason }] of outcome.skips) {
        expect(reason.trim()).not.toBe('');
        const line = Number(where.slice(where.lastIndexOf(':') + 1));
        expect(lines[line - 1]?.trim()).not.toBe('');
        const known = knownSkips.get(`${file}:${line}`);
        expect(known, `unexpected skip at ${file}:${line}: ${reason}`).toBeDefined();
        expect(reason).toMatch(known as RegExp);
      }
    });

    it('reports the record for every version its explicit versions lists name', () => {
      const pairs = listedPairs((records.get(file) ?? []).filter((r) => !r.withdrawn));
      expect(pairs.length).toBe(pairCount);

      // Listed versions npm cannot publish are exactly the known ones; the matcher takes them as written.
      const odd = pairs.filter((p) => p.installed !== p.listed);
      for (const p of odd) {
        const key = `${p.record.id} ${p.name}@${p.listed}`;
        expect(notNpmVersions.has(key), `${key} is not strict SemVer`).toBe(true);
        const [entry] = advisoryOf(p.record, p.entry).affected;
        expect(entry && matchAffected(entry, p.listed).affected).toBe(true);
      }

      const lockfile = writeLockfile(
        join(home.path, `scan-${file}`),
        pairs.map((p) => [p.name, p.installed] as const),
      );
      const found = scanFindings(lockfile, stores.get(file) as string);
      const missing = pairs
        .map((p) => `${p.record.id} ${p.name}@${p.installed}`)
        .filter((key) => !found.has(key));
      expect(missing).toEqual([]);
    });

    it("lists only versions inside the entry's own ranges, by PatchPilot and the reference alike", () => {
      const pairs = listedPairs((records.get(file) ?? []).filter((r) => !r.withdrawn));
      const outside: string[] = [];
      const disagreements: string[] = [];
      for (const p of pairs) {
        const ranges = (p.entry.ranges ?? []).filter((r) => r.type === 'SEMVER' || r.type === 'ECOSYSTEM');
        if (ranges.length === 0) continue; // a versions-only entry: nothing to compare
        const [entry] = advisoryOf(p.record, { ...p.entry, versions: [] }).affected;
        const ours = entry !== undefined && matchAffected(entry, p.installed).affected;
        const reference: RefRecord = { id: p.record.id, affected: [{ ...p.entry, versions: [] }] };
        const theirs = recordAffects(reference, p.name, p.installed);
        const key = `${p.record.id} ${p.name}@${p.listed}`;
        if (ours !== theirs) disagreements.push(`${key}: PatchPilot ${ours}, reference ${theirs}`);
        if (!ours) outside.push(key);
      }
      expect(disagreements).toEqual([]);
      const expected = [...outsideOwnRanges.keys()].filter((key) =>
        pairs.some((p) => key === `${p.record.id} ${p.name}@${p.listed}`),
      );
      expect(outside.sort()).toEqual(expected.sort());
    });

    it('evaluates ranges as the reference does at every event boundary', () => {
      // Around each event version: itself, its first prerelease and the next patch.
      let compared = 0;
      const disagreements: string[] = [];
      for (const record of records.get(file) ?? []) {
        for (const raw of npmEntries(record)) {
          const bare = { ...raw, versions: [] };
          const [entry] = advisoryOf(record, bare).affected;
          if (!entry) continue;
          const probes = new Set<string>();
          for (const range of raw.ranges ?? []) {
            for (const event of range.events) {
              for (const text of Object.values(event)) {
                const v = strict(text) ? text : padOrUndefined(text);
                if (!v) continue;
                probes.add(v);
                probes.add(semver.inc(v, 'prepatch') ?? v);
                probes.add(semver.inc(v, 'patch') ?? v);
                probes.add(`${semver.major(v)}.${semver.minor(v)}.${semver.patch(v)}-0`);
              }
            }
          }
          for (const v of probes) {
            compared++;
            const ours = matchAffected(entry, v).affected;
            const theirs = recordAffects({ id: record.id, affected: [bare] }, raw.package.name, v);
            if (ours !== theirs) disagreements.push(`${record.id} ${raw.package.name}@${v}: ours ${ours}`);
          }
        }
      }
      expect(compared).toBeGreaterThan(0);
      expect(disagreements).toEqual([]);
    });

    it('never reports a withdrawn record, even one that matched before it was withdrawn', () => {
      const active = (records.get(file) ?? []).filter((r) => !r.withdrawn);
      const probes = probePairs(active);
      // Every record has an installable version it affects: the check below covers them all.
      expect(new Set(probes.map((p) => p.id)).size).toBe(active.length);
      const lockfile = writeLockfile(
        join(home.path, `withdrawn-${file}`),
        probes.map((p) => [p.name, p.version] as const),
      );
      const copy = join(home.path, `withdrawn-${file}.db`);
      copyFileSync(stores.get(file) as string, copy);
      const before = scanFindings(lockfile, copy);
      expect(probes.map((p) => `${p.id} ${p.name}@${p.version}`).filter((key) => !before.has(key))).toEqual(
        [],
      );

      // A later withdrawal replaces the stored record...
      const ids = new Set(probes.map((p) => p.id));
      const withdrawn = active.filter((r) => ids.has(r.id));
      const updated = importFiles(copy, [
        writeJsonl(
          join(home.path, `withdrawn-${file}.jsonl`),
          withdrawn.map((r) => withdrawnCopy(r, true)),
        ),
      ]);
      expect(updated).toMatchObject({ code: 0, updated: withdrawn.length, skipped: 0 });
      const after = [...scanFindings(lockfile, copy)].filter((key) => ids.has(key.split(' ')[0] as string));
      expect(after).toEqual([]);

      // ...and a store that only ever saw the withdrawn form reports nothing at all.
      const fresh = join(home.path, `withdrawn-only-${file}.db`);
      const added = importFiles(fresh, [
        writeJsonl(
          join(home.path, `withdrawn-only-${file}.jsonl`),
          withdrawn.map((r) => withdrawnCopy(r, false)),
        ),
      ]);
      expect(added).toMatchObject({ code: 0, added: withdrawn.length, skipped: 0 });
      expect([...scanFindings(lockfile, fresh)]).toEqual([]);
    });
  });

  it(`refuses ${nspFile} (legacy Node Security Project format, not OSV): every record reported, the import refused, nothing stored`, () => {
    const db = join(home.path, `${nspFile}.db`);
    const result = runCli(['db', 'import', join(advisories, nspFile), '--db', db]);
    const lines = readLines(nspFile);
    expect(lines.filter((l) => l.trim() !== '')).toHaveLength(nspRecords);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const skips = result.stderr.split('\n').filter((line) => line.startsWith('skipped '));
    expect(skips).toHaveLength(nspRecords);
    for (const line of skips) {
      expect(line).toMatch(/: not an OSV record: .*legacy Node Security Project advisor(y|ies)/);
    }
    expect(result.stderr).toContain(
      `nothing to import: none of the ${nspRecords} records read is an OSV record (each is reported as skipped) [ADVISORY_INPUT_INVALID]`,
    );
    expect(existsSync(db)).toBe(false);
  });
});
