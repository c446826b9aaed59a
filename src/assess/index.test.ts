import { describe, expect, it } from 'vitest';
import { inventoryPackage as node } from '../../test/helpers/inventory.js';
import type { Advisory } from '../core/advisory.js';
import type { Inventory, InventoryEdge, InventoryPackage } from '../core/inventory.js';
import { matchAdvisories } from './index.js';

const inventory = (packages: InventoryPackage[], edges: [string, string][]): Inventory => ({
  root: '/p',
  lockfile: '/p/package-lock.json',
  format: 'npm-v3',
  importers: [{ id: '', name: 'app', path: '' }],
  packages: new Map([
    ['', node('', 'app', '1.0.0', { source: 'root', purl: undefined })],
    ...packages.map((p) => [p.id, p] as const),
  ]),
  edges: edges.map(([from, to]): InventoryEdge => ({ from, to, type: 'prod', spec: '*' })),
});

const advisory = (id: string, name: string, fixed: string, extra: Partial<Advisory> = {}): Advisory => ({
  id,
  aliases: [],
  modified: '2024-01-01T00:00:00Z',
  published: undefined,
  withdrawn: undefined,
  summary: `${id} summary`,
  kind: 'vulnerability',
  severityLabel: 'moderate',
  cvss: [],
  affected: [{ name, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }], versions: [] }],
  ...extra,
});

const byName = (...list: Advisory[]) => {
  const map = new Map<string, Advisory[]>();
  for (const a of list)
    for (const n of new Set(a.affected.map((x) => x.name))) map.set(n, [...(map.get(n) ?? []), a]);
  return map;
};

describe('matchAdvisories', () => {
  const inv = inventory(
    [
      node('node_modules/a', 'a', '1.0.0'),
      node('node_modules/b', 'b', '1.0.0'),
      node('node_modules/lodash', 'lodash', '4.17.15'),
      node('node_modules/b/node_modules/lodash', 'lodash', '4.17.15', { scope: 'dev' }),
      node('node_modules/a/node_modules/lodash', 'lodash', '3.0.0'),
      node('node_modules/git-dep', 'git-dep', '1.0.0', { source: 'git', purl: undefined }),
    ],
    [
      ['', 'node_modules/a'],
      ['', 'node_modules/b'],
      ['', 'node_modules/lodash'],
      ['', 'node_modules/git-dep'],
      ['node_modules/a', 'node_modules/a/node_modules/lodash'],
      ['node_modules/b', 'node_modules/b/node_modules/lodash'],
      ['node_modules/a', 'node_modules/b'],
    ],
  );

  it('gives malicious findings a remedy and vulnerabilities none', () => {
    const findings = matchAdvisories(
      inv,
      byName(
        advisory('MAL-2024-1', 'a', '1.0.1', { kind: 'malicious' }),
        advisory('GHSA-1111-2222-3333', 'b', '2.0.0'),
      ),
    );
    const malicious = findings.find((f) => f.id === 'MAL-2024-1');
    expect(malicious?.remedy).toMatchObject({ action: 'upgrade', version: '1.0.1', affected: '>=0 <1.0.1' });
    expect(findings.find((f) => f.id === 'GHSA-1111-2222-3333')?.remedy).toBeUndefined();
  });

  it('groups records that alias each other into one finding per installed name@version', () => {
    const findings = matchAdvisories(
      inv,
      byName(
        advisory('GHSA-1111', 'lodash', '4.17.21', { aliases: ['CVE-2020-1'], severityLabel: 'high' }),
        advisory('CVE-2020-1', 'lodash', '4.17.19', { severityLabel: 'critical' }),
        advisory('GHSA-2222', 'lodash', '4.0.0'),
      ),
    );
    expect(
      findings.map((f) => [
        f.id,
        `${f.package.name}@${f.package.version}`,
        f.advisories,
        f.aliases,
        f.severity,
        f.fixedIn,
      ]),
    ).toEqual([
      [
        'GHSA-1111',
        'lodash@3.0.0',
        ['CVE-2020-1', 'GHSA-1111'],
        ['CVE-2020-1'],
        'critical',
        ['4.17.19', '4.17.21'],
      ],
      [
        'GHSA-1111',
        'lodash@4.17.15',
        ['CVE-2020-1', 'GHSA-1111'],
        ['CVE-2020-1'],
        'critical',
        ['4.17.19', '4.17.21'],
      ],
      ['GHSA-2222', 'lodash@3.0.0', ['GHSA-2222'], [], 'moderate', ['4.0.0']],
    ]);
  });

  it('reports every path to every copy, shortest first, the widest scope, and directness', () => {
    const [finding] = matchAdvisories(inv, byName(advisory('GHSA-1111', 'lodash', '4.17.21'))).filter(
      (f) => f.package.version === '4.17.15',
    );
    expect(finding?.paths).toEqual([
      ['app', 'lodash@4.17.15'],
      ['app', 'b@1.0.0', 'lodash@4.17.15'],
      ['app', 'a@1.0.0', 'b@1.0.0', 'lodash@4.17.15'],
    ]);
    expect(finding).toMatchObject({
      pathCount: 3,
      pathsComplete: true,
      scope: 'prod',
      direct: true,
      workspaces: ['app'],
    });
    expect(finding?.locations).toEqual(['node_modules/b/node_modules/lodash', 'node_modules/lodash']);
  });

  it('caps the paths it lists but counts them all', () => {
    const [finding] = matchAdvisories(inv, byName(advisory('GHSA-1111', 'lodash', '4.17.21')), {
      maxPaths: 1,
      countCap: 1000,
    }).filter((f) => f.package.version === '4.17.15');
    expect(finding?.paths).toHaveLength(1);
    expect(finding?.pathCount).toBe(3);
  });

  it('matches registry packages only and marks malicious records', () => {
    const findings = matchAdvisories(
      inv,
      byName(
        advisory('GHSA-3333', 'git-dep', '2.0.0'),
        advisory('MAL-2024-9', 'a', '9.9.9', { kind: 'malicious', severityLabel: undefined }),
      ),
    );
    expect(findings.map((f) => [f.id, f.kind, f.severity, f.direct])).toEqual([
      ['MAL-2024-9', 'malicious', 'critical', true],
    ]);
  });
});
