import { levelNames, levelText, type Reason, type Verdict } from '../../core/verdict.js';

/** How verdicts read in text: one line for a list (`plan`), one line per reason for a detail view. */

/** `2 propose: tests-evidence, proof-of-fix` — the level and the rules that decided it. */
export const verdictLine = (verdict: Verdict): string =>
  `${verdict.level} ${levelNames[verdict.level]}${verdict.cappedBy.length === 0 ? '' : `: ${verdict.cappedBy.join(', ')}`}`;

/** `cap 2 (propose)`, `allow`, `info`. */
export const effectText = (reason: Reason): string =>
  reason.effect === 'cap' && reason.level !== undefined ? `cap ${levelText(reason.level)}` : reason.effect;

/** One line per reason: `  semver-step      cap 2 (propose)  major step: …`, deciding caps marked `*`. */
export const reasonLines = (verdict: Verdict, indent = '  '): string[] => {
  const width = Math.max(0, ...verdict.reasons.map((r) => r.rule.length));
  const effects = verdict.reasons.map(effectText);
  const effectWidth = Math.max(0, ...effects.map((e) => e.length));
  return verdict.reasons.map((r, i) => {
    const decisive = r.effect === 'cap' && r.level === verdict.level ? '*' : ' ';
    return `${indent}${decisive} ${r.rule.padEnd(width)}  ${(effects[i] as string).padEnd(effectWidth)}  ${r.evidence}`;
  });
};
