import type { Change } from '../../core/change.js';
import { levelText } from '../../core/verdict.js';
import { withoutColours } from '../../util/printable.js';
import type { FixReport } from '../commands/fix.js';

/**
 * `fix`'s report for a terminal: what was merged, proposed (branch names), held back, unproven or
 * failed and why, and what is left.
 */

const moved = (c: Change): string => {
  const parts = c.patch.changes.flatMap((x) =>
    x.kind === 'lock' || x.kind === 'manifest'
      ? [`${x.name} ${x.from ?? '∅'} → ${x.to}`]
      : x.kind === 'override'
        ? [`override ${x.key}${x.to ? ` = ${x.to}` : ' removed'}`]
        : [],
  );
  return parts.join(', ') || c.patch.strategy;
};

const testsLine = (c: Change): string | undefined => {
  const t = c.tests;
  if (!t) return undefined;
  if (!t.ran) return 'tests: none to run (no build or test command)';
  const exercised =
    t.exercised.length > 0 || t.notExercised.length > 0
      ? `; exercised ${t.exercised.length > 0 ? t.exercised.join(', ') : 'none'}${t.notExercised.length > 0 ? `; never loaded ${t.notExercised.join(', ')}` : ''}`
      : '';
  return `tests: ${t.passed ? 'passed' : 'FAILED'} (${t.commands.map((x) => x.command).join(' && ')}, ${(t.durationMs / 1000).toFixed(1)} s)${exercised}`;
};

const proofLine = (c: Change): string | undefined => {
  const p = c.proof;
  if (!p) return undefined;
  if (p.proven) return `proof: gone from every path: ${p.fixed.join(', ')}`;
  return `proof: FAILED${p.stillPresent.length > 0 ? `; still present ${p.stillPresent.join(', ')}` : ''}${p.introduced.length > 0 ? `; new ${p.introduced.join(', ')}` : ''}`;
};

/** The part of a failing command's output worth reading: from the first failure it reports, else its end. */
const excerpt = (output: string, lines: number): string[] => {
  const all = withoutColours(output).trimEnd().split(/\r?\n/);
  const first = all.findIndex((l) => /^\s*(not ok\b|✖|FAIL\b|\d+\) |Error:|npm (ERR!|error))/.test(l));
  const from =
    first >= 0 ? Math.min(first, Math.max(0, all.length - lines)) : Math.max(0, all.length - lines);
  return all.slice(from, from + lines).map((l) => `      | ${l}`);
};

export const renderFixText = (report: FixReport): string => {
  const out: string[] = [];
  const s = report.summary;
  out.push(
    `${report.project}: ${report.lockfile} from ${report.base.commit.slice(0, 12)}${report.base.branch ? ` (${report.base.branch})` : ' (detached)'}${report.dryRun ? ' [dry run]' : ''}`,
  );
  if (report.staleWorktrees.length > 0)
    out.push(`removed ${report.staleWorktrees.length} worktree(s) an earlier run left behind`);
  if (report.staleBranches.length > 0)
    out.push(
      `put back ${report.staleBranches.length} branch(es) an earlier run left with an untested commit: ${report.staleBranches.join(', ')}`,
    );
  out.push('');
  const status =
    (wanted: Change['status']) =>
    (c: Change): boolean =>
      c.status === wanted;
  // A change is held back when its install, its build or its tests failed (or timed out): each
  // under a heading that says which, so that one whose install failed is not said to have failed
  // tests that never ran.
  const heldBackAt =
    (stage: 'install' | 'build' | 'test') =>
    (c: Change): boolean =>
      c.status === 'held-back' &&
      (c.failure?.stage === 'install' || c.failure?.stage === 'build' ? c.failure.stage : 'test') === stage;
  const sections: [string, (c: Change) => boolean][] = [
    ['Merged', status('merged')],
    ['Proposed', status('proposed')],
    ['Tested (dry run)', status('tested')],
    ['Reported', status('reported')],
    ['Held back (install failed)', heldBackAt('install')],
    ['Held back (build failed)', heldBackAt('build')],
    ['Held back (tests failed)', heldBackAt('test')],
    ['Unproven', status('unproven')],
    ['Failed', status('failed')],
  ];
  for (const [title, belongs] of sections) {
    const list = report.changes.filter(belongs);
    if (list.length === 0) continue;
    out.push(`${title} (${list.length}):`);
    for (const c of list) {
      out.push(`  ${c.id}  ${moved(c)}  [${levelText(c.level)}]`);
      out.push(
        `    fixes: ${c.patch.fixes.map((f) => `${f.id} (${f.name}@${f.version})`).join(', ') || 'nothing (override clean-up)'}`,
      );
      if (c.branch) out.push(`    branch: ${c.branch}${c.commit ? ` @ ${c.commit.slice(0, 12)}` : ''}`);
      for (const line of [testsLine(c), proofLine(c)]) if (line) out.push(`    ${line}`);
      out.push(`    ${c.reason}`);
      if (c.failure && (c.status === 'held-back' || c.status === 'failed')) {
        const last = c.commands[c.commands.length - 1];
        if (last && last.output.trim() !== '') {
          out.push(`    output of ${last.command}:`);
          out.push(...excerpt(last.output, 20));
        }
      }
    }
    out.push('');
  }
  if (report.unfixable.length > 0) {
    out.push(`Not fixable (${report.unfixable.length}):`);
    for (const u of report.unfixable)
      out.push(`  ${u.finding.id} ${u.finding.name}@${u.finding.version}: ${u.text}`);
    out.push('');
  }
  out.push(
    `${s.patches} patch(es): ${s.merged} merged, ${s.proposed} proposed, ${s.reported} reported${report.dryRun ? `, ${s.tested} tested` : ''}, ${s['held-back']} held back, ${s.unproven} unproven, ${s.failed} failed; ${s.unfixable} finding(s) not fixable`,
  );
  if (report.written && report.written.length > 0) out.push(`written in place: ${report.written.join(', ')}`);
  if (report.ledger) out.push(`ledger: ${report.ledger}`);
  return `${out.join('\n')}\n`;
};
