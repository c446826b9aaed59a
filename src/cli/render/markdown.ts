import type { ScanReport } from '../commands/scan.js';
import {
  countText,
  exploitText,
  fixedText,
  hasExploitSignals,
  morePaths,
  pathText,
  priorityText,
  scoreText,
} from './text.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** A Markdown report for pull-request comments and job summaries. */
export const renderMarkdown = (report: ScanReport): string => {
  const s = report.summary;
  const out: string[] = [
    '# PatchPilot scan',
    '',
    `${countText(s.total, 'finding')}: ${s.critical} critical, ${s.high} high, ${s.moderate} moderate, ` +
      `${s.low} low, ${s.unknown} unknown.`,
    '',
  ];
  const exploit = hasExploitSignals(report.findings);
  for (const project of report.projects) {
    out.push(
      `## \`${project.lockfile}\``,
      '',
      `${project.format}, ${countText(project.packages, 'package')}, ${countText(project.findings, 'finding')}.`,
      '',
    );
    const findings = report.findings.filter((f) => f.project === project.path);
    if (findings.length === 0) {
      out.push('No known vulnerabilities.', '');
      continue;
    }
    out.push(
      `| Priority | Severity | Score |${exploit ? ' Exploitation |' : ''} ID | Package | Fixed in | Scope | Path |`,
      `|---|---|---|${exploit ? '---|' : ''}---|---|---|---|---|`,
    );
    for (const f of findings) {
      const id = f.aliases.length > 0 ? `${f.id} (${f.aliases.join(', ')})` : f.id;
      out.push(
        `| ${priorityText(f)} | ${f.kind === 'malicious' ? '**malicious**' : f.severity} | ${scoreText(f)} | ` +
          `${exploit ? `${exploitText(f)} | ` : ''}${cell(id)} | ` +
          `\`${f.package.name}@${f.package.version}\` | ${cell(fixedText(f))} | ` +
          `${f.scope}${f.direct ? '' : ', transitive'} | ${cell(f.paths[0] ? pathText(f.paths[0]) : '-')}${morePaths(f)} |`,
      );
    }
    out.push('');
  }
  out.push(
    `Advisory data: GitHub Advisory Database (CC-BY-4.0) and OSV.dev${exploit ? "; exploitation: FIRST's EPSS and CISA's KEV catalog" : ''}, as imported into the local store.`,
    '',
  );
  return out.join('\n');
};
