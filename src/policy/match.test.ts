import { describe, expect, it } from 'vitest';
import { evidence, patch, planTimeEvidence, risk } from '../../test/helpers/policy.js';
import { factsOf, matchesPattern } from './match.js';

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
