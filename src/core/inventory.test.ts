import { describe, expect, it } from 'vitest';
import {
  type Inventory,
  type InventoryPackage,
  registryPackageCount,
  registryPackageKeys,
} from './inventory.js';
import { npmPurl } from './purl.js';

const pkg = (id: string, name: string, version: string, source: InventoryPackage['source'], purl?: string) =>
  ({
    id,
    name,
    version,
    purl,
    integrity: undefined,
    resolved: undefined,
    source,
    scope: 'prod',
    bundled: false,
    alias: undefined,
    license: undefined,
  }) as InventoryPackage;

describe('registryPackageCount', () => {
  it('counts registry packages once per name@version, with or without a purl, and nothing else', () => {
    const packages = [
      pkg('', 'app', '1.0.0', 'root'),
      pkg('node_modules/a', 'a', '1.0.0', 'registry', npmPurl('a', '1.0.0')),
      pkg('node_modules/b/node_modules/a', 'a', '1.0.0', 'registry', npmPurl('a', '1.0.0')),
      pkg('node_modules/c/node_modules/a', 'a', '2.0.0', 'registry', npmPurl('a', '2.0.0')),
      pkg('node_modules/@s/a', '@s/a', '1.0.0', 'registry'),
      pkg('node_modules/d/node_modules/@s/a', '@s/a', '1.0.0', 'registry', npmPurl('@s/a', '1.0.0')),
      pkg('node_modules/g', 'g', '1.0.0', 'git'),
      pkg('packages/w', 'w', '1.0.0', 'workspace'),
    ];
    const inventory: Inventory = {
      root: '/p',
      lockfile: '/p/package-lock.json',
      format: 'npm-v3',
      importers: [{ id: '', name: 'app', path: '' }],
      packages: new Map(packages.map((p) => [p.id, p])),
      edges: [],
    };
    expect(registryPackageCount(inventory)).toBe(3);
    expect(registryPackageCount(inventory)).toBe(registryPackageKeys(inventory).size);
  });
});
