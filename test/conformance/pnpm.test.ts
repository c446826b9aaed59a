import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Inventory, registryPackageKeys, type Scope } from '../../src/core/inventory.js';
import { diskInput } from '../../src/inventory/index.js';
import { parsePnpmLockfile } from '../../src/inventory/pnpm/index.js';
import { readSimpleYaml, readWithYamlPackage } from '../../src/inventory/pnpm/yaml.js';
import { requireSharedData, sharedData } from '../helpers/cli.js';
import { type RefScope, referencePnpm, widest } from './reference-pnpm.js';

/**
 * pnpm lockfiles of ../shared/data/projects (and the v9 fixtures) against the separate reading of
 * reference-pnpm.ts: the same registry name@version set, and the same scope per name@version (the
 * widest over peer variants: prod > devOptional > optional > dev).
 */
const hasData = requireSharedData();
const vite = join(sharedData, 'projects', 'vitejs__vite@a98c8d95d5', 'pnpm-lock.yaml');
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'pnpm');

const scopesByNameVersion = (inventory: Inventory): Map<string, RefScope> => {
  const out = new Map<string, RefScope>();
  for (const pkg of inventory.packages.values()) {
    if (pkg.source !== 'registry') continue;
    const scope: Scope = pkg.scope;
    if (scope === 'peer') throw new Error(`unexpected peer scope for ${pkg.id}`);
    const key = `${pkg.name}@${pkg.version}`;
    out.set(key, widest(out.get(key), scope));
  }
  return out;
};

const compare = (lockfile: string): { inventory: Inventory; reference: ReturnType<typeof referencePnpm> } => {
  const inventory = parsePnpmLockfile(diskInput(lockfile));
  const reference = referencePnpm(lockfile);
  expect([...registryPackageKeys(inventory)].sort()).toEqual([...reference.registry.keys()].sort());
  const ours = scopesByNameVersion(inventory);
  const differences = [...reference.registry]
    .filter(([key, scope]) => ours.get(key) !== scope)
    .map(([key, scope]) => `${key}: reference ${scope}, PatchPilot ${ours.get(key)}`);
  expect(differences).toEqual([]);
  expect(inventory.importers).toHaveLength(reference.importers);
  return { inventory, reference };
};

describe('pnpm lockfiles against the reference reading', () => {
  for (const name of readdirSync(fixtures).sort()) {
    if (!name.startsWith('v9')) continue;
    it(`fixture ${name}`, () => {
      compare(join(fixtures, name, 'pnpm-lock.yaml'));
    });
  }

  describe.skipIf(!hasData)('vitejs/vite', () => {
    it('registry packages and scopes equal the reference', () => {
      const { inventory, reference } = compare(vite);
      expect(inventory.format).toBe('pnpm-v9.0');
      expect(inventory.importers).toHaveLength(279);
      const nonImporters = [...inventory.packages.values()].filter(
        (p) => p.source !== 'root' && p.source !== 'workspace',
      );
      expect(nonImporters.length).toBeGreaterThan(1300);
      expect(nonImporters.length).toBeLessThan(1500);
      expect(nonImporters.length).toBe(reference.snapshots);
      expect(reference.registry.size).toBeGreaterThan(1200);
    });

    it('reads overrides and patched packages as the registry packages they are', () => {
      const inventory = parsePnpmLockfile(diskInput(vite));
      const obug = inventory.packages.get('obug@1.0.2(ms@2.1.3)');
      expect(obug).toMatchObject({ name: 'obug', version: '1.0.2', source: 'registry' });
      // Depended on as `debug` (the override) by @babel/core and as `obug` directly elsewhere.
      expect(inventory.edges).toContainEqual({
        from: '@babel/core@7.29.7(ms@2.1.3)',
        to: 'obug@1.0.2(ms@2.1.3)',
        type: 'prod',
        spec: 'obug@1.0.2(ms@2.1.3)',
        alias: 'debug',
      });
      expect(obug?.purl).toBe('pkg:npm/obug@1.0.2');
      const chokidar = [...inventory.packages.values()].find((p) =>
        p.id.startsWith('chokidar@3.6.0(patch_hash='),
      );
      expect(chokidar).toMatchObject({ name: 'chokidar', version: '3.6.0', source: 'registry' });
      // `vite: workspace:*` links dependents to the workspace package, which is an importer.
      expect(inventory.packages.get('./packages/vite')?.source).toBe('workspace');
      expect(
        inventory.edges.some(
          (e) => e.to === './packages/vite' && !inventory.importers.some((i) => i.id === e.from),
        ),
      ).toBe(true);
    });

    it('the fast YAML reader and the yaml package read the same values', () => {
      const text = readFileSync(vite, 'utf8');
      const fast = readSimpleYaml(text);
      expect(fast).toBeDefined();
      expect(fast).toEqual(readWithYamlPackage(text, vite));
    });
  });
});
