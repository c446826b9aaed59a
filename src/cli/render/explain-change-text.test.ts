import { describe, expect, it } from 'vitest';
import type { ChangeStory, StoryEvent } from '../../ledger/story.js';
import { renderChangeStoryText } from './explain-change-text.js';

const tool = 'patchpilot@0.1.0';
const human = 'Jane Doe <jane@example.com>';
const commit = 'b'.repeat(40);
const at = (minute: number) => ({ time: `2025-03-01T10:${String(minute).padStart(2, '0')}:00.000Z` });

const merged: ChangeStory = {
  kind: 'change',
  id: 'p-11111111',
  status: 'merged',
  advisories: [
    {
      id: 'GHSA-good-0001',
      name: 'good-lib',
      version: '1.0.0',
      advisories: [{ id: 'GHSA-good-0001', modified: '2024-01-01T00:00:00Z' }],
      detected: { seq: 1, ...at(0), actor: tool, storeSnapshot: 'f'.repeat(64), commit: 'a'.repeat(40) },
      severity: 'high',
      scope: 'prod',
      fixed: true,
    },
  ],
  plan: {
    seq: 2,
    ...at(1),
    actor: tool,
    strategy: 'in-place',
    storeSnapshot: 'f'.repeat(64),
    changes: [
      {
        kind: 'lock',
        name: 'good-lib',
        from: '1.0.0',
        to: '1.0.1',
        locations: ['node_modules/good-lib'],
        step: 'patch',
        downgrade: false,
      },
    ],
    risk: { step: 'patch', downgrade: false, inRange: true, stillAffectedBy: [] },
    alternatives: [{ id: 'p-alt00001', strategy: 'relax', changes: 2, introduces: 1 }],
    planLevel: 2,
  },
  decision: {
    seq: 5,
    ...at(4),
    actor: tool,
    level: 3,
    reasons: [
      {
        rule: 'tests-evidence',
        effect: 'allow',
        evidence: `the tests passed and loaded every changed package (${'a-long-package-name, '.repeat(6)}good-lib)`,
      },
      { rule: 'max-level', effect: 'cap', evidence: 'the project allows at most 3 (merge)', level: 3 },
    ],
    rules: ['tests-evidence', 'max-level'],
    cappedBy: ['max-level'],
    policyHash: 'c'.repeat(64),
  },
  tests: {
    seq: 3,
    ...at(2),
    actor: tool,
    ran: true,
    passed: true,
    commands: [{ command: 'npm test', code: 0, durationMs: 1500 }],
    exercised: ['good-lib'],
    notExercised: [],
  },
  proof: {
    seq: 4,
    ...at(3),
    actor: tool,
    proven: true,
    fixed: ['GHSA-good-0001 good-lib@1.0.0'],
    stillPresent: [],
    introduced: [],
    before: [{ id: 'GHSA-good-0001', name: 'good-lib', version: '1.0.0' }],
    after: [],
  },
  outcome: {
    seq: 7,
    ...at(6),
    actor: tool,
    kind: 'merged',
    status: 'merged',
    reason: 'merged into main (fast-forward)',
    commit,
    branch: 'patchpilot/p-11111111',
    merged: { branch: 'main', commit, mode: 'fast-forward' },
    base: 'a'.repeat(40),
  },
  afterwards: [
    {
      seq: 9,
      ...at(8),
      actor: human,
      kind: 'rolled-back',
      reason: 'breaks checkout',
      revert: 'd'.repeat(40),
      branch: 'main',
      mode: 'merged',
      quarantine: [{ name: 'good-lib', version: '1.0.1' }],
    },
    { seq: 10, ...at(9), actor: human, kind: 'quarantine-released', released: { name: 'good-lib' } },
  ],
  commit: { sha: commit, found: false },
  earlier: [{ seq: 0, ...at(0), status: 'proposed', outcome: 0, afterwards: [] }],
  laterRuns: [
    { seq: 11, ...at(10), status: 'tested', dryRun: true, outcome: 16, afterwards: [] },
    { seq: 17, ...at(16), status: 'held-back', dryRun: true, outcome: 19, afterwards: [] },
    { seq: 20, ...at(19), status: 'planned', afterwards: [] },
  ],
  seqs: [1, 2, 3, 4, 5, 7, 9, 10],
};

