import { describe, expect, it } from 'vitest';
import { npmInventory } from '../../test/helpers/plan.js';
import { lock, manifest, patch, unfixable } from '../../test/helpers/policy.js';
import type { Finding } from '../core/finding.js';
import type { Plan } from '../core/plan.js';
import { changedPackages, findingSubjectKey, gatherEvidence, usesOverride } from './evidence.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  id: 'GHSA-aaaa-bbbb-cccc',
  aliases: ['CVE-2025-1'],
  advisories: ['GHSA-aaaa-bbbb-cccc'],
  kind: 'vulnerability',
  severity: 'critical',
  cvssScore: 9.8,
  cvssVector: undefined,
  summary: undefined,
  package: { name: 'lib', version: '1.0.0', purl: 'pkg:npm/lib@1.0.0' },
  fixedIn: ['1.0.1'],
  paths: [['app', 'lib@1.0.0']],
  pathCount: 1,
  pathsComplete: true,
  scope: 'prod',
  direct: true,
  workspaces: ['app'],
  locations: ['node_modules/lib'],
  ...over,
});

const inventory = npmInventory({
  '': { dependencies: { lib: '^1.0.0' }, devDependencies: { tool: '^1.0.0' } },
  'node_modules/lib': { version: '1.0.0' },
  'node_modules/tool': { version: '1.0.0', dev: true },
});

const chosen = patch();
const toolPatch = patch({
  id: 'p-tool',
  changes: [lock('tool', '1.0.0', '1.0.1')],
  fixes: [{ id: 'GHSA-tool', name: 'tool', version: '1.0.0' }],
});
const plan = (over: Partial<Plan> = {}): Plan =>
  ({ patches: [chosen, toolPatch], alternatives: [], unfixable: [], ...over }) as unknown as Plan;

describe('gatherEvidence', () => {
  it('states the findings with their KEV and EPSS facts, severity and scope', () => {
    const f = finding({
      kev: { cve: 'CVE-2025-1', dateAdded: '2025-12-01', dueDate: '2025-12-22', ransomware: 'Unknown' },
      epss: { cve: 'CVE-2025-1', score: 0.5, percentile: 0.99, date: '2025-12-01' },
    });
    const ev = gatherEvidence(plan(), { findings: [f], inventory }).get(chosen.id);
    expect(ev?.findings).toEqual([
      {
        id: 'GHSA-aaaa-bbbb-cccc',
        name: 'lib',
        version: '1.0.0',
        severity: 'critical',
        scope: 'prod',
        kind: 'vulnerability',
        kev: { cve: 'CVE-2025-1', dateAdded: '2025-12-01' },
        epss: { cve: 'CVE-2025-1', score: 0.5 },
        onlyFix: true,
      },
    ]);
    expect(ev).toMatchObject({ packages: ['lib'], scopes: ['prod'], override: false, strategy: 'in-place' });
    expect(ev?.tests).toBeUndefined();
    expect(ev?.proof).toBeUndefined();
  });

  it.each<[string, Partial<Plan>, boolean]>([
    ['no other candidate fixes it', {}, true],
    [
      'an alternative fixes it too',
      { alternatives: [patch({ id: 'p-alt', changes: [lock('lib', '1.0.0', '1.0.2')] })] },
      false,
    ],
    [
      'the only other candidate introduces a finding (not a fix one can take)',
      {
        alternatives: [
          patch({
            id: 'p-alt',
            introduces: [
              {
                id: 'GHSA-new',
                name: 'lib',
                version: '1.0.2',
                kind: 'vulnerability',
                severity: 'low',
                advisories: [],
              },
            ],
          }),
        ],
      },
      true,
    ],
  ])('onlyFix: %s', (_name, over, onlyFix) => {
    const ev = gatherEvidence(plan(over), { findings: [finding()], inventory }).get(chosen.id);
    expect(ev?.findings[0]?.onlyFix).toBe(onlyFix);
  });

  it('takes the scopes of the changed install locations, and a raised range by its dependency type', () => {
    const relax = patch({
      id: 'p-relax',
      strategy: 'relax',
      changes: [
        manifest('tool', '^1.0.0', '^2.0.0', { type: 'dev', from: '1.0.0' }),
        lock('lib', '1.0.0', '1.0.1'),
      ],
    });
    const evidence = gatherEvidence(plan({ patches: [toolPatch, relax] }), {
      findings: [finding()],
      inventory,
    });
    expect(evidence.get('p-tool')?.scopes).toEqual(['dev']);
    expect(evidence.get('p-relax')?.scopes).toEqual(['prod', 'dev']);
    expect(evidence.get('p-relax')?.packages).toEqual(['lib', 'tool']);
  });

  it('falls back to the findings’ scopes without an inventory', () => {
    const ev = gatherEvidence(plan(), { findings: [finding({ scope: 'devOptional' })] }).get(chosen.id);
    expect(ev?.scopes).toEqual(['devOptional']);
  });

  it('attaches test runs and proofs by patch id', () => {
    const tests = new Map([[chosen.id, { passed: true, exercised: ['lib'] }]]);
    const proofs = new Map([[chosen.id, { proven: true, stillPresent: [] }]]);
    const evidence = gatherEvidence(plan(), { findings: [], tests, proofs });
    expect(evidence.get(chosen.id)).toMatchObject({
      tests: tests.get(chosen.id),
      proof: proofs.get(chosen.id),
    });
    expect(evidence.get('p-tool')?.tests).toBeUndefined();
  });

  it('gives each unfixable finding its own evidence, keyed `ID name@version`', () => {
    const u = unfixable();
    const evidence = gatherEvidence(plan({ unfixable: [u] }), { findings: [finding()] });
    expect(findingSubjectKey(u.finding)).toBe('GHSA-aaaa-bbbb-cccc lib@1.0.0');
    expect(evidence.get('GHSA-aaaa-bbbb-cccc lib@1.0.0')).toMatchObject({
      packages: ['lib'],
      scopes: ['prod'],
      findings: [{ severity: 'critical', onlyFix: false }],
    });
    expect(evidence.get('GHSA-aaaa-bbbb-cccc lib@1.0.0')?.risk).toBeUndefined();
  });
});

describe('changedPackages and usesOverride', () => {
  it('lists moved packages once, not added or removed ones', () => {
    const p = patch({
      changes: [
        lock('b', '1.0.0', '1.0.1'),
        lock('b', '1.1.0', '1.1.1'),
        manifest('a', '^1.0.0', '^2.0.0'),
        { kind: 'add', name: 'c', to: '1.0.0', locations: [] },
        { kind: 'remove', name: 'd', from: '1.0.0', locations: [] },
      ],
    });
    expect(changedPackages(p)).toEqual(['a', 'b']);
    expect(usesOverride(p)).toBe(false);
  });

  it('counts the override strategy and an added overrides entry', () => {
    expect(usesOverride(patch({ strategy: 'override', changes: [] }))).toBe(true);
  });
});
