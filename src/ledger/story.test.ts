import { describe, expect, it } from 'vitest';
import type { LedgerEntry, LedgerKind } from '../core/ledger.js';
import { changeStory, patchPilotTrailers } from './story.js';

/** Hand-built ledgers: what `fix`, `rollback` and `quarantine release` append, in their order. */

const tool = 'patchpilot@0.1.0';
const human = 'Jane Doe <jane@example.com>';
const base = 'a'.repeat(40);
const commit = 'b'.repeat(40);

const ledgerOf = (
  items: readonly {
    kind: LedgerKind;
    subject: string;
    change?: string;
    actor?: string;
    inputs?: Record<string, unknown>;
    outcome?: Record<string, unknown>;
  }[],
): LedgerEntry[] =>
  items.map((item, i) => ({
    seq: i + 1,
    time: new Date(Date.UTC(2025, 2, 1, 10, i)).toISOString(),
    actor: item.actor ?? tool,
    kind: item.kind,
    subject: item.subject,
    change: item.change ?? null,
    inputs: item.inputs ?? {},
    outcome: item.outcome ?? {},
    prevHash: '0'.repeat(64),
    hash: String(i + 1).padStart(64, '0'),
  }));

const detected = (id: string, pkg: string, snapshot = 'snap-1') => ({
  kind: 'detected' as const,
  subject: `${id} ${pkg}`,
  inputs: { advisories: [{ id, modified: '2024-01-01T00:00:00Z' }], storeSnapshot: snapshot, commit: base },
  outcome: { severity: 'high', scope: 'prod', priority: 61.5, paths: 1 },
});

const planned = (change: string, name: string, from: string, to: string, fixes: string[]) => ({
  kind: 'planned' as const,
  subject: change,
  change,
  inputs: { storeSnapshot: 'snap-1', strategy: 'in-place', options: { strategies: ['in-place'] } },
  outcome: {
    changes: [
      { kind: 'lock', name, from, to, locations: [`node_modules/${name}`], step: 'patch', downgrade: false },
    ],
    fixes: fixes.map((id) => ({ id, name, version: from })),
    risk: { step: 'patch', downgrade: false, inRange: true, stillAffectedBy: [] },
    alternatives: [
      {
        id: 'p-alt00001',
        strategy: 'relax',
        changes: 1,
        introduces: 0,
        score: { weight: 61.5, fixed: 1, packagesChanged: 1, stepCost: 2 },
      },
    ],
    planLevel: 2,
  },
});

const tested = (change: string, passed: boolean, exercised: string[], notExercised: string[] = []) => ({
  kind: 'tested' as const,
  subject: change,
  change,
  inputs: { commands: ['npm test'] },
  outcome: {
    ran: true,
    passed,
    commands: [{ command: 'npm test', code: passed ? 0 : 1, durationMs: 1234 }],
    exercised,
    notExercised,
  },
});

const proved = (change: string, finding: { id: string; name: string; version: string }) => ({
  kind: 'proved' as const,
  subject: change,
  change,
  inputs: { lockfile: 'package-lock.json' },
  outcome: {
    proven: true,
    fixed: [`${finding.id} ${finding.name}@${finding.version}`],
    stillPresent: [],
    introduced: [],
    before: { findings: [finding] },
    after: { findings: [] },
  },
});

const decided = (change: string, level: number, cappedBy: string[]) => ({
  kind: 'decided' as const,
  subject: change,
  change,
  inputs: { rules: ['semver-step', 'tests-evidence', 'proof-of-fix'], cappedBy, policyHash: 'c'.repeat(64) },
  outcome: {
    level,
    reasons: [
      { rule: 'semver-step', effect: 'allow', evidence: 'patch step in range', level: 3 },
      {
        rule: 'tests-evidence',
        effect: level >= 3 ? 'allow' : 'cap',
        evidence: 'the tests passed',
        level: level >= 3 ? 3 : 2,
      },
      { rule: 'proof-of-fix', effect: 'allow', evidence: 'proven', level: 3 },
    ],
  },
});

/** `fix` leaving the change on its branch for a human. */
const proposed = (change: string) => ({
  kind: 'proposed' as const,
  subject: change,
  change,
  outcome: { status: 'proposed', reason: 'left for a human', commit, branch: `patchpilot/${change}` },
});

const mergedChange = 'p-11111111';
const heldChange = 'p-22222222';

