import type { ChangeStatus } from '../core/change.js';
import type { LedgerEntry, LedgerKind } from '../core/ledger.js';
import type { FindingRef, PackageChange, PatchScore, RiskFacts } from '../core/plan.js';

/**
 * The story of one change, told from the ledger alone (and the commit, when the caller read it):
 * which findings it was for and when they were detected, from which advisory store; what the
 * planner moved and which alternatives it weighed; the level policy set and on what evidence; the
 * tests and the proof; how it ended and by whose hand; and what happened after. Pure: it reads
 * entries, it never opens the ledger or git.
 *
 * `fix` records one run of a change as `planned`, `tested`, `proved`, `decided`, `applied`, then
 * `merged`, `proposed`, `reported` or `failed` (a rerun records the same change id again). The
 * story tells the last run that settled the change; earlier runs are summed up in `earlier`. A run
 * that changed nothing after it (a dry run, whose `planned` entry says `dryRun` and whose last word
 * is `tested` when the change passed, or a run stopped before its last word) is listed in
 * `laterRuns` and does not take its place. Entries after the told run's last word (`rolled-back`,
 * `quarantine-released`, anything else) are what happened afterwards.
 */

/** Where a fact came from: the entry's seq, when it was recorded and by whom. */
export interface StorySource {
  readonly seq: number;
  readonly time: string;
  readonly actor: string;
}

/** One `detected` entry of a finding. */
export interface StoryDetection extends StorySource {
  /** The state of the advisory store the finding was read from. */
  readonly storeSnapshot?: string;
  /** The commit that was scanned. */
  readonly commit?: string;
}

/** A finding the change targets, with its detection. */
export interface StoryAdvisory extends FindingRef {
  /** The OSV records behind it, with the `modified` each had when it was detected. */
  readonly advisories: readonly { readonly id: string; readonly modified?: string }[];
  /** The first detection; absent when the ledger holds none (the `detected` entry predates it). */
  readonly detected?: StoryDetection;
  /** The latest detection before the change was planned, when it is not the first. */
  readonly lastDetected?: StoryDetection;
  /** What the latest detection said. */
  readonly severity?: string;
  readonly scope?: string;
  readonly priority?: number;
  readonly paths?: number;
  readonly vex?: string;
  readonly exception?: string;
  /** Whether the proof found it gone (undefined when nothing was proved). */
  readonly fixed?: boolean;
}

/** Another candidate the planner weighed for the same findings (`planned.outcome.alternatives`). */
export interface StoryAlternative {
  readonly id: string;
  readonly strategy: string;
  /** How many package changes it makes. */
  readonly changes: number;
  /** How many findings it would introduce. */
  readonly introduces: number;
  readonly score?: PatchScore;
}

export interface StoryPlan extends StorySource {
  readonly strategy?: string;
  readonly storeSnapshot?: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly changes: readonly PackageChange[];
  readonly risk?: RiskFacts;
  readonly alternatives: readonly StoryAlternative[];
  /** The level policy granted at plan time, before any test ran. */
  readonly planLevel?: number;
  /** Quarantined versions the planner held out (`name@version`). */
  readonly quarantined?: readonly string[];
}

export interface StoryReason {
  readonly rule: string;
  readonly effect: string;
  readonly evidence: string;
  readonly level?: number;
}

export interface StoryDecision extends StorySource {
  readonly level: number;
  /** What every rule said, in rule order. */
  readonly reasons: readonly StoryReason[];
  /** The rules that spoke. */
  readonly rules: readonly string[];
  /** The rules whose cap is the level: the ones that decided it. */
  readonly cappedBy: readonly string[];
  /** SHA-256 of the project's policy file; absent under the default policy. */
  readonly policyHash?: string;
}

export interface StoryCommand {
  readonly command: string;
  readonly code: number | null;
  readonly durationMs?: number;
}

