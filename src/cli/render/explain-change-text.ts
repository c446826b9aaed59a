import { releasedWhen } from '../../core/plan.js';
import { isLevel, levelText } from '../../core/verdict.js';
import type {
  ChangeStory,
  StoryAdvisory,
  StoryCommit,
  StoryEvent,
  StoryOutcome,
  StoryReason,
  StoryRun,
} from '../../ledger/story.js';
import { packageChangeText } from './text.js';

/**
 * `patchpilot explain CHANGE` as text, from the ledger: one heading per part of the story
 * (Advisories, Plan, Decision, Tests, Proof, Outcome, Afterwards), short lines, each part naming
 * the ledger entry it was read from.
 */

export interface ChangeStoryText extends ChangeStory {
  /** The ledger file, as the user would write it. */
  readonly ledger: string;
}

const WIDTH = 88;

/** `2025-03-01 10:00:00Z`: ISO time, readable. */
const when = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const short = (sha: string): string => sha.slice(0, 12);
/** A store snapshot is a hash (shortened like a commit) or a date (kept). */
const snapshot = (value: string | undefined): string =>
  value === undefined ? 'unknown' : /^[0-9a-f]{16,}$/.test(value) ? short(value) : value;
const level = (n: number): string => (isLevel(n) ? levelText(n) : String(n));
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const entry = (seq: number): string => `entry ${seq}`;
const listText = (items: readonly string[], none = 'none'): string =>
  items.length === 0 ? none : items.join(', ');

/** Words to lines of at most WIDTH characters; the first line after `indent`, the rest two deeper. */
const wrap = (text: string, indent: string): string[] => {
  const lines: string[] = [];
  let line = indent;
  let prefix = indent;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.trim() !== '' && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      prefix = `${indent}  `;
      line = prefix + word;
    } else line = line.trim() === '' ? prefix + word : `${line} ${word}`;
  }
  if (line.trim() !== '') lines.push(line);
  return lines;
};

const statusText: Readonly<Record<ChangeStory['status'], string>> = {
  merged: 'merged',
  proposed: 'proposed on a branch for a human',
  reported: 'reported, not applied',
  'held-back': 'held back',
  unproven: 'not proven: not a fix',
  failed: 'failed to apply',
  tested: 'tested in a dry run',
  planned: 'planned; no outcome recorded',
};

const headline = (story: ChangeStory): string => {
  const o = story.outcome;
  if (o?.status === 'merged' && o.merged) return `Change ${story.id}: merged into ${o.merged.branch}`;
  if (o?.status === 'proposed' && o.branch) return `Change ${story.id}: proposed on ${o.branch}`;
  return `Change ${story.id}: ${statusText[story.status]}`;
};

