import { describe, expect, it } from 'vitest';
import { checkPatch, effects, lock, patch, risk } from '../../../test/helpers/policy.js';
import type { Patch } from '../../core/plan.js';
import { downgrade } from './downgrade.js';

describe('downgrade', () => {
  it.each<[string, Patch]>([
    ['an upgrade', patch()],
    [
      'a minor upgrade',
      patch({ changes: [lock('lib', '1.0.0', '1.1.0', { step: 'minor' })], risk: risk({ step: 'minor' }) }),
    ],
  ])('passes: %s', (_name, p) => {
    expect(checkPatch(downgrade, p)).toEqual([]);
  });

  it.each<[string, Patch, string]>([
    [
      'a package moved down',
      patch({
        changes: [lock('lib', '1.2.0', '1.1.9', { step: 'minor', downgrade: true })],
        risk: risk({ step: 'minor', downgrade: true }),
      }),
      'moves a package to a lower version: lib 1.2.0 → 1.1.9',
    ],
    [
      'one of several packages moved down',
      patch({
        changes: [lock('lib', '1.0.0', '1.0.1'), lock('ms', '2.1.3', '2.1.2', { downgrade: true })],
        risk: risk({ downgrade: true }),
      }),
      'moves a package to a lower version: ms 2.1.3 → 2.1.2',
    ],
  ])('proposes (2): %s', (_name, p, text) => {
    const reasons = checkPatch(downgrade, p);
    expect(effects(reasons)).toEqual(['cap 2']);
    expect(reasons[0]?.evidence).toBe(text);
  });
});
