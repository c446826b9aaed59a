import type { PlanVerdicts } from '../../policy/index.js';
import type { PlanReport } from '../commands/plan.js';
import { oneLine } from './gate-text.js';
import { markdownCell, markdownCode } from './markdown-text.js';
import {
  alsoFixedText,
  findingText,
  ignoredText,
  patchesFix,
  patchHeadline,
  planLine,
  quarantineText,
  remainText,
  riskText,
} from './plan-text.js';
import { countText } from './text.js';
import { verdictLine } from './verdict.js';

const verdictOf = (verdicts: PlanVerdicts, id: string): string => {
  const verdict = verdicts.patches[id];
  return verdict ? verdictLine(verdict) : '-';
};

/** Table cells hold registry and advisory text: no pipes, line breaks or HTML. */
const cell = (text: string): string => markdownCell(oneLine(text));

/** The plan for a pull-request comment or a job summary. */
export const renderPlanMarkdown = (report: PlanReport): string => {
  const s = report.summary;
  const out: string[] = [
    '# PatchPilot plan',
    '',
    `${patchesFix(s.patches)} ${s.fixed} of ${countText(s.targeted, 'finding')} planned for${alsoFixedText(s.alsoFixed)}; ` +
      `${remainText(s.remaining)}, ${s.unfixable} unfixable. Nothing was changed${s.patches > 0 ? ': apply the patches in order' : ''}.`,
    '',
  ];
  for (const project of report.projects) {
    const plan = project.plan;
    out.push(`## ${markdownCode(project.lockfile)}`, '', `${planLine(plan)}.`, '');
    const ignored = ignoredText(plan);
    if (ignored) out.push(`Not planned for: ${ignored}.`, '');
    const quarantine = quarantineText(project.quarantined);
    if (quarantine.heldOut) out.push(`Quarantined, never proposed: ${cell(quarantine.heldOut)}.`, '');
    if (quarantine.installed)
      out.push(`Quarantined but installed (still resolved): ${cell(quarantine.installed)}.`, '');
    if (plan.patches.length > 0) {
      out.push('| # | strategy | change | fixes | risk | level |', '|---|---|---|---|---|---|');
      plan.patches.forEach((patch, i) => {
        const { main, also } = patchHeadline(patch);
        const change = [...main, ...(also.length > 0 ? [`also ${also.join(', ')}`] : [])]
          .map(cell)
          .join('<br>');
        out.push(
          `| ${i + 1} | ${patch.strategy} | ${change} | ${patch.fixes.map((f) => cell(findingText(f))).join('<br>')} | ${riskText(patch.risk).map(cell).join(', ')} | ${cell(verdictOf(project.verdicts, patch.id))} |`,
        );
      });
      out.push('');
    }
    if (plan.unfixable.length > 0) {
      out.push('### Unfixable', '', '| finding | reason | why | instead |', '|---|---|---|---|');
      for (const u of plan.unfixable) {
        out.push(
          `| ${cell(findingText(u.finding))} | ${u.reason} | ${cell(u.text)} | ${u.alternatives.map((a) => cell(a.text)).join('<br>') || '-'} |`,
        );
      }
      out.push('');
    }
    if (plan.overrides.length > 0 || plan.staleOverrides.length > 0) {
      out.push('### Overrides of the project', '');
      for (const note of plan.overrides) out.push(`- ${cell(note.text)}`);
      for (const stale of plan.staleOverrides) out.push(`- ${cell(stale.text)}`);
      out.push('');
    }
    out.push('### Left after the plan', '');
    if (plan.remaining.length === 0) out.push('Nothing.');
    for (const f of plan.remaining) out.push(`- ${cell(findingText(f))}`);
    out.push('');
  }
  return `${out.join('\n')}`;
};
