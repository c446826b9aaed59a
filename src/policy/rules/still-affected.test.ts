import { describe, expect, it } from 'vitest';
import { checkPatch, effects, patch, risk } from '../../../test/helpers/policy.js';
import { stillAffected } from './still-affected.js';

describe('still-affected', () => {
  it('passes: nothing affects the targets', () => {
    expect(checkPatch(stillAffected, patch({ risk: risk({ stillAffectedBy: [] }) }))).toEqual([]);
  });

  it.each([[['GHSA-1111-2222-3333']], [['GHSA-1111-2222-3333', 'MAL-2025-1']]])(
    'proposes (2): still affected by %s',
    (ids) => {
      const reasons = checkPatch(stillAffected, patch({ risk: risk({ stillAffectedBy: ids }) }));
      expect(effects(reasons)).toEqual(['cap 2']);
      expect(reasons[0]?.evidence).toBe(`the target versions are still affected by ${ids.join(', ')}`);
    },
  );
});