export const renderChangeStoryText = (story: ChangeStoryText): string => {
  const out: string[] = [headline(story)];
  const rolledBack = story.afterwards.filter((e) => e.kind === 'rolled-back');
  for (const r of rolledBack) {
    out.push(
      ...wrap(
        `then rolled back${r.mode === 'branch' ? ' on a branch' : ''} by ${r.actor}, ${when(r.time)}`,
        '  ',
      ),
    );
  }
  out.push(`  from ${story.ledger}, ${plural(story.seqs.length, 'entry', 'entries')}`);

  out.push('', 'Advisories');
  if (story.advisories.length === 0) out.push('  none recorded');
  const kept = story.status === 'merged' || story.status === 'proposed';
  for (const a of story.advisories) out.push(...advisoryLines(a, kept));

  out.push('', 'Plan');
  const plan = story.plan;
  if (!plan) out.push('  no `planned` entry: the ledger does not say what was planned');
  else {
    out.push(...wrap(`${entry(plan.seq)}, ${when(plan.time)}, by ${plan.actor}`, '  '));
    out.push(
      ...wrap(`strategy ${plan.strategy ?? '?'}, store snapshot ${snapshot(plan.storeSnapshot)}`, '  '),
    );
    for (const c of plan.changes) out.push(...wrap(packageChangeText(c), '  '));
    if (plan.risk) out.push(...wrap(`risk: ${riskText(plan.risk)}`, '  '));
    if (plan.planLevel !== undefined) out.push(`  level before any test: ${level(plan.planLevel)}`);
    if (plan.quarantined && plan.quarantined.length > 0) {
      out.push(...wrap(`held out (quarantined): ${plan.quarantined.join(', ')}`, '  '));
    }
    if (plan.alternatives.length === 0) out.push('  alternatives weighed: none');
    else {
      out.push(`  alternatives weighed: ${plan.alternatives.length}`);
      for (const a of plan.alternatives) {
        const introduces =
          a.introduces === 0 ? 'introduces nothing' : `introduces ${plural(a.introduces, 'finding')}`;
        out.push(...wrap(`${a.id} (${a.strategy}): ${plural(a.changes, 'change')}, ${introduces}`, '    '));
      }
    }
  }

  out.push('', 'Decision');
  const d = story.decision;
  if (!d) {
    out.push(
      story.outcome?.level !== undefined
        ? `  level ${level(story.outcome.level)}, at plan time; no test or proof was asked for`
        : '  no `decided` entry',
    );
  } else {
    out.push(`  level ${level(d.level)}, ${entry(d.seq)}, ${when(d.time)}`);
    out.push(
      d.cappedBy.length > 0
        ? `  set by: ${d.cappedBy.join(', ')}`
        : '  no rule capped it below the highest level a dependency change may reach',
    );
    out.push(`  policy: ${d.policyHash ? `sha256 ${short(d.policyHash)}` : 'the default'}`);
    out.push(...reasonLines(d.reasons, d.level));
  }

  out.push('', 'Tests');
  const t = story.tests;
  if (!t) out.push('  none ran');
  else {
    out.push(
      `  ${!t.ran ? 'nothing ran: no build or test command' : t.passed ? 'passed' : 'FAILED'}, ${entry(t.seq)}, ${when(t.time)}`,
    );
    for (const c of t.commands) {
      const seconds = c.durationMs === undefined ? '' : `, ${(c.durationMs / 1000).toFixed(1)} s`;
      out.push(...wrap(`${c.command}: exit ${c.code ?? '?'}${seconds}`, '  '));
    }
    if (t.ran) {
      out.push(...wrap(`exercised: ${listText(t.exercised)}`, '  '));
      if (t.notExercised.length > 0) out.push(...wrap(`never loaded: ${t.notExercised.join(', ')}`, '  '));
    }
  }

  out.push('', 'Proof');
  const p = story.proof;
  if (!p) out.push('  none recorded');
  else {
    out.push(`  ${p.proven ? 'proven' : 'NOT proven'}, ${entry(p.seq)}, ${when(p.time)}`);
    out.push(...wrap(`gone: ${listText(p.fixed)}`, '  '));
    if (p.stillPresent.length > 0 || !p.proven)
      out.push(...wrap(`still present: ${listText(p.stillPresent)}`, '  '));
    if (p.introduced.length > 0 || !p.proven)
      out.push(...wrap(`introduced: ${listText(p.introduced)}`, '  '));
  }

  out.push('', 'Outcome');
  if (!story.outcome) out.push('  none recorded: the run stopped before the change was settled');
  else out.push(...outcomeLines(story.outcome, story.commit));

  out.push('', 'Afterwards');
  if (story.afterwards.length === 0) out.push('  nothing since');
  for (const e of story.afterwards) out.push(...eventLines(e, story.afterwards));

  if (story.laterRuns.length > 0) {
    out.push('', 'Later runs (they changed nothing)');
    for (const [i, r] of story.laterRuns.entries()) out.push(runLine(r, i === story.laterRuns.length - 1));
  }

  if (story.earlier.length > 0) {
    out.push('', 'Earlier runs');
    for (const r of story.earlier) {
      out.push(runLine(r, false));
      for (const e of r.afterwards) out.push(...eventLines(e, r.afterwards).map((l) => `  ${l}`));
    }
  }
  return `${out.join('\n')}\n`;
};

