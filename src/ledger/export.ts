import { PatchPilotError } from '../core/errors.js';
import type { LedgerEntry } from '../core/ledger.js';
import {
  buildStatement,
  type InTotoStatement,
  type ResourceDescriptor,
  TEST_RESULT_PREDICATE,
  type TestResultPredicate,
  VULNS_PREDICATE,
  type VulnsPredicate,
} from './attest.js';

/**
 * A change's attestations, made from its ledger entries alone:
 * - one test-result statement per `tested` entry in which tests ran
 *   (`outcome: { passed, commands: [{ command, code, durationMs }], exercised }`);
 * - two vulns statements from the last `proved` entry
 *   (`outcome: { proven, scan: { before: { findings }, after: { findings } }, storeSnapshot }`):
 *   the whole scan before the change and the one after it. Entries written before `scan` was
 *   recorded give the targeted findings (`outcome.before` / `outcome.after`) instead.
 * The subject is the change's commit: that of its last `applied` entry (what was tested and
 * proved), else of its last `proposed` or `merged` one (`outcome.commit`, named by
 * `outcome.branch`). Only the run that made that commit is attested (from its `planned` entry to
 * the next one): another run's tests and proof were about other trees (a dry run, a run whose
 * change was held back, a later rerun). The scan before the change is about the commit the
 * change was made on (`outcome.baseCommit`, `inputs.baseCommit` or `inputs.base` of that entry)
 * when it is recorded, else about the change's commit too, named `<branch> (before)`.
 */

interface CommitRecord {
  /** The entry that names the commit. */
  readonly seq: number;
  readonly commit: string;
  readonly branch: string | undefined;
  readonly baseCommit: string | undefined;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const commitId = (value: unknown): string | undefined => {
  const id = text(value)?.toLowerCase();
  return id !== undefined && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id) ? id : undefined;
};

const commitOf = (entries: readonly LedgerEntry[]): CommitRecord | undefined => {
  for (const kinds of [['applied'], ['proposed', 'merged']]) {
    const entry = entries.findLast((e) => kinds.includes(e.kind) && commitId(e.outcome.commit) !== undefined);
    if (entry !== undefined) {
      return {
        seq: entry.seq,
        commit: commitId(entry.outcome.commit) as string,
        branch: text(entry.outcome.branch),
        baseCommit:
          commitId(entry.outcome.baseCommit) ??
          commitId(entry.inputs.baseCommit) ??
          commitId(entry.inputs.base),
      };
    }
  }
  return undefined;
};

interface TestCommand {
  readonly command: string;
  readonly code: number | null;
  readonly durationMs: number | undefined;
}

const commandsOf = (outcome: Readonly<Record<string, unknown>>): TestCommand[] => {
  const commands = outcome.commands;
  if (!Array.isArray(commands)) return [];
  return commands.flatMap((item: unknown) => {
    const c = item as { command?: unknown; code?: unknown; durationMs?: unknown } | null;
    const command = text(c?.command);
    if (command === undefined) return [];
    return [
      {
        command,
        code: typeof c?.code === 'number' ? c.code : null,
        durationMs: typeof c?.durationMs === 'number' ? c.durationMs : undefined,
      },
    ];
  });
};

/**
 * Test commands are the configuration of the run, each with its exit code and duration. A run that
 * passed without loading any package the change moved (`exercised` empty) proves nothing about it:
 * WARNED.
 */
export const testResultPredicate = (outcome: Readonly<Record<string, unknown>>): TestResultPredicate => {
  const commands = commandsOf(outcome);
  const passed = outcome.passed === true;
  const exercised = outcome.exercised;
  const warned = passed && Array.isArray(exercised) && exercised.length === 0;
  const ok = commands.filter((c) => c.code === 0).map((c) => c.command);
  const configuration: ResourceDescriptor[] = commands.map((c) => ({
    name: c.command,
    content: Buffer.from(c.command, 'utf8').toString('base64'),
    mediaType: 'text/plain',
    annotations: { exitCode: c.code, ...(c.durationMs === undefined ? {} : { durationMs: c.durationMs }) },
  }));
  return {
    result: !passed ? 'FAILED' : warned ? 'WARNED' : 'PASSED',
    configuration,
    passedTests: warned ? [] : ok,
    warnedTests: warned ? ok : [],
    failedTests: commands.filter((c) => c.code !== 0).map((c) => c.command),
  };
};

interface Finding {
  readonly id: string;
  readonly name: string | undefined;
  readonly version: string | undefined;
  readonly severity: string | undefined;
}

const findingsOf = (scan: unknown): Finding[] => {
  const findings = (scan as { findings?: unknown } | null)?.findings;
  if (!Array.isArray(findings)) return [];
  return findings.flatMap((item: unknown) => {
    const f = item as { id?: unknown; name?: unknown; version?: unknown; severity?: unknown } | null;
    const id = text(f?.id);
    return id === undefined
      ? []
      : [{ id, name: text(f?.name), version: text(f?.version), severity: text(f?.severity) }];
  });
};