export interface StoryTests extends StorySource {
  /** False when the project has no build or test command. */
  readonly ran: boolean;
  readonly passed: boolean;
  readonly commands: readonly StoryCommand[];
  /** The changed packages the tests loaded. */
  readonly exercised: readonly string[];
  readonly notExercised: readonly string[];
}

export interface StoryProof extends StorySource {
  readonly proven: boolean;
  readonly fixed: readonly string[];
  readonly stillPresent: readonly string[];
  readonly introduced: readonly string[];
  /** The targeted findings before the change, and those of the same packages after it. */
  readonly before: readonly FindingRef[];
  readonly after: readonly FindingRef[];
}

/** How the run ended: its `merged`, `proposed`, `reported` or `failed` entry. */
export interface StoryOutcome extends StorySource {
  readonly kind: LedgerKind;
  readonly status: ChangeStatus;
  readonly reason?: string;
  /** For a change that could not be applied: the stage it stopped at. */
  readonly stage?: string;
  /** The level the outcome was reached at. */
  readonly level?: number;
  /** The commit the change was tried on (its `applied` entry). */
  readonly base?: string;
  /** The change's own commit. */
  readonly commit?: string;
  readonly branch?: string;
  /** The branch merged into, the commit it moved to, and how. */
  readonly merged?: { readonly branch: string; readonly commit: string; readonly mode: string };
  /** The seq of the `applied` entry. */
  readonly applied?: number;
}

/** An entry after the run's end: a rollback, a release from quarantine, anything later. */
export interface StoryEvent extends StorySource {
  readonly kind: LedgerKind;
  readonly reason?: string;
  /** `rolled-back`: the change's commit, the commit reverted and the revert. */
  readonly commit?: string;
  readonly reverted?: string;
  readonly revert?: string;
  /** `rolled-back`: where the revert is, and whether it landed (`merged`) or waits (`branch`). */
  readonly branch?: string;
  /** `rolled-back` of a proposed change: who merged it, when not PatchPilot (`outside patchpilot …`). */
  readonly mergedBy?: string;
  readonly mode?: string;
  readonly deferred?: string;
  readonly quarantine?: readonly { readonly name: string; readonly version: string }[];
  /** `quarantine-released`: what was released (no version: every version of the name). */
  readonly released?: { readonly name: string; readonly version?: string };
  /** Another kind: its status or text, when it has one. */
  readonly text?: string;
}

/** The change's commit as git tells it, or that the repository does not have it. */
export interface StoryCommit {
  readonly sha: string;
  readonly found: boolean;
  readonly subject?: string;
  readonly message?: string;
  readonly author?: string;
  readonly date?: string;
  readonly files?: readonly string[];
  /** The message's `PatchPilot-*` trailers, in order. */
  readonly trailers?: readonly { readonly key: string; readonly value: string }[];
  /** Whether the branch the outcome names still holds it (absent when the branch is gone or unknown). */
  readonly onBranch?: { readonly branch: string; readonly contains: boolean };
}

/** An earlier run of the same change. */
export interface StoryRun {
  /** Its first entry (usually `planned`). */
  readonly seq: number;
  readonly time: string;
  readonly status: ChangeStatus | 'planned';
  /** A `--dry-run`: nothing was committed, whatever its status. */
  readonly dryRun?: true;
  readonly outcome?: number;
  readonly commit?: string;
  readonly afterwards: readonly StoryEvent[];
}

export interface ChangeStory {
  readonly kind: 'change';
  /** The change (patch) id. */
  readonly id: string;
  /** How the last run ended; `planned` when it has no outcome (yet). */
  readonly status: ChangeStatus | 'planned';
  readonly advisories: readonly StoryAdvisory[];
  readonly plan?: StoryPlan;
  readonly decision?: StoryDecision;
  readonly tests?: StoryTests;
  readonly proof?: StoryProof;
  readonly outcome?: StoryOutcome;
  readonly afterwards: readonly StoryEvent[];
  readonly commit?: StoryCommit;
  /** Earlier runs, oldest first. */
  readonly earlier: readonly StoryRun[];
  /**
   * Runs after the one told that changed nothing, oldest first: dry runs (`tested`) and runs
   * stopped before their outcome (`planned`: interrupted, or still going). Their afterwards are
   * the told run's.
   */
  readonly laterRuns: readonly StoryRun[];
  /** Every entry the story was told from, in seq order. */
  readonly seqs: readonly number[];
}

