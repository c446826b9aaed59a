import type { Change } from '../../core/change.js';
import { overrideField } from '../../core/plan.js';
import { levelText } from '../../core/verdict.js';
import { withoutColours } from '../../util/printable.js';
import type { FixReport } from '../commands/fix.js';
import { markdownCell, markdownCode } from './markdown-text.js';

/** `fix`'s report for humans (`--report FILE`, `--format markdown`): a section per change, with its evidence. */

const cell = markdownCell;

/** A fenced block longer than any run of backticks in the text: the text cannot close it. */
const fence = (text: string): string => {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}\n${text.trimEnd()}\n${ticks}`;
};

const list = (items: readonly string[]): string => items.map(cell).join(', ') || 'none';

const section = (c: Change): string[] => {
  const out: string[] = [`### ${c.id}: ${c.status}`, ''];
  out.push(`- Strategy: ${c.patch.strategy}; level ${levelText(c.level)}`);
  for (const x of c.patch.changes) {
    if (x.kind === 'lock' || x.kind === 'manifest')
      out.push(`- ${markdownCode(x.name)}: ${cell(x.from ?? 'none')} → ${cell(x.to)} (${x.step})`);
    else if (x.kind === 'override')
      out.push(
        `- ${overrideField(x.manager)} ${markdownCode(x.key)}: ${x.action}${x.to ? ` ${cell(x.to)}` : ''}`,
      );
  }
  out.push(`- Fixes: ${list(c.patch.fixes.map((f) => `${f.id} (${f.name}@${f.version})`))}`);
  if (c.branch)
    out.push(`- Branch: ${markdownCode(c.branch)}${c.commit ? ` at \`${c.commit.slice(0, 12)}\`` : ''}`);
  if (c.merged)
    out.push(
      `- Merged into ${markdownCode(c.merged.branch)} (${c.merged.mode}) at \`${c.merged.commit.slice(0, 12)}\``,
    );
  if (c.tests) {
    if (!c.tests.ran) out.push('- Tests: none to run (no build or test command)');
    else {
      out.push(
        `- Tests: ${c.tests.passed ? 'passed' : '**failed**'} in ${(c.tests.durationMs / 1000).toFixed(1)} s`,
      );
      out.push(
        `- Exercised by the tests: ${list(c.tests.exercised)}; never loaded: ${list(c.tests.notExercised)}`,
      );
    }
  }
  if (c.proof) {
    out.push(
      c.proof.proven
        ? `- Proof of fix: gone from every path (${list(c.proof.fixed)})`
        : `- Proof of fix: **failed**; still present: ${list(c.proof.stillPresent)}; new: ${list(c.proof.introduced)}`,
    );
  }
  out.push(`- Why: ${cell(c.reason)}`);
  const reasons = c.verdict.reasons.filter((r) => r.effect !== 'info');
  if (reasons.length > 0) {
    out.push('', '| Rule | Effect | Evidence |', '| --- | --- | --- |');
    for (const r of reasons)
      out.push(`| ${r.rule} | ${r.effect}${r.level ? ` ${r.level}` : ''} | ${cell(r.evidence)} |`);
  }
  const failing = c.failure ? c.commands[c.commands.length - 1] : undefined;
  if (failing && failing.output.trim() !== '')
    out.push('', `Output of ${markdownCode(failing.command)}:`, '', fence(withoutColours(failing.output)));
  out.push('');
  return out;
};

export const renderFixMarkdown = (report: FixReport): string => {
  const s = report.summary;
  const out: string[] = [`# PatchPilot fix: ${cell(report.project)}`, ''];
  out.push(
    `Lockfile ${markdownCode(report.lockfile)}, from \`${report.base.commit.slice(0, 12)}\`${report.base.branch ? ` on ${markdownCode(report.base.branch)}` : ''}${report.dryRun ? ' (dry run: nothing committed or merged)' : ''}.`,
    '',
  );
  out.push(
    '| Merged | Proposed | Reported | Tested (dry run) | Held back | Unproven | Failed | Not fixable |',
  );
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  out.push(
    `| ${s.merged} | ${s.proposed} | ${s.reported} | ${s.tested} | ${s['held-back']} | ${s.unproven} | ${s.failed} | ${s.unfixable} |`,
    '',
  );
  if (report.changes.length > 0) {
    out.push('## Changes', '');
    for (const c of report.changes) out.push(...section(c));
  }
  if (report.unfixable.length > 0) {
    out.push('## Not fixable', '');
    for (const u of report.unfixable)
      out.push(`- ${cell(`${u.finding.id} (${u.finding.name}@${u.finding.version}): ${u.text}`)}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
};
