import { describe, expect, it } from 'vitest';
import type { PackageChange, Patch } from '../core/plan.js';
import type { ExerciseReport } from './exercise.js';
import { exercisedChanges } from './index.js';

/** A coverage report in which code of `name` ran from these install folders, at these versions. */
const ran = (name: string, folders: string[], versions: string[]): ExerciseReport => ({
  processes: 1,
  loaded: new Map([
    [name, { files: 1, executed: true, aliases: [], executedVersions: versions, executedFolders: folders }],
  ]),
});

const patch = (...changes: PackageChange[]): Patch => ({ id: 'p-1', changes }) as unknown as Patch;

const raise = (importer: string, from: string, to: string): PackageChange => ({
  kind: 'manifest',
  importer,
  dependency: 'x',
  name: 'x',
  type: 'prod',
  fromRange: `^${from}`,
  toRange: `^${to}`,
  from,
  to,
  step: 'major',
  downgrade: false,
});

/** npm's lookup over the folders the lockfile had before the change. */
const before = new Set(['node_modules/x', 'packages/b/node_modules/x']);
const locate = (importer: string, dependency: string): string | undefined => {
  for (const base of importer === '' ? [''] : [importer, '']) {
    const at = base === '' ? `node_modules/${dependency}` : `${base}/node_modules/${dependency}`;
    if (before.has(at)) return at;
  }
  return undefined;
};

describe('exercisedChanges in npm layout: the copy the change moved, by its folder', () => {
  // The root raises x ^1 to ^2 in place; another dependent keeps x@1.0.0, now nested under z.
  const rootRaise = patch(raise('', '1.0.0', '2.0.0'), {
    kind: 'add',
    name: 'x',
    to: '1.0.0',
    locations: ['node_modules/z/node_modules/x'],
  });

  it('counts code that ran from the folder the raised range resolves to', () => {
    expect(exercisedChanges(ran('x', ['node_modules/x'], ['2.0.0']), [rootRaise], ['x'], locate)).toEqual([
      'x',
    ]);
  });

  it('does not count code of the old version kept nested for another dependent', () => {
    expect(
      exercisedChanges(ran('x', ['node_modules/z/node_modules/x'], ['1.0.0']), [rootRaise], ['x'], locate),
    ).toEqual([]);
  });

  it("does not count the root's copy for a range raised in a workspace's own folder", () => {
    const workspace = patch(raise('packages/b', '1.0.0', '1.0.1'));
    expect(exercisedChanges(ran('x', ['node_modules/x'], ['2.0.0']), [workspace], ['x'], locate)).toEqual([]);
    expect(
      exercisedChanges(ran('x', ['packages/b/node_modules/x'], ['1.0.1']), [workspace], ['x'], locate),
    ).toEqual(['x']);
  });

  it('does not count the folder the importer found it in when the new version is written elsewhere', () => {
    // packages/b raises x ^1 to ^2: 2.0.0 is added under it; the root's copy stays 1.0.0.
    const elsewhere = patch(raise('packages/b', '1.0.0', '2.0.0'), {
      kind: 'add',
      name: 'x',
      to: '2.0.0',
      locations: ['packages/b/node_modules/x'],
    });
    const locateRoot = (importer: string, dependency: string): string | undefined =>
      importer === 'packages/b' || importer === '' ? `node_modules/${dependency}` : undefined;
    expect(exercisedChanges(ran('x', ['node_modules/x'], ['1.0.0']), [elsewhere], ['x'], locateRoot)).toEqual(
      [],
    );
    expect(
      exercisedChanges(ran('x', ['packages/b/node_modules/x'], ['2.0.0']), [elsewhere], ['x'], locateRoot),
    ).toEqual(['x']);
  });

  it('counts a lock change only by its own folders', () => {
    const nested = patch({
      kind: 'lock',
      name: 'x',
      from: '1.0.0',
      to: '1.0.1',
      locations: ['packages/b/node_modules/x'],
      step: 'patch',
      downgrade: false,
    });
    expect(exercisedChanges(ran('x', ['node_modules/x'], ['1.0.1']), [nested], ['x'], locate)).toEqual([]);
  });
});

describe('exercisedChanges elsewhere (pnpm, yarn): by version', () => {
  it('counts the new version, or for a raised range one inside it', () => {
    const lock = patch({
      kind: 'lock',
      name: 'x',
      from: '1.0.0',
      to: '1.0.1',
      locations: ['node_modules/x'],
      step: 'patch',
      downgrade: false,
    });
    expect(exercisedChanges(ran('x', [], ['1.0.1']), [lock], ['x'], undefined)).toEqual(['x']);
    expect(exercisedChanges(ran('x', [], ['1.0.0']), [lock], ['x'], undefined)).toEqual([]);
    const raised = patch(raise('', '1.0.0', '2.0.0'));
    expect(exercisedChanges(ran('x', [], ['2.1.0']), [raised], ['x'], undefined)).toEqual(['x']);
    expect(exercisedChanges(ran('x', [], ['1.0.0']), [raised], ['x'], undefined)).toEqual([]);
  });
});
