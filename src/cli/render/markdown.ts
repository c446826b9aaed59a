import type { ScanReport } from '../commands/scan.js';
import { markdownCell, markdownCode } from './markdown-text.js';
import {
  countText,
  exceptionDetail,
  exploitText,
  fixedText,
  hasExploitSignals,
  hasVex,
  morePaths,
  pathText,
  priorityText,
  scoreText,
  suppressedText,
  vexDetail,
  vexText,
} from './text.js';

const cell = markdownCell;
/** Text from a VEX document, shown as written (`Jane <jane@example.org>`). */
const plain = markdownCell;

/** GitHub refuses a comment longer than this many characters (and a job summary step's 1 MiB). */
export const MARKDOWN_LIMIT = 65_536;
/** Room kept for what follows the rows of the last project shown: the notes and the footer. */
const RESERVE = 4_096;

/**
 * A Markdown report for pull-request comments and job summaries. It stays within `limit`
 * characters: rows that do not fit are left out, lowest priority last, and each project says how
 * many of its findings are not shown.
 */
export const renderMarkdown = (report: ScanReport, limit = MARKDOWN_LIMIT): string => {
  const s = report.summary;
  const out: string[] = [
    '# PatchPilot scan',
    '',
    `${countText(s.total, 'finding')}: ${s.critical} critical, ${s.high} high, ${s.moderate} moderate, ` +
      `${s.low} low, ${s.unknown} unknown${s.suppressed > 0 ? `; ${s.suppressed} suppressed by VEX` : ''}` +
      `${s.excepted > 0 ? `; ${s.excepted} excepted` : ''}.`,
    '',
  ];
  const exploit = hasExploitSignals(report.findings);
  const vex = hasVex(report.findings);
  let size = out.reduce((n, line) => n + line.length + 1, 0);
  let full = false;
  const push = (...lines: string[]): void => {
    for (const line of lines) size += line.length + 1;
    out.push(...lines);
  };
  for (const project of report.projects) {
    const all = report.findings.filter((f) => f.lockfile === project.lockfile);
    push(
      `## ${markdownCode(project.lockfile)}`,
      '',
      `${project.format}, ${countText(project.packages, 'package')}, ${countText(project.findings, 'finding')}${suppressedText(all)}.`,
      '',
    );
    if (all.length === 0) {
      push('No known vulnerabilities.', '');
      continue;
    }
    const findings: typeof all = [];
    push(
      `| Priority | Severity | Score |${exploit ? ' Exploitation |' : ''} ID | Package | Fixed in | Scope |${vex ? ' VEX |' : ''} Path |`,
      `|---|---|---|${exploit ? '---|' : ''}---|---|---|---|${vex ? '---|' : ''}---|`,
    );
    for (const f of all) {
      const id = f.aliases.length > 0 ? `${f.id} (${f.aliases.join(', ')})` : f.id;
      const row =
        `| ${priorityText(f)} | ${f.kind === 'malicious' ? '**malicious**' : f.severity} | ${scoreText(f)} | ` +
        `${exploit ? `${exploitText(f)} | ` : ''}${cell(id)} | ` +
        `${markdownCode(`${f.package.name}@${f.package.version}`, true)} | ${cell(fixedText(f))} | ` +
        `${f.scope}${f.direct ? '' : ', transitive'} | ` +
        `${vex ? `${f.vex?.suppressed ? `**${cell(vexText(f))}**` : cell(vexText(f))} | ` : ''}` +
        `${cell(f.paths[0] ? pathText(f.paths[0]) : '-')}${morePaths(f)} |`;
      // The VEX statement or exception of a row is listed under the table too: counted with it.
      const notes =
        (f.vex ? plain(vexDetail(f)).length + 3 : 0) +
        (f.exception ? plain(exceptionDetail(f)).length + 3 : 0);
      if (full || size + row.length + 1 + notes > limit - RESERVE) {
        full = true;
        continue;
      }
      size += notes;
      push(row);
      findings.push(f);
    }
    if (findings.length < all.length) {
      const left = all.length - findings.length;
      push(
        '',
        `_${countText(left, 'more finding')} of lower priority ${left === 1 ? 'is' : 'are'} not shown: the report would be too long for a comment. \`patchpilot scan --json\` lists every one._`,
      );
    }
    const stated = findings.filter((f) => f.vex !== undefined);
    if (stated.length > 0) {
      push('', 'VEX statements:', '', ...stated.map((f) => `- ${plain(vexDetail(f))}`));
    }
    const excepted = findings.filter((f) => f.exception !== undefined);
    if (excepted.length > 0) {
      push('', 'Exceptions:', '', ...excepted.map((f) => `- ${plain(exceptionDetail(f))}`));
    }
    push('');
  }
  out.push(
    `Advisory data: GitHub Advisory Database (CC-BY-4.0) and OSV.dev${exploit ? "; exploitation: FIRST's EPSS and CISA's KEV catalog" : ''}, as imported into the local store.`,
    '',
  );
  return out.join('\n');
};
