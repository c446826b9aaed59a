import type { GateReport, GateReportCheck } from '../commands/gate.js';
import { violationsText } from './gate-text.js';
import { markdownCell, markdownCode } from './markdown-text.js';

const cell = markdownCell;

const row = (check: GateReportCheck): string =>
  `| ${check.rule} | ${cell(check.finding.id)} | ${markdownCode(`${check.finding.package.name}@${check.finding.package.version}`, true)} | ` +
  `${check.finding.scope} | ${cell(check.evidence)} |`;

/** The gate as a pull-request comment or a job summary. */
export const renderGateMarkdown = (report: GateReport): string => {
  const c = report.counts;
  const out: string[] = [
    `## PatchPilot gate: ${report.passed ? 'passed' : '**failed**'}`,
    '',
    `${violationsText(c)} as of ${report.today}` +
      `${c.suppressed + c.excepted > 0 ? `; ${c.suppressed} suppressed by VEX and ${c.excepted} excepted, listed below` : ''}` +
      `${c.expiredExceptions > 0 ? `; ${c.expiredExceptions} expired exception${c.expiredExceptions === 1 ? '' : 's'}` : ''}.`,
    '',
  ];
  for (const project of report.projects) {
    const failed = project.checks.filter((ch) => ch.status === 'failed');
    const held = project.checks.filter((ch) => ch.status === 'suppressed' || ch.status === 'excepted');
    out.push(
      `### ${markdownCode(project.lockfile)}`,
      '',
      `${project.passed ? 'Passed' : 'Failed'}: ${violationsText(project.counts)}; ${project.counts.passed} within SLA` +
        ` (${project.config ? `configuration ${markdownCode(project.config)}` : 'default gate'}).`,
      '',
    );
    if (failed.length > 0) {
      out.push('| Rule | ID | Package | Scope | Evidence |', '|---|---|---|---|---|', ...failed.map(row), '');
    }
    if (held.length > 0) {
      out.push(
        '<details>',
        `<summary>Not failing: ${held.length} suppressed or excepted</summary>`,
        '',
        '| Rule | ID | Package | Scope | Evidence |',
        '|---|---|---|---|---|',
        ...held.map(row),
        '',
        '</details>',
        '',
      );
    }
    if (project.expiredExceptions.length > 0) {
      out.push(
        'Expired exceptions (they no longer apply):',
        '',
        ...project.expiredExceptions.map(
          ({ finding, exception }) =>
            `- ${cell(exception.id)} for ${markdownCode(`${finding.package.name}@${finding.package.version}`)}: held until ` +
            `${exception.expires} (${cell(exception.author)}: ${cell(exception.reason)})`,
        ),
        '',
      );
    }
    if (project.unusedExceptions.length > 0) {
      out.push(
        'Exceptions that name no finding of this project (left over?):',
        '',
        ...project.unusedExceptions.map(
          (exception) =>
            `- ${cell(exception.id)}${exception.package ? ` for ${markdownCode(exception.package)}` : ''}: ` +
            `${exception.expired ? 'held until' : 'expires'} ${exception.expires} (${cell(exception.author)}: ${cell(exception.reason)})`,
        ),
        '',
      );
    }
  }
  if (report.releaseDates.unknown.length > 0) {
    out.push(
      `${report.releaseDates.unknown.length} of ${report.releaseDates.looked} fix release dates could not be had from the registry; ` +
        `those SLAs count from the advisory's publish date.`,
      '',
    );
  }
  const kev = report.projects.some((p) => p.checks.some((c) => c.finding.kev !== undefined));
  out.push(
    `Advisory data: GitHub Advisory Database (CC-BY-4.0) and OSV.dev${kev ? "; exploitation: CISA's KEV catalog" : ''}, as imported into the local store.`,
    '',
  );
  return out.join('\n');
};
