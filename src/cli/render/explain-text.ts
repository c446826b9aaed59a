import { releasedWhen } from '../../core/plan.js';
import type { Evidence } from '../../core/verdict.js';
import { levelText } from '../../core/verdict.js';
import type {
  ConsideredPatch,
  ExplainedFinding,
  ExplainReport,
  FindingExplanation,
  PatchExplanation,
  RuleApplied,
} from '../commands/explain.js';
import { effectText, verdictLine } from './verdict.js';

/** `patchpilot explain` as text: one block per explanation, every rule listed with its effect. */
export const renderExplainText = (report: ExplainReport): string => {
  const out: string[] = [];
  const where = `${report.project.lockfile}${report.project.config ? `, policy from ${report.project.config}` : ', default policy'}`;
  for (const e of report.explanations) {
    if (out.length > 0) out.push('');
    out.push(...(e.kind === 'patch' ? patchBlock(e, where) : findingBlock(e, where)));
  }
  return `${out.join('\n')}\n`;
};

const patchBlock = (e: PatchExplanation, where: string): string[] => {
  const state = e.chosen ? `chosen, applied ${ordinal(e.position ?? 0)}` : 'not chosen (an alternative)';
  const lines = [`Patch ${e.patch.id} (${e.patch.strategy}), ${state}, in ${where}`];
  for (const c of e.changes) lines.push(`  ${c}`);
  if (e.whyNot) lines.push(`  Not chosen because ${e.whyNot}.`);
  lines.push('', `Fixes ${e.findings.length} finding${e.findings.length === 1 ? '' : 's'}`);
  const only = new Map(e.evidence.findings.map((f) => [`${f.id} ${f.name}@${f.version}`, f.onlyFix]));
  for (const f of e.findings) {
    const note = only.get(`${f.id} ${f.name}@${f.version}`) ? '; no other candidate fixes it' : '';
    lines.push(`  ${findingLine(f)}${note}`);
  }
  lines.push('', 'Alternatives considered');
  if (e.alternatives.length === 0) lines.push('  none: no other candidate fixes these findings');
  for (const a of e.alternatives) lines.push(...consideredLines(a));
  lines.push('', 'Evidence', ...evidenceLines(e.evidence, e.patch.score));
  lines.push('', 'Rules', ...ruleLines(e.rules, e.verdict.level));
  lines.push('', `Verdict: ${verdictSentence(e.verdict.level, e.verdict.cappedBy)}`);
  return lines;
};

const findingBlock = (e: FindingExplanation, where: string): string[] => {
  const lines = [`Finding ${findingLine(e.finding)}, in ${where}`];
  if (e.finding.summary) lines.push(`  ${e.finding.summary}`);
  if (e.finding.path && e.finding.path.length > 0) lines.push(`  path: ${e.finding.path.join(' > ')}`);
  switch (e.status) {
    case 'fixed':
      lines.push('', 'Fixed by the plan');
      break;
    case 'unfixable':
      lines.push('', `Not fixed: ${e.unfixable?.reason}`, `  ${e.unfixable?.text}`);
      for (const a of e.unfixable?.alternatives ?? []) {
        lines.push(
          `  would fix it anyway: ${a.text}${a.patch === undefined ? '' : ` (candidate ${a.patch})`}`,
        );
      }
      break;
    case 'ignored':
      lines.push('', `Left out of the plan by its options (${e.ignored})`);
      break;
    default:
      lines.push('', 'Not targeted by the plan');
  }
  if (e.patches.length > 0) {
    lines.push('', 'Patches that fix it');
    for (const p of e.patches) lines.push(...consideredLines(p));
  }
  if (e.rules && e.verdict) {
    lines.push('', 'Rules', ...ruleLines(e.rules, e.verdict.level));
    lines.push('', `Verdict: ${verdictSentence(e.verdict.level, e.verdict.cappedBy)}`);
  }
  return lines;
};

