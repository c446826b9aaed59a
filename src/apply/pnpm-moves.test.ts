import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/cli.js';
import type { LockChange } from '../core/plan.js';
import { readInventory } from '../inventory/index.js';
import { npmLayout } from '../plan/layout.js';
import { pnpmMovesFor } from './pnpm-moves.js';

// The app depends on lib directly and on parent, which depends on lib under the alias `dbg`.
const lockfile = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      lib:
        specifier: ^1.0.0
        version: 1.0.0
      parent:
        specifier: ^1.0.0
        version: 1.0.0

packages:

  lib@1.0.0:
    resolution: {integrity: sha512-abc}

  parent@1.0.0:
    resolution: {integrity: sha512-def}

snapshots:

  lib@1.0.0: {}

  parent@1.0.0:
    dependencies:
      dbg: lib@1.0.0
`;

const manifest =
  '{\n  "name": "app",\n  "dependencies": {\n    "lib": "^1.0.0",\n    "parent": "^1.0.0"\n  }\n}\n';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir('patchpilot-pnpm-moves-');
  writeFileSync(join(dir.path, 'pnpm-lock.yaml'), lockfile);
  writeFileSync(join(dir.path, 'package.json'), manifest);
});
afterEach(() => dir.remove());

const moveAll = async (): Promise<LockChange> => {
  const layout = npmLayout(await readInventory(join(dir.path, 'pnpm-lock.yaml')));
  const locations = [...layout.packages.values()].filter((p) => p.name === 'lib').map((p) => p.id);
  return {
    kind: 'lock',
    name: 'lib',
    from: '1.0.0',
    to: '1.0.1',
    locations,
    step: 'patch',
    downgrade: false,
  };
};

describe('pnpmMovesFor', () => {
  it('pins a direct dependency exactly and scopes an override to each other dependent, aliases named', async () => {
    const moves = await pnpmMovesFor(dir.path, join(dir.path, 'pnpm-lock.yaml'), [await moveAll()]);
    if (typeof moves === 'string') throw new Error(moves);
    const path = join(dir.path, 'package.json');
    expect(JSON.parse(moves.during.get(path) as string)).toEqual({
      name: 'app',
      dependencies: { lib: '1.0.1', parent: '^1.0.0' },
      pnpm: { overrides: { 'parent@1.0.0>dbg': 'npm:lib@1.0.1' } },
    });
    // What goes back is the manifest as it was, byte for byte.
    expect(moves.after.get(path)).toBe(manifest);
  });

  it('refuses a move the lockfile no longer matches, and a manifest that leads outside the folder', async () => {
    const stale = { ...(await moveAll()), from: '0.9.0' };
    expect(await pnpmMovesFor(dir.path, join(dir.path, 'pnpm-lock.yaml'), [stale])).toContain(
      'is not where the plan found it',
    );
    const move = await moveAll();
    const outside = tempDir('patchpilot-pnpm-outside-');
    try {
      mkdirSync(join(outside.path, 'x'));
      writeFileSync(join(outside.path, 'x', 'package.json'), manifest);
      rmSync(join(dir.path, 'package.json'));
      symlinkSync(join(outside.path, 'x', 'package.json'), join(dir.path, 'package.json'));
      // Refused before anything is read from it, let alone written.
      await expect(pnpmMovesFor(dir.path, join(dir.path, 'pnpm-lock.yaml'), [move])).rejects.toThrow(
        /outside the project/,
      );
    } finally {
      outside.remove();
    }
  });
});
