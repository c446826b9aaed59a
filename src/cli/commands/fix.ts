import { setMaxListeners } from 'node:events';
import { dirname, relative, resolve, sep } from 'node:path';
import type { FixEvent } from '../../apply/index.js';
import type { Change, ChangeStatus } from '../../core/change.js';
import { isCalendarDate } from '../../core/date.js';
import { AdvisoryStore } from '../../intel/store.js';
import { type FixResult, fixProject } from '../../pipeline.js';
import type { Registry } from '../../registry/index.js';
import { statOrUndefined, writeOutputFile } from '../../util/fs.js';
import { advisoryDbPath } from '../../util/home.js';
import { printableText } from '../../util/printable.js';
import { parseCommandArgs, usage } from '../args.js';
import { type Io, type Outcome, ownStreams } from '../io.js';
import { toolVersion } from '../version.js';
import { plannerFlags, planOptionsFrom } from './plan.js';

/** The changes a run merged, proposed or reported before it stopped, one line each; '' for none. */
export const settledBefore = (events: readonly FixEvent[]): string => {
  // A change's last word; `reported` without a change is an unfixable finding, not a change, and
  // one whose status is `tested` is a dry run's: tried, nothing kept.
  const settled = events.filter(
    (e) =>
      e.change !== undefined &&
      (e.kind === 'merged' ||
        e.kind === 'proposed' ||
        (e.kind === 'reported' && e.outcome.status !== 'tested')),
  );
  if (settled.length === 0) return '';
  const lines = settled.map((e) => {
    const merged = e.outcome.merged as { branch?: unknown } | undefined;
    const where =
      e.kind === 'merged' && typeof merged?.branch === 'string'
        ? ` into ${merged.branch}`
        : e.kind === 'proposed' && typeof e.outcome.branch === 'string'
          ? ` on ${e.outcome.branch}`
          : '';
    return `  ${e.kind} ${e.subject}${where}`;
  });
  return `fix stopped after settling ${settled.length} change${settled.length === 1 ? '' : 's'}, which stay as they are:\n${lines.join('\n')}\n`;
};

const help = `Usage: patchpilot fix [DIR|LOCKFILE] [options]

Plan the remediation of the project in DIR (default: the current folder) from its last commit,
then for each patch, in the plan's order: make it in a git worktree of its own on a branch
patchpilot/<id> (outside the working tree), edit the lockfile (or the manifest, then let the
project's package manager rewrite the lockfile, scripts disabled), install with scripts disabled,
run the project's build and test commands, prove the fix by re-reading the new lockfile, and ask
the policy again with that evidence:
  level 3 (merge)    every check passed: the change is merged into the current branch, by git's
                     own fast-forward (never over uncommitted changes: then it is left proposed)
  level 2 (propose)  the change stays on its branch, one commit with the evidence, for a human
  level 1 (report)   no branch; the report says why
A change whose install, build or tests fail is held back with their output; one the proof
rejects (the advisory is still on another path, or a new one appeared) is never reported as a
fix. The working tree and the index are never touched. Every decision is written to the
project's ledger. Versions a rolled-back change brought in (patchpilot rollback) are
quarantined: never chosen again until \`patchpilot quarantine release\`. npm, yarn (classic and
berry) and pnpm projects are fixed with their own package manager, which must be on PATH; bun
projects are planned, not fixed yet.

Options:
      --dry-run            plan, apply, install, test and prove, in detached worktrees; commit,
                           branch and merge nothing
      --group              try every patch in one worktree and one test run; when the tests fail,
                           bisect to find the patch that breaks them
      --merge-mode MODE    fast-forward (default) or merge-commit
      --allow-scripts      let the install before the tests run dependency lifecycle scripts
                           (regenerating the lockfile never does)
      --no-tests           run no install, build or test command (a repository of lockfiles only);
                           the evidence says no tests ran, so nothing earns level 3
      --timeout SECONDS    limit for each install, build and test command, at most 86400 (default:
                           the config's commands.timeoutSeconds, else 600)
      --in-place           outside a git repository: fix a private copy the same way, then write
                           the files of the changes that earn level 3 back into DIR, atomically
      --json               print the report as JSON
      --format FORMAT      text (default), json or markdown
      --report FILE        also write the report as Markdown to FILE
      --ledger FILE        the ledger (default: $PATCHPILOT_LEDGER, else one per project under
                           <data home>/ledgers)
      --no-ledger          write no ledger entries (the ledger's quarantine still applies)
Planning options, as for \`patchpilot plan\`:
      --strategy NAME, --max-depth N, --min-severity S, --ignore-dev, --upgrade-config P:L,
      --prefer lowest|highest, --node-version V, --vex FILE, --offline, --registry URL,
      --cache-dir DIR, --today DATE, --db FILE
      --debug              show stack traces on errors
  -h, --help               show this help

Exit codes: 0 every patch tried was merged, proposed or reported (or tested, with --dry-run);
1 a patch was held back, unproven or failed; 2 usage error, not a git repository, or an
unsupported lockfile; 3 git, the registry or the package manager failed; 70 internal error.

Examples:
  patchpilot fix --dry-run
  patchpilot fix --json > fix.json
  patchpilot fix --group --report fix.md
`;

