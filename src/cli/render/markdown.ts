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

/** A Markdown report for pull-request comments and job summaries. */
export const renderMarkdown = (report: ScanReport): string => {
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
  for (const project of report.projects) {
    const findings = report.findings.filter((f) => f.lockfile === project.lockfile);
    out.push(
      `## ${markdownCode(project.lockfile)}`,
      '',
      `${project.format}, ${countText(project.packages, 'package')}, ${countText(project.findings, 'finding')}${suppressedText(findings)}.`,
      '',
    );
    if (findings.length === 0) {
      out.push('No known vulnerabilities.', '');
      continue;
    }
    out.push(
      `| Priority | Severity | Score |${exploit ? ' Exploitation |' : ''} ID | Package | Fixed in | Scope |${vex ? ' VEX |' : ''} Path |`,
      `|---|---|---|${exploit ? '---|' : ''}---|---|---|---|${vex ? '---|' : ''}---|`,
    );
    for (const f of findings) {
      const id = f.aliases.length > 0 ? `${f.id} (${f.aliases.join(', ')})` : f.id;
      out.push(
        `| ${priorityText(f)} | ${f.kind === 'malicious' ? '**malicious**' : f.severity} | ${scoreText(f)} | ` +
          `${exploit ? `${exploitText(f)} | ` : ''}${cell(id)} | ` +
          `${markdownCode(`${f.package.name}@${f.package.version}`, true)} | ${cell(fixedText(f))} | ` +
          `${f.scope}${f.direct ? '' : ', transitive'} | ` +
          `${vex ? `${f.vex?.suppressed ? `**${cell(vexText(f))}**` : cell(vexText(f))} | ` : ''}` +
          `${cell(f.paths[0] ? pathText(f.paths[0]) : '-')}${morePaths(f)} |`,
      );
    }
    const stated = findings.filter((f) => f.vex !== undefined);
    if (stated.length > 0) {
      out.push('', 'VEX statements:', '', ...stated.map((f) => `- ${plain(vexDetail(f))}`));
    }
    const excepted = findings.filter((f) => f.exception !== undefined);
    if (excepted.length > 0) {
      out.push('', 'Exceptions:', '', ...excepted.map((f) => `- ${plain(exceptionDetail(f))}`));
    }
    out.push('');
  }
  out.push(
    `Advisory data: GitHub Advisory Database (CC-BY-4.0) and OSV.dev${exploit ? "; exploitation: FIRST's EPSS and CISA's KEV catalog" : ''}, as imported into the local store.`,
    '',
  );
  return out.join('\n');
};
