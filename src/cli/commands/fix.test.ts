import { describe, expect, it } from 'vitest';
import type { FixEvent } from '../../apply/index.js';
import { settledBefore } from './fix.js';

const event = (kind: FixEvent['kind'], change: string | undefined, outcome: Record<string, unknown> = {}) =>
  ({
    kind,
    subject: change ?? 'GHSA-x lib@1.0.0',
    ...(change ? { change } : {}),
    inputs: {},
    outcome,
  }) as FixEvent;

describe('settledBefore: what a run that stopped had already settled', () => {
  it('names every change merged, proposed or reported, and where it went', () => {
    const events = [
      event('detected', undefined),
      event('reported', undefined, { status: 'unfixable' }),
      event('planned', 'p-1'),
      event('merged', 'p-1', { merged: { branch: 'main', commit: 'abc' }, branch: 'patchpilot/p-1' }),
      event('proposed', 'p-2', { branch: 'patchpilot/p-2' }),
      event('reported', 'p-3', { status: 'reported' }),
      event('failed', 'p-4'),
      event('reported', 'p-6', { status: 'tested' }),
      event('applied', 'p-5'),
    ];
    expect(settledBefore(events)).toBe(
      [
        'fix stopped after settling 3 changes, which stay as they are:',
        '  merged p-1 into main',
        '  proposed p-2 on patchpilot/p-2',
        '  reported p-3',
        '',
      ].join('\n'),
    );
  });

  it('says nothing when nothing was settled', () => {
    expect(
      settledBefore([event('detected', undefined), event('planned', 'p-1'), event('tested', 'p-1')]),
    ).toBe('');
  });
});
