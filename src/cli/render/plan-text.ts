import {
  type FindingRef,
  overrideField,
  type PackageChange,
  type Patch,
  type Plan,
  type RiskFacts,
} from '../../core/plan.js';
import type { PlannedProject } from '../../pipeline.js';
import type { PlanReport } from '../commands/plan.js';
import { oneLine } from './gate-text.js';
import { countText } from './text.js';
import { verdictLine } from './verdict.js';

/** Wording shared by the plan's text and Markdown renderers. */

const manifestField: Record<string, string> = {
  prod: 'dependencies',
  dev: 'devDependencies',
  optional: 'optionalDependencies',
  peer: 'peerDependencies',
};

export const findingText = (f: FindingRef): string => `${f.id} ${f.name}@${f.version}`;

/** One change, as a reviewer reads it. */
export const changeText = (c: PackageChange): string => {
  switch (c.kind) {
    case 'lock':
      return `${c.name} ${c.from} → ${c.to}${c.locations.length > 1 ? ` (${c.locations.length} copies)` : ''}`;
    case 'manifest': {
      const file = c.importer === '' ? 'package.json' : `${c.importer}/package.json`;
      const installs = c.from === c.to ? '' : ` (${c.from ?? 'nothing'} → ${c.to})`;
      return `${file} ${manifestField[c.type] ?? 'dependencies'} "${c.dependency}": ${c.fromRange} → ${c.toRange}${installs}`;
    }
    case 'add':
      return `+${c.name}@${c.to}`;
    case 'remove':
      return `-${c.name}@${c.from}`;
    default: {
      const what =
        c.action === 'remove'
          ? `remove "${c.key}": "${c.from}"`
          : c.action === 'change'
            ? `"${c.key}": "${c.from}" → "${c.to}"`
            : `add "${c.key}": "${c.to}"`;
      const why = c.advisories.length > 0 ? ` (for ${c.advisories.join(', ')})` : '';
      return `${c.file} ${overrideField(c.manager)} ${what}${why}`;
    }
  }
};

/** The changes a patch is made of (manifest edits, overrides, locked versions), then what follows. */
export const patchHeadline = (patch: Patch): { main: string[]; also: string[] } => {
  const main = patch.changes.filter((c) => c.kind !== 'add' && c.kind !== 'remove').map(changeText);
  const also = patch.changes.filter((c) => c.kind === 'add' || c.kind === 'remove').map(changeText);
  return { main, also };
};

const stepText: Record<RiskFacts['step'], string> = {
  none: 'no version step',
  patch: 'patch step',
  minor: 'minor step',
  major: 'major step',
};

export const riskText = (risk: RiskFacts): string[] => {
  const parts = [stepText[risk.step]];
  if (risk.downgrade) parts.push('DOWNGRADE');
  parts.push(risk.inRange ? 'lockfile only' : 'edits package.json');
  if (risk.outOfRange === true) parts.push("OUT OF RANGE: forces a version a dependent's range excludes");
  if (risk.publishedAt !== undefined) {
    parts.push(
      `released ${risk.publishedAt.slice(0, 10)}${risk.ageDays === undefined ? '' : risk.ageDays < 0 ? ' (after the day ages are counted to)' : ` (${countText(risk.ageDays, 'day')} ago)`}`,
    );
  }
  if (risk.deprecated !== undefined) parts.push(`DEPRECATED ${oneLine(risk.deprecated)}`);
  if (risk.addsInstallScript === true) parts.push('ADDS AN INSTALL SCRIPT');
  if (risk.stillAffectedBy.length > 0) parts.push(`still affected by ${risk.stillAffectedBy.join(', ')}`);
  return parts;
};

export const ignoredText = (plan: Plan): string | undefined => {
  if (plan.ignored.length === 0) return undefined;
  const counts = new Map<string, number>();
  for (const i of plan.ignored) counts.set(i.reason, (counts.get(i.reason) ?? 0) + 1);
  const words: Record<string, string> = {
    suppressed: 'suppressed by VEX (not_affected)',
    dev: 'dev-only (--ignore-dev)',
    severity: 'below --min-severity',
    depth: 'deeper than --max-depth',
  };
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([reason, n]) => `${n} ${words[reason] ?? reason}`)
    .join(', ');
};