/** What the caller read of the change's commit with git. */
export interface CommitFacts {
  readonly sha: string;
  readonly message: string;
  readonly author: string;
  readonly date: string;
  readonly files: readonly string[];
  readonly onBranch?: { readonly branch: string; readonly contains: boolean };
}

const terminalKinds: ReadonlySet<LedgerKind> = new Set(['merged', 'proposed', 'reported', 'failed']);
const statuses: ReadonlySet<string> = new Set([
  'merged',
  'proposed',
  'reported',
  'held-back',
  'unproven',
  'failed',
  'tested',
]);

type Json = Readonly<Record<string, unknown>>;

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const obj = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const strings = (value: unknown): string[] => list(value).flatMap((v) => (typeof v === 'string' ? [v] : []));
const refs = (value: unknown): FindingRef[] =>
  list(value).flatMap((v) => {
    const o = obj(v);
    const id = str(o?.id);
    const name = str(o?.name);
    const version = str(o?.version);
    return id && name && version ? [{ id, name, version }] : [];
  });
const source = (e: LedgerEntry): StorySource => ({ seq: e.seq, time: e.time, actor: e.actor });
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** A finding's subject in the ledger: `ID name@version`. */
export const findingSubject = (f: FindingRef): string => `${f.id} ${f.name}@${f.version}`;

/** Whether a `quarantine-released` entry released something the change had quarantined. */
const releases = (e: LedgerEntry, id: string): boolean =>
  e.kind === 'quarantine-released' && list(e.inputs.released).some((r) => obj(r)?.change === id);

const statusOf = (e: LedgerEntry): ChangeStatus => {
  const status = str(e.outcome.status);
  if (status !== undefined && statuses.has(status)) return status as ChangeStatus;
  return e.kind === 'merged'
    ? 'merged'
    : e.kind === 'proposed'
      ? 'proposed'
      : e.kind === 'failed'
        ? 'failed'
        : 'reported';
};

const eventOf = (e: LedgerEntry): StoryEvent => {
  const base = { ...source(e), kind: e.kind };
  if (e.kind === 'rolled-back') {
    return defined({
      ...base,
      reason: str(e.inputs.reason) ?? str(e.outcome.reason),
      commit: str(e.inputs.commit),
      reverted: str(e.inputs.reverted),
      mergedBy: str(e.inputs.mergedBy),
      revert: str(e.outcome.revert),
      branch: str(e.outcome.branch),
      mode: str(e.outcome.mode),
      deferred: str(e.outcome.deferred),
      quarantine: list(e.outcome.quarantine).flatMap((q) => {
        const name = str(obj(q)?.name);
        const version = str(obj(q)?.version);
        return name && version ? [{ name, version }] : [];
      }),
    });
  }
  if (e.kind === 'quarantine-released') {
    const name = str(e.outcome.name) ?? e.subject;
    const version = str(e.outcome.version);
    return defined({
      ...base,
      reason: str(e.outcome.reason),
      released: version === undefined ? { name } : { name, version },
    });
  }
  return defined({
    ...base,
    reason: str(e.outcome.reason),
    text: str(e.outcome.status) ?? str(e.outcome.text),
    commit: str(e.outcome.commit),
    branch: str(e.outcome.branch),
  });
};

interface Run {
  readonly entries: LedgerEntry[];
  readonly terminal: LedgerEntry | undefined;
  readonly afterwards: LedgerEntry[];
}

