import { type GateRule, gateRules, gateRuleText } from '../../policy/gate.js';
import type { GateReport, GateReportCheck } from '../commands/gate.js';
import { artifactLocation, projectKey } from './sarif.js';

/**
 * The gate as SARIF 2.1.0: one rule per gate rule, one result per violation (level `error`), and
 * one per suppressed or excepted check, carrying an accepted external suppression so that
 * code-scanning UIs list it as dismissed. Checks that pass are left out.
 */
const securitySeverity: Readonly<Record<GateRule, string>> = {
  malicious: '10.0',
  kev: '9.5',
  'sla-critical': '9.0',
  'sla-high': '7.5',
  'sla-moderate': '5.0',
  'sla-low': '2.0',
};

const suppression = (check: GateReportCheck): object[] => {
  if (check.status === 'suppressed') {
    const vex = check.finding.vex;
    return [
      {
        kind: 'external',
        status: 'accepted',
        justification: `VEX not_affected${vex?.justification ? `: ${vex.justification}` : ''}${vex?.author ? `, by ${vex.author}` : ''}`,
      },
    ];
  }
  if (check.status === 'excepted') {
    const e = check.finding.exception;
    return [
      {
        kind: 'external',
        status: 'accepted',
        justification: `exception until ${e?.expires} by ${e?.author}: ${e?.reason}`,
      },
    ];
  }
  return [];
};

export const renderGateSarif = (report: GateReport, cwd: string): string => {
  const where = projectKey(report.projects);
  const results = report.projects.flatMap((project) =>
    project.checks
      .filter((check) => check.status !== 'passed')
      .map((check) => {
        const f = check.finding;
        return {
          ruleId: check.rule,
          ruleIndex: gateRules.indexOf(check.rule),
          level: 'error',
          message: { text: check.evidence },
          locations: [
            {
              physicalLocation: { artifactLocation: artifactLocation(project.lockfile, cwd) },
              logicalLocations: [{ name: `${f.package.name}@${f.package.version}`, kind: 'package' }],
            },
          ],
          partialFingerprints: {
            'patchpilot/gate/v1': `${check.rule}|${f.id}|${f.package.name}@${f.package.version}|${where(project.path, project.lockfile)}`,
          },
          ...(check.status === 'failed' ? {} : { suppressions: suppression(check) }),
          properties: {
            status: check.status,
            id: f.id,
            aliases: f.aliases,
            severity: f.severity,
            purl: f.package.purl,
            scope: f.scope,
            fixedIn: f.fixedIn,
            ...(check.since ? { since: check.since } : {}),
            ...(check.due ? { due: check.due } : {}),
            ...(check.daysOverdue !== undefined ? { daysOverdue: check.daysOverdue } : {}),
            ...(check.fix ? { fix: check.fix } : {}),
            ...(f.kev ? { kev: f.kev } : {}),
            ...(f.exception ? { exception: f.exception } : {}),
            ...(f.vex ? { vex: f.vex } : {}),
          },
        };
      }),
  );
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'PatchPilot gate',
            version: report.tool.version,
            rules: gateRules.map((rule) => ({
              id: rule,
              name: rule
                .split('-')
                .map((w) =>
                  w === 'sla' || w === 'kev' ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1),
                )
                .join(''),
              shortDescription: { text: gateRuleText[rule] },
              defaultConfiguration: { level: 'error' },
              properties: {
                tags: ['security', 'dependency', 'gate'],
                'security-severity': securitySeverity[rule],
              },
            })),
          },
        },
        ...(report.generatedAt
          ? { invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }] }
          : {}),
        results,
        properties: { passed: report.passed, today: report.today },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};
