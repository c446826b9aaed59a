import { beforeAll, describe, expect, it } from 'vitest';
import { advisory, npmInventory, planInput, universe } from '../../../test/helpers/plan.js';
import { patch as patchOf } from '../../../test/helpers/policy.js';
import { defaultConfig } from '../../config/normalize.js';
import type { Plan } from '../../core/plan.js';
import type { PlanInput } from '../../plan/index.js';
import { assemblePlan } from '../../plan/index.js';
import { policyRules } from '../../policy/index.js';
import { renderExplainText } from '../render/explain-text.js';
import {
  type ExplainReport,
  explain,
  type FindingExplanation,
  type PatchExplanation,
  whyNotChosen,
} from './explain.js';

/**
 * `d` 1.0.0 has two vulnerabilities, fixed in 1.1.0 and 1.2.0: the planner takes d → 1.2.0 and
 * keeps d → 1.1.0 as an alternative; `e` 1.0.0 has one nothing fixes.
 */
const registry = universe(`
  d
    1.0.0
    1.1.0
    1.2.0
  e
    1.0.0
`);
const inventory = npmInventory({
  '': { dependencies: { d: '^1.0.0', e: '^1.0.0' } },
  'node_modules/d': { version: '1.0.0' },
  'node_modules/e': { version: '1.0.0' },
});
const advisories = [
  advisory('GHSA-aaaa', 'd', { fixed: '1.1.0' }),
  advisory('GHSA-bbbb', 'd', { fixed: '1.2.0' }, { aliases: ['CVE-2025-2'] }),
  advisory('GHSA-cccc', 'e', {}),
];

let input: PlanInput;
let plan: Plan;
const run = (query: string) =>
  explain(query, { plan, findings: input.findings, inventory, policy: defaultConfig.policy });

beforeAll(async () => {
  input = planInput(inventory, advisories, registry);
  plan = await assemblePlan(input);
});

describe('explain a patch', () => {
  it('a chosen patch: findings, the alternative and why it lost, evidence, every rule, the verdict', () => {
    const [chosen] = plan.patches;
    const [alternative] = plan.alternatives;
    const [e] = run(chosen?.id ?? '') as PatchExplanation[];
    expect(e).toMatchObject({ kind: 'patch', chosen: true, position: 1, changes: ['d 1.0.0 → 1.2.0'] });
    expect(e?.findings.map((f) => `${f.id} ${f.name}@${f.version} ${f.severity} ${f.scope}`)).toEqual([
      'GHSA-aaaa d@1.0.0 high prod',
      'GHSA-bbbb d@1.0.0 high prod',
    ]);
    expect(e?.alternatives).toEqual([
      {
        id: alternative?.id,
        strategy: 'in-place',
        chosen: false,
        changes: ['d 1.0.0 → 1.1.0'],
        fixes: ['GHSA-aaaa d@1.0.0'],
        score: alternative?.score,
        whyNot: `every finding it fixes is fixed by the chosen ${chosen?.id}; it changes the same packages (d) as the chosen ${chosen?.id}`,
        // 1.1.0 is still affected by GHSA-bbbb: one more cap than the chosen patch.
        verdict: {
          level: 2,
          cappedBy: ['install-scripts', 'release-age', 'still-affected', 'tests-evidence', 'proof-of-fix'],
        },
      },
    ]);
    // GHSA-bbbb has one fix; GHSA-aaaa has two (the alternative fixes it too).
    expect(e?.evidence.findings.map((f) => [f.id, f.onlyFix])).toEqual([
      ['GHSA-aaaa', false],
      ['GHSA-bbbb', true],
    ]);
    expect(e?.rules.map((r) => r.id)).toEqual(policyRules.map((r) => r.id));
    expect(e?.rules.find((r) => r.id === 'no-fix')?.reasons).toEqual([]);
    // A universe states neither publish times nor install scripts, and nothing has run yet.
    expect(e?.verdict.level).toBe(2);
    expect(e?.verdict.cappedBy).toEqual(['install-scripts', 'release-age', 'tests-evidence', 'proof-of-fix']);
  });

  it('an alternative: why it was not chosen, with the chosen patch among the candidates', () => {
    const [e] = run(plan.alternatives[0]?.id ?? '') as PatchExplanation[];
    expect(e?.chosen).toBe(false);
    expect(e?.position).toBeUndefined();
    expect(e?.whyNot).toMatch(/^every finding it fixes is fixed by the chosen p-/);
    expect(e?.alternatives.map((a) => [a.id, a.chosen])).toEqual([[plan.patches[0]?.id, true]]);
    expect(e?.verdict.cappedBy).toContain('still-affected');
  });
});

