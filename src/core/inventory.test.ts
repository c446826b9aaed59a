import { describe, expect, it } from 'vitest';
import { inventoryPackage } from '../../test/helpers/inventory.js';
import {
  type Inventory,
  type InventoryPackage,
  isUnderModules,
  registryPackageCount,
  registryPackageKeys,
  resolveFrom,
} from './inventory.js';
import { npmPurl } from './purl.js';

/** A package with the purl given (or none): the count must not depend on purls being there. */
const pkg = (id: string, name: string, version: string, source: InventoryPackage['source'], purl?: string) =>
  inventoryPackage(id, name, version, { source, purl });

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

describe('install locations', () => {
  const locations = new Set([
    'node_modules/a',
    'node_modules/b',
    'node_modules/a/node_modules/b',
    'packages/web',
    'packages/web/node_modules/b',
    'node_modules/@s/c',
  ]);
  const has = (location: string) => locations.has(location);

  it('resolves as Node does: the nearest node_modules on the way up wins', () => {
    expect(resolveFrom('node_modules/a', 'b', has)).toBe('node_modules/a/node_modules/b');
    expect(resolveFrom('node_modules/a/node_modules/b', 'b', has)).toBe('node_modules/a/node_modules/b');
    expect(resolveFrom('node_modules/b', 'a', has)).toBe('node_modules/a');
    expect(resolveFrom('packages/web', 'b', has)).toBe('packages/web/node_modules/b');
    expect(resolveFrom('packages/web', 'a', has)).toBe('node_modules/a');
    expect(resolveFrom('', '@s/c', has)).toBe('node_modules/@s/c');
    expect(resolveFrom('node_modules/@s/c', 'b', has)).toBe('node_modules/b');
    expect(resolveFrom('node_modules/a', 'missing', has)).toBeUndefined();
  });

  it('tells locations inside node_modules from folders of the project', () => {
    expect(isUnderModules('node_modules/a')).toBe(true);
    expect(isUnderModules('packages/web/node_modules/b')).toBe(true);
    expect(isUnderModules('packages/web')).toBe(false);
    expect(isUnderModules('')).toBe(false);
    expect(isUnderModules('my_node_modules/x')).toBe(false);
  });
});
