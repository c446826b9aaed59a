import { describe, expect, it } from 'vitest';
import {
  checkPatch,
  checkSubject,
  effects,
  patch,
  unfixable,
  unfixableEvidence,
} from '../../../test/helpers/policy.js';
import { maxLevel } from './max-level.js';

describe('max-level', () => {
  it.each([
    ['the default ceiling is 3 (merge)', {}, ['cap 3']],
    ['a ceiling of 1 (report only)', { maxLevel: 1 }, ['cap 1']],
    ['a regulated project stops at 2 (propose)', { maxLevel: 2 }, ['cap 2']],
    ['5 (deploy) has no deploy stage yet: a dependency change stops at 3', { maxLevel: 5 }, ['cap 3']],
    ['4 (assist) is for code fixes: a dependency change stops at 3', { maxLevel: 4 }, ['cap 3']],
  ])('%s', (_name, options, want) => {
    expect(effects(checkPatch(maxLevel, patch(), undefined, options))).toEqual(want);
  });

  it('names the setting and explains the assist level', () => {
    expect(checkPatch(maxLevel, patch(), undefined, { maxLevel: 4 })[0]?.evidence).toBe(
      'the project allows at most 4 (assist) (policy.maxLevel) (level 4, assist, is for code-level fixes: a dependency change goes at most to 3, merge)',
    );
    expect(checkPatch(maxLevel, patch(), undefined, { maxLevel: 5 })[0]?.evidence).toBe(
      'the project allows at most 5 (deploy) (policy.maxLevel) (level 5, deploy, needs a deploy stage PatchPilot does not have yet: a dependency change goes at most to 3, merge)',
    );
  });

  it('says nothing about a finding nothing fixes (no-fix reports it)', () => {
    const u = unfixable();
    expect(
      checkSubject(maxLevel, { kind: 'unfixable', unfixable: u }, unfixableEvidence(u), { maxLevel: 2 }),
    ).toEqual([]);
  });

  it.each([[0], [6], [2.5]])('refuses the level %s', (level) => {
    expect(() => maxLevel.options.parse({ maxLevel: level })).toThrow();
  });
});
