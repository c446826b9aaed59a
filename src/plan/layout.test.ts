import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireSharedData, sharedData } from '../../test/helpers/cli.js';
import { inventoryPackage } from '../../test/helpers/inventory.js';
import type { Inventory, InventoryEdge, InventoryPackage } from '../core/inventory.js';
import { readInventory } from '../inventory/index.js';
import { npmLayout, npmSpec, placeGraph } from './layout.js';
import { resolveDep, treeFromInventory } from './tree.js';

/** A graph inventory as the yarn and pnpm parsers give one: ids are `name@version`. */
const graph = (deps: Record<string, readonly string[]>): Inventory => {
  const packages = new Map<string, InventoryPackage>();
  const add = (id: string, source: InventoryPackage['source']): void => {
    const at = id.lastIndexOf('@');
    const [name, version] = id === '.' ? ['app', '1.0.0'] : [id.slice(0, at), id.slice(at + 1)];
    packages.set(id, inventoryPackage(id, name, version, { source, purl: undefined }));
  };
  add('.', 'root');
  const edges: InventoryEdge[] = [];
  for (const [from, list] of Object.entries(deps)) {
    for (const to of list) {
      if (!packages.has(to)) add(to, 'registry');
      edges.push({ from, to, type: 'prod', spec: `^${to.slice(to.lastIndexOf('@') + 1)}` });
    }
  }
  return {
    root: '/project',
    lockfile: '/project/yarn.lock',
    format: 'yarn-v1',
    importers: [{ id: '.', name: 'app', path: '' }],
    packages,
    edges,
  };
};

