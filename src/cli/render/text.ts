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

export const fixedText = (finding: Finding): string =>
  finding.fixedIn.length > 0
    ? finding.fixedIn.join(', ')
    : finding.kind === 'malicious'
      ? 'remove'
      : 'no fix';

export const countText = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