/** One run of the change: when, how it ended (a dry run said so), its entries. */
const runLine = (r: StoryRun, last: boolean): string => {
  const status =
    r.status === 'planned'
      ? `no outcome (stopped${last ? ', or still running' : ''})`
      : r.dryRun && r.status !== 'tested'
        ? `dry run, ${statusText[r.status]}`
        : statusText[r.status];
  return `  ${when(r.time)}: ${status} (${entry(r.seq)}${r.outcome === undefined ? '' : ` to ${r.outcome}`})`;
};

const advisoryLines = (a: StoryAdvisory, kept: boolean): string[] => {
  const facts = [a.severity, a.scope, a.priority === undefined ? undefined : `priority ${a.priority}`].filter(
    (x): x is string => x !== undefined,
  );
  const lines = wrap(
    `${a.id} in ${a.name}@${a.version}${facts.length > 0 ? `: ${facts.join(', ')}` : ''}`,
    '  ',
  );
  const d = a.detected;
  if (!d) lines.push('    no `detected` entry in the ledger');
  else {
    lines.push(`    detected ${when(d.time)}, ${entry(d.seq)}`);
    lines.push(
      ...wrap(
        `from store snapshot ${snapshot(d.storeSnapshot)}${d.commit ? `, at commit ${short(d.commit)}` : ''}`,
        '    ',
      ),
    );
  }
  if (a.lastDetected) {
    lines.push(
      ...wrap(
        `seen again ${when(a.lastDetected.time)} (${entry(a.lastDetected.seq)}), snapshot ${snapshot(a.lastDetected.storeSnapshot)}`,
        '    ',
      ),
    );
  }
  for (const r of a.advisories) {
    lines.push(`    ${r.id}${r.modified ? `, modified ${when(r.modified)}` : ''}`);
  }
  if (a.vex) lines.push(`    VEX: ${a.vex}`);
  if (a.exception) lines.push(`    exception: ${a.exception}`);
  if (a.fixed !== undefined) {
    const state = a.fixed ? 'gone' : 'still there';
    lines.push(`    ${state} ${kept ? 'after the change' : 'in the change as tried (not kept)'}`);
  }
  return lines;
};

const riskText = (r: NonNullable<NonNullable<ChangeStory['plan']>['risk']>): string => {
  const parts = [`${r.step} step`];
  if (r.downgrade) parts.push('downgrade');
  parts.push(r.inRange ? 'in range' : 'out of range');
  if (r.ageDays !== undefined) parts.push(`released ${releasedWhen(r.ageDays)}`);
  if (r.deprecated) parts.push('deprecated');
  if (r.addsInstallScript) parts.push('adds an install script');
  if (r.stillAffectedBy && r.stillAffectedBy.length > 0)
    parts.push(`still affected by ${r.stillAffectedBy.join(', ')}`);
  return parts.join(', ');
};

/** One line per rule that spoke; the caps that set the level marked `*`. */
const reasonLines = (reasons: readonly StoryReason[], decided: number): string[] => {
  const effect = (r: StoryReason): string =>
    r.effect === 'cap' && r.level !== undefined ? `cap ${r.level}` : r.effect;
  const width = Math.max(0, ...reasons.map((r) => r.rule.length));
  const effectWidth = Math.max(0, ...reasons.map((r) => effect(r).length));
  return reasons.flatMap((r) => {
    const mark = r.effect === 'cap' && r.level === decided ? '*' : ' ';
    const head = `  ${mark} ${r.rule.padEnd(width)}  ${effect(r).padEnd(effectWidth)}  `;
    const body = wrap(r.evidence, ' '.repeat(head.length - 2));
    return body.map((line, i) => (i === 0 ? head + line.trimStart() : line));
  });
};

const outcomeVerb: Readonly<Record<StoryOutcome['status'], string>> = {
  merged: 'merged',
  proposed: 'proposed',
  reported: 'reported',
  'held-back': 'held back',
  unproven: 'not proven',
  failed: 'failed',
  tested: 'tested (dry run)',
};

