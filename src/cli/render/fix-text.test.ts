import { describe, expect, it } from 'vitest';
import { heldBackReport } from '../../../test/helpers/fix-report.js';
import type { Change, ChangeStage } from '../../core/change.js';
import { renderFixText } from './fix-text.js';

/** A held-back change that stopped at `stage`, with the commands `fix` ran up to there. */
const heldBack = (id: string, stage: ChangeStage, text: string, ranTests: boolean): Change =>
  ({
    id,
    status: 'held-back',
    level: 3,
    reason: text,
    base: 'a'.repeat(40),
    verdict: { level: 3, reasons: [], cappedBy: [] },
    patch: {
      id,
      strategy: 'in-place',
      changes: [{ kind: 'lock', name: `lib-${id}`, from: '1.0.0', to: '1.0.1', step: 'patch' }],
      fixes: [{ id: `GHSA-${id}`, name: `lib-${id}`, version: '1.0.0' }],
    },
    ...(ranTests
      ? {
          tests: {
            ran: true,
            passed: false,
            durationMs: 2000,
            commands: [],
            exercised: [`lib-${id}`],
            notExercised: [],
          },
        }
      : {}),
    failure: { stage, text },
    commands: [
      {
        command:
          stage === 'install' ? 'npm ci --ignore-scripts' : stage === 'build' ? 'npm run build' : 'npm test',
        code: stage === 'install' ? null : 1,
        timedOut: stage === 'install',
        durationMs: 2000,
        output: `${stage} output\n`,
      },
    ],
  }) as unknown as Change;

const report = (changes: Change[]) => heldBackReport(changes);

describe('renderFixText', () => {
  it('says why each change was held back: a failed install or build is not a failed test', () => {
    const text = renderFixText(
      report([
        heldBack('p-1', 'test', 'npm test failed (exit 1)', true),
        heldBack('p-2', 'install', 'the install timed out', false),
        heldBack('p-3', 'build', 'npm run build failed (exit 1)', true),
      ]),
    );
    const headings = text.split('\n').filter((line) => /^\S.*:$/.test(line));
    expect(headings).toEqual([
      'Held back (install failed) (1):',
      'Held back (build failed) (1):',
      'Held back (tests failed) (1):',
    ]);
    const section = (heading: string): string => text.slice(text.indexOf(heading)).split('\n\n')[0] as string;
    expect(section('Held back (install failed)')).toContain('  p-2  lib-p-2 1.0.0 → 1.0.1');
    expect(section('Held back (install failed)')).toContain('    the install timed out\n');
    expect(section('Held back (install failed)')).not.toContain('tests:');
    expect(section('Held back (install failed)')).toContain(
      '    output of npm ci --ignore-scripts:\n      | install output',
    );
    expect(section('Held back (build failed)')).toContain('  p-3  lib-p-3');
    expect(section('Held back (tests failed)')).toContain('  p-1  lib-p-1');
    expect(section('Held back (tests failed)')).toContain('    tests: FAILED');
    expect(text).toContain(
      '3 patch(es): 0 merged, 0 proposed, 0 reported, 3 held back, 0 unproven, 0 failed',
    );
  });
});
