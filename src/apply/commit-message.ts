import type { ChangeProof, ChangeTests } from '../core/change.js';
import { type PackageChange, type Patch, releasedWhen } from '../core/plan.js';
import { levelText, type Verdict } from '../core/verdict.js';

/**
 * The commit message of one change, pure: what moved, which advisories, the evidence, and
 * trailers that make git history an audit trail on its own (`git log --grep PatchPilot-Change`).
 */

export interface CommitFacts {
  readonly patch: Patch;
  readonly verdict?: Verdict;
  readonly tests?: ChangeTests;
  readonly proof?: ChangeProof;
  /** The patches tried in the same tree, when it was a group. */
  readonly group?: readonly string[];
  /** The version of PatchPilot that made it. */
  readonly tool: string;
}

const describe = (c: PackageChange): string | undefined => {
  switch (c.kind) {
    case 'lock':
      return `${c.name} ${c.from} → ${c.to} (${c.step}${c.downgrade ? ', downgrade' : ''}, lockfile only)`;
    case 'manifest':
      return `${c.dependency}: "${c.fromRange}" → "${c.toRange}" in ${c.importer === '' ? 'package.json' : `${c.importer}/package.json`} (${c.from ?? 'none'} → ${c.to})`;
    case 'override':
      return c.action === 'remove'
        ? `overrides "${c.key}" removed (was ${c.from})`
        : `overrides "${c.key}": ${c.from ? `${c.from} → ` : ''}${c.to}${c.advisories.length > 0 ? ` (for ${c.advisories.join(', ')})` : ''}`;
    case 'add':
      return `${c.name} ${c.to} added`;
    case 'remove':
      return `${c.name} ${c.from} removed`;
  }
};

/** `Fix GHSA-… in lodash (4.17.15 → 4.17.21)`: under 72 characters where the names allow. */
export const commitSubject = (patch: Patch): string => {
  const ids = [...new Set(patch.fixes.map((f) => f.id))];
  const moved = patch.changes.filter((c) => c.kind === 'lock' || c.kind === 'manifest');
  const first = moved[0];
  const what = first
    ? `${first.name} ${first.from ?? ''}${first.from ? ' → ' : ''}${first.to}${moved.length > 1 ? ` (+${moved.length - 1})` : ''}`
    : patch.changes.find((c) => c.kind === 'override')?.name;
  const idsText = ids.length <= 2 ? ids.join(', ') : `${ids[0]} and ${ids.length - 1} more`;
  return `Fix ${idsText || 'stale override'}${what ? ` in ${what}` : ''}`;
};

export const commitMessage = (facts: CommitFacts): string => {
  const { patch, verdict, tests, proof } = facts;
  const lines: string[] = [commitSubject(patch), ''];
  lines.push(`Strategy: ${patch.strategy}. Changes:`);
  for (const c of patch.changes) {
    const text = describe(c);
    if (text) lines.push(`- ${text}`);
  }
  if (patch.fixes.length > 0) {
    lines.push('', 'Fixes:');
    for (const f of patch.fixes) lines.push(`- ${f.id} in ${f.name}@${f.version}`);
  }
  lines.push('', 'Evidence:');
  if (!tests) lines.push('- tests: not run');
  else if (!tests.ran) lines.push('- tests: the project has no build or test command; nothing ran');
  else {
    const commands = tests.commands.map(
      (c) => `${c.command} (exit ${c.code ?? (c.timedOut ? 'timeout' : '?')})`,
    );
    lines.push(
      `- tests: ${tests.passed ? 'passed' : 'FAILED'}: ${commands.join(', ')} in ${(tests.durationMs / 1000).toFixed(1)} s`,
    );
    if (tests.exercised.length > 0) lines.push(`- exercised by the tests: ${tests.exercised.join(', ')}`);
    if (tests.notExercised.length > 0)
      lines.push(`- never loaded by the tests: ${tests.notExercised.join(', ')}`);
  }
  if (proof) {
    if (proof.proven)
      lines.push(`- proof of fix: the re-resolved lockfile no longer has ${proof.fixed.join(', ')}`);
    else {
      if (proof.stillPresent.length > 0)
        lines.push(`- proof of fix FAILED: still present: ${proof.stillPresent.join(', ')}`);
      if (proof.introduced.length > 0)
        lines.push(`- proof of fix FAILED: new findings: ${proof.introduced.join(', ')}`);
    }
  }
  const r = patch.risk;
  lines.push(
    `- risk: ${r.step} step${r.downgrade ? ', downgrade' : ''}, ${r.inRange ? 'in range' : 'out of range'}${r.ageDays !== undefined ? `, released ${releasedWhen(r.ageDays)}` : ''}${r.deprecated ? ', deprecated' : ''}${r.addsInstallScript ? ', adds an install script' : ''}`,
  );
  if (verdict) {
    lines.push(
      '',
      `Level: ${levelText(verdict.level)}${verdict.cappedBy.length > 0 ? `, set by ${verdict.cappedBy.join(', ')}` : ''}`,
    );
    for (const reason of verdict.reasons)
      if (reason.effect !== 'info') lines.push(`- ${reason.rule}: ${reason.evidence}`);
  }
  if (facts.group && facts.group.length > 1)
    lines.push('', `Tried together with: ${facts.group.filter((id) => id !== patch.id).join(', ')}`);
  lines.push('', `PatchPilot-Change: ${patch.id}`);
  if (verdict) lines.push(`PatchPilot-Level: ${levelText(verdict.level)}`);
  for (const id of [...new Set(patch.fixes.map((f) => f.id))].sort())
    lines.push(`PatchPilot-Advisory: ${id}`);
  lines.push(`PatchPilot-Tool: ${facts.tool}`);
  return `${lines.join('\n')}\n`;
};