describe('explain a finding', () => {
  it('by an alias, in any case: the patches that fix it', () => {
    const explanations = run('cve-2025-2') as FindingExplanation[];
    expect(explanations.map((e) => [e.finding.id, e.status, e.patches.map((p) => [p.id, p.chosen])])).toEqual(
      [['GHSA-bbbb', 'fixed', [[plan.patches[0]?.id, true]]]],
    );
  });

  it('one nothing fixes: the planner reason and a level-1 verdict from no-fix', () => {
    const [e] = run('GHSA-cccc') as FindingExplanation[];
    expect(e?.status).toBe('unfixable');
    expect(e?.unfixable?.reason).toBe('no-fix-published');
    expect(e?.verdict).toMatchObject({ level: 1, cappedBy: ['no-fix'] });
    expect(e?.patches).toEqual([]);
  });

  it('nothing for an id the plan does not know', () => {
    expect(run('GHSA-zzzz')).toEqual([]);
    expect(run('p-0000000000')).toEqual([]);
  });
});

describe('whyNotChosen', () => {
  it('says a candidate that introduces a finding is never chosen', () => {
    const candidate = patchOf({
      id: 'p-bad',
      fixes: [{ id: 'GHSA-x', name: 'lib', version: '1.0.0' }],
      introduces: [
        {
          id: 'GHSA-new',
          name: 'lib',
          version: '1.0.1',
          kind: 'vulnerability',
          severity: 'high',
          advisories: [],
        },
      ],
    });
    const empty = { patches: [], alternatives: [candidate], unfixable: [] } as unknown as Plan;
    expect(whyNotChosen(candidate, empty)).toBe(
      'it would introduce GHSA-new (lib@1.0.1), and a patch that introduces a finding is never chosen',
    );
  });

  it('falls back to the ranking when nothing else explains it', () => {
    const candidate = patchOf({
      id: 'p-other',
      changes: [],
      fixes: [{ id: 'GHSA-y', name: 'x', version: '1.0.0' }],
    });
    const other = { patches: [patchOf()], alternatives: [candidate], unfixable: [] } as unknown as Plan;
    expect(whyNotChosen(candidate, other)).toBe(
      'the ranking preferred the chosen patches (priority fixed, then the least change)',
    );
  });
});

describe('renderExplainText', () => {
  it('lists every rule, marks the deciding caps and ends with the verdict', () => {
    const report: ExplainReport = {
      schemaVersion: 1,
      tool: { name: 'patchpilot', version: '0.0.0' },
      query: plan.patches[0]?.id ?? '',
      project: { path: '.', lockfile: 'package-lock.json', format: 'npm-v3' },
      planned: '2026-01-01T00:00:00.000Z',
      policy: defaultConfig.policy,
      explanations: run(plan.patches[0]?.id ?? ''),
    };
    const text = renderExplainText(report);
    for (const rule of policyRules) expect(text).toContain(rule.id);
    expect(text).toContain('  * tests-evidence   cap 2 (propose): no test evidence yet (fix runs the tests)');
    expect(text).toContain('    no-fix           no effect (');
    expect(text).toMatch(/\nAlternatives considered\n {2}p-[0-9a-f]{10} \(in-place\): d 1\.0\.0 → 1\.1\.0\n/);
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'Verdict: 2 (propose), capped by install-scripts, release-age, tests-evidence, proof-of-fix',
    );
  });
});
