import { describe, expect, it } from 'vitest';
import { lock, patch } from '../../test/helpers/policy.js';
import type { Verdict } from '../core/verdict.js';
import { commitMessage, commitSubject } from './commit-message.js';

const verdict: Verdict = {
  level: 3,
  cappedBy: ['max-level'],
  reasons: [
    {
      rule: 'tests-evidence',
      effect: 'allow',
      evidence: 'the tests passed and loaded every changed package (lib)',
    },
    { rule: 'max-level', effect: 'cap', level: 3, evidence: 'the project allows up to 3 (merge)' },
  ],
};

describe('commit messages', () => {
  it('names the advisories, the versions, the evidence and ends with the trailers', () => {
    const p = patch({
      changes: [lock('lib', '1.0.0', '1.0.1')],
      fixes: [
        { id: 'GHSA-aaaa-bbbb-cccc', name: 'lib', version: '1.0.0' },
        { id: 'GHSA-zzzz-yyyy-xxxx', name: 'lib', version: '1.0.0' },
      ],
    });
    const text = commitMessage({
      patch: p,
      verdict,
      tests: {
        ran: true,
        passed: true,
        durationMs: 1500,
        commands: [{ command: 'npm test', code: 0, timedOut: false, durationMs: 1500, output: '' }],
        exercised: ['lib'],
        notExercised: [],
      },
      proof: { proven: true, stillPresent: [], introduced: [], fixed: ['GHSA-aaaa-bbbb-cccc lib@1.0.0'] },
      tool: 'patchpilot@1.2.3',
    });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('Fix GHSA-aaaa-bbbb-cccc, GHSA-zzzz-yyyy-xxxx in lib 1.0.0 → 1.0.1');
    expect(text).toContain('- lib 1.0.0 → 1.0.1 (patch, lockfile only)');
    expect(text).toContain('- tests: passed: npm test (exit 0) in 1.5 s');
    expect(text).toContain('- exercised by the tests: lib');
    expect(text).toContain(
      '- proof of fix: the re-resolved lockfile no longer has GHSA-aaaa-bbbb-cccc lib@1.0.0',
    );
    expect(text).toContain('- max-level: the project allows up to 3 (merge)');
    // git reads trailers from the last paragraph only: it must hold nothing else.
    const trailers = lines.slice(lines.lastIndexOf('') + 1);
    expect(trailers).toEqual([
      `PatchPilot-Change: ${p.id}`,
      'PatchPilot-Level: 3 (merge)',
      'PatchPilot-Advisory: GHSA-aaaa-bbbb-cccc',
      'PatchPilot-Advisory: GHSA-zzzz-yyyy-xxxx',
      'PatchPilot-Tool: patchpilot@1.2.3',
    ]);
  });

  it('says when no test ran', () => {
    const text = commitMessage({
      patch: patch(),
      tests: { ran: false, passed: false, durationMs: 0, commands: [], exercised: [], notExercised: ['lib'] },
      tool: 'patchpilot@1.2.3',
    });
    expect(text).toContain('- tests: the project has no build or test command; nothing ran');
  });

  it('shortens a subject with many advisories', () => {
    const fixes = ['A-1', 'A-2', 'A-3'].map((id) => ({ id, name: 'lib', version: '1.0.0' }));
    expect(commitSubject(patch({ fixes }))).toBe('Fix A-1 and 2 more in lib 1.0.0 → 1.0.1');
  });
});
