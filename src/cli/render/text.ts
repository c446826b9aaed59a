import type { Finding } from '../../core/finding.js';

/** Shared wording for the human-readable renderers. */
export const pathText = (path: readonly string[]): string => path.join(' > ');

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
