import { describe, expect, it } from 'vitest';
import { checkPatch, evidence, patch, planTimeEvidence } from '../../../test/helpers/policy.js';
import type { TestEvidence } from '../../core/verdict.js';
import { testsEvidence } from './tests-evidence.js';

const judge = (tests: TestEvidence | undefined, packages = ['lib']) => {
  const p = patch();
  return checkPatch(
    testsEvidence,
    p,
    tests ? evidence(p, { tests, packages }) : planTimeEvidence(p, { packages }),
  );
};

describe('tests-evidence', () => {
  it.each<[string, TestEvidence, string[]]>([
    ['passed and loaded the changed package', { passed: true, exercised: ['lib'] }, ['lib']],
    [
      'passed and loaded both changed packages, and more',
      { passed: true, exercised: ['a', 'lib', 'ms'] },
      ['lib', 'ms'],
    ],
  ])('allows: %s', (_name, tests, packages) => {
    const reasons = judge(tests, packages);
    expect(reasons).toEqual([
      {
        effect: 'allow',
        evidence: `the tests passed and loaded every changed package (${packages.join(', ')})`,
      },
    ]);
  });

  it.each<[string, TestEvidence | undefined, string[], string]>([
    ['no test evidence yet (plan time)', undefined, ['lib'], 'no test evidence yet (fix runs the tests)'],
    [
      'the tests failed',
      { passed: false, exercised: ['lib'] },
      ['lib'],
      "the project's tests failed with the change",
    ],
    [
      'the tests passed but never loaded the package',
      { passed: true, exercised: ['other'] },
      ['lib'],
      'the tests passed but never loaded lib: they prove nothing about it',
    ],
    [
      'the tests loaded one of two changed packages',
      { passed: true, exercised: ['lib'] },
      ['lib', 'ms'],
      'the tests passed but never loaded ms: they prove nothing about it',
    ],
    [
      'there were no tests to run',
      { ran: false, passed: false, exercised: [] },
      ['lib'],
      'the project has no tests to run: nothing vouches for the change',
    ],
    [
      'the tests loaded nothing',
      { passed: true, exercised: [] },
      ['lib', 'ms'],
      'the tests passed but never loaded lib, ms: they prove nothing about them',
    ],
  ])('proposes (2): %s', (_name, tests, packages, text) => {
    expect(judge(tests, packages)).toEqual([{ effect: 'cap', level: 2, evidence: text }]);
  });
});