const fullLedger = ledgerOf([
  detected('GHSA-good-0001', 'good-lib@1.0.0'),
  detected('GHSA-good-0002', 'good-lib@1.0.0'),
  detected('GHSA-brit-0003', 'brittle-lib@3.0.0'),
  planned(mergedChange, 'good-lib', '1.0.0', '1.0.1', ['GHSA-good-0001', 'GHSA-good-0002']),
  planned(heldChange, 'brittle-lib', '3.0.0', '3.0.1', ['GHSA-brit-0003']),
  tested(mergedChange, true, ['good-lib']),
  proved(mergedChange, { id: 'GHSA-good-0001', name: 'good-lib', version: '1.0.0' }),
  decided(mergedChange, 3, []),
  {
    kind: 'applied',
    subject: mergedChange,
    change: mergedChange,
    inputs: { base, strategy: 'in-place' },
    outcome: { commit, branch: `patchpilot/${mergedChange}`, status: 'merged' },
  },
  {
    kind: 'merged',
    subject: mergedChange,
    change: mergedChange,
    inputs: { level: 3 },
    outcome: {
      status: 'merged',
      reason: 'merged into main (fast-forward)',
      merged: { branch: 'main', commit, mode: 'fast-forward' },
      commit,
      branch: `patchpilot/${mergedChange}`,
    },
  },
  tested(heldChange, false, ['brittle-lib']),
  decided(heldChange, 2, ['tests-evidence']),
  {
    kind: 'applied',
    subject: heldChange,
    change: heldChange,
    inputs: { base, strategy: 'in-place' },
    outcome: { status: 'held-back' },
  },
  {
    kind: 'failed',
    subject: heldChange,
    change: heldChange,
    inputs: { level: 2 },
    outcome: { status: 'held-back', reason: 'npm test failed (exit 1)' },
  },
  {
    kind: 'rolled-back',
    subject: mergedChange,
    change: mergedChange,
    actor: human,
    inputs: {
      commit,
      reverted: commit,
      base: 'main',
      baseCommit: commit,
      reason: 'breaks checkout',
      level: 3,
    },
    outcome: {
      revert: 'd'.repeat(40),
      branch: 'main',
      mode: 'merged',
      reason: 'breaks checkout',
      files: ['package-lock.json'],
      quarantine: [{ name: 'good-lib', version: '1.0.1' }],
    },
  },
  {
    kind: 'quarantine-released',
    subject: 'good-lib@1.0.1',
    actor: human,
    inputs: { released: [{ name: 'good-lib', version: '1.0.1', change: mergedChange, seq: 15 }] },
    outcome: { name: 'good-lib', version: '1.0.1', reason: '1.0.2 is out' },
  },
]);