describe('renderChangeStoryText', () => {
  const text = renderChangeStoryText({ ...merged, ledger: 'ledger.db' });
  const lines = text.split('\n');

  it('tells the story under its headings, in order', () => {
    const headings = [
      'Advisories',
      'Plan',
      'Decision',
      'Tests',
      'Proof',
      'Outcome',
      'Afterwards',
      'Later runs (they changed nothing)',
      'Earlier runs',
    ];
    const found = headings.map((h) => lines.indexOf(h));
    expect(found.every((i) => i > 0)).toBe(true);
    expect([...found].sort((a, b) => a - b)).toEqual(found);
    expect(lines[0]).toBe('Change p-11111111: merged into main');
    expect(lines[1]).toBe(`  then rolled back by ${human}, 2025-03-01 10:08:00Z`);
  });

  it('names the entries, shortens hashes, marks the deciding cap, says what git lacks', () => {
    expect(text).toContain('    detected 2025-03-01 10:00:00Z, entry 1\n');
    expect(text).toContain('from store snapshot ffffffffffff, at commit aaaaaaaaaaaa');
    expect(text).toContain('    p-alt00001 (relax): 2 changes, introduces 1 finding\n');
    expect(text).toContain('  policy: sha256 cccccccccccc\n');
    expect(text).toMatch(/\n {2}\* max-level +cap 3 +the project allows at most 3/);
    expect(text).toContain('  npm test: exit 0, 1.5 s\n');
    expect(text).toContain('  main moved to bbbbbbbbbbbb (fast-forward)\n');
    expect(text).not.toContain('merged into main (fast-forward)');
    expect(text).toContain('  commit bbbbbbbbbbbb on patchpilot/p-11111111: not in this repository\n');
    expect(text).toContain('    revert dddddddddddd landed on main\n');
    expect(text).not.toContain('had been merged');
    const byHand = renderChangeStoryText({
      ...merged,
      ledger: 'ledger.db',
      afterwards: [
        { ...(merged.afterwards[0] as StoryEvent), mergedBy: 'outside patchpilot (proposed change)' },
      ],
    });
    expect(byHand).toContain(
      '    reason: breaks checkout\n    the change had been merged outside patchpilot (proposed change)\n',
    );
    expect(text).toContain('    quarantined: good-lib@1.0.1\n');
    expect(text).toContain(`  good-lib (every version) released by ${human}`);
    // A revert left on its branch, then a rollback that landed: the first no longer waits.
    const landed = merged.afterwards[0] as StoryEvent;
    const twice = renderChangeStoryText({
      ...merged,
      ledger: 'ledger.db',
      afterwards: [
        { ...landed, seq: 8, revert: 'e'.repeat(40), branch: 'patchpilot/revert-p-11111111', mode: 'branch' },
        landed,
      ],
    });
    expect(twice).toContain(
      '    revert eeeeeeeeeeee was left on patchpilot/revert-p-11111111, superseded by the rollback of entry 9\n',
    );
    expect(twice).not.toContain('waits on');
  });

  it('lists the runs since that changed nothing: a dry run, one with no outcome', () => {
    expect(text).toContain(
      'Later runs (they changed nothing)\n' +
        '  2025-03-01 10:10:00Z: tested in a dry run (entry 11 to 16)\n' +
        '  2025-03-01 10:16:00Z: dry run, held back (entry 17 to 19)\n' +
        '  2025-03-01 10:19:00Z: no outcome (stopped, or still running) (entry 20)\n',
    );
    const none = renderChangeStoryText({ ...merged, laterRuns: [], ledger: 'ledger.db' });
    expect(none).not.toContain('Later runs');
  });

  it('keeps every line short', () => {
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(90);
  });

  it('says what is missing for a held-back change', () => {
    const held = renderChangeStoryText({
      ...merged,
      status: 'held-back',
      outcome: {
        seq: 7,
        ...at(6),
        actor: tool,
        kind: 'failed',
        status: 'held-back',
        reason: 'npm test failed (exit 1)',
      },
      proof: undefined,
      commit: undefined,
      afterwards: [],
      earlier: [],
      ledger: 'ledger.db',
    });
    expect(held).toContain('Change p-11111111: held back\n');
    expect(held).toContain(
      '  held back by patchpilot@0.1.0, 2025-03-01 10:06:00Z, entry 7\n  npm test failed (exit 1)\n',
    );
    expect(held).toContain('  no commit: nothing was kept\n');
    expect(held).toContain('Proof\n  none recorded\n');
    expect(held).toContain('    gone in the change as tried (not kept)\n');
    expect(held).toContain('Afterwards\n  nothing since\n');
  });
});
