import type { FixReport } from '../../src/cli/commands/fix.js';
import type { Change } from '../../src/core/change.js';

/** A `fix` report of `changes`, every one held back, for the renderers' tests. */
export const heldBackReport = (
  changes: readonly Change[],
  extra: { project?: string; unfixable?: unknown[] } = {},
): FixReport =>
  ({
    schemaVersion: 1,
    tool: { name: 'patchpilot', version: '0.1.0' },
    generatedAt: '2026-01-01T00:00:00.000Z',
    dryRun: false,
    project: extra.project ?? '/work/app',
    lockfile: 'package-lock.json',
    base: { branch: 'main', commit: 'a'.repeat(40), after: null },
    ledger: null,
    summary: {
      merged: 0,
      proposed: 0,
      reported: 0,
      'held-back': changes.length,
      unproven: 0,
      failed: 0,
      tested: 0,
      patches: changes.length,
      unfixable: extra.unfixable?.length ?? 0,
      remaining: changes.length,
    },
    changes,
    unfixable: extra.unfixable ?? [],
    staleWorktrees: [],
    staleBranches: [],
  }) as unknown as FixReport;