/**
 * The whole scan on one side of the change; for entries written before whole scans were kept, the
 * targeted findings; undefined when the entry keeps whole scans but not this side (a base that
 * could not be scanned), which then gets no statement rather than a partial list.
 */
const scanOf = (proved: LedgerEntry, side: 'before' | 'after'): unknown => {
  const scan = proved.outcome.scan as Record<string, unknown> | null | undefined;
  if (typeof scan !== 'object' || scan === null) return proved.outcome[side];
  return side in scan ? scan[side] : undefined;
};

const asTimestamp = (value: string | undefined): string | undefined => {
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** The advisory store as the proof read it: its snapshot, dated by the newest advisory consulted when the snapshot is no date. */
const scannerDb = (proved: LedgerEntry): { version?: string; lastUpdate: string } => {
  const snapshot = text(proved.outcome.storeSnapshot) ?? text(proved.inputs.storeSnapshot);
  const modified = (proved.inputs.advisories ?? [])
    .map((a) => asTimestamp(a.modified))
    .filter((t): t is string => t !== undefined)
    .sort();
  const lastUpdate = asTimestamp(snapshot) ?? modified.at(-1) ?? proved.time;
  return { ...(snapshot === undefined ? {} : { version: snapshot }), lastUpdate };
};

export const vulnsPredicate = (scan: unknown, proved: LedgerEntry, toolVersion: string): VulnsPredicate => ({
  scanner: {
    uri: `pkg:npm/patchpilot@${toolVersion}`,
    version: toolVersion,
    db: scannerDb(proved),
    result: findingsOf(scan).map((f) => ({
      id: f.id,
      severity: f.severity === undefined ? [] : [{ method: 'osv', score: f.severity }],
      ...(f.name === undefined
        ? {}
        : { annotations: [{ package: f.name, ...(f.version ? { version: f.version } : {}) }] }),
    })),
  },
  metadata: { scanStartedOn: proved.time, scanFinishedOn: proved.time },
});

/** The statements attesting one change; `entries` are the change's own, in seq order. */
export const changeStatements = (
  entries: readonly LedgerEntry[],
  options: { readonly change: string; readonly toolVersion: string },
): InTotoStatement[] => {
  const own = entries.filter((e) => e.change === options.change);
  if (own.length === 0) {
    throw new PatchPilotError(
      'LEDGER_CHANGE_UNKNOWN',
      `the ledger has no entry for change ${options.change}`,
      {
        hint: 'list the changes it holds with `patchpilot ledger show`',
      },
    );
  }
  const commit = commitOf(own);
  if (commit === undefined) {
    throw new PatchPilotError(
      'LEDGER_CHANGE_INCOMPLETE',
      `change ${options.change} has no commit in the ledger (no applied, proposed or merged entry with one)`,
      { hint: 'only a change that `fix` committed can be attested' },
    );
  }
  const name = commit.branch ?? options.change;
  // The run that made the commit: from its last `planned` entry up to the next one.
  const start = own.findLast((e) => e.kind === 'planned' && e.seq <= commit.seq)?.seq ?? -Infinity;
  const end = own.find((e) => e.kind === 'planned' && e.seq > commit.seq)?.seq ?? Infinity;
  const run = own.filter((e) => e.seq >= start && e.seq < end);
  const statements: InTotoStatement[] = [];
  // A run in which no test ran (the project has none) attests nothing about tests: no statement,
  // rather than one that says they failed.
  for (const tested of run.filter((e) => e.kind === 'tested' && e.outcome.ran !== false)) {
    statements.push(
      buildStatement({
        subjectName: name,
        commit: commit.commit,
        predicateType: TEST_RESULT_PREDICATE,
        predicate: { ...testResultPredicate(tested.outcome) },
      }),
    );
  }
  const proved = run.findLast((e) => e.kind === 'proved');
  if (proved !== undefined) {
    const before = scanOf(proved, 'before');
    if (before !== undefined) {
      statements.push(
        buildStatement({
          subjectName: commit.baseCommit === undefined ? `${name} (before)` : name,
          commit: commit.baseCommit ?? commit.commit,
          predicateType: VULNS_PREDICATE,
          predicate: { ...vulnsPredicate(before, proved, options.toolVersion) },
        }),
      );
    }
    statements.push(
      buildStatement({
        subjectName: name,
        commit: commit.commit,
        predicateType: VULNS_PREDICATE,
        predicate: { ...vulnsPredicate(scanOf(proved, 'after'), proved, options.toolVersion) },
      }),
    );
  }
  if (statements.length === 0) {
    throw new PatchPilotError(
      'LEDGER_CHANGE_INCOMPLETE',
      `change ${options.change} has neither a test run nor a proof of fix in the ledger: nothing to attest`,
      { hint: 'only a change that `fix` tested or proved can be attested' },
    );
  }
  return statements;
};