/** Every edge of the graph, followed in the layout from every copy of its dependent, finds the same record. */
const expectFaithful = (inventory: Inventory): void => {
  const { layout, recordAt } = placeGraph(inventory);
  const tree = treeFromInventory(layout);
  const copies = new Map<string, string[]>();
  for (const [location, record] of recordAt) copies.set(record, [...(copies.get(record) ?? []), location]);
  const importerPath = new Map(inventory.importers.map((i) => [i.id, i.path]));
  let checked = 0;
  for (const edge of inventory.edges) {
    if (!inventory.packages.has(edge.from) || !inventory.packages.has(edge.to)) continue;
    if (edge.type === 'dev' && !importerPath.has(edge.from)) continue;
    const target = inventory.packages.get(edge.to) as InventoryPackage;
    const key = edge.alias ?? target.name;
    for (const location of copies.get(edge.from) ?? []) {
      const decl = tree.nodes.get(location)?.deps.find((d) => d.key === key);
      expect(decl, `${location} declares ${key}`).toBeDefined();
      const hit = resolveDep(tree, location, decl as NonNullable<typeof decl>);
      const got = hit === undefined ? undefined : (recordAt.get(hit) ?? hit);
      expect(got, `${location} → ${key}`).toBe(edge.to);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(0);
};

describe('npm layout of a graph lockfile', () => {
  it('hoists what does not conflict and nests what does', () => {
    const inventory = graph({
      '.': ['a@1.0.0', 'b@1.0.0'],
      'a@1.0.0': ['c@1.0.0'],
      'b@1.0.0': ['c@2.0.0'],
    });
    const layout = npmLayout(inventory);
    expect([...layout.packages.keys()].sort()).toEqual([
      '',
      'node_modules/a',
      'node_modules/b',
      'node_modules/b/node_modules/c',
      'node_modules/c',
    ]);
    expect(layout.packages.get('node_modules/b/node_modules/c')?.version).toBe('2.0.0');
    expectFaithful(inventory);
  });

  it('nests again what a later placement hides from a package placed before it', () => {
    // a's copies of c and d are nested (the root holds other versions); c needs z@1 (the root's),
    // then d puts z@2 in a's node_modules, which c would find first.
    const inventory = graph({
      '.': ['a@1.0.0', 'c@2.0.0', 'd@2.0.0', 'z@1.0.0'],
      'a@1.0.0': ['c@1.0.0', 'd@1.0.0'],
      'c@1.0.0': ['z@1.0.0'],
      'd@1.0.0': ['z@2.0.0'],
    });
    const layout = npmLayout(inventory);
    expect(layout.packages.get('node_modules/a/node_modules/z')?.version).toBe('2.0.0');
    expect(layout.packages.get('node_modules/a/node_modules/c/node_modules/z')?.version).toBe('1.0.0');
    expectFaithful(inventory);
  });

  it('never puts a copy above a package on the way that needs that name itself', () => {
    // send finds the root's ms@2.1.3; its nested debug needs ms@2.0.0, which must not go into
    // send's node_modules, where send would find it first.
    const inventory = graph({
      '.': ['send@1.0.0', 'debug@4.0.0', 'ms@2.1.3'],
      'send@1.0.0': ['debug@2.0.0', 'ms@2.1.3'],
      'debug@2.0.0': ['ms@2.0.0'],
    });
    const layout = npmLayout(inventory);
    expect(layout.packages.has('node_modules/send/node_modules/ms')).toBe(false);
    expect(layout.packages.get('node_modules/send/node_modules/debug/node_modules/ms')?.version).toBe(
      '2.0.0',
    );
    expectFaithful(inventory);
  });

  it('gives each of many workspaces its own copy where the root holds another version', () => {
    const base = graph({ '.': ['foo@1.0.0'] });
    const packages = new Map(base.packages);
    const importers = [...base.importers];
    const edges = [...base.edges];
    packages.set('foo@2.0.0', {
      ...(packages.get('foo@1.0.0') as InventoryPackage),
      id: 'foo@2.0.0',
      version: '2.0.0',
    });
    for (let i = 0; i < 80; i++) {
      const id = `./packages/w${i}`;
      packages.set(id, {
        ...(packages.get('.') as InventoryPackage),
        id,
        name: `w${i}`,
        source: 'workspace',
      });
      importers.push({ id, name: `w${i}`, path: `packages/w${i}` });
      edges.push({ from: id, to: 'foo@2.0.0', type: 'prod', spec: '^2.0.0' });
    }
    const inventory = { ...base, packages, importers, edges };
    const layout = npmLayout(inventory);
    expect(
      [...layout.packages.values()].filter((p) => p.name === 'foo' && p.version === '2.0.0'),
    ).toHaveLength(80);
    expectFaithful(inventory);
  });

  it('keeps cycles finite', () => {
    const inventory = graph({
      '.': ['a@1.0.0', 'b@2.0.0'],
      'a@1.0.0': ['b@1.0.0'],
      'b@1.0.0': ['a@1.0.0'],
    });
    const layout = npmLayout(inventory);
    expect(layout.packages.size).toBe(4);
    expectFaithful(inventory);
  });

  it('places an inventory once: a plan, its verdicts and an apply share the layout', () => {
    const inventory = graph({ '.': ['a@1.0.0'], 'a@1.0.0': ['b@1.0.0'] });
    const first = placeGraph(inventory);
    expect(placeGraph(inventory)).toBe(first);
    expect(npmLayout(inventory)).toBe(first.layout);
    // Another inventory, even an equal one, is placed on its own.
    const other = graph({ '.': ['a@1.0.0'], 'a@1.0.0': ['b@1.0.0'] });
    expect(placeGraph(other)).not.toBe(first);
    expect([...placeGraph(other).layout.packages.keys()]).toEqual([...first.layout.packages.keys()]);
  });

  it('reads yarn berry ranges as npm ranges and keeps aliases', () => {
    expect(npmSpec('npm:^4.1.0')).toBe('^4.1.0');
    expect(npmSpec('npm:string-width@^4.2.0')).toBe('npm:string-width@^4.2.0');
    expect(npmSpec('npm:@scope/pkg@^1')).toBe('npm:@scope/pkg@^1');
    expect(npmSpec('workspace:*')).toBe('workspace:*');
    expect(npmSpec('^1.2.3')).toBe('^1.2.3');
  });

  const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
  const lockfileNames = ['yarn.lock', 'pnpm-lock.yaml', 'bun.lock'];
  const fixtureLockfiles = ['yarn-classic', 'yarn-berry', 'pnpm', 'bun'].flatMap((format) =>
    readdirSync(join(fixtures, format), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => lockfileNames.map((n) => join(format, d.name, n)))
      .filter((path) => existsSync(join(fixtures, path))),
  );
  it('finds the lockfile fixtures of every graph format', () => {
    expect(new Set(fixtureLockfiles.map((f) => f.split('/')[0]))).toEqual(
      new Set(['yarn-classic', 'yarn-berry', 'pnpm', 'bun']),
    );
  });
  it.each(fixtureLockfiles)('is faithful to every resolution of the fixture %s', async (lockfile) => {
    expectFaithful(await readInventory(join(fixtures, lockfile)));
  });

  const hasData = requireSharedData();
  const projects = join(sharedData, 'projects');
  it
    .runIf(hasData)
    .each([
      'jestjs__jest@52db46e504/yarn.lock',
      'getsentry__sentry-javascript@f7a6cc0c22/yarn.lock',
      'vitejs__vite@a98c8d95d5/pnpm-lock.yaml',
    ])('is faithful to every resolution of %s, workspaces included', async (lockfile) => {
    const path = join(projects, lockfile);
    expect(existsSync(path)).toBe(true);
    const inventory = await readInventory(path);
    expectFaithful(inventory);
    const layout = npmLayout(inventory);
    const registry = (i: Inventory) =>
      new Set(
        [...i.packages.values()].filter((p) => p.source === 'registry').map((p) => `${p.name}@${p.version}`),
      );
    expect(registry(layout)).toEqual(registry(inventory));
  });
});