/** A run: its entries up to its last word, and what came after. */
const runOf = (entries: LedgerEntry[]): Run => {
  const terminal = entries.findLast((e) => terminalKinds.has(e.kind));
  if (terminal === undefined) {
    return {
      entries: entries.filter((e) => e.kind !== 'rolled-back' && e.kind !== 'quarantine-released'),
      terminal,
      afterwards: entries.filter((e) => e.kind === 'rolled-back' || e.kind === 'quarantine-released'),
    };
  }
  return {
    entries: entries.filter((e) => e.seq <= terminal.seq),
    terminal,
    afterwards: entries.filter((e) => e.seq > terminal.seq),
  };
};

const last = (entries: readonly LedgerEntry[], kind: LedgerKind): LedgerEntry | undefined =>
  entries.findLast((e) => e.kind === kind);

const commitOfRun = (run: Run): string | undefined =>
  str(run.terminal?.outcome.commit) ?? str(last(run.entries, 'applied')?.outcome.commit);

const detection = (e: LedgerEntry): StoryDetection =>
  defined({ ...source(e), storeSnapshot: str(e.inputs.storeSnapshot), commit: str(e.inputs.commit) });

const planOf = (e: LedgerEntry): StoryPlan => {
  const o = e.outcome;
  return defined({
    ...source(e),
    strategy: str(e.inputs.strategy),
    storeSnapshot: str(e.inputs.storeSnapshot),
    options: obj(e.inputs.options),
    changes: list(o.changes).filter(
      (c): c is PackageChange => typeof obj(c)?.kind === 'string' && typeof obj(c)?.name === 'string',
    ),
    risk: obj(o.risk) as RiskFacts | undefined,
    alternatives: list(o.alternatives).flatMap((a): StoryAlternative[] => {
      const alt = obj(a);
      const id = str(alt?.id);
      if (alt === undefined || id === undefined) return [];
      const score = obj(alt.score) as PatchScore | undefined;
      return [
        {
          id,
          strategy: str(alt.strategy) ?? '?',
          changes: num(alt.changes) ?? 0,
          introduces: num(alt.introduces) ?? 0,
          ...(score ? { score } : {}),
        },
      ];
    }),
    planLevel: num(o.planLevel),
    quarantined: Array.isArray(e.inputs.quarantined) ? strings(e.inputs.quarantined) : undefined,
  });
};

const decisionOf = (e: LedgerEntry): StoryDecision => {
  const reasons = list(e.outcome.reasons).flatMap((r): StoryReason[] => {
    const o = obj(r);
    const rule = str(o?.rule);
    if (o === undefined || rule === undefined) return [];
    return [
      defined({
        rule,
        effect: str(o.effect) ?? 'info',
        evidence: str(o.evidence) ?? '',
        level: num(o.level),
      }),
    ];
  });
  const rules = strings(e.inputs.rules);
  return defined({
    ...source(e),
    level: num(e.outcome.level) ?? 1,
    reasons,
    rules: rules.length > 0 ? [...new Set(rules)] : [...new Set(reasons.map((r) => r.rule))],
    cappedBy: strings(e.inputs.cappedBy),
    policyHash: str(e.inputs.policyHash),
  });
};

const testsOf = (e: LedgerEntry): StoryTests => ({
  ...source(e),
  ran: e.outcome.ran === true,
  passed: e.outcome.passed === true,
  commands: list(e.outcome.commands).flatMap((c): StoryCommand[] => {
    const o = obj(c);
    const command = str(o?.command);
    if (o === undefined || command === undefined) return [];
    const durationMs = num(o.durationMs);
    return [{ command, code: num(o.code) ?? null, ...(durationMs === undefined ? {} : { durationMs }) }];
  }),
  exercised: strings(e.outcome.exercised),
  notExercised: strings(e.outcome.notExercised),
});

const proofOf = (e: LedgerEntry): StoryProof => ({
  ...source(e),
  proven: e.outcome.proven === true,
  fixed: strings(e.outcome.fixed),
  stillPresent: strings(e.outcome.stillPresent),
  introduced: strings(e.outcome.introduced),
  before: refs(obj(e.outcome.before)?.findings),
  after: refs(obj(e.outcome.after)?.findings),
});

