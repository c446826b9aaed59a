import { describe, expect, it } from 'vitest';
import { checkPatch, effects, patch, risk } from '../../../test/helpers/policy.js';
import type { RiskFacts } from '../../core/plan.js';
import { installScripts } from './install-scripts.js';

const judge = (over: Partial<RiskFacts>) => checkPatch(installScripts, patch({ risk: risk(over) }));

describe('install-scripts', () => {
  it('passes: no target adds an install script', () => {
    expect(judge({ addsInstallScript: false })).toEqual([]);
  });

  it.each<[string, Partial<RiskFacts>, RegExp]>([
    ['a target adds a postinstall script', { addsInstallScript: true }, /runs install scripts/],
    ['the registry did not say (universe files)', { addsInstallScript: undefined }, /^unknown whether/],
  ])('proposes (2): %s', (_name, over, text) => {
    const reasons = judge(over);
    expect(effects(reasons)).toEqual(['cap 2']);
    expect(reasons[0]?.evidence).toMatch(text);
  });
});