const ordinal = (n: number): string =>
  `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

const findingLine = (f: ExplainedFinding): string => {
  const facts = [
    f.kind === 'malicious' ? 'malicious' : f.severity,
    f.scope,
    f.priority === undefined ? undefined : `priority ${f.priority}`,
    f.kev ? `KEV ${f.kev.cve} (added ${f.kev.dateAdded})` : undefined,
    f.epss ? `EPSS ${f.epss.score} (${f.epss.cve})` : undefined,
  ].filter((x): x is string => x !== undefined);
  return `${f.id} ${f.name}@${f.version}${facts.length === 0 ? '' : `  ${facts.join(', ')}`}`;
};

const consideredLines = (p: ConsideredPatch): string[] => {
  const head = `  ${p.id} (${p.strategy}${p.chosen ? ', chosen' : ''}): ${p.changes.slice(0, 3).join(', ')}${p.changes.length > 3 ? `, … (${p.changes.length} changes)` : ''}`;
  const lines = [
    head,
    `    fixes ${p.fixes.join(', ')}; level ${verdictLine({ ...p.verdict, reasons: [] })}`,
  ];
  lines.push(
    `    score: weight ${p.score.weight}, ${p.score.fixed} fixed, ${p.score.packagesChanged} package${p.score.packagesChanged === 1 ? '' : 's'} changed, step cost ${p.score.stepCost}`,
  );
  if (p.whyNot) lines.push(`    not chosen: ${p.whyNot}`);
  return lines;
};

const evidenceLines = (e: Evidence, score: PatchExplanation['patch']['score']): string[] => {
  const lines: string[] = [];
  const r = e.risk;
  if (r) {
    lines.push(
      `  step: ${r.step}${r.downgrade ? ', with a downgrade' : ''}; ${r.inRange ? 'inside the declared ranges (lockfile-only)' : 'raises or overrides a declared range'}`,
    );
    lines.push(
      `  released: ${r.publishedAt === undefined ? 'unknown (the registry states no publish time)' : `${r.publishedAt.slice(0, 10)}, ${r.ageDays === undefined || r.ageDays < 0 ? 'after the day ages are counted to' : `${releasedWhen(r.ageDays)} the plan`}`}`,
    );
    lines.push(
      `  install scripts added: ${r.addsInstallScript === undefined ? 'unknown' : r.addsInstallScript ? 'yes' : 'no'}`,
    );
    lines.push(`  deprecated: ${r.deprecated ?? 'no'}`);
    lines.push(
      `  still affected by: ${r.stillAffectedBy.length === 0 ? 'nothing known' : r.stillAffectedBy.join(', ')}`,
    );
    if (r.outOfRange !== undefined)
      lines.push(`  forces a version outside a declared range: ${r.outOfRange ? 'yes' : 'no'}`);
  }
  lines.push(
    `  packages moved: ${e.packages.join(', ') || 'none'}; installed in: ${e.scopes.join(', ') || 'unknown'}`,
  );
  if (e.override) lines.push('  needs an overrides entry');
  lines.push(
    `  tests: ${e.tests ? `${e.tests.passed ? 'passed' : 'failed'}, loaded ${e.tests.exercised.length === 0 ? 'nothing' : e.tests.exercised.join(', ')}` : 'not run yet (fix runs them)'}`,
  );
  lines.push(
    `  proof of fix: ${e.proof ? (e.proof.proven ? 'proven' : `not proven: ${e.proof.stillPresent.join(', ')}`) : 'not yet (fix re-resolves the tree)'}`,
  );
  lines.push(
    `  rank: weight ${score.weight} (priority of the findings fixed), ${score.packagesChanged} package${score.packagesChanged === 1 ? '' : 's'} changed, step cost ${score.stepCost}`,
  );
  return lines;
};

const ruleLines = (rules: readonly RuleApplied[], level: number): string[] => {
  const width = Math.max(...rules.map((r) => r.id.length));
  const lines: string[] = [];
  for (const rule of rules) {
    if (rule.reasons.length === 0) {
      lines.push(`    ${rule.id.padEnd(width)}  no effect (${rule.description})`);
      continue;
    }
    for (const r of rule.reasons) {
      const mark = r.effect === 'cap' && r.level === level ? '*' : ' ';
      lines.push(`  ${mark} ${rule.id.padEnd(width)}  ${effectText({ ...r, rule: rule.id })}: ${r.evidence}`);
    }
  }
  lines.push('  (* the caps that decide the level)');
  return lines;
};

const verdictSentence = (level: 1 | 2 | 3 | 4 | 5, cappedBy: readonly string[]): string =>
  `${levelText(level)}${cappedBy.length === 0 ? '' : `, capped by ${cappedBy.join(', ')}`}`;
