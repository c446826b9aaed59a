import type { Finding } from '../../core/finding.js';
import { overrideField, type PackageChange } from '../../core/plan.js';
import { printable } from '../../util/printable.js';

/** Shared wording for the human-readable renderers. */
/** A dependency path on one line: a name with a line break in it (a crafted lockfile) cannot fake another. */
export const pathText = (path: readonly string[]): string => path.map(printable).join(' > ');

export const morePaths = (finding: Finding): string => {
  const extra = finding.pathCount - finding.paths.length;
  if (extra <= 0) return finding.pathsComplete ? '' : ' (and more)';
  return ` (+${extra}${finding.pathsComplete ? '' : '+'} more)`;
};

export const scoreText = (finding: Finding): string =>
  finding.cvssScore === undefined ? '-' : finding.cvssScore.toFixed(1);

export const fixedText = (finding: Finding): string => {
  const remedy = finding.remedy;
  if (remedy?.action === 'remove') return 'remove';
  if (remedy?.action === 'upgrade') return `${remedy.version} or remove`;
  if (remedy?.action === 'replace') return `not ${remedy.affected}, or remove`;
  if (finding.fixedIn.length > 0) return finding.fixedIn.join(', ');
  return finding.kind === 'malicious' ? 'remove' : 'no fix';
};

export const countText = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `KEV, EPSS 97.6%`: whether CISA lists the vulnerability as exploited, and FIRST's EPSS score. */
export const exploitText = (finding: Finding): string => {
  const parts: string[] = [];
  if (finding.kev) parts.push(finding.kev.ransomware === 'Known' ? 'KEV (ransomware)' : 'KEV');
  if (finding.epss) {
    const percent = finding.epss.score * 100;
    parts.push(`EPSS ${percent.toFixed(percent < 10 ? 2 : 1)}%`);
  }
  return parts.length > 0 ? parts.join(', ') : '-';
};

/** The exploitation column is shown only when some finding has a signal (an EPSS or KEV import). */
export const hasExploitSignals = (findings: readonly Finding[]): boolean =>
  findings.some((f) => f.epss !== undefined || f.kev !== undefined);

/** `73.6 high`: the finding's priority score and label, `-` when it has none. */
export const priorityText = (finding: Finding): string =>
  finding.priority ? `${finding.priority.score.toFixed(1)} ${finding.priority.label}` : '-';

/** The VEX column is shown only when some finding has a VEX statement. */
export const hasVex = (findings: readonly Finding[]): boolean => findings.some((f) => f.vex !== undefined);

// Text from a VEX document goes to terminals and pull-request comments: one line, no control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();

/** `suppressed: vulnerable_code_not_in_execute_path`, `affected`, `-`: the VEX column. */
export const vexText = (finding: Finding): string => {
  const vex = finding.vex;
  if (!vex) return '-';
  if (vex.suppressed) return `suppressed: ${oneLine(vex.justification ?? 'not_affected')}`;
  return vex.status;
};

/**
 * Everything a VEX statement says about a finding, in one line: status, justification, the reason
 * or action, who said it, when and where.
 */
export const vexDetail = (finding: Finding): string => {
  const vex = finding.vex;
  if (!vex) return '';
  const said = [vex.justification, vex.impact, vex.action, vex.notes].filter(Boolean).join('; ');
  const who = [vex.author ?? 'no author', vex.timestamp?.slice(0, 10), vex.source].filter(Boolean).join(', ');
  const kept = vex.suppressed ? 'suppressed' : 'kept';
  return oneLine(
    `${finding.id} ${finding.package.name}@${finding.package.version}: ${vex.status}${said ? ` (${said})` : ''}, ${kept}; by ${who}`,
  );
};

/** ` (2 suppressed by VEX, 1 excepted)`, or nothing when none is. */
export const suppressedText = (findings: readonly Finding[]): string => {
  const n = findings.filter((f) => f.vex?.suppressed).length;
  const e = findings.filter((f) => f.exception && !f.exception.expired).length;
  const parts = [...(n > 0 ? [`${n} suppressed by VEX`] : []), ...(e > 0 ? [`${e} excepted`] : [])];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
};

/**
 * An exception of the configuration as applied to a finding, in one line: until when (or that it
 * expired), who accepted the risk and why, and where.
 */
export const exceptionDetail = (finding: Finding): string => {
  const e = finding.exception;
  if (!e) return '';
  const state = e.expired
    ? `exception EXPIRED (held until ${e.expires}), not applied`
    : `excepted until ${e.expires}`;
  return oneLine(
    `${finding.id} ${finding.package.name}@${finding.package.version}: ${state}; by ${e.author}: ${e.reason} (${e.source})`,
  );
};

/** `lib 1.0.0 → 1.0.1`, `dep ^1.0.0 → ^2.0.0 (installs 2.0.1)`, `+helper@1.1.0`, `-old@1.0.0`. */
export const packageChangeText = (c: PackageChange): string => {
  switch (c.kind) {
    case 'lock':
      return `${c.name} ${c.from} → ${c.to}`;
    case 'manifest':
      return `${c.importer === '' ? '' : `${c.importer}: `}${c.dependency} ${c.fromRange} → ${c.toRange} (installs ${c.to})`;
    case 'add':
      return `+${c.name}@${c.to}`;
    case 'override':
      return c.action === 'remove'
        ? `${overrideField(c.manager)}: remove "${c.key}"`
        : `${overrideField(c.manager)}: "${c.key}": "${c.to ?? ''}"`;
    default:
      return `-${c.name}@${c.from}`;
  }
};
