import { describe, expect, it } from 'vitest';
import { heldBackReport } from '../../../test/helpers/fix-report.js';
import type { Change } from '../../core/change.js';
import type { FixReport } from '../commands/fix.js';
import { renderFixMarkdown } from './fix-markdown.js';

/** A report of one held-back change whose names, reason and test output are hostile. */
const report = (): FixReport =>
  heldBackReport(
    [
      {
        id: 'p-1',
        status: 'held-back',
        level: 2,
        reason: 'npm test failed <b>',
        base: 'a'.repeat(40),
        verdict: { level: 2, reasons: [], cappedBy: [] },
        patch: {
          id: 'p-1',
          strategy: 'in-place',
          changes: [{ kind: 'lock', name: 'x<!--', from: '1.0.0', to: '1.0.1', step: 'patch' }],
          fixes: [{ id: 'GHSA-1', name: 'x<!--', version: '1.0.0' }],
        },
        tests: {
          ran: true,
          passed: false,
          durationMs: 1000,
          commands: [],
          exercised: ['x<!--'],
          notExercised: [],
        },
        failure: { stage: 'test', text: 'npm test failed' },
        commands: [
          {
            command: 'npm test',
            code: 1,
            timedOut: false,
            durationMs: 1000,
            output: 'ok\n````\n<!-- everything after is hidden\n',
          },
        ],
      },
    ] as unknown as Change[],
    {
      project: 'app<!--',
      unfixable: [{ finding: { id: 'GHSA-2', name: 'y<!--', version: '1.0.0' }, text: 'no fix <i>' }],
    },
  );

describe('renderFixMarkdown', () => {
  it('lets no HTML through, and test output cannot close its fence', () => {
    const text = renderFixMarkdown(report());
    // The only `<!--` left are inside the fenced test output, which a longer fence keeps there,
    // and inside code spans (a package name, shown as it is), where GitHub reads no HTML.
    const outside = text.replace(/`````\n[\s\S]*?\n`````/, '').replace(/`[^`\n]*`/g, '');
    expect(outside).not.toContain('<');
    expect(text).toContain('`````\nok\n````\n<!-- everything after is hidden\n`````');
    expect(text).toContain('# PatchPilot fix: app&lt;!--\n');
    expect(text).toContain('- `x<!--`: 1.0.0 → 1.0.1 (patch)\n');
    expect(text).toContain('- Fixes: GHSA-1 (x&lt;!--@&#8203;1.0.0)\n');
    expect(text).toContain('- Exercised by the tests: x&lt;!--; never loaded: none\n');
    expect(text).toContain('- Why: npm test failed &lt;b>\n');
    expect(text).toContain('- GHSA-2 (y&lt;!--@&#8203;1.0.0): no fix &lt;i>\n');
  });
});