/** The quarantined versions a plan was made without, and those kept because they are installed. */
export const quarantineText = (
  quarantined: PlannedProject['quarantined'],
): { heldOut: string | undefined; installed: string | undefined } => {
  const list = (heldOut: boolean): string | undefined => {
    const items = (quarantined ?? []).filter((q) => q.heldOut === heldOut);
    if (items.length === 0) return undefined;
    return items
      .map(
        (q) =>
          `${q.name}@${q.version}${q.change ? ` (rolled back in ${q.change}${q.reason ? `: ${oneLine(q.reason)}` : ''})` : ''}`,
      )
      .join(', ');
  };
  return { heldOut: list(true), installed: list(false) };
};

/** `3 patches fix`, `1 patch fixes`. */
export const patchesFix = (n: number): string => (n === 1 ? '1 patch fixes' : `${n} patches fix`);

export const remainText = (n: number): string => `${n} ${n === 1 ? 'remains' : 'remain'}`;

/** ` (and 2 not planned for)`: findings left out of the plan that its patches fix anyway. */
export const alsoFixedText = (n: number): string => (n > 0 ? ` (and ${n} not planned for)` : '');

export const planLine = (plan: Plan): string => {
  const s = plan.summary;
  return (
    `${countText(s.findings, 'finding')}, ${s.targeted} planned for; ` +
    `${patchesFix(plan.patches.length)} ${s.fixed}${alsoFixedText(s.alsoFixed)}, ${remainText(s.remaining)}` +
    `${s.unfixable > 0 ? ` (${s.unfixable} unfixable)` : ''}`
  );
};

/** The plan for a terminal: patches in order, what stays and why, what is left. */
export const renderPlanText = (report: PlanReport): string => {
  const out: string[] = [];
  for (const project of report.projects) {
    const plan = project.plan;
    out.push(`${project.lockfile} (${plan.format}): ${planLine(plan)}`);
    const ignored = ignoredText(plan);
    if (ignored) out.push(`  not planned for: ${ignored}`);
    const quarantine = quarantineText(project.quarantined);
    if (quarantine.heldOut) out.push(`  quarantined, never proposed: ${quarantine.heldOut}`);
    if (quarantine.installed)
      out.push(`  quarantined but installed (still resolved): ${quarantine.installed}`);
    plan.patches.forEach((patch, i) => {
      const { main, also } = patchHeadline(patch);
      out.push('', `  ${i + 1}. ${patch.strategy}: ${main.join('; ')}`);
      if (also.length > 0) out.push(`     also: ${also.join(', ')}`);
      out.push(`     fixes ${patch.fixes.map(findingText).join(', ')}`);
      out.push(`     risk: ${riskText(patch.risk).join(', ')}`);
      const verdict = project.verdicts.patches[patch.id];
      if (verdict) out.push(`     level: ${verdictLine(verdict)} (patchpilot explain ${patch.id})`);
    });
    if (plan.unfixable.length > 0) {
      out.push('', '  unfixable:');
      for (const u of plan.unfixable) {
        out.push(`    ${findingText(u.finding)}  ${u.reason}`, `      ${oneLine(u.text)}`);
        const alternatives = u.alternatives.map((a) => oneLine(a.text));
        if (alternatives.length > 0) out.push(`      instead: ${alternatives.join('; ')}`);
      }
    }
    if (plan.overrides.length > 0 || plan.staleOverrides.length > 0) {
      out.push('', '  overrides of the project:');
      for (const note of plan.overrides) out.push(`    ${oneLine(note.text)}`);
      for (const stale of plan.staleOverrides) out.push(`    ${oneLine(stale.text)}`);
    }
    out.push('', `  left after the plan: ${plan.remaining.length === 0 ? 'nothing' : ''}`);
    for (const f of plan.remaining) out.push(`    ${findingText(f)}`);
    out.push('');
  }
  const s = report.summary;
  const source =
    report.registry.source === 'universe'
      ? `universe ${report.registry.universe ?? ''}`.trim()
      : `npm registry${report.registry.offline ? ', offline' : ''}`;
  out.push(
    `plan: ${patchesFix(s.patches)} ${s.fixed} of ${countText(s.targeted, 'finding')} planned for${alsoFixedText(s.alsoFixed)}; ` +
      `${remainText(s.remaining)}, ${s.unfixable} unfixable (metadata: ${source}; nothing was written)`,
  );
  return `${out.join('\n').replace(/ +\n/g, '\n')}\n`;
};