const outcomeOf = (terminal: LedgerEntry, applied: LedgerEntry | undefined): StoryOutcome => {
  const merged = obj(terminal.outcome.merged);
  const mergedBranch = str(merged?.branch);
  const mergedCommit = str(merged?.commit);
  return defined({
    ...source(terminal),
    kind: terminal.kind,
    status: statusOf(terminal),
    reason: str(terminal.outcome.reason) ?? str(terminal.outcome.text),
    stage: str(terminal.inputs.stage),
    level: num(terminal.inputs.level),
    base: str(applied?.inputs.base),
    commit: str(terminal.outcome.commit) ?? str(applied?.outcome.commit),
    branch: str(terminal.outcome.branch) ?? str(applied?.outcome.branch),
    merged:
      mergedBranch !== undefined && mergedCommit !== undefined
        ? { branch: mergedBranch, commit: mergedCommit, mode: str(merged?.mode) ?? 'fast-forward' }
        : undefined,
    applied: applied?.seq,
  });
};

/** `Key: value` lines of the message's last paragraph whose key starts with `PatchPilot-`. */
export const patchPilotTrailers = (message: string): { key: string; value: string }[] => {
  const paragraphs = message.trim().split(/\n\s*\n/);
  const lastParagraph = paragraphs.at(-1) ?? '';
  return lastParagraph.split('\n').flatMap((line) => {
    const match = /^(PatchPilot-[A-Za-z-]+):\s*(.*)$/.exec(line.trim());
    return match ? [{ key: match[1] as string, value: (match[2] as string).trim() }] : [];
  });
};

const sameCommit = (a: string, b: string): boolean => {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x.length >= 7 && y.length >= 7 && (x.startsWith(y) || y.startsWith(x));
};

const storyCommit = (sha: string, facts: CommitFacts | undefined): StoryCommit => {
  if (facts === undefined || !sameCommit(sha, facts.sha)) return { sha, found: false };
  const message = facts.message.replace(/\s+$/, '');
  return {
    sha: facts.sha.length >= sha.length ? facts.sha : sha,
    found: true,
    subject: message.split('\n')[0] ?? '',
    message,
    author: facts.author,
    date: facts.date,
    files: [...facts.files],
    trailers: patchPilotTrailers(message),
    ...(facts.onBranch ? { onBranch: facts.onBranch } : {}),
  };
};

/**
 * A dry run: its `planned` entry says so (a dry run whose change failed writes what a real run
 * writes), or, in entries written before that was recorded, its outcome is `tested`.
 */
const isDryRun = (r: Run): boolean =>
  r.entries.some((e) => e.kind === 'planned' && e.inputs.dryRun === true) ||
  (r.terminal !== undefined && statusOf(r.terminal) === 'tested');

const runSummary = (r: Run, afterwards: readonly LedgerEntry[]): StoryRun => {
  const first = r.entries[0] ?? (r.afterwards[0] as LedgerEntry);
  return defined<StoryRun>({
    seq: first.seq,
    time: first.time,
    status: r.terminal ? statusOf(r.terminal) : 'planned',
    dryRun: isDryRun(r) ? true : undefined,
    outcome: r.terminal?.seq,
    commit: commitOfRun(r),
    afterwards: afterwards.map(eventOf),
  });
};

/**
 * The story of change `id` from `entries` (the whole ledger, or any superset of the change's
 * entries and the `detected` entries of its findings), or undefined when no entry belongs to it.
 * `commit` is the change's commit as git tells it; the story says when it names a commit the
 * caller could not read.
 */