describe('changeStory', () => {
  it('tells a merged change: advisories with their detection, plan, decision, tests, proof, outcome', () => {
    const story = changeStory(fullLedger, mergedChange);
    expect(story).toBeDefined();
    if (!story) return;
    expect(story.kind).toBe('change');
    expect(story.status).toBe('merged');
    expect(story.advisories).toEqual([
      {
        id: 'GHSA-good-0001',
        name: 'good-lib',
        version: '1.0.0',
        advisories: [{ id: 'GHSA-good-0001', modified: '2024-01-01T00:00:00Z' }],
        detected: {
          seq: 1,
          time: '2025-03-01T10:00:00.000Z',
          actor: tool,
          storeSnapshot: 'snap-1',
          commit: base,
        },
        severity: 'high',
        scope: 'prod',
        priority: 61.5,
        paths: 1,
        fixed: true,
      },
      expect.objectContaining({
        id: 'GHSA-good-0002',
        detected: expect.objectContaining({ seq: 2 }),
        fixed: true,
      }),
    ]);
    expect(story.plan).toMatchObject({
      seq: 4,
      strategy: 'in-place',
      storeSnapshot: 'snap-1',
      changes: [{ kind: 'lock', name: 'good-lib', from: '1.0.0', to: '1.0.1' }],
      risk: { step: 'patch', inRange: true },
      alternatives: [{ id: 'p-alt00001', strategy: 'relax', changes: 1, introduces: 0 }],
      planLevel: 2,
    });
    expect(story.decision).toMatchObject({
      seq: 8,
      level: 3,
      rules: ['semver-step', 'tests-evidence', 'proof-of-fix'],
      cappedBy: [],
      policyHash: 'c'.repeat(64),
    });
    expect(story.decision?.reasons[0]).toEqual({
      rule: 'semver-step',
      effect: 'allow',
      evidence: 'patch step in range',
      level: 3,
    });
    expect(story.tests).toEqual({
      seq: 6,
      time: '2025-03-01T10:05:00.000Z',
      actor: tool,
      ran: true,
      passed: true,
      commands: [{ command: 'npm test', code: 0, durationMs: 1234 }],
      exercised: ['good-lib'],
      notExercised: [],
    });
    expect(story.proof).toMatchObject({ seq: 7, proven: true, after: [] });
    expect(story.outcome).toMatchObject({
      seq: 10,
      actor: tool,
      kind: 'merged',
      status: 'merged',
      reason: 'merged into main (fast-forward)',
      base,
      commit,
      branch: `patchpilot/${mergedChange}`,
      merged: { branch: 'main', commit, mode: 'fast-forward' },
      level: 3,
      applied: 9,
    });
    // The held-back change's entries are not this story's.
    expect(story.seqs).toEqual([1, 2, 4, 6, 7, 8, 9, 10, 15, 16]);
    expect(story.earlier).toEqual([]);
  });

  it('says a rolled-back change had been merged outside PatchPilot when the rollback says so', () => {
    const byHand = fullLedger.map((e) =>
      e.kind === 'rolled-back'
        ? { ...e, inputs: { ...e.inputs, mergedBy: 'outside patchpilot (proposed change)' } }
        : e,
    );
    expect(changeStory(byHand, mergedChange)?.afterwards[0]).toMatchObject({
      kind: 'rolled-back',
      mergedBy: 'outside patchpilot (proposed change)',
    });
    expect(changeStory(fullLedger, mergedChange)?.afterwards[0]).not.toHaveProperty('mergedBy');
  });

  it('tells what happened afterwards: the rollback, with its reason and quarantine, and the release', () => {
    const story = changeStory(fullLedger, mergedChange);
    expect(story?.afterwards).toEqual([
      {
        seq: 15,
        time: '2025-03-01T10:14:00.000Z',
        actor: human,
        kind: 'rolled-back',
        reason: 'breaks checkout',
        commit,
        reverted: commit,
        revert: 'd'.repeat(40),
        branch: 'main',
        mode: 'merged',
        quarantine: [{ name: 'good-lib', version: '1.0.1' }],
      },
      {
        seq: 16,
        time: '2025-03-01T10:15:00.000Z',
        actor: human,
        kind: 'quarantine-released',
        reason: '1.0.2 is out',
        released: { name: 'good-lib', version: '1.0.1' },
      },
    ]);
  });

  it('tells a held-back change: failed tests, the reason, no commit', () => {
    const story = changeStory(fullLedger, heldChange);
    expect(story?.status).toBe('held-back');
    expect(story?.tests).toMatchObject({ passed: false, exercised: ['brittle-lib'] });
    expect(story?.decision).toMatchObject({ level: 2, cappedBy: ['tests-evidence'] });
    expect(story?.outcome).toMatchObject({
      kind: 'failed',
      status: 'held-back',
      reason: 'npm test failed (exit 1)',
    });
    expect(story?.outcome?.commit).toBeUndefined();
    expect(story?.commit).toBeUndefined();
    expect(story?.proof).toBeUndefined();
    expect(story?.advisories.map((a) => [a.id, a.detected?.seq, a.fixed])).toEqual([
      ['GHSA-brit-0003', 3, undefined],
    ]);
    expect(story?.afterwards).toEqual([]);
  });

  it('is undefined for a change the ledger does not hold', () => {
    expect(changeStory(fullLedger, 'p-00000000')).toBeUndefined();
    expect(changeStory([], mergedChange)).toBeUndefined();
  });

  it('tells the last run of a change planned again, the earlier runs summed up', () => {
    const id = 'p-33333333';
    const ledger = ledgerOf([
      detected('GHSA-idle-0004', 'idle-lib@2.0.0', 'snap-1'),
      planned(id, 'idle-lib', '2.0.0', '2.0.1', ['GHSA-idle-0004']),
      tested(id, true, [], ['idle-lib']),
      decided(id, 2, ['tests-evidence']),
      proposed(id),
      detected('GHSA-idle-0004', 'idle-lib@2.0.0', 'snap-2'),
      planned(id, 'idle-lib', '2.0.0', '2.0.1', ['GHSA-idle-0004']),
      tested(id, true, ['idle-lib']),
      decided(id, 3, []),
      {
        kind: 'merged',
        subject: id,
        change: id,
        outcome: {
          status: 'merged',
          reason: 'merged',
          commit,
          merged: { branch: 'main', commit, mode: 'merge-commit' },
        },
      },
    ]);
    const story = changeStory(ledger, id);
    expect(story?.status).toBe('merged');
    expect(story?.plan?.seq).toBe(7);
    expect(story?.tests).toMatchObject({ seq: 8, exercised: ['idle-lib'] });
    expect(story?.decision?.level).toBe(3);
    expect(story?.outcome?.merged?.mode).toBe('merge-commit');
    expect(story?.earlier).toEqual([
      { seq: 2, time: '2025-03-01T10:01:00.000Z', status: 'proposed', outcome: 5, commit, afterwards: [] },
    ]);
    // First detected at seq 1; the plan of the last run was made after the detection at seq 6.
    expect(story?.advisories[0]?.detected).toMatchObject({ seq: 1, storeSnapshot: 'snap-1' });
    expect(story?.advisories[0]?.lastDetected).toMatchObject({ seq: 6, storeSnapshot: 'snap-2' });
  });

  it('keeps telling the run that settled a change after runs that changed nothing', () => {
    const id = 'p-66666666';
    const dryRun = (level: number) => [
      planned(id, 'idle-lib', '2.0.0', '2.0.1', ['GHSA-idle-0004']),
      tested(id, true, ['idle-lib']),
      decided(id, level, []),
      {
        kind: 'reported' as const,
        subject: id,
        change: id,
        inputs: { level },
        outcome: { status: 'tested', reason: `dry run: level ${level} would merge it` },
      },
    ];
    const ledger = ledgerOf([
      detected('GHSA-idle-0004', 'idle-lib@2.0.0'),
      ...dryRun(3),
      planned(id, 'idle-lib', '2.0.0', '2.0.1', ['GHSA-idle-0004']),
      tested(id, true, [], ['idle-lib']),
      decided(id, 2, ['tests-evidence']),
      proposed(id),
      ...dryRun(3),
      {
        kind: 'rolled-back',
        subject: id,
        change: id,
        actor: human,
        inputs: { reason: 'not wanted', commit },
        outcome: { mode: 'proposal-closed', branch: `patchpilot/${id}` },
      },
      planned(id, 'idle-lib', '2.0.0', '2.0.1', ['GHSA-idle-0004']),
    ]);
    const story = changeStory(ledger, id);
    // The proposal (seq 6 to 9) is the story: the dry run after it and the run stopped before its
    // outcome are listed after it, and the rollback recorded between them is its afterwards.
    expect(story?.status).toBe('proposed');
    expect(story?.plan?.seq).toBe(6);
    expect(story?.decision?.level).toBe(2);
    expect(story?.outcome).toMatchObject({ seq: 9, branch: `patchpilot/${id}` });
    expect(story?.afterwards.map((e) => [e.seq, e.kind])).toEqual([[14, 'rolled-back']]);
    expect(story?.earlier).toEqual([
      {
        seq: 2,
        time: '2025-03-01T10:01:00.000Z',
        status: 'tested',
        dryRun: true,
        outcome: 5,
        afterwards: [],
      },
    ]);
    expect(story?.laterRuns).toEqual([
      {
        seq: 10,
        time: '2025-03-01T10:09:00.000Z',
        status: 'tested',
        dryRun: true,
        outcome: 13,
        afterwards: [],
      },
      { seq: 15, time: '2025-03-01T10:14:00.000Z', status: 'planned', afterwards: [] },
    ]);

    // Only dry runs: the last one is the story.
    const rehearsed = changeStory(ledgerOf([...dryRun(2), ...dryRun(3)]), id);
    expect(rehearsed?.status).toBe('tested');
    expect(rehearsed?.plan?.seq).toBe(5);
    expect(rehearsed?.decision?.level).toBe(3);
    expect(rehearsed?.earlier.map((r) => r.seq)).toEqual([1]);
    expect(rehearsed?.laterRuns).toEqual([]);

    // A run settled after a dry run is the story, the dry run an earlier one.
    const after = changeStory(ledger.slice(0, 9), id);
    expect(after?.status).toBe('proposed');
    expect(after?.earlier.map((r) => [r.seq, r.status])).toEqual([[2, 'tested']]);
    expect(after?.laterRuns).toEqual([]);
  });

  it('knows a dry run that failed from its planned entry: it does not replace the proposal', () => {
    const id = 'p-77777777';
    const plannedDry = () => {
      const p = planned(id, 'idle-lib', '2.0.0', '2.0.1', ['GHSA-idle-0004']);
      return { ...p, inputs: { ...p.inputs, dryRun: true } };
    };
    const proposal = [
      planned(id, 'idle-lib', '2.0.0', '2.0.1', ['GHSA-idle-0004']),
      tested(id, true, ['idle-lib']),
      decided(id, 2, ['tests-evidence']),
      proposed(id),
    ];
    const heldBack = [
      plannedDry(),
      tested(id, false, ['idle-lib']),
      {
        kind: 'failed' as const,
        subject: id,
        change: id,
        inputs: { stage: 'test' },
        outcome: { status: 'held-back', reason: 'npm test failed (exit 1)' },
      },
    ];
    const story = changeStory(ledgerOf([...proposal, ...heldBack]), id);
    expect(story?.status).toBe('proposed');
    expect(story?.commit?.sha).toBe(commit);
    expect(story?.laterRuns).toEqual([
      {
        seq: 5,
        time: '2025-03-01T10:04:00.000Z',
        status: 'held-back',
        dryRun: true,
        outcome: 7,
        afterwards: [],
      },
    ]);
    // With no run that settled the change, the last dry run that ended is told, not a run
    // stopped after it.
    const rehearsed = changeStory(ledgerOf([...heldBack, plannedDry()]), id);
    expect(rehearsed?.status).toBe('held-back');
    expect(rehearsed?.laterRuns.map((r) => [r.seq, r.status, r.dryRun])).toEqual([[4, 'planned', true]]);
  });

  it('tells a change that could not be applied, and one policy reported at plan time', () => {
    const failed = 'p-44444444';
    const reported = 'p-55555555';
    const ledger = ledgerOf([
      planned(failed, 'x', '1.0.0', '1.0.1', ['GHSA-x']),
      planned(reported, 'y', '1.0.0', '1.0.1', ['GHSA-y']),
      {
        kind: 'reported',
        subject: reported,
        change: reported,
        inputs: { level: 1 },
        outcome: { status: 'reported', reason: 'level 1 (max-level: the project allows at most 1)' },
      },
      {
        kind: 'failed',
        subject: failed,
        change: failed,
        inputs: { stage: 'apply' },
        outcome: { text: 'the lockfile is not what the plan expected' },
      },
    ]);
    expect(changeStory(ledger, failed)?.outcome).toMatchObject({
      status: 'failed',
      stage: 'apply',
      reason: 'the lockfile is not what the plan expected',
    });
    const story = changeStory(ledger, reported);
    expect(story?.status).toBe('reported');
    expect(story?.outcome).toMatchObject({ level: 1, reason: expect.stringContaining('max-level') });
    expect(story?.decision).toBeUndefined();
    expect(story?.tests).toBeUndefined();
    // No detected entry in this ledger: the finding is still named, without a detection.
    expect(story?.advisories).toEqual([
      { id: 'GHSA-y', name: 'y', version: '1.0.0', advisories: [{ id: 'GHSA-y' }] },
    ]);
  });

  it('reads the commit the caller gives, or says the repository does not have it', () => {
    const message = [
      'Fix GHSA-good-0001 in good-lib 1.0.0 → 1.0.1',
      '',
      'Strategy: in-place.',
      '',
      `PatchPilot-Change: ${mergedChange}`,
      'PatchPilot-Level: 3 (merge)',
      'PatchPilot-Advisory: GHSA-good-0001',
      '',
    ].join('\n');
    const found = changeStory(fullLedger, mergedChange, {
      sha: commit,
      message,
      author: 'Test User <test@example.com>',
      date: '2025-03-01T10:09:00Z',
      files: ['package-lock.json'],
      onBranch: { branch: 'main', contains: true },
    });
    expect(found?.commit).toMatchObject({
      sha: commit,
      found: true,
      subject: 'Fix GHSA-good-0001 in good-lib 1.0.0 → 1.0.1',
      author: 'Test User <test@example.com>',
      files: ['package-lock.json'],
      onBranch: { branch: 'main', contains: true },
    });
    expect(found?.commit?.trailers).toEqual([
      { key: 'PatchPilot-Change', value: mergedChange },
      { key: 'PatchPilot-Level', value: '3 (merge)' },
      { key: 'PatchPilot-Advisory', value: 'GHSA-good-0001' },
    ]);
    expect(changeStory(fullLedger, mergedChange)?.commit).toEqual({ sha: commit, found: false });
    expect(
      changeStory(fullLedger, mergedChange, { sha: 'e'.repeat(40), message, author: '', date: '', files: [] })
        ?.commit?.found,
    ).toBe(false);
  });

  it('reads only PatchPilot trailers of the last paragraph', () => {
    expect(
      patchPilotTrailers(
        'Subject\n\nPatchPilot-Change: p-1 in the body\n\nSigned-off-by: x\nPatchPilot-Tool: patchpilot@1',
      ),
    ).toEqual([{ key: 'PatchPilot-Tool', value: 'patchpilot@1' }]);
  });
});
