import { describe, expect, it } from 'vitest';
import { checkPatch, effects, lock, manifest, patch, risk } from '../../../test/helpers/policy.js';
import type { Patch } from '../../core/plan.js';
import { semverStep } from './semver-step.js';

const passes: [string, Patch][] = [
  ['a patch step in range', patch()],
  [
    'a patch step that edits an exact pin (1.0.1 → 1.0.2)',
    patch({
      strategy: 'relax',
      changes: [manifest('lib', '1.0.1', '1.0.2', { from: '1.0.1', step: 'patch' })],
      risk: risk({ step: 'patch', inRange: false }),
    }),
  ],
  [
    'a minor step the declared range accepts (lockfile-only)',
    patch({ changes: [lock('lib', '1.0.0', '1.2.0', { step: 'minor' })], risk: risk({ step: 'minor' }) }),
  ],
  [
    'no version moves (a package is only removed)',
    patch({
      changes: [{ kind: 'remove', name: 'lib', from: '1.0.0', locations: [] }],
      risk: risk({ step: 'none' }),
    }),
  ],
];

const fails: [string, Patch, string][] = [
  [
    'a minor step that raises a range',
    patch({
      strategy: 'relax',
      changes: [manifest('lib', '~1.0.0', '~1.2.0', { from: '1.0.0', step: 'minor' })],
      risk: risk({ step: 'minor', inRange: false }),
    }),
    'minor step that raises a declared range: lib ~1.0.0 → ~1.2.0 (installs 1.2.0)',
  ],
  [
    'a major step',
    patch({
      strategy: 'relax',
      changes: [manifest('lib', '^1.0.0', '^2.0.0', { from: '1.0.0' }), lock('dep', '1.0.0', '1.0.1')],
      risk: risk({ step: 'major', inRange: false }),
    }),
    'major step: lib ^1.0.0 → ^2.0.0 (installs 2.0.0)',
  ],
  [
    'a major step the range accepts (`*`) is still major',
    patch({ changes: [lock('lib', '1.0.0', '2.0.0', { step: 'major' })], risk: risk({ step: 'major' }) }),
    'major step: lib 1.0.0 → 2.0.0',
  ],
  [
    'a patch inside 0.x counts as major',
    patch({ changes: [lock('lib', '0.2.0', '0.2.1', { step: 'major' })], risk: risk({ step: 'major' }) }),
    'major step (a change inside 0.x counts as major): lib 0.2.0 → 0.2.1',
  ],
];

describe('semver-step', () => {
  it.each(passes)('allows: %s', (_name, p) => {
    expect(effects(checkPatch(semverStep, p))).toEqual(['allow']);
  });

  it.each(fails)('proposes (2): %s', (_name, p, text) => {
    const reasons = checkPatch(semverStep, p);
    expect(effects(reasons)).toEqual(['cap 2']);
    expect(reasons[0]?.evidence).toBe(text);
  });
});
