import type { GateReport, GateReportCheck } from '../commands/gate.js';
import { checkName } from './gate-text.js';

/**
 * The gate as JUnit XML, the format CI systems (Jenkins, GitLab, Azure Pipelines, GitHub test
 * reporters) show as tests: one `testsuite` per project, one `testcase` per rule and finding checked
 * (`classname` the rule), a `failure` for a violation and `skipped` for a suppressed or excepted
 * one. A project with nothing to check gets one passing test case, so that an empty report is not
 * mistaken for a missing one.
 */

// Characters XML 1.0 forbids altogether; everything else is escaped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const forbidden = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const clean = (text: string): string => text.replace(forbidden, '').replace(lone, '\ufffd');

export const escapeText = (text: string): string =>
  clean(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const escapeAttribute = (text: string): string =>
  escapeText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');

const attributes = (values: Record<string, string | number | undefined>): string =>
  Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttribute(String(v))}"`)
    .join('');

const testcase = (check: GateReportCheck): string[] => {
  const open = `    <testcase${attributes({ classname: `patchpilot.gate.${check.rule}`, name: checkName(check), time: '0' })}`;
  if (check.status === 'passed') return [`${open}/>`];
  if (check.status === 'failed') {
    return [
      `${open}>`,
      `      <failure${attributes({ type: check.rule, message: check.evidence })}>${escapeText(failureBody(check))}</failure>`,
      '    </testcase>',
    ];
  }
  return [`${open}>`, `      <skipped${attributes({ message: check.evidence })}/>`, '    </testcase>'];
};

/** The failure's text: the evidence, then what identifies the finding, one fact a line. */
const failureBody = (check: GateReportCheck): string => {
  const f = check.finding;
  return [
    check.evidence,
    `rule: ${check.rule}`,
    `vulnerability: ${f.id}${f.aliases.length > 0 ? ` (${f.aliases.join(', ')})` : ''}`,
    `package: ${f.package.name}@${f.package.version} (${f.scope}${f.direct ? ', direct' : ''})`,
    ...(f.fixedIn.length > 0 ? [`fixed in: ${f.fixedIn.join(', ')}`] : []),
    ...(check.due ? [`due: ${check.due}`] : []),
    ...(f.path.length > 0 ? [`path: ${f.path.join(' > ')}`] : []),
  ].join('\n');
};

export const renderGateJunit = (report: GateReport): string => {
  const c = report.counts;
  const total = (counts: { failed: number; passed: number; suppressed: number; excepted: number }) =>
    counts.failed + counts.passed + counts.suppressed + counts.excepted;
  const suites = report.projects.map((project) => {
    const p = project.counts;
    const empty = project.checks.length === 0;
    return [
      `  <testsuite${attributes({
        name: project.lockfile,
        tests: empty ? 1 : total(p),
        failures: p.failed,
        errors: 0,
        skipped: p.suppressed + p.excepted,
        time: '0',
        timestamp: report.generatedAt?.slice(0, 19),
      })}>`,
      '    <properties>',
      `      <property${attributes({ name: 'today', value: report.today })}/>`,
      `      <property${attributes({ name: 'config', value: project.config ?? '(default gate)' })}/>`,
      ...project.expiredExceptions.map(
        ({ finding, exception }) =>
          `      <property${attributes({
            name: 'expired-exception',
            value: `${exception.id} ${finding.package.name}@${finding.package.version} held until ${exception.expires}`,
          })}/>`,
      ),
      '    </properties>',
      ...(empty
        ? [
            `    <testcase${attributes({ classname: 'patchpilot.gate', name: 'no finding to check', time: '0' })}/>`,
          ]
        : project.checks.flatMap(testcase)),
      '  </testsuite>',
    ].join('\n');
  });
  const tests = report.projects.reduce((n, p) => n + (p.checks.length === 0 ? 1 : total(p.counts)), 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: 'patchpilot gate', tests, failures: c.failed, errors: 0, time: '0' })}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
};
