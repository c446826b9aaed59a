import { printable } from '../../util/printable.js';
import type { ScanReport } from '../commands/scan.js';
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

const pad = (text: string, width: number): string => text + ' '.repeat(Math.max(0, width - text.length));

/** The default human-readable report: one block per project, one row per finding. */
export const renderTable = (report: ScanReport): string => {
  const out: string[] = [];
  const exploit = hasExploitSignals(report.findings);
  const vex = hasVex(report.findings);
  for (const project of report.projects) {
    const findings = report.findings.filter((f) => f.lockfile === project.lockfile);
    out.push(
      `${printable(project.lockfile)} (${project.format}): ${countText(project.packages, 'package')}, ` +
        `${countText(project.findings, 'finding')}${suppressedText(findings)}`,
    );
    // One line per finding, whatever a name from the lockfile holds.
    const rows = findings.map((f) =>
      [
        priorityText(f),
        f.kind === 'malicious' ? 'MALICIOUS' : f.severity,
        scoreText(f),
        ...(exploit ? [exploitText(f)] : []),
        f.id,
        `${f.package.name}@${f.package.version}`,
        fixedText(f),
        `${f.scope}${f.direct ? '' : ' (transitive)'}`,
        ...(vex ? [vexText(f)] : []),
        `${f.paths[0] ? pathText(f.paths[0]) : '-'}${morePaths(f)}`,
      ].map(printable),
    );
    if (rows.length === 0) {
      out.push('  no known vulnerabilities', '');
      continue;
    }
    const header = [
      'PRIORITY',
      'SEVERITY',
      'SCORE',
      ...(exploit ? ['EXPLOIT'] : []),
      'ID',
      'PACKAGE',
      'FIXED IN',
      'SCOPE',
      ...(vex ? ['VEX'] : []),
      'PATH',
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    for (const row of [header, ...rows]) {
      out.push(
        `  ${row.map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i] as number))).join('  ')}`,
      );
    }
    const stated = findings.filter((f) => f.vex !== undefined);
    if (stated.length > 0) out.push('  VEX:', ...stated.map((f) => `    ${vexDetail(f)}`));
    const excepted = findings.filter((f) => f.exception !== undefined);
    if (excepted.length > 0) out.push('  Exceptions:', ...excepted.map((f) => `    ${exceptionDetail(f)}`));
    out.push('');
  }
  const s = report.summary;
  out.push(
    `${countText(s.total, 'finding')}: ${s.critical} critical, ${s.high} high, ${s.moderate} moderate, ` +
      `${s.low} low, ${s.unknown} unknown${s.suppressed > 0 ? `, ${s.suppressed} suppressed by VEX` : ''}` +
      `${s.excepted > 0 ? `, ${s.excepted} excepted` : ''} ` +
      `(store: ${report.store.advisories} advisories)`,
  );
  return `${out.join('\n')}\n`;
};
