import { z } from 'zod';
import { untestedPackages } from '../match.js';
import { defineRule } from '../rule.js';

/**
 * Merging needs the project's tests to pass with the change AND to have loaded every changed
 * package: tests that never touch a package prove nothing about it. At plan time there is no
 * test evidence yet (`fix` runs the tests), so every planned change is proposed at most.
 */
export const testsEvidence = defineRule({
  id: 'tests-evidence',
  description: 'merging (3) needs tests that passed and loaded every changed package; otherwise proposed (2)',
  options: z.strictObject({}),
  check: (subject, evidence) => {
    if (subject.kind !== 'patch') return [];
    const tests = evidence.tests;
    if (!tests) return [{ effect: 'cap', level: 2, evidence: 'no test evidence yet (fix runs the tests)' }];
    if (tests.ran === false)
      return [
        {
          effect: 'cap',
          level: 2,
          evidence: 'the project has no tests to run: nothing vouches for the change',
        },
      ];
    if (!tests.passed)
      return [{ effect: 'cap', level: 2, evidence: "the project's tests failed with the change" }];
    const missing = untestedPackages(evidence);
    if (missing !== undefined && missing.length > 0) {
      return [
        {
          effect: 'cap',
          level: 2,
          evidence: `the tests passed but never loaded ${missing.join(', ')}: they prove nothing about ${missing.length === 1 ? 'it' : 'them'}`,
        },
      ];
    }
    return [
      {
        effect: 'allow',
        evidence: `the tests passed and loaded every changed package (${evidence.packages.join(', ')})`,
      },
    ];
  },
});
