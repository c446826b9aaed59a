import { describe, expect, it } from 'vitest';
import { checkPatch, effects, evidence, lock, patch, risk } from '../../../test/helpers/policy.js';
import type { OverrideChange, Patch } from '../../core/plan.js';
import { usesOverride } from '../evidence.js';
import { override } from './override.js';

const entry = (over: Partial<OverrideChange> = {}): OverrideChange => ({
  kind: 'override',
  action: 'add',
  manager: 'npm',
  file: 'package.json',
  path: ['lib'],
  key: 'lib',
  name: 'lib',
  to: '1.0.1',
  advisories: ['GHSA-aaaa-bbbb-cccc'],
  outOfRange: true,
  ...over,
});

const judge = (p: Patch) => checkPatch(override, p, evidence(p, { override: usesOverride(p) }));

describe('override', () => {
  it.each<[string, Patch]>([
    ['an in-place change', patch()],
    ['a relax change', patch({ strategy: 'relax' })],
    [
      'removing a stale overrides entry',
      patch({
        changes: [lock('lib', '1.0.0', '1.0.1'), entry({ action: 'remove', from: '1.0.1', to: undefined })],
      }),
    ],
  ])('passes: %s', (_name, p) => {
    expect(judge(p)).toEqual([]);
  });

  it.each<[string, Patch, string]>([
    [
      'an entry that forces a version outside a declared range',
      patch({
        strategy: 'override',
        changes: [entry(), lock('lib', '1.0.0', '2.0.1')],
        risk: risk({ outOfRange: true }),
      }),
      'needs overrides "lib": "1.0.1": it forces a version outside a range a dependent declares',
    ],
    [
      'an entry inside the ranges still pins every dependent',
      patch({
        strategy: 'override',
        changes: [entry({ outOfRange: false })],
        risk: risk({ outOfRange: false }),
      }),
      'needs overrides "lib": "1.0.1": it pins a version for every dependent, and outlives the vulnerability',
    ],
  ])('proposes (2): %s', (_name, p, text) => {
    const reasons = judge(p);
    expect(effects(reasons)).toEqual(['cap 2']);
    expect(reasons[0]?.evidence).toBe(text);
  });
});
