import { gateRules } from '../../policy/gate.js';
import type { GateCounts, GateReport, GateReportCheck } from '../commands/gate.js';
import { countText } from './text.js';

// Text from advisories and configuration files goes to a terminal: one line, no control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
export const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();

/** `3 violations (1 malicious, 2 sla-critical)`. */
export const violationsText = (counts: GateCounts): string => {
  const byRule = gateRules
    .filter((r) => counts.failedByRule[r] > 0)
    .map((r) => `${counts.failedByRule[r]} ${r}`);
  return `${countText(counts.failed, 'violation')}${byRule.length > 0 ? ` (${byRule.join(', ')})` : ''}`;
};

/** `GHSA-xxxx minimist@1.2.5`: a check's finding, as a test name or table cell. */
export const checkName = (check: GateReportCheck): string =>
  `${check.finding.id} ${check.finding.package.name}@${check.finding.package.version}`;

/** The gate for a terminal or a CI log: violations first, then what was held back and why. */
export const renderGateText = (report: GateReport): string => {
  const out: string[] = [];
  for (const project of report.projects) {
    const c = project.counts;
    out.push(
      `${project.lockfile} (${project.config ? `config ${project.config}` : 'default gate'}): ` +
        `${project.passed ? 'passed' : 'FAILED'}, ${violationsText(c)}` +
        `${c.suppressed + c.excepted > 0 ? `; ${c.suppressed} suppressed, ${c.excepted} excepted` : ''}` +
        `; ${c.passed} within SLA`,
    );
    const rows = (status: GateReportCheck['status']) => project.checks.filter((ch) => ch.status === status);
    for (const check of rows('failed'))
      out.push(`  FAIL  ${check.rule}  ${checkName(check)}`, `        ${oneLine(check.evidence)}`);
    const held = [...rows('suppressed'), ...rows('excepted')];
    if (held.length > 0) {
      out.push('  not failing:');
      for (const check of held) {
        out.push(
          `  ${check.status === 'suppressed' ? 'VEX ' : 'EXC '}  ${check.rule}  ${checkName(check)}`,
          `        ${oneLine(check.evidence)}`,
        );
      }
    }
    for (const { finding, exception } of project.expiredExceptions) {
      out.push(
        `  EXPIRED exception ${exception.id} (${finding.package.name}@${finding.package.version}) held until ` +
          `${exception.expires}: ${oneLine(exception.reason)} (${oneLine(exception.author)}, ${exception.source}); it no longer applies`,
      );
    }
    for (const exception of project.unusedExceptions) {
      out.push(
        `  note: exception ${exception.id}${exception.package ? ` (${exception.package})` : ''} names no finding of this project` +
          `${exception.expired ? `; it held until ${exception.expires}` : ''}`,
      );
    }
    out.push('');
  }
  if (report.releaseDates.unknown.length > 0) {
    out.push(
      `${report.releaseDates.unknown.length} of ${countText(report.releaseDates.looked, 'fix release date')} unknown; ` +
        `those SLAs count from the advisory's publish date (see the evidence).`,
    );
  }
  out.push(
    `gate ${report.passed ? 'passed' : 'FAILED'} as of ${report.today}: ${violationsText(report.counts)}` +
      `${report.counts.suppressed > 0 ? `, ${report.counts.suppressed} suppressed by VEX` : ''}` +
      `${report.counts.excepted > 0 ? `, ${report.counts.excepted} excepted` : ''}` +
      `${report.counts.expiredExceptions > 0 ? `, ${countText(report.counts.expiredExceptions, 'expired exception')}` : ''}`,
  );
  return `${out.join('\n')}\n`;
};
