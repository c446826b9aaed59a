import { describe, expect, it } from 'vitest';
import { universe } from '../../test/helpers/plan.js';
import type { Inventory } from '../core/inventory.js';
import type { RegistrySource } from '../registry/types.js';
import { type ManifestDependencies, resolveManifest } from './index.js';

const resolve = async (
  manifest: ManifestDependencies,
  registry: RegistrySource,
): Promise<{ inventory: Inventory; problems: readonly string[] }> =>
  resolveManifest(manifest, registry, { root: '/p', lockfile: '/p/package-lock.json' });

/** `location name@version` per installed package, sorted. */
const layout = (inventory: Inventory): string[] =>
  [...inventory.packages.values()]
    .filter((p) => p.id !== '')
    .map((p) => `${p.id} ${p.name}@${p.version}`)
    .sort();

describe('resolveManifest', () => {
  it('hoists what it can, nests a conflicting version under its dependent', async () => {
    const registry = universe(`
      a
        1.0.0
          c@^1.0.0
      b
        1.0.0
          c@^2.0.0
      c
        1.0.0
        1.5.0
        2.0.0
    `);
    const { inventory, problems } = await resolve({ dependencies: { a: '^1.0.0', b: '^1.0.0' } }, registry);
    expect(problems).toEqual([]);
    expect(layout(inventory)).toEqual([
      'node_modules/a a@1.0.0',
      'node_modules/b b@1.0.0',
      'node_modules/b/node_modules/c c@2.0.0',
      'node_modules/c c@1.5.0',
    ]);
  });

  it('reuses a visible copy that satisfies the range', async () => {
    const registry = universe(`
      a
        1.0.0
          c@^1.0.0
      b
        1.0.0
          c@>=1.0.0
      c
        1.0.0
        2.0.0
    `);
    const { inventory } = await resolve({ dependencies: { a: '^1.0.0', b: '^1.0.0' } }, registry);
    expect(layout(inventory)).toEqual([
      'node_modules/a a@1.0.0',
      'node_modules/b b@1.0.0',
      'node_modules/c c@1.0.0',
    ]);
  });

  it('installs peers, skips a missing optional dependency, installs aliases under their alias', async () => {
    const registry = universe(`
      a
        1.0.0
          Opt|gone@^1.0.0
          Scope peer|p@^1.0.0
      p
        1.0.0
      c
        2.0.0
    `);
    const { inventory, problems } = await resolve(
      { dependencies: { a: '^1.0.0', x: 'npm:c@^2.0.0' } },
      registry,
    );
    expect(problems).toEqual([]);
    expect(layout(inventory)).toEqual([
      'node_modules/a a@1.0.0',
      'node_modules/p p@1.0.0',
      'node_modules/x c@2.0.0',
    ]);
    expect(inventory.packages.get('node_modules/x')?.alias).toBe('x');
  });

  it('ends cycles at the visible copy, and gives dev dependencies the dev scope', async () => {
    const registry = universe(`
      a
        1.0.0
          b@^1.0.0
      b
        1.0.0
          a@^1.0.0
      t
        1.0.0
    `);
    const { inventory } = await resolve(
      { dependencies: { a: '^1.0.0' }, devDependencies: { t: '^1.0.0' } },
      registry,
    );
    expect(layout(inventory)).toEqual([
      'node_modules/a a@1.0.0',
      'node_modules/b b@1.0.0',
      'node_modules/t t@1.0.0',
    ]);
    expect(inventory.packages.get('node_modules/t')?.scope).toBe('dev');
    expect(inventory.edges).toContainEqual({
      from: 'node_modules/b',
      to: 'node_modules/a',
      type: 'prod',
      spec: '^1.0.0',
    });
  });

  it('prefers the latest tag, then the highest version, and never a prerelease the range does not name', async () => {
    const registry = universe(`
      a
        1.0.0
        1.1.0
        1.2.0-beta.1
        latest -> 1.0.0
    `);
    expect(layout((await resolve({ dependencies: { a: '^1.0.0' } }, registry)).inventory)).toEqual([
      'node_modules/a a@1.0.0',
    ]);
    expect(layout((await resolve({ dependencies: { a: '~1.1.0' } }, registry)).inventory)).toEqual([
      'node_modules/a a@1.1.0',
    ]);
    expect(layout((await resolve({ dependencies: { a: '^1.2.0-beta.0' } }, registry)).inventory)).toEqual([
      'node_modules/a a@1.2.0-beta.1',
    ]);
  });

  it('reports what cannot be resolved', async () => {
    const registry = universe(`
      a
        1.0.0
          b@^2.0.0
      b
        1.0.0
    `);
    const { problems } = await resolve({ dependencies: { a: '^1.0.0', nope: '^1.0.0' } }, registry);
    expect(problems).toEqual([
      '(root) → nope@^1.0.0: nope is not in the registry',
      'node_modules/a → b@^2.0.0: no version of b satisfies ^2.0.0',
    ]);
  });
});