type FixFormat = 'text' | 'json' | 'markdown';
const formats: readonly FixFormat[] = ['text', 'json', 'markdown'];

/** The `--json` document: `schemaVersion` 1 is a contract; fields may be added, never removed. */
export interface FixReport {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'patchpilot'; readonly version: string };
  readonly generatedAt: string;
  readonly dryRun: boolean;
  readonly project: string;
  readonly lockfile: string;
  readonly base: { readonly branch: string | null; readonly commit: string; readonly after: string | null };
  readonly store: FixResult['store'];
  readonly ledger: string | null;
  readonly summary: Readonly<Record<ChangeStatus, number>> & {
    readonly patches: number;
    readonly unfixable: number;
    readonly remaining: number;
  };
  readonly changes: readonly Change[];
  readonly unfixable: FixResult['plan']['unfixable'];
  readonly staleWorktrees: readonly string[];
  readonly staleBranches: readonly string[];
  /** With --in-place: the files written into the project folder. */
  readonly written?: readonly string[];
}

const statuses: readonly ChangeStatus[] = [
  'merged',
  'proposed',
  'reported',
  'tested',
  'held-back',
  'unproven',
  'failed',
];

export const fixCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('fix', args, {
    'dry-run': { type: 'boolean' },
    group: { type: 'boolean' },
    'merge-mode': { type: 'string' },
    'allow-scripts': { type: 'boolean' },
    'no-tests': { type: 'boolean' },
    'in-place': { type: 'boolean' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    format: { type: 'string' },
    report: { type: 'string' },
    ledger: { type: 'string' },
    'no-ledger': { type: 'boolean' },
    ...plannerFlags,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 'ok';
  }
  if (positionals.length > 1) throw usage('fix', `expected one folder, got ${positionals.length}`);
  const format = (values.json ? 'json' : (values.format ?? 'text')) as FixFormat;
  if (!formats.includes(format))
    throw usage('fix', `unknown --format "${values.format}" (${formats.join(', ')})`);
  if (values.json && values.format && values.format !== 'json') {
    throw usage('fix', '--json and --format disagree; give one of them');
  }
  const mergeMode = values['merge-mode'] ?? 'fast-forward';
  if (mergeMode !== 'fast-forward' && mergeMode !== 'merge-commit') {
    throw usage('fix', `unknown --merge-mode "${mergeMode}" (fast-forward, merge-commit)`);
  }
  let timeoutMs = 0;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (values.timeout.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
      throw usage('fix', `--timeout takes a number of seconds, got "${values.timeout}"`);
    }
    // As the configuration's commands.timeoutSeconds: at most a day (a timer cannot wait much
    // longer, and would fire at once), at least a millisecond.
    if (seconds > 86_400 || seconds < 0.001) {
      throw usage('fix', `--timeout takes from 0.001 to 86400 seconds (a day), got "${values.timeout}"`);
    }
    timeoutMs = Math.round(seconds * 1000);
  }
  if (values.today !== undefined && !isCalendarDate(values.today)) {
    throw usage('fix', `--today "${values.today}" is not a date written YYYY-MM-DD`);
  }
  if (values.ledger !== undefined && values['no-ledger'])
    throw usage('fix', '--ledger and --no-ledger disagree');
  for (const name of ['report', 'ledger', 'registry', 'cache-dir'] as const) {
    if (values[name] === '') throw usage('fix', `--${name} needs a value`);
  }
  const options = planOptionsFrom(values, 'fix');
  const now = values.today === undefined ? io.now() : new Date(`${values.today}T00:00:00Z`);
  const today = now.toISOString().slice(0, 10);
  const target = resolve(io.cwd, positionals[0] ?? '.');
  if (!statOrUndefined(target)) throw usage('fix', `${positionals[0] ?? '.'}: no such file or folder`);
  const folder = statOrUndefined(target)?.isDirectory() ? target : dirname(target);

  if (io.interrupted) setMaxListeners(100, io.interrupted);
  // Opened in turn inside one try: whatever fails, what was opened before it is closed.
  const { createRegistry } = await import('../../registry/index.js');
  const store = AdvisoryStore.open(advisoryDbPath(values.db, io.env, io.cwd), { readonly: true });
  let ledger: LedgerWriter | undefined;
  let registry: Registry | undefined;
  const events: FixEvent[] = [];
  let result: FixResult;
  try {
    const quarantined = await readQuarantine(values.ledger, io, folder);
    ledger = values['no-ledger'] ? undefined : await openLedger(values.ledger, io, folder);
    registry = createRegistry({
      cwd: folder,
      env: io.env,
      offline: values.offline === true,
      universe: undefined,
      registry: values.registry,
      cacheDir: values['cache-dir'] === undefined ? undefined : resolve(io.cwd, values['cache-dir']),
      onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
      signal: io.interrupted,
    });
    const writer = ledger;
    result = await fixProject(store, {
      target,
      cwd: io.cwd,
      env: io.env,
      vexFiles: (values.vex ?? []).map((file) => resolve(io.cwd, file)),
      today,
      now,
      registry,
      options,
      quarantined,
      apply: {
        dryRun: values['dry-run'] === true,
        group: values.group === true,
        mergeMode,
        allowScripts: values['allow-scripts'] === true,
        timeoutMs,
        runTests: values['no-tests'] !== true,
      },
      inPlace: values['in-place'] === true,
      tool: `patchpilot@${toolVersion()}`,
      ...(io.interrupted ? { signal: io.interrupted } : {}),
      onProgress: (message) => io.stderr.write(`${message}\n`),
      record: (event) => {
        events.push(event);
        writer?.write(event);
      },
    });
  } catch (error) {
    // The run stopped before its report: say what it had already settled, which stays settled
    // (merged on the base branch, or waiting on a branch) and is in the ledger.
    const settled = settledBefore(events);
    if (settled !== '') io.stderr.write(settled);
    throw error;
  } finally {
    ledger?.close();
    store.close();
    await registry?.close();
  }
  const report = buildReport(result, values['dry-run'] === true, ledger?.path, io);
  if (values.report !== undefined) {
    const { renderFixMarkdown } = await import('../render/fix-markdown.js');
    // A report meant for a pull request: control characters escaped, as on stdout.
    writeOutputFile(resolve(io.cwd, values.report), printableText(renderFixMarkdown(report)), ownStreams(io));
  }
  if (format === 'json') io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (format === 'markdown')
    io.stdout.write((await import('../render/fix-markdown.js')).renderFixMarkdown(report));
  else io.stdout.write((await import('../render/fix-text.js')).renderFixText(report));
  const bad = result.changes.some(
    (c) => c.status === 'held-back' || c.status === 'unproven' || c.status === 'failed',
  );
  return bad ? 'failed' : 'ok';
};

