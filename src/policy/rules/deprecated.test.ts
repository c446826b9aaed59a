import { describe, expect, it } from 'vitest';
import { checkPatch, effects, patch, risk } from '../../../test/helpers/policy.js';
import { deprecated } from './deprecated.js';

describe('deprecated', () => {
  it('passes: the target is not deprecated', () => {
    expect(checkPatch(deprecated, patch())).toEqual([]);
  });

  it.each([
    ['lib@1.0.1: use 2.x, 1.x is no longer maintained'],
    ['request@2.88.2: request has been deprecated'],
  ])('proposes (2): %s', (message) => {
    const reasons = checkPatch(deprecated, patch({ risk: risk({ deprecated: message }) }));
    expect(effects(reasons)).toEqual(['cap 2']);
    expect(reasons[0]?.evidence).toBe(`deprecated target: ${message}`);
  });
});