export const changeStory = (
  entries: readonly LedgerEntry[],
  id: string,
  commit?: CommitFacts,
): ChangeStory | undefined => {
  // A superset may hold an entry twice (read by change and by kind): one per seq.
  const sorted = [...new Map(entries.map((e) => [e.seq, e])).values()].sort((a, b) => a.seq - b.seq);
  const mine = sorted.filter((e) => e.change === id || releases(e, id));
  if (mine.length === 0) return undefined;

  // A rerun plans the change again: each `planned` entry opens a run.
  const groups: LedgerEntry[][] = [];
  for (const e of mine) {
    const current = groups.at(-1);
    if (current === undefined || (e.kind === 'planned' && current.some((x) => x.kind === 'planned')))
      groups.push([e]);
    else current.push(e);
  }
  const runs = groups.map(runOf);
  // The told run is the last one that settled the change; when none did, the last dry run, or else
  // the last run.
  const settledAt = runs.findLastIndex((r) => r.terminal !== undefined && !isDryRun(r));
  const rehearsedAt = runs.findLastIndex((r) => r.terminal !== undefined);
  const told = settledAt !== -1 ? settledAt : rehearsedAt !== -1 ? rehearsedAt : runs.length - 1;
  const run = runs[told] as Run;
  const later = runs.slice(told + 1);

  const planned = last(run.entries, 'planned');
  const tested = last(run.entries, 'tested');
  const proved = last(run.entries, 'proved');
  const decided = last(run.entries, 'decided');
  const applied = last(run.entries, 'applied');
  const proof = proved ? proofOf(proved) : undefined;

  const plan = planned ? planOf(planned) : undefined;
  const targeted = planned ? refs(planned.outcome.fixes) : (proof?.before ?? []);
  const detectedEntries = sorted.filter((e) => e.kind === 'detected');
  const used: LedgerEntry[] = [...mine];
  const advisories = targeted.map((ref): StoryAdvisory => {
    const subject = findingSubject(ref);
    const all = detectedEntries.filter((e) => e.subject === subject);
    const before = planned ? all.filter((e) => e.seq < planned.seq) : all;
    const seen = before.length > 0 ? before : all;
    const first = seen[0];
    const latest = seen.at(-1);
    if (first) used.push(first);
    if (latest && latest !== first) used.push(latest);
    const advisoriesOf = (e: LedgerEntry | undefined) =>
      list(e?.inputs.advisories).flatMap((a) => {
        const o = obj(a);
        const aid = str(o?.id);
        if (aid === undefined) return [];
        const modified = str(o?.modified);
        return [modified === undefined ? { id: aid } : { id: aid, modified }];
      });
    const recorded = advisoriesOf(latest);
    const facts = latest?.outcome ?? {};
    return defined({
      ...ref,
      advisories: recorded.length > 0 ? recorded : [{ id: ref.id }],
      detected: first ? detection(first) : undefined,
      lastDetected: latest && latest !== first ? detection(latest) : undefined,
      severity: str(facts.severity),
      scope: str(facts.scope),
      priority: num(facts.priority),
      paths: num(facts.paths),
      vex: str(facts.vex),
      exception: str(facts.exception),
      fixed: proof
        ? proof.fixed.includes(subject) || (proof.proven && !proof.stillPresent.includes(subject))
        : undefined,
    });
  });

  const outcome = run.terminal ? outcomeOf(run.terminal, applied) : undefined;
  const sha = outcome?.commit;
  return defined<ChangeStory>({
    kind: 'change',
    id,
    status: outcome?.status ?? 'planned',
    advisories,
    plan,
    decision: decided ? decisionOf(decided) : undefined,
    tests: tested ? testsOf(tested) : undefined,
    proof,
    outcome,
    afterwards: [...run.afterwards, ...later.flatMap((r) => r.afterwards)].map(eventOf),
    commit: sha === undefined ? undefined : storyCommit(sha, commit),
    earlier: runs.slice(0, told).map((r) => runSummary(r, r.afterwards)),
    laterRuns: later.map((r) => runSummary(r, [])),
    seqs: [...new Set(used.map((e) => e.seq))].sort((a, b) => a - b),
  });
};
