import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LedgerEntryInput } from '../core/ledger.js';
import { matchingQuarantine, parsePackageSpec, quarantinedVersions } from './quarantine.js';
import { Ledger } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'patchpilot-quarantine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tool = 'patchpilot@0.1.0';
const rolledBack = (
  change: string,
  quarantine: unknown,
  time: string,
  reason?: string,
): LedgerEntryInput => ({
  kind: 'rolled-back',
  subject: change,
  change,
  actor: tool,
  inputs: {},
  outcome: { quarantine, ...(reason ? { reason } : {}) },
  time,
});
const released = (outcome: Record<string, unknown>, time: string): LedgerEntryInput => ({
  kind: 'quarantine-released',
  subject: String(outcome.name),
  actor: 'Ann <ann@example.org>',
  inputs: {},
  outcome,
  time,
});

describe('quarantinedVersions', () => {
  it('derives quarantine from rollbacks and the releases after them', () => {
    const ledger = Ledger.open(join(dir, 'q.db'));
    ledger.appendAll([
      {
        kind: 'applied',
        subject: 'p-1',
        change: 'p-1',
        actor: tool,
        inputs: {},
        outcome: { commit: 'a'.repeat(40) },
        time: '2025-01-01T00:00:00Z',
      },
      rolledBack(
        'p-1',
        [
          { name: 'left-pad', version: '1.3.1' },
          { name: '@acme/util', version: '2.0.0' },
          { name: 'broken' },
        ],
        '2025-01-02T00:00:00Z',
        'health check failed',
      ),
      rolledBack(
        'p-2',
        [
          { name: 'left-pad', version: '1.3.2' },
          { name: 'qs', version: '6.0.0' },
        ],
        '2025-01-03T00:00:00Z',
      ),
      rolledBack('p-3', 'not a list', '2025-01-03T01:00:00Z'),
    ]);
    expect(quarantinedVersions(ledger)).toEqual([
      {
        name: 'left-pad',
        version: '1.3.1',
        change: 'p-1',
        reason: 'health check failed',
        seq: 2,
        time: '2025-01-02T00:00:00.000Z',
      },
      {
        name: '@acme/util',
        version: '2.0.0',
        change: 'p-1',
        reason: 'health check failed',
        seq: 2,
        time: '2025-01-02T00:00:00.000Z',
      },
      {
        name: 'left-pad',
        version: '1.3.2',
        change: 'p-2',
        reason: 'rolled back',
        seq: 3,
        time: '2025-01-03T00:00:00.000Z',
      },
      {
        name: 'qs',
        version: '6.0.0',
        change: 'p-2',
        reason: 'rolled back',
        seq: 3,
        time: '2025-01-03T00:00:00.000Z',
      },
    ]);

    // One version released; then every version of a name; a release of something not held is harmless.
    ledger.append(released({ name: '@acme/util', version: '2.0.0' }, '2025-01-04T00:00:00Z'));
    ledger.append(released({ name: 'nothing-here' }, '2025-01-04T00:00:01Z'));
    expect(quarantinedVersions(ledger).map((q) => `${q.name}@${q.version}`)).toEqual([
      'left-pad@1.3.1',
      'left-pad@1.3.2',
      'qs@6.0.0',
    ]);
    ledger.append(released({ name: 'left-pad' }, '2025-01-05T00:00:00Z'));
    expect(quarantinedVersions(ledger).map((q) => `${q.name}@${q.version}`)).toEqual(['qs@6.0.0']);

    // A later rollback quarantines a released version again.
    ledger.append(
      rolledBack('p-4', [{ name: 'left-pad', version: '1.3.1' }], '2025-01-06T00:00:00Z', 'again'),
    );
    expect(quarantinedVersions(ledger)).toMatchObject([
      { name: 'qs', version: '6.0.0' },
      { name: 'left-pad', version: '1.3.1', change: 'p-4', reason: 'again' },
    ]);
    // Only what follows a rollback releases it: order is the ledger's.
    expect(ledger.verify().ok).toBe(true);
    ledger.close();
  });

  it('matches NAME and NAME@VERSION, scoped names too', () => {
    expect(parsePackageSpec('left-pad@1.3.1')).toEqual({ name: 'left-pad', version: '1.3.1' });
    expect(parsePackageSpec('left-pad')).toEqual({ name: 'left-pad', version: undefined });
    expect(parsePackageSpec('@acme/util@2.0.0')).toEqual({ name: '@acme/util', version: '2.0.0' });
    expect(parsePackageSpec('@acme/util')).toEqual({ name: '@acme/util', version: undefined });
    const held = [
      { name: 'a', version: '1.0.0', change: 'p', reason: 'r', seq: 1, time: 't' },
      { name: 'a', version: '2.0.0', change: 'p', reason: 'r', seq: 1, time: 't' },
    ];
    expect(matchingQuarantine(held, 'a', undefined)).toHaveLength(2);
    expect(matchingQuarantine(held, 'a', '2.0.0')).toEqual([held[1]]);
    expect(matchingQuarantine(held, 'b', undefined)).toEqual([]);
  });
});
