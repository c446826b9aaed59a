import { describe, expect, it } from 'vitest';
import { evidence, lock, patch, planTimeEvidence, risk } from '../../test/helpers/policy.js';
import type { Inventory } from '../core/inventory.js';
import type { Plan } from '../core/plan.js';
import type { Evidence } from '../core/verdict.js';
import { gatherEvidence } from './evidence.js';
import { type CapOption, capMatch, factsOf, matchesPattern } from './match.js';

describe('matchesPattern', () => {
  it.each<[string, string, boolean]>([
    ['lodash', 'lodash', true],
    ['lodash', 'lodash-es', false],
    ['@types/*', '@types/node', true],
    ['@types/*', '@typescript-eslint/parser', false],
    ['react*', 'react', true],
    ['react*', 'react-dom', true],
    ['react*', 'preact', false],
    ['*-plugin-*', 'eslint-plugin-react', true],
    ['*', '@scope/any', true],
    ['@ACME/*', '@acme/billing', true],
    ['a*a*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
  ])('%s ~ %s: %s', (pattern, name, want) => {
    expect(matchesPattern(pattern, name)).toBe(want);
  });
});

describe('factsOf', () => {
  it('a clean, tested patch step in range', () => {
    expect([...factsOf(evidence(), 3)]).toEqual(['in-range', 'patch']);
  });

  it('what is unknown counts as present (fail closed)', () => {
    const p = patch({
      risk: risk({ addsInstallScript: undefined, ageDays: undefined, publishedAt: undefined }),
    });
    expect([...factsOf(planTimeEvidence(p), 3)]).toEqual([
      'in-range',
      'patch',
      'adds-install-script',
      'young-release',
      'untested',
    ]);
  });

  it('a minimum release age of 0 makes nothing young', () => {
    const p = patch({ risk: risk({ ageDays: 0 }) });
    expect(factsOf(evidence(p), 0).has('young-release')).toBe(false);
    expect(factsOf(evidence(p), 1).has('young-release')).toBe(true);
  });
});

describe('capMatch of a cap that names packages', () => {
  // One patch: `big` takes a major step, `small` a patch step, `dev-only` is a devDependency.
  const p = patch({
    changes: [
      lock('big', '1.0.0', '2.0.0', { step: 'major' }),
      lock('small', '1.1.11', '1.1.12'),
      lock('dev-only', '1.0.0', '1.0.1', { locations: ['node_modules/dev-only'] }),
    ],
    risk: risk({ step: 'major', inRange: false }),
  });
  const plan = { patches: [p], alternatives: [], unfixable: [] } as unknown as Plan;
  const inventory = {
    packages: new Map([
      ['node_modules/big', { scope: 'prod' }],
      ['node_modules/small', { scope: 'prod' }],
      ['node_modules/dev-only', { scope: 'dev' }],
    ]),
  } as unknown as Inventory;
  const ev = gatherEvidence(plan, { findings: [], inventory }).get(p.id) as Evidence;
  const cap = (over: Partial<CapOption>): CapOption => ({ index: 0, maxLevel: 1, ...over });

  it("judges facts by those packages' own steps, not the patch's largest", () => {
    expect(capMatch(cap({ packages: ['small'], facts: ['major'] }), ev, 3)).toBeUndefined();
    expect(capMatch(cap({ packages: ['big'], facts: ['major'] }), ev, 3)).toEqual([
      'package big matches big',
      'big has major',
    ]);
    // Without packages, the patch as a whole.
    expect(capMatch(cap({ facts: ['major'] }), ev, 3)).toEqual(['has major']);
  });

  it("judges scopes by those packages' own install scopes", () => {
    expect(capMatch(cap({ packages: ['small'], scopes: ['dev'] }), ev, 3)).toBeUndefined();
    expect(capMatch(cap({ packages: ['dev-*'], scopes: ['dev'] }), ev, 3)).toEqual([
      'package dev-only matches dev-*',
      'dev-only installed in scope dev',
    ]);
  });
});