const buildReport = (result: FixResult, dryRun: boolean, ledger: string | undefined, io: Io): FixReport => {
  const count = Object.fromEntries(
    statuses.map((s) => [s, result.changes.filter((c) => c.status === s).length]),
  ) as Record<ChangeStatus, number>;
  return {
    schemaVersion: 1,
    tool: { name: 'patchpilot', version: toolVersion() },
    generatedAt: io.now().toISOString(),
    dryRun,
    project: result.path,
    lockfile: result.lockfile,
    base: { branch: result.baseBranch ?? null, commit: result.baseCommit, after: result.headAfter ?? null },
    store: result.store,
    ledger: ledger === undefined ? null : displayPath(io.cwd, ledger),
    summary: {
      ...count,
      patches: result.plan.patches.length,
      unfixable: result.plan.unfixable.length,
      remaining: result.plan.remaining.length,
    },
    changes: result.changes,
    unfixable: result.plan.unfixable,
    staleWorktrees: result.staleWorktrees,
    staleBranches: result.staleBranches,
    ...(result.written ? { written: result.written } : {}),
  };
};

const displayPath = (cwd: string, path: string): string => {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel.split(sep).join('/');
};

interface LedgerWriter {
  readonly path: string;
  write(event: FixEvent): void;
  close(): void;
}

/**
 * The versions the project's ledger quarantines (read only, before it is opened for writing);
 * read with --no-ledger too: not recording decisions is no reason to choose a rolled-back version.
 */
const readQuarantine = async (flag: string | undefined, io: Io, folder: string) => {
  const { quarantinedVersionsAt } = await import('../../ledger/quarantine.js');
  const { ledgerPath } = await import('../../ledger/location.js');
  return quarantinedVersionsAt(ledgerPath({ flag, env: io.env, cwd: io.cwd, projectRoot: folder }));
};

/** The project's ledger, opened for appending; every event `fix` reports becomes one entry. */
const openLedger = async (flag: string | undefined, io: Io, folder: string): Promise<LedgerWriter> => {
  const { Ledger } = await import('../../ledger/store.js');
  const { ledgerPath, ledgerProject } = await import('../../ledger/location.js');
  const path = ledgerPath({ flag, env: io.env, cwd: io.cwd, projectRoot: folder });
  const ledger = Ledger.open(path, { project: ledgerProject(folder, io.env) });
  const actor = `patchpilot@${toolVersion()}`;
  return {
    path,
    write: (event) => {
      ledger.append({
        kind: event.kind,
        subject: event.subject,
        ...(event.change ? { change: event.change } : {}),
        actor,
        inputs: event.inputs,
        outcome: event.outcome,
        time: io.now().toISOString(),
      });
    },
    close: () => ledger.close(),
  };
};
