import { z } from 'zod';
import { levelText } from '../../core/verdict.js';
import { aboveMergeNote, changeLevel, levelOption } from '../match.js';
import { defineRule } from '../rule.js';

/** The project's ceiling: no change goes past `policy.maxLevel` (default 3, merge). */
export const maxLevel = defineRule({
  id: 'max-level',
  description: 'caps every change at the project ceiling, policy.maxLevel (default 3, merge)',
  options: z.strictObject({ maxLevel: levelOption(3) }),
  check: (subject, _evidence, options) => {
    if (subject.kind !== 'patch') return [];
    const level = changeLevel(options.maxLevel);
    return [
      {
        effect: 'cap',
        level,
        evidence: `the project allows at most ${levelText(options.maxLevel)} (policy.maxLevel)${level === options.maxLevel ? '' : aboveMergeNote(options.maxLevel)}`,
      },
    ];
  },
});