const outcomeLines = (o: StoryOutcome, commit: StoryCommit | undefined): string[] => {
  const lines = wrap(`${outcomeVerb[o.status]} by ${o.actor}, ${when(o.time)}, ${entry(o.seq)}`, '  ');
  const m = o.merged;
  // `merged into main (fast-forward)` says what the `moved to` line says.
  if (o.reason && !(m && o.reason === `merged into ${m.branch} (${m.mode})`))
    lines.push(...wrap(o.reason, '  '));
  if (o.stage) lines.push(`  stopped at: ${o.stage}`);
  if (m) lines.push(`  ${m.branch} moved to ${short(m.commit)} (${m.mode})`);
  if (o.base) lines.push(`  tried on ${short(o.base)}`);
  if (o.commit) lines.push(...commitLines(o.commit, o.branch, commit));
  else if (o.status !== 'reported' && o.status !== 'tested') lines.push('  no commit: nothing was kept');
  return lines;
};

/** The change's commit: what git says of it, or that the repository does not have it. */
const commitLines = (sha: string, branch: string | undefined, c: StoryCommit | undefined): string[] => {
  const head = `  commit ${short(sha)}${branch ? ` on ${branch}` : ''}`;
  if (!c?.found) return wrap(`${head.trim()}: not in this repository`, '  ');
  const lines = [`${head}:`, ...wrap(`"${c.subject ?? ''}"`, '    ')];
  if (c.author) lines.push(...wrap(`by ${c.author}${c.date ? `, ${when(c.date)}` : ''}`, '    '));
  if (c.files && c.files.length > 0) lines.push(...wrap(`files: ${c.files.join(', ')}`, '    '));
  for (const t of c.trailers ?? []) lines.push(...wrap(`${t.key}: ${t.value}`, '    '));
  if (c.onBranch) lines.push(`    ${c.onBranch.contains ? 'on' : 'not on'} ${c.onBranch.branch}`);
  return lines;
};

const eventLines = (e: StoryEvent, all: readonly StoryEvent[] = []): string[] => {
  const at = `${when(e.time)}, ${entry(e.seq)}`;
  if (e.kind === 'rolled-back') {
    const lines = wrap(`rolled back by ${e.actor}, ${at}`, '  ');
    if (e.reason) lines.push(...wrap(`reason: ${e.reason}`, '    '));
    if (e.mergedBy) lines.push(...wrap(`the change had been merged ${e.mergedBy}`, '    '));
    // A revert left on its branch, then a later rollback that landed: that one is the rollback.
    const landedLater = all.find((l) => l.kind === 'rolled-back' && l.seq > e.seq && l.mode === 'merged');
    if (e.revert) {
      lines.push(
        e.mode === 'merged'
          ? `    revert ${short(e.revert)} landed on ${e.branch ?? '?'}`
          : landedLater
            ? `    revert ${short(e.revert)} was left on ${e.branch ?? '?'}, superseded by the rollback of ${entry(landedLater.seq)}`
            : `    revert ${short(e.revert)} waits on ${e.branch ?? '?'}`,
      );
    }
    if (e.deferred) lines.push(...wrap(`not landed: ${e.deferred}`, '    '));
    if (e.quarantine && e.quarantine.length > 0) {
      lines.push(
        ...wrap(`quarantined: ${e.quarantine.map((q) => `${q.name}@${q.version}`).join(', ')}`, '    '),
      );
    }
    return lines;
  }
  if (e.kind === 'quarantine-released') {
    const what = e.released
      ? `${e.released.name}${e.released.version ? `@${e.released.version}` : ' (every version)'}`
      : 'quarantine';
    const lines = wrap(`${what} released by ${e.actor}, ${at}`, '  ');
    if (e.reason) lines.push(...wrap(`reason: ${e.reason}`, '    '));
    return lines;
  }
  const lines = wrap(`${e.kind} by ${e.actor}, ${at}`, '  ');
  const detail = [e.text, e.reason].filter(Boolean).join(': ');
  if (detail) lines.push(...wrap(detail, '    '));
  return lines;
};
