import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Scope } from '../../src/core/inventory.js';
import { diskInput } from '../../src/inventory/index.js';
import { isYarnBerryLockfile, readYarnBerryLockfile } from '../../src/inventory/yarn-berry/index.js';
import { requireSharedData, sharedData } from '../helpers/cli.js';
import { referenceYarnBerry } from './reference-yarn-berry.js';

/**
 * The yarn 4 monorepo in ../shared/data/projects (jest): PatchPilot's yarn berry parser against the
 * separate reading of reference-yarn-berry.ts (yarn's own `parseSyml` and `parseResolution`, the
 * workspaces found on disk, scopes from its own walk).
 */
const hasData = requireSharedData();
const project = join(sharedData, 'projects/jestjs__jest@52db46e504');

describe.skipIf(!hasData)('yarn berry: jestjs__jest@52db46e504', () => {
  const lockfile = join(project, 'yarn.lock');

  it('reads the same registry packages, with the same scopes, as the reference', () => {
    const input = diskInput(lockfile);
    expect(isYarnBerryLockfile(input.content)).toBe(true);
    const { inventory, unresolved } = readYarnBerryLockfile(input);
    const reference = referenceYarnBerry(project);
    expect(unresolved).toEqual([]);
    expect(reference.missing).toEqual([]);

    expect(inventory.format).toBe('yarn-berry-v10');
    expect(inventory.importers.map((i) => i.path).sort()).toEqual([...reference.workspaces].sort());
    expect(inventory.importers).toHaveLength(71);

    const ours = new Map<string, Scope>();
    for (const pkg of inventory.packages.values()) {
      if (pkg.source === 'registry') ours.set(`${pkg.name}@${pkg.version}`, pkg.scope);
    }
    expect([...ours.keys()].sort()).toEqual([...reference.registry.keys()].sort());
    const differences = [...ours].filter(([key, scope]) => reference.registry.get(key) !== scope);
    expect(differences).toEqual([]);

    // Plausible sizes: the lockfile has 2,150 `npm:` resolutions (6 more entries are patches of them).
    expect(ours.size).toBeGreaterThan(2100);
    expect(ours.size).toBeLessThan(2200);
    const perScope: Record<string, number> = {};
    for (const scope of ours.values()) perScope[scope] = (perScope[scope] ?? 0) + 1;
    expect(perScope.prod).toBeGreaterThan(1000);
    expect(perScope.dev).toBeGreaterThan(300);
    console.info(`jest: ${ours.size} registry packages, ${inventory.importers.length} workspaces`, perScope);
  });
});
