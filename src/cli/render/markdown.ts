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

/** GitHub refuses a comment longer than this many characters (and a job summary step's 1 MiB). */
export const MARKDOWN_LIMIT = 65_536;

type Finding = ScanReport['findings'][number];

/**
 * A Markdown report for pull-request comments and job summaries. It stays within `limit`
 * characters: when every row does not fit, the rows kept are those of highest priority across
 * all lockfiles, each lockfile says how many of its findings are not shown, and when even the
 * lockfiles' headings do not fit, the last ones are left out with a count.
 */
export const renderMarkdown = (report: ScanReport, limit = MARKDOWN_LIMIT): string => {
  const all = compose(report, () => true, report.projects.length);
  if (all.length <= limit) return all;
  // Highest priority first across the lockfiles; the most rows that fit, found by bisection.
  const ranked = [...report.findings].sort((a, b) => (b.priority?.score ?? 0) - (a.priority?.score ?? 0));
  const keeping = (n: number): ((f: Finding) => boolean) => {
    const kept = new Set(ranked.slice(0, n));
    return (f) => kept.has(f);
  };
  const largest = (hi: number, fits: (n: number) => boolean): number => {
    let lo = 0;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const projects = report.projects.length;
  if (compose(report, keeping(0), projects).length <= limit) {
    const rows = largest(ranked.length, (n) => compose(report, keeping(n), projects).length <= limit);
    return compose(report, keeping(rows), projects);
  }
  const shown = largest(projects, (n) => compose(report, keeping(0), n).length <= limit);
  return compose(report, keeping(0), shown);
};

const compose = (report: ScanReport, keep: (f: Finding) => boolean, projectsShown: number): string => {
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
  for (const project of report.projects.slice(0, projectsShown)) {
    const every = report.findings.filter((f) => f.lockfile === project.lockfile);
    out.push(
      `## ${markdownCode(project.lockfile)}`,
      '',
      `${project.format}, ${countText(project.packages, 'package')}, ${countText(project.findings, 'finding')}${suppressedText(every)}.`,
      '',
    );
    if (every.length === 0) {
      out.push('No known vulnerabilities.', '');
      continue;
    }
    const findings = every.filter(keep);
    if (findings.length > 0) {
      out.push(
        `| Priority | Severity | Score |${exploit ? ' Exploitation |' : ''} ID | Package | Fixed in | Scope |${vex ? ' VEX |' : ''} Path |`,
        `|---|---|---|${exploit ? '---|' : ''}---|---|---|---|${vex ? '---|' : ''}---|`,
      );
    }
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
    if (findings.length < every.length) {
      const left = every.length - findings.length;
      out.push(
        ...(findings.length > 0 ? [''] : []),
        `_${countText(left, findings.length > 0 ? 'more finding' : 'finding')}${findings.length > 0 ? ' of lower priority' : ''} ${left === 1 ? 'is' : 'are'} not shown: the report would be too long for a comment. \`patchpilot scan --json\` lists every one._`,
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
  const hidden = report.projects.length - projectsShown;
  if (hidden > 0) {
    out.push(
      `_${countText(hidden, 'more lockfile')} ${hidden === 1 ? 'is' : 'are'} not shown: the report would be too long for a comment. \`patchpilot scan --json\` lists every one._`,
      '',
    );
  }
  out.push(
    `Advisory data: GitHub Advisory Database (CC-BY-4.0) and OSV.dev${exploit ? "; exploitation: FIRST's EPSS and CISA's KEV catalog" : ''}, as imported into the local store.`,
    '',
  );
  return out.join('\n');
};
