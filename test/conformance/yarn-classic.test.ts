import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registryPackageKeys } from '../../src/core/inventory.js';
import { diskInput } from '../../src/inventory/index.js';
import { parseYarnClassicLockfile } from '../../src/inventory/yarn-classic/index.js';
import { requireSharedData, sharedData } from '../helpers/cli.js';
import { readYarnClassicReference } from './reference-yarn-classic.js';

/**
 * getsentry/sentry-javascript's yarn.lock (yarn 1, 31k lines, 60 workspaces): PatchPilot's
 * yarn-classic parser must find exactly the registry packages, and give each exactly the scope,
 * that the separate reference reading (yarn 1's own lockfile parser plus plain walks over the
 * manifests, reference-yarn-classic.ts) gives.
 */
const hasData = requireSharedData();
const project = join(sharedData, 'projects/getsentry__sentry-javascript@f7a6cc0c22');

describe.skipIf(!hasData)('yarn classic: getsentry/sentry-javascript', () => {
  const lockfile = join(project, 'yarn.lock');

  it('reads the registry packages and scopes the reference reads', () => {
    const inventory = parseYarnClassicLockfile(diskInput(lockfile));
    const reference = readYarnClassicReference(project);

    expect(inventory.format).toBe('yarn-v1');
    const workspaces = inventory.importers.filter((i) => i.id !== '').map((i) => i.path);
    expect(workspaces).toEqual(reference.workspaces);
    // The root package.json lists 60 workspace folders, each with a package.json.
    expect(workspaces).toHaveLength(60);

    const registry = registryPackageKeys(inventory);
    expect([...registry].sort()).toEqual([...reference.registry].sort());
    expect(registry.size).toBeGreaterThan(3_000);

    const actual: string[] = [];
    const expected: string[] = [];
    for (const pkg of inventory.packages.values()) {
      if (pkg.source !== 'registry') continue;
      const key = `${pkg.name}@${pkg.version}`;
      actual.push(`${key} ${pkg.scope}`);
      expected.push(`${key} ${reference.scopes.get(key) ?? 'missing'}`);
    }
    expect(actual.sort()).toEqual(expected.sort());

    const perScope: Record<string, number> = {};
    for (const pkg of inventory.packages.values()) perScope[pkg.scope] = (perScope[pkg.scope] ?? 0) + 1;
    // Plausible proportions for a monorepo whose root holds the tooling: every scope is present.
    expect(perScope.prod).toBeGreaterThan(1_000);
    expect(perScope.dev).toBeGreaterThan(1_000);
    expect(perScope.optional).toBeGreaterThan(10);
    console.info(
      `sentry-javascript yarn.lock: ${inventory.packages.size} packages (${registry.size} registry), ` +
        `${workspaces.length} workspaces, ${inventory.edges.length} edges, scopes ${JSON.stringify(perScope)}`,
    );
  });

  it('needs every workspace the lockfile leaves unresolved to be a workspace', () => {
    const inventory = parseYarnClassicLockfile(diskInput(lockfile));
    const importerIds = new Set(inventory.importers.map((i) => i.id));
    const toWorkspaces = inventory.edges.filter((e) => importerIds.has(e.to));
    // Workspaces depend on each other without lockfile entries: yarn links them.
    expect(toWorkspaces.length).toBeGreaterThan(50);
    for (const edge of toWorkspaces) expect(inventory.packages.get(edge.to)?.source).toBe('workspace');
  });
});
