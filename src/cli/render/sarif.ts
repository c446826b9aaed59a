import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding } from '../../core/finding.js';
import type { ScanReport } from '../commands/scan.js';
import { exceptionDetail, fixedText, pathText, vexDetail } from './text.js';

/**
 * SARIF 2.1.0: one rule per vulnerability id, one result per finding, located at the lockfile.
 * `security-severity` carries the CVSS score so code-scanning UIs rank results.
 */
const level = (f: Finding): 'error' | 'warning' | 'note' =>
  f.kind === 'malicious' || f.severity === 'critical' || f.severity === 'high'
    ? 'error'
    : f.severity === 'moderate'
      ? 'warning'
      : 'note';

/**
 * A malicious package is as severe as it gets, whatever its record says (most MAL- records state
 * no severity). An unknown severity gets none: code scanning reads 0.0 as "none" and would rank
 * the finding below every other.
 */
const securitySeverity = (f: Finding): string | undefined => {
  if (f.kind === 'malicious') return '10.0';
  if (f.cvssScore !== undefined) return f.cvssScore.toFixed(1);
  return { critical: '9.5', high: '8.0', moderate: '5.5', low: '2.0', unknown: undefined }[f.severity];
};

/**
 * The project part of a result's fingerprint: its folder, and for a folder with several
 * lockfiles, the lockfile too (results of one folder's lockfiles never collide).
 */
export const projectKey = (
  projects: readonly { readonly path: string }[],
): ((path: string, lockfile: string) => string) => {
  const lockfilesIn = new Map<string, number>();
  for (const p of projects) lockfilesIn.set(p.path, (lockfilesIn.get(p.path) ?? 0) + 1);
  return (path, lockfile) => ((lockfilesIn.get(path) ?? 0) > 1 ? `${path}|${lockfile}` : path);
};

/**
 * A lockfile's location: relative to the source root (the working folder) when it lies below it,
 * percent-encoded as a URI reference; an absolute file: URI otherwise.
 */
export const artifactLocation = (lockfile: string, cwd: string): { uri: string; uriBaseId?: string } => {
  if (lockfile === '..' || lockfile.startsWith('../'))
    return { uri: pathToFileURL(resolve(cwd, lockfile)).href };
  return { uri: lockfile.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
};

const helpUri = (id: string): string => `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;

export const renderSarif = (report: ScanReport, cwd: string): string => {
  const rules = new Map<string, object>();
  const ruleIndex = new Map<string, number>();
  for (const f of report.findings) {
    if (ruleIndex.has(f.id)) continue;
    ruleIndex.set(f.id, rules.size);
    rules.set(f.id, {
      id: f.id,
      name: f.kind === 'malicious' ? 'MaliciousPackage' : 'VulnerableDependency',
      shortDescription: { text: f.summary ?? `${f.id} in ${f.package.name}` },
      helpUri: helpUri(f.id),
      help: { text: `See ${helpUri(f.id)}. Aliases: ${f.aliases.join(', ') || 'none'}.` },
      properties: {
        tags: ['security', 'dependency', f.kind],
        ...(securitySeverity(f) === undefined ? {} : { 'security-severity': securitySeverity(f) }),
        aliases: f.aliases,
      },
    });
  }
  const where = projectKey(report.projects);
  const results = report.findings.map((f) => {
    return {
      ruleId: f.id,
      ruleIndex: ruleIndex.get(f.id),
      level: level(f),
      message: {
        text:
          `${f.package.name}@${f.package.version} is affected by ${f.id}` +
          `${f.summary ? ` (${f.summary})` : ''}. ` +
          `${f.remedy ? `What to do: ${f.remedy.text}. ` : `Fixed in: ${fixedText(f)}. `}` +
          `Scope: ${f.scope}, ${f.direct ? 'direct' : 'transitive'}. ` +
          `Path: ${f.paths[0] ? pathText(f.paths[0]) : '-'}.` +
          `${f.vex ? ` VEX: ${vexDetail(f)}.` : ''}`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: artifactLocation(f.lockfile, cwd),
          },
          logicalLocations: [{ name: `${f.package.name}@${f.package.version}`, kind: 'package' }],
        },
      ],
      partialFingerprints: {
        'patchpilot/v1': `${f.id}|${f.package.name}@${f.package.version}|${where(f.project, f.lockfile)}`,
      },
      // A not_affected VEX statement is a suppression made outside the code, accepted by whoever
      // wrote it; so is an exception of the project's configuration while it holds.
      ...(f.vex?.suppressed || (f.exception && !f.exception.expired)
        ? {
            suppressions: [
              ...(f.vex?.suppressed
                ? [{ kind: 'external', status: 'accepted', justification: vexDetail(f) }]
                : []),
              ...(f.exception && !f.exception.expired
                ? [{ kind: 'external', status: 'accepted', justification: exceptionDetail(f) }]
                : []),
            ],
          }
        : {}),
      properties: {
        severity: f.severity,
        cvssScore: f.cvssScore,
        purl: f.package.purl,
        fixedIn: f.fixedIn,
        scope: f.scope,
        direct: f.direct,
        paths: f.paths,
        pathCount: f.pathCount,
        ...(f.epss ? { epss: f.epss } : {}),
        ...(f.kev ? { kev: f.kev } : {}),
        ...(f.priority ? { priority: f.priority } : {}),
        ...(f.remedy ? { remedy: f.remedy } : {}),
        ...(f.vex ? { vex: f.vex } : {}),
        ...(f.exception ? { exception: f.exception } : {}),
      },
    };
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'PatchPilot',
            version: report.tool.version,
            rules: [...rules.values()],
          },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
};
