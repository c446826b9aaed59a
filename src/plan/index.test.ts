import { describe, expect, it } from 'vitest';
import { advisory, describeChanges, npmInventory, planInput, universe } from '../../test/helpers/plan.js';
import type { Finding } from '../core/finding.js';
import { patchId } from '../core/plan.js';
import type { PackageMetadata, RegistrySource } from '../registry/types.js';
import { assemblePlan, ignoreReason, parseUpgradeConfig, planOptions, preparePlanning } from './index.js';

/** One direct dependency `lib` at 1.0.0, vulnerable below 1.0.1. */
const libRegistry = universe(`
  lib
    1.0.0
    1.0.1
    1.0.2
    1.1.0
    2.0.0
`);

const libProject = (extra: Record<string, Record<string, unknown>> = {}) =>
  npmInventory({
    '': { dependencies: { lib: '^1.0.0', ...((extra['']?.dependencies as object) ?? {}) } },
    'node_modules/lib': { version: '1.0.0' },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== '')),
  });

const libAdvisory = advisory('GHSA-lib', 'lib', { fixed: '1.0.1' });

describe('in-place', () => {
  it('moves to the lowest fixed version by default', async () => {
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory], libRegistry));
    expect(plan.patches.map(describeChanges)).toEqual([['lib 1.0.0 -> 1.0.1']]);
    const [patch] = plan.patches;
    expect(patch?.strategy).toBe('in-place');
    expect(patch?.fixes).toEqual([{ id: 'GHSA-lib', name: 'lib', version: '1.0.0' }]);
    expect(patch?.risk).toMatchObject({
      step: 'patch',
      downgrade: false,
      inRange: true,
      stillAffectedBy: [],
    });
    expect(plan.remaining).toEqual([]);
    expect(plan.summary).toMatchObject({ findings: 1, targeted: 1, fixed: 1, remaining: 0, unfixable: 0 });
  });

  it('moves to the highest version the ranges accept with preferHighest', async () => {
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory], libRegistry), {
      preferHighest: true,
    });
    // ^1.0.0 accepts 1.1.0, not 2.0.0.
    expect(plan.patches.map(describeChanges)).toEqual([['lib 1.0.0 -> 1.1.0']]);
    expect(plan.patches[0]?.risk.step).toBe('minor');
  });

  it('stays inside every dependent range', async () => {
    const inventory = libProject({
      '': { dependencies: { strict: '^1.0.0' } },
      'node_modules/strict': { version: '1.0.0', dependencies: { lib: '~1.0.0' } },
    });
    const registry = universe(`
      lib
        1.0.0
        1.0.1
        1.0.2
        1.1.0
      strict
        1.0.0
          lib@~1.0.0
    `);
    const plan = await assemblePlan(planInput(inventory, [libAdvisory], registry), { preferHighest: true });
    expect(plan.patches.map(describeChanges)).toEqual([['lib 1.0.0 -> 1.0.2']]);
  });

  it('resolves a dependency the new version adds, and reports it', async () => {
    const registry = universe(`
      lib
        1.0.0
        1.0.1
          helper@^1.0.0
      helper
        1.0.0
        1.1.0
    `);
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory], registry));
    expect(plan.patches.map(describeChanges)).toEqual([['lib 1.0.0 -> 1.0.1', '+helper@1.1.0']]);
    expect(plan.patches[0]?.changes.find((c) => c.kind === 'add')).toMatchObject({
      locations: ['node_modules/helper'],
    });
  });

  it('counts the findings of an added dependency as introduced and looks further', async () => {
    const registry = universe(`
      lib
        1.0.0
        1.0.1
          helper@^1.0.0
        1.0.2
      helper
        1.0.0
    `);
    const helperAdvisory = advisory('GHSA-helper', 'helper', {});
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory, helperAdvisory], registry));
    // 1.0.1 would install helper@1.0.0, affected by GHSA-helper: 1.0.2 is taken instead.
    expect(plan.patches.map(describeChanges)).toEqual([['lib 1.0.0 -> 1.0.2']]);
  });

  it('with dependencies: existing, rejects a version whose dependencies the tree does not have', async () => {
    const registry = universe(`
      lib
        1.0.0
        1.0.1
          helper@^1.0.0
        1.0.2
      helper
        1.0.0
    `);
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory], registry), {
      dependencies: 'existing',
    });
    expect(plan.patches.map(describeChanges)).toEqual([['lib 1.0.0 -> 1.0.2']]);
  });

  it('never introduces a malicious package: the candidate is kept only to explain', async () => {
    const registry = universe(`
      lib
        1.0.0
        1.0.1
          helper@^1.0.0
      helper
        1.0.0
    `);
    const malware = advisory('MAL-2025-1', 'helper', {});
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory, malware], registry));
    expect(plan.patches).toEqual([]);
    expect(plan.alternatives).toHaveLength(1);
    expect(plan.alternatives[0]?.introduces).toMatchObject([
      { id: 'MAL-2025-1', name: 'helper', version: '1.0.0', kind: 'malicious', severity: 'critical' },
    ]);
    expect(plan.unfixable).toMatchObject([{ finding: { id: 'GHSA-lib' }, reason: 'would-introduce' }]);
    expect(plan.unfixable[0]?.text).toContain('MAL-2025-1 (helper@1.0.0, malicious)');
    expect(plan.remaining).toEqual([{ id: 'GHSA-lib', name: 'lib', version: '1.0.0' }]);
  });

  it('moves every install location of a name@version together', async () => {
    const inventory = npmInventory({
      '': { dependencies: { a: '^1.0.0', b: '^1.0.0', lib: '^2.0.0' } },
      'node_modules/a': { version: '1.0.0', dependencies: { lib: '^1.0.0' } },
      'node_modules/a/node_modules/lib': { version: '1.0.0' },
      'node_modules/b': { version: '1.0.0', dependencies: { lib: '^1.0.0' } },
      'node_modules/b/node_modules/lib': { version: '1.0.0' },
      'node_modules/lib': { version: '2.0.0' },
    });
    const registry = universe(`
      a
        1.0.0
          lib@^1.0.0
      b
        1.0.0
          lib@^1.0.0
      lib
        1.0.0
        1.0.1
        2.0.0
    `);
    const plan = await assemblePlan(planInput(inventory, [libAdvisory], registry));
    expect(plan.patches[0]?.changes).toEqual([
      {
        kind: 'lock',
        name: 'lib',
        from: '1.0.0',
        to: '1.0.1',
        locations: ['node_modules/a/node_modules/lib', 'node_modules/b/node_modules/lib'],
        step: 'patch',
        downgrade: false,
      },
    ]);
  });
});

describe('relax', () => {
  /** `zero` holds `dep` below its fix; only `zero`'s next 0.x release moves it. */
  const zeroRegistry = universe(`
    zero
      0.1.0
        dep@^1.0.0
      0.1.5
        dep@^1.0.0
      0.2.0
        dep@^2.0.0
    dep
      1.0.0
      2.0.0
  `);
  const zeroProject = () =>
    npmInventory({
      '': { dependencies: { zero: '^0.1.0' } },
      'node_modules/zero': { version: '0.1.5', dependencies: { dep: '^1.0.0' } },
      'node_modules/dep': { version: '1.0.0' },
    });
  const depAdvisory = advisory('GHSA-dep', 'dep', { fixed: '2.0.0' });

  it('raises the range of the direct dependency and reports a 0.x minor as major', async () => {
    const plan = await assemblePlan(planInput(zeroProject(), [depAdvisory], zeroRegistry));
    expect(plan.patches.map(describeChanges)).toEqual([['zero ^0.1.0 -> ^0.2.0', 'dep 1.0.0 -> 2.0.0']]);
    const [patch] = plan.patches;
    expect(patch?.strategy).toBe('relax');
    expect(patch?.changes[0]).toMatchObject({
      kind: 'manifest',
      importer: '',
      dependency: 'zero',
      from: '0.1.5',
      to: '0.2.0',
      step: 'major',
    });
    expect(patch?.risk).toMatchObject({ step: 'major', inRange: false });
  });

  it('explains a fix that --upgrade-config forbids', async () => {
    const plan = await assemblePlan(planInput(zeroProject(), [depAdvisory], zeroRegistry), {
      strategies: ['in-place', 'relax'],
      upgradeConfig: parseUpgradeConfig(['zero:minor']),
    });
    expect(plan.patches).toEqual([]);
    expect(plan.unfixable).toMatchObject([
      {
        finding: { id: 'GHSA-dep', name: 'dep', version: '1.0.0' },
        reason: 'major-forbidden',
        alternatives: [{ kind: 'major-upgrade', name: 'zero', version: '0.2.0' }],
      },
    ]);
    expect(plan.unfixable[0]?.text).toContain('--upgrade-config zero:minor');
  });
});

describe("npm's placement of a replaced package's dependencies", () => {
  /** `mk@0.5.1` nests `mm@0.0.8` below the root's `mm@1.2.5` (the real mkdirp and minimist). */
  const nested = (next: string) =>
    universe(`
      mk
        0.5.1
          mm@0.0.8
        0.5.2
          mm@${next}
      mm
        0.0.8
        1.2.5
        1.2.8
    `);
  const project = () =>
    npmInventory({
      '': { dependencies: { mk: '0.5.1', mm: '1.2.5' } },
      'node_modules/mk': { version: '0.5.1', dependencies: { mm: '0.0.8' } },
      'node_modules/mk/node_modules/mm': { version: '0.0.8' },
      'node_modules/mm': { version: '1.2.5' },
    });
  const mmAdvisory = advisory('GHSA-mm', 'mm', { fixed: '1.0.0' });

  it("drops the old nested copy when the root's copy satisfies the new version, as npm does", async () => {
    const plan = await assemblePlan(planInput(project(), [mmAdvisory], nested('^1.2.5')));
    expect(plan.patches.map(describeChanges)).toEqual([['mk 0.5.1 -> 0.5.2', '-mm@0.0.8']]);
    expect(plan.patches[0]?.fixes).toEqual([{ id: 'GHSA-mm', name: 'mm', version: '0.0.8' }]);
  });

  it("replaces the nested copy when the root's copy does not satisfy the new version", async () => {
    const plan = await assemblePlan(planInput(project(), [mmAdvisory], nested('^1.2.6')));
    expect(plan.patches.map(describeChanges)).toEqual([['mk 0.5.1 -> 0.5.2', 'mm 0.0.8 -> 1.2.8']]);
  });

  /** Every installed `location name@version` after evaluating the intents on a fresh planning. */
  const treeAfter = async (
    inventory: ReturnType<typeof project>,
    registry: RegistrySource,
    intents: Parameters<ReturnType<typeof preparePlanning>['context']['evaluate']>[0],
  ) => {
    const evaluation = await preparePlanning(planInput(inventory, [mmAdvisory], registry)).context.evaluate(
      intents,
    );
    expect(evaluation.problems).toEqual([]);
    return [...evaluation.tree.nodes.values()]
      .filter((n) => n.location !== '')
      .map((n) => `${n.location} ${n.name}@${n.version}`)
      .sort();
  };
  const moveMk = {
    kind: 'lock',
    name: 'mk',
    from: '0.5.1',
    to: '0.5.2',
    locations: ['node_modules/mk'],
  } as const;

  it('drops what only the dropped copy used: its own node_modules, and a package in a cycle with it', async () => {
    const registry = universe(`
      mk
        0.5.1
          mm@0.0.8
        0.5.2
          mm@^1.2.5
          y@^2.0.0
      mm
        0.0.8
          w@1.0.0
          x@1.0.0
        1.2.5
      w
        1.0.0
          mm@0.0.8
      x
        1.0.0
          y@^1.0.0
      y
        1.0.0
        2.0.0
    `);
    const inventory = npmInventory({
      '': { dependencies: { mk: '0.5.1', mm: '1.2.5' } },
      'node_modules/mk': { version: '0.5.1', dependencies: { mm: '0.0.8' } },
      'node_modules/mk/node_modules/mm': { version: '0.0.8', dependencies: { w: '1.0.0', x: '1.0.0' } },
      'node_modules/mk/node_modules/mm/node_modules/x': { version: '1.0.0', dependencies: { y: '^1.0.0' } },
      'node_modules/mk/node_modules/w': { version: '1.0.0', dependencies: { mm: '0.0.8' } },
      'node_modules/mm': { version: '1.2.5' },
      'node_modules/y': { version: '1.0.0' },
    });
    // Left behind, mm's own x (wanting y@^1) kept the root's y from moving to 2.0.0; and the w
    // beside it, in a cycle with mm@0.0.8 and used by nothing else, kept that mm in the tree.
    expect(await treeAfter(inventory, registry, [moveMk])).toEqual([
      'node_modules/mk mk@0.5.2',
      'node_modules/mm mm@1.2.5',
      'node_modules/y y@2.0.0',
    ]);
  });

  it('ends the same whatever the order of the intents, and never drops a copy an intent moves', async () => {
    const moveMm = {
      kind: 'lock',
      name: 'mm',
      from: '0.0.8',
      to: '1.2.8',
      locations: ['node_modules/mk/node_modules/mm'],
    } as const;
    const expected = [
      'node_modules/mk mk@0.5.2',
      'node_modules/mk/node_modules/mm mm@1.2.8',
      'node_modules/mm mm@1.2.5',
    ];
    expect(await treeAfter(project(), nested('^1.2.5'), [moveMk, moveMm])).toEqual(expected);
    expect(await treeAfter(project(), nested('^1.2.5'), [moveMm, moveMk])).toEqual(expected);
  });
});

describe("npm's pruning and deduping around a replaced package", () => {
  /** Every installed `location name@version` after raising the root's `key` to `spec`. */
  const afterRaising = async (
    inventory: ReturnType<typeof npmInventory>,
    registry: RegistrySource,
    key: string,
    spec: string,
  ) => {
    const evaluation = await preparePlanning(planInput(inventory, [], registry)).context.evaluate([
      { kind: 'manifest', importer: '', key, spec },
    ]);
    expect(evaluation.problems).toEqual([]);
    return [...evaluation.tree.nodes.values()]
      .filter((n) => n.location !== '')
      .map((n) => `${n.location} ${n.name}@${n.version}`)
      .sort();
  };
  /** Every installed `location version` (the root left out) after the intents, which resolve. */
  const installedAfter = async (
    inventory: ReturnType<typeof npmInventory>,
    registry: RegistrySource,
    intents: Parameters<ReturnType<typeof preparePlanning>['context']['evaluate']>[0],
  ) => {
    const evaluation = await preparePlanning(planInput(inventory, [], registry)).context.evaluate(intents);
    expect(evaluation.problems).toEqual([]);
    return [...evaluation.tree.nodes.values()]
      .filter((n) => n.location !== '')
      .map((n) => `${n.location} ${n.version}`)
      .sort();
  };

  it('drops what only the old version used, so the new one takes the freed place at the top', async () => {
    // mongodb 2 used mongodb-core, which used the root's bson 1.0; mongodb 3 wants bson ^1.1 itself.
    const registry = universe(`
      db
        2.0.0
          core@2.0.0
        3.0.0
          bson@^1.1.0
      core
        2.0.0
          bson@~1.0.0
      bson
        1.0.9
        1.1.6
    `);
    const inventory = npmInventory({
      '': { dependencies: { db: '^2.0.0' } },
      'node_modules/db': { version: '2.0.0', dependencies: { core: '2.0.0' } },
      'node_modules/core': { version: '2.0.0', dependencies: { bson: '~1.0.0' } },
      'node_modules/bson': { version: '1.0.9' },
    });
    expect(await afterRaising(inventory, registry, 'db', '^3.0.0')).toEqual([
      'node_modules/bson bson@1.1.6',
      'node_modules/db db@3.0.0',
    ]);
  });

  it('never replaces a copy with a lower version above the dependent: it nests instead', async () => {
    const registry = universe(`
      n
        1.0.0
        2.0.0
          x@~1.0.1
      x
        1.0.1
        1.1.1
    `);
    const inventory = npmInventory({
      '': { dependencies: { n: '^1.0.0', x: '^1.0.1' } },
      'node_modules/n': { version: '1.0.0' },
      'node_modules/x': { version: '1.1.1' },
    });
    expect(await afterRaising(inventory, registry, 'n', '^2.0.0')).toEqual([
      'node_modules/n n@2.0.0',
      'node_modules/n/node_modules/x x@1.0.1',
      'node_modules/x x@1.1.1',
    ]);
  });

  it('removes a deeper copy once a copy above it that its users accept is placed', async () => {
    // p nested y 2.0.0 because q held the root's y 1.0.0; q 2.0.0 moves the root's y to 2.1.0.
    const registry = universe(`
      p
        1.0.0
          y@^2.0.0
      q
        1.0.0
          y@^1.0.0
        2.0.0
          y@^2.1.0
      y
        1.0.0
        2.0.0
        2.1.0
    `);
    const inventory = npmInventory({
      '': { dependencies: { p: '^1.0.0', q: '^1.0.0' } },
      'node_modules/p': { version: '1.0.0', dependencies: { y: '^2.0.0' } },
      'node_modules/p/node_modules/y': { version: '2.0.0' },
      'node_modules/q': { version: '1.0.0', dependencies: { y: '^1.0.0' } },
      'node_modules/y': { version: '1.0.0' },
    });
    expect(await afterRaising(inventory, registry, 'q', '^2.0.0')).toEqual([
      'node_modules/p p@1.0.0',
      'node_modules/q q@2.0.0',
      'node_modules/y y@2.1.0',
    ]);
  });

  it('never dedupes away the copy a lockfile change moves', async () => {
    // x 1.0.5 brings z, which raises the root's x to 1.2.0: a's own x could then go, but it is
    // the copy the change moves.
    const registry = universe(`
      a
        1.0.0
          x@^1.0.0
      x
        1.0.0
        1.0.5
          z@^1.0.0
        1.1.0
        1.2.0
      z
        1.0.0
          x@^1.2.0
    `);
    const inventory = npmInventory({
      '': { dependencies: { a: '^1.0.0', x: '^1.0.0' } },
      'node_modules/a': { version: '1.0.0', dependencies: { x: '^1.0.0' } },
      'node_modules/a/node_modules/x': { version: '1.0.0' },
      'node_modules/x': { version: '1.1.0' },
    });
    const moveX = {
      kind: 'lock',
      name: 'x',
      from: '1.0.0',
      to: '1.0.5',
      locations: ['node_modules/a/node_modules/x'],
    } as const;
    expect(await installedAfter(inventory, registry, [moveX])).toEqual([
      'node_modules/a 1.0.0',
      'node_modules/a/node_modules/x 1.0.5',
      'node_modules/x 1.2.0',
      'node_modules/z 1.0.0',
    ]);
  });

  it('never dedupes away the folder a moved copy sits in', async () => {
    // w 1.0.1, under a's own x, brings z, which raises the root's x to 1.2.0: a's x stays, with w.
    const registry = universe(`
      a
        1.0.0
          x@^1.0.0
      x
        1.0.0
          w@^1.0.0
        1.1.0
        1.2.0
      w
        1.0.0
        1.0.1
          z@^1.0.0
      z
        1.0.0
          x@^1.2.0
    `);
    const inventory = npmInventory({
      '': { dependencies: { a: '^1.0.0', x: '^1.0.0' } },
      'node_modules/a': { version: '1.0.0', dependencies: { x: '^1.0.0' } },
      'node_modules/a/node_modules/x': { version: '1.0.0', dependencies: { w: '^1.0.0' } },
      'node_modules/a/node_modules/x/node_modules/w': { version: '1.0.0' },
      'node_modules/x': { version: '1.1.0' },
    });
    const moveW = {
      kind: 'lock',
      name: 'w',
      from: '1.0.0',
      to: '1.0.1',
      locations: ['node_modules/a/node_modules/x/node_modules/w'],
    } as const;
    expect(await installedAfter(inventory, registry, [moveW])).toEqual([
      'node_modules/a 1.0.0',
      'node_modules/a/node_modules/x 1.0.0',
      'node_modules/a/node_modules/x/node_modules/w 1.0.1',
      'node_modules/x 1.2.0',
      'node_modules/z 1.0.0',
    ]);
  });

  it('places a version with what it ships bundled, as another copy of it has it', async () => {
    // t 1.0.0 bundles ws 7.5.9; u keeps a t@^1 of its own once the root's t moves to 2.0.0, and
    // that copy ships the same ws: the registry would have offered 7.5.10.
    const registry = universe(`
      t
        1.0.0
          ws@^7.0.0
        2.0.0
      u
        1.0.0
          t@^1.0.0
      ws
        7.5.9
        7.5.10
    `);
    const inventory = npmInventory({
      '': { dependencies: { t: '^1.0.0', u: '^1.0.0' } },
      'node_modules/t': { version: '1.0.0', dependencies: { ws: '^7.0.0' }, bundleDependencies: ['ws'] },
      'node_modules/t/node_modules/ws': { version: '7.5.9', inBundle: true },
      'node_modules/u': { version: '1.0.0', dependencies: { t: '^1.0.0' } },
    });
    const planning = preparePlanning(
      planInput(inventory, [advisory('GHSA-ws', 'ws', { fixed: '7.5.10' })], registry),
    );
    const evaluation = await planning.context.evaluate([
      { kind: 'manifest', importer: '', key: 't', spec: '^2.0.0' },
    ]);
    expect(evaluation.problems).toEqual([]);
    expect([...evaluation.tree.nodes.values()].map((n) => `${n.location} ${n.version}`).sort()).toEqual([
      ' 1.0.0',
      'node_modules/t 2.0.0',
      'node_modules/u 1.0.0',
      'node_modules/u/node_modules/t 1.0.0',
      'node_modules/u/node_modules/t/node_modules/ws 7.5.9',
    ]);
    expect(evaluation.fixes).toEqual([]);
  });

  it('removes a dropped package with its whole folder, what it ships bundled included', async () => {
    // p 1.1.0 wants s@^2: the root's s 1.0.0 goes, and the b 1.0.0 it bundles goes with it.
    const registry = universe(`
      p
        1.0.0
          s@^1.0.0
        1.1.0
          s@^2.0.0
      s
        1.0.0
          b@^1.0.0
        2.0.0
          b@^1.0.0
      b
        1.0.0
        1.2.0
    `);
    const inventory = npmInventory({
      '': { dependencies: { p: '^1.0.0' } },
      'node_modules/p': { version: '1.0.0', dependencies: { s: '^1.0.0' } },
      'node_modules/s': { version: '1.0.0', dependencies: { b: '^1.0.0' }, bundleDependencies: ['b'] },
      'node_modules/s/node_modules/b': { version: '1.0.0', inBundle: true },
    });
    const moveP = {
      kind: 'lock',
      name: 'p',
      from: '1.0.0',
      to: '1.1.0',
      locations: ['node_modules/p'],
    } as const;
    expect(await installedAfter(inventory, registry, [moveP])).toEqual([
      'node_modules/b 1.2.0',
      'node_modules/p 1.1.0',
      'node_modules/s 2.0.0',
    ]);
  });

  it('evaluates each patch on the tree the patches before it leave, as fix applies them', async () => {
    // Raising g drops r and the root's bl 1.0.3 it used; raising m afterwards puts bl 2.2.1 at the
    // top. Evaluated alone, m would nest bl below itself: the root's bl was still r's.
    const registry = universe(`
      g
        1.0.0
          r@1.0.0
        2.0.0
      r
        1.0.0
          bl@~1.0.0
      m
        2.0.0
        3.0.0
          bl@^2.0.0
      bl
        1.0.3
        2.2.1
    `);
    const inventory = npmInventory({
      '': { dependencies: { g: '^1.0.0', m: '^2.0.0' } },
      'node_modules/g': { version: '1.0.0', dependencies: { r: '1.0.0' } },
      'node_modules/r': { version: '1.0.0', dependencies: { bl: '~1.0.0' } },
      'node_modules/bl': { version: '1.0.3' },
      'node_modules/m': { version: '2.0.0' },
    });
    const advisories = [
      advisory('GHSA-r', 'r', {}, { severityLabel: 'critical' }),
      advisory('GHSA-m', 'm', { fixed: '3.0.0' }),
    ];
    const plan = await assemblePlan(planInput(inventory, advisories, registry), { strategies: ['relax'] });
    expect(plan.patches.map(describeChanges)).toEqual([
      ['g ^1.0.0 -> ^2.0.0', '-bl@1.0.3', '-r@1.0.0'],
      ['m ^2.0.0 -> ^3.0.0', '+bl@2.2.1'],
    ]);
    const added = plan.patches[1]?.changes.find((c) => c.kind === 'add');
    expect(added?.kind === 'add' && added.locations).toEqual(['node_modules/bl']);
  });
});

describe('parent-upgrade', () => {
  /** `parent` pins lib exactly; 1.0.5 declares the same, 1.1.0 moves to the fix, 2.0.0 as well. */
  const registry = universe(`
    parent
      1.0.0
        lib@1.0.0
      1.0.5
        lib@1.0.0
      1.1.0
        lib@^1.0.1
      2.0.0
        lib@^1.0.1
    lib
      1.0.0
      1.0.1
  `);
  const project = (range = '^1.0.0') =>
    npmInventory({
      '': { dependencies: { parent: range } },
      'node_modules/parent': { version: '1.0.0', dependencies: { lib: '1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });

  it('moves the direct dependency to its first version whose subtree is clean, inside its range', async () => {
    const plan = await assemblePlan(planInput(project(), [libAdvisory], registry));
    expect(plan.patches.map((p) => [p.strategy, describeChanges(p)])).toEqual([
      ['parent-upgrade', ['lib 1.0.0 -> 1.0.1', 'parent 1.0.0 -> 1.1.0']],
    ]);
    expect(plan.patches[0]?.risk).toMatchObject({ step: 'minor', inRange: true });
    // relax's parent ^1.0.0 → ^2.0.0 fixes the same with a major step: ranked below.
    expect(plan.alternatives.map((p) => [p.strategy, describeChanges(p)])).toEqual([
      ['relax', ['parent ^1.0.0 -> ^2.0.0', 'lib 1.0.0 -> 1.0.1']],
    ]);
    expect(plan.remaining).toEqual([]);
  });

  it('goes past the declared range only when relax is not enabled', async () => {
    const plan = await assemblePlan(planInput(project('~1.0.0'), [libAdvisory], registry), {
      strategies: ['parent-upgrade'],
    });
    expect(plan.patches.map((p) => [p.strategy, describeChanges(p)])).toEqual([
      ['parent-upgrade', ['parent ~1.0.0 -> ~1.1.0', 'lib 1.0.0 -> 1.0.1']],
    ]);
    expect(plan.patches[0]?.risk).toMatchObject({ step: 'minor', inRange: false });
  });

  it('explains an upgrade that --upgrade-config forbids', async () => {
    const plan = await assemblePlan(planInput(project(), [libAdvisory], registry), {
      strategies: ['parent-upgrade'],
      upgradeConfig: parseUpgradeConfig(['parent:patch']),
    });
    expect(plan.patches).toEqual([]);
    expect(plan.unfixable).toMatchObject([
      {
        reason: 'upgrade-forbidden',
        text: 'the fix needs a minor upgrade, parent 1.0.0 → 1.1.0, which --upgrade-config parent:patch forbids',
      },
    ]);
  });
});

describe('override', () => {
  const registry = universe(`
    parent
      1.0.0
        lib@1.0.0
    other
      1.0.0
        lib@1.0.0
    lib
      1.0.0
      1.0.1
      1.0.2
  `);

  it('is the last resort: a scoped entry annotated with the advisory, flagged out of range', async () => {
    const inventory = npmInventory({
      '': { dependencies: { parent: '^1.0.0' } },
      'node_modules/parent': { version: '1.0.0', dependencies: { lib: '1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });
    const plan = await assemblePlan(planInput(inventory, [libAdvisory], registry));
    expect(plan.patches.map((p) => p.strategy)).toEqual(['override']);
    expect(plan.patches[0]?.changes).toEqual([
      {
        kind: 'override',
        action: 'add',
        manager: 'npm',
        file: 'package.json',
        path: ['parent', 'lib'],
        key: 'parent > lib',
        name: 'lib',
        to: '1.0.1',
        advisories: ['GHSA-lib'],
        outOfRange: true,
      },
      {
        kind: 'lock',
        name: 'lib',
        from: '1.0.0',
        to: '1.0.1',
        locations: ['node_modules/lib'],
        step: 'patch',
        downgrade: false,
      },
    ]);
    expect(plan.patches[0]?.risk).toMatchObject({ step: 'patch', inRange: false, outOfRange: true });
    expect(plan.remaining).toEqual([]);
  });

  it('goes to the top level, keyed by the vulnerable version, when the copy has dependents of several names', async () => {
    const inventory = npmInventory({
      '': { dependencies: { parent: '^1.0.0', other: '^1.0.0' } },
      'node_modules/parent': { version: '1.0.0', dependencies: { lib: '1.0.0' } },
      'node_modules/other': { version: '1.0.0', dependencies: { lib: '1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });
    const plan = await assemblePlan(planInput(inventory, [libAdvisory], registry));
    expect(plan.patches[0]?.changes[0]).toMatchObject({
      kind: 'override',
      path: ['lib@1.0.0'],
      key: 'lib@1.0.0',
      to: '1.0.1',
    });
  });

  it('leaves a finding in-place would fix as strategy-disabled when in-place is not enabled', async () => {
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory], libRegistry), {
      strategies: ['override'],
    });
    expect(plan.unfixable.map((u) => ({ reason: u.reason, text: u.text }))).toEqual([
      {
        reason: 'strategy-disabled',
        text: expect.stringMatching(
          /accepted by every dependent: the in-place strategy \(not enabled\) would move it/,
        ),
      },
    ]);
  });

  it('is not proposed for a finding another strategy fixes', async () => {
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory], libRegistry));
    expect([...plan.patches, ...plan.alternatives].map((p) => p.strategy)).not.toContain('override');
  });

  it('never overrides a direct dependency', async () => {
    const inventory = npmInventory({
      '': { dependencies: { lib: '1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });
    const plan = await assemblePlan(planInput(inventory, [libAdvisory], registry), {
      strategies: ['override'],
    });
    expect(plan.patches).toEqual([]);
  });
});

describe('existing overrides and the override strategy', () => {
  const registry = universe(`
    parent
      1.0.0
        lib@^1.0.0
    strict
      1.0.0
        lib@1.0.0
    lib
      1.0.0
      1.0.1
  `);

  it('an entry pinning the affected version is changed to the fixed one', async () => {
    const inventory = npmInventory({
      '': { dependencies: { parent: '^1.0.0' } },
      'node_modules/parent': { version: '1.0.0', dependencies: { lib: '^1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });
    const plan = await assemblePlan(
      planInput(inventory, [libAdvisory], registry, { overrides: { parent: { lib: '1.0.0' } } }),
    );
    expect(plan.patches.map(describeChanges)).toEqual([
      ['overrides parent > lib: 1.0.0 -> 1.0.1', 'lib 1.0.0 -> 1.0.1'],
    ]);
    expect(plan.patches[0]?.changes[0]).toMatchObject({
      kind: 'override',
      action: 'change',
      path: ['parent', 'lib'],
      from: '1.0.0',
      to: '1.0.1',
      advisories: ['GHSA-lib'],
      outOfRange: false,
    });
    expect(plan.staleOverrides).toEqual([]);
  });

  it('reports entries that no longer fix anything, and keeps those that still do', async () => {
    const inventory = npmInventory({
      '': { dependencies: { parent: '^1.0.0', strict: '^1.0.0' } },
      'node_modules/parent': { version: '1.0.0', dependencies: { lib: '^1.0.0' } },
      'node_modules/strict': { version: '1.0.0', dependencies: { lib: '1.0.0' } },
      'node_modules/lib': { version: '1.0.1' },
    });
    // `parent > lib` is stale: ^1.0.0 keeps 1.0.1 without it. `strict > lib` is what keeps
    // strict off the affected 1.0.0.
    const overrides = { parent: { lib: '1.0.1' }, strict: { lib: '1.0.1' }, gone: '2.0.0' };
    const plan = await assemblePlan(planInput(inventory, [libAdvisory], registry, { overrides }));
    expect(plan.staleOverrides.map((o) => [o.key, o.value])).toEqual([
      ['gone', '2.0.0'],
      ['parent > lib', '1.0.1'],
    ]);
    expect(plan.staleOverrides[1]?.text).toBe(
      'overrides "parent > lib": "1.0.1" no longer fixes anything (the declared ranges keep lib where it is without it); remove it unless it is there for another reason',
    );
  });
});

describe('npm workspaces', () => {
  it("relaxes a workspace's own manifest", async () => {
    const inventory = npmInventory({
      '': { workspaces: ['packages/*'] },
      'packages/a': { name: 'a', version: '1.0.0', dependencies: { zero: '^0.1.0' } },
      'node_modules/a': { resolved: 'packages/a', link: true },
      'node_modules/zero': { version: '0.1.5', dependencies: { dep: '^1.0.0' } },
      'node_modules/dep': { version: '1.0.0' },
    });
    const registry = universe(`
      zero
        0.1.5
          dep@^1.0.0
        0.2.0
          dep@^2.0.0
      dep
        1.0.0
        2.0.0
    `);
    const plan = await assemblePlan(
      planInput(inventory, [advisory('GHSA-dep', 'dep', { fixed: '2.0.0' })], registry),
    );
    expect(plan.patches[0]?.changes[0]).toMatchObject({
      kind: 'manifest',
      importer: 'packages/a',
      dependency: 'zero',
      fromRange: '^0.1.0',
      toRange: '^0.2.0',
    });
    expect(plan.remaining).toEqual([]);
  });

  it("reaches a workspace's own pinned dependency with an override, as npm applies root overrides to workspaces", async () => {
    // The workspace pins lib at the affected 1.0.0; npm applies the root's overrides to a
    // workspace's own dependencies (not to the root's), scoped by the workspace's name too.
    const inventory = npmInventory({
      '': { workspaces: ['packages/*'] },
      'packages/w': { name: 'w', version: '1.0.0', dependencies: { lib: '1.0.0' } },
      'node_modules/w': { resolved: 'packages/w', link: true },
      'node_modules/lib': { version: '1.0.0' },
    });
    const registry = universe(`
      lib
        1.0.0
        1.0.1
    `);
    const lib = advisory('GHSA-lib', 'lib', { fixed: '1.0.1' });
    const plan = await assemblePlan(planInput(inventory, [lib], registry), { strategies: ['override'] });
    expect(plan.patches[0]?.changes).toMatchObject([
      { kind: 'override', action: 'add', path: ['w', 'lib'], to: '1.0.1' },
      { kind: 'lock', name: 'lib', from: '1.0.0', to: '1.0.1' },
    ]);
    // An entry the project has is honoured there: in-place cannot move past it.
    const pinned = await assemblePlan(
      planInput(inventory, [lib], registry, { overrides: { lib: '1.0.0' } }),
      {
        strategies: ['in-place'],
      },
    );
    expect(pinned.unfixable[0]).toMatchObject({ reason: 'override-pins' });
    // The root's own dependency: never (npm refuses an override that contradicts it).
    const root = npmInventory({
      '': { dependencies: { lib: '1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });
    expect(
      (await assemblePlan(planInput(root, [lib], registry), { strategies: ['override'] })).patches,
    ).toEqual([]);
  });

  it("raises the range that pins the affected copy and moves the other workspace's copy in place, in one patch", async () => {
    // web pins lib at 1.0.0; a's ^1.0.0 keeps its own nested 1.0.0; b's ~1.0.2 has the top copy.
    // Neither a raised range nor an in-place move alone removes lib@1.0.0; both together do.
    const inventory = npmInventory({
      '': { workspaces: ['packages/*'] },
      'packages/a': { name: 'a', version: '1.0.0', dependencies: { lib: '^1.0.0' } },
      'packages/b': { name: 'b', version: '1.0.0', dependencies: { lib: '~1.0.2' } },
      'packages/web': { name: 'web', version: '1.0.0', dependencies: { lib: '1.0.0' } },
      'node_modules/a': { resolved: 'packages/a', link: true },
      'node_modules/b': { resolved: 'packages/b', link: true },
      'node_modules/web': { resolved: 'packages/web', link: true },
      'node_modules/lib': { version: '1.0.2' },
      'packages/a/node_modules/lib': { version: '1.0.0' },
      'packages/web/node_modules/lib': { version: '1.0.0' },
    });
    const registry = universe(`
      lib
        1.0.0
        1.0.1
        1.0.2
        1.1.0
    `);
    const lib = advisory('GHSA-lib', 'lib', { fixed: '1.0.1' });
    const plan = await assemblePlan(planInput(inventory, [lib], registry), {
      strategies: ['in-place', 'relax'],
    });
    expect(plan.unfixable).toEqual([]);
    expect(plan.remaining).toEqual([]);
    expect(plan.patches).toHaveLength(1);
    expect(plan.patches[0]?.strategy).toBe('relax');
    expect(plan.patches[0]?.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'manifest', importer: 'packages/web', fromRange: '1.0.0' }),
        expect.objectContaining({ kind: 'lock', name: 'lib', locations: ['packages/a/node_modules/lib'] }),
      ]),
    );
  });

  it('never moves a bundled copy with the rest: it ships inside its parent', async () => {
    const inventory = npmInventory({
      '': { workspaces: ['packages/*'] },
      'packages/web': { name: 'web', version: '1.0.0', dependencies: { lib: '1.0.0', t: '^1.0.0' } },
      'node_modules/web': { resolved: 'packages/web', link: true },
      'packages/web/node_modules/lib': { version: '1.0.0' },
      'node_modules/t': { version: '1.0.0', dependencies: { lib: '^1.0.0' }, bundleDependencies: ['lib'] },
      'node_modules/t/node_modules/lib': { version: '1.0.0', inBundle: true },
    });
    const registry = universe(`
      lib
        1.0.0
        1.0.1
      t
        1.0.0
          lib@^1.0.0
    `);
    const plan = await assemblePlan(
      planInput(inventory, [advisory('GHSA-lib', 'lib', { fixed: '1.0.1' })], registry),
      {
        strategies: ['in-place', 'relax'],
      },
    );
    expect(plan.patches.flatMap((p) => p.changes).filter((c) => c.kind === 'lock')).toEqual([]);
    expect(plan.remaining).toEqual([{ id: 'GHSA-lib', name: 'lib', version: '1.0.0' }]);
  });

  it('installs a registry copy where a linked workspace is not in the range asked for', async () => {
    // tool 2.0.0 asks for a ^9 of the workspace `a` (1.0.0 here): npm installs a@9 from the registry.
    const inventory = npmInventory({
      '': { workspaces: ['packages/*'], devDependencies: { tool: '^1.0.0' } },
      'packages/a': { name: 'a', version: '1.0.0' },
      'node_modules/a': { resolved: 'packages/a', link: true },
      'node_modules/tool': { version: '1.0.0', dependencies: { a: '^1.0.0' } },
    });
    const registry = universe(`
      tool
        1.0.0
          a@^1.0.0
        2.0.0
          a@^9.0.0
      a
        1.0.0
        9.0.0
    `);
    const evaluation = await preparePlanning(planInput(inventory, [], registry)).context.evaluate([
      { kind: 'manifest', importer: '', key: 'tool', spec: '^2.0.0' },
    ]);
    expect(evaluation.problems).toEqual([]);
    expect(evaluation.changes.map((c) => [c.kind, c.name, 'to' in c ? c.to : undefined])).toEqual([
      ['manifest', 'tool', '2.0.0'],
      ['add', 'a', '9.0.0'],
    ]);
    const added = evaluation.changes.find((c) => c.kind === 'add');
    expect(added?.kind === 'add' && added.locations).toEqual(['node_modules/tool/node_modules/a']);
  });
});

describe('a `*` range', () => {
  it('accepts a linked workspace whatever its version, a prerelease too, as npm does', async () => {
    const inventory = npmInventory({
      '': { workspaces: ['packages/*'], devDependencies: { tool: '^1.0.0' } },
      'packages/a': { name: 'a', version: '1.0.0-beta.1' },
      'node_modules/a': { resolved: 'packages/a', link: true },
      'node_modules/tool': { version: '1.0.0', dependencies: { a: '*' } },
    });
    const registry = universe(`
      tool
        1.0.0
          a@*
        2.0.0
          a@*
      a
        1.0.0
        9.0.0
    `);
    const evaluation = await preparePlanning(planInput(inventory, [], registry)).context.evaluate([
      { kind: 'manifest', importer: '', key: 'tool', spec: '^2.0.0' },
    ]);
    expect(evaluation.problems).toEqual([]);
    expect(evaluation.changes.map((c) => [c.kind, c.name])).toEqual([['manifest', 'tool']]);
  });
});

describe('unfixable findings', () => {
  it('no fixed version published', async () => {
    const plan = await assemblePlan(
      planInput(libProject(), [advisory('GHSA-all', 'lib', { introduced: '0' })], libRegistry),
    );
    expect(plan.unfixable).toMatchObject([
      { reason: 'no-fix-published', alternatives: [{ kind: 'remove' }] },
    ]);
    expect(plan.unfixable[0]?.text).toBe(
      'no published version of lib above 1.0.0 is free of GHSA-all (highest: 2.0.0)',
    );
  });

  it('a package the lockfile lists but nothing installs: drop the entry, not an override', async () => {
    // cross-env removed from package.json, its cross-spawn left in the lockfile (NodeGoat has one).
    const inventory = libProject({ 'node_modules/cross-spawn': { version: '7.0.3' } });
    const registry = universe(`
      lib
        1.0.0
      cross-spawn
        7.0.3
        7.0.5
    `);
    const plan = await assemblePlan(
      planInput(inventory, [advisory('GHSA-cs', 'cross-spawn', { fixed: '7.0.5' })], registry),
    );
    expect(plan.patches).toEqual([]);
    expect(plan.unfixable).toMatchObject([
      {
        finding: { id: 'GHSA-cs', name: 'cross-spawn', version: '7.0.3' },
        reason: 'extraneous',
        alternatives: [
          { kind: 'remove', text: 'drop the extraneous cross-spawn@7.0.3 from the lockfile (npm prune)' },
        ],
      },
    ]);
    expect(plan.unfixable[0]?.text).toBe(
      'cross-spawn@7.0.3 is in the lockfile, but no dependency of the project installs it; npm prune drops the entry',
    );
  });

  it('the dependents exclude every fixed version and no direct dependency can be raised', async () => {
    const inventory = npmInventory({
      '': { dependencies: { parent: '^1.0.0' } },
      'node_modules/parent': { version: '1.0.0', dependencies: { lib: '1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });
    const registry = universe(`
      parent
        1.0.0
          lib@1.0.0
      lib
        1.0.0
        1.0.1
    `);
    const plan = await assemblePlan(planInput(inventory, [libAdvisory], registry), {
      strategies: ['in-place', 'relax', 'parent-upgrade'],
    });
    expect(plan.unfixable).toEqual([
      {
        finding: { id: 'GHSA-lib', name: 'lib', version: '1.0.0' },
        reason: 'ranges-exclude-fixes',
        text: "parent@1.0.0 requires 1.0.0, excluding every fixed version (1.0.1 and later), and raising no direct dependency's range removes it",
        alternatives: [
          {
            kind: 'override',
            name: 'lib',
            version: '1.0.1',
            text: `an npm "overrides" entry "lib": "1.0.1" (forces it past the dependents' ranges; test it)`,
          },
        ],
      },
    ]);
  });

  it('relax fixes what the allowed level can when --upgrade-config stops short of a full fix', async () => {
    // One advisory fixed in 1.0.2, one only in 1.1.0; lib:patch allows 1.0.2, not 1.1.0.
    const inventory = npmInventory({
      '': { dependencies: { lib: '1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });
    const registry = universe(`
      lib
        1.0.0
        1.0.1
        1.0.2
        1.1.0
    `);
    const advisories = [
      advisory('GHSA-patch', 'lib', { fixed: '1.0.2' }),
      advisory('GHSA-minor', 'lib', { fixed: '1.1.0' }),
    ];
    const plan = await assemblePlan(planInput(inventory, advisories, registry), {
      strategies: ['relax'],
      upgradeConfig: parseUpgradeConfig(['lib:patch']),
    });
    expect(plan.patches.map((p) => describeChanges(p))).toEqual([['lib 1.0.0 -> 1.0.2']]);
    expect(plan.patches[0]?.fixes.map((f) => f.id)).toEqual(['GHSA-patch']);
    expect(plan.unfixable).toMatchObject([{ finding: { id: 'GHSA-minor' }, reason: 'upgrade-forbidden' }]);
    // When the allowed level fixes nothing, the refusal is still the upgrade level's.
    const none = await assemblePlan(planInput(inventory, advisories.slice(1), registry), {
      strategies: ['relax'],
      upgradeConfig: parseUpgradeConfig(['lib:patch']),
    });
    expect(none.patches).toEqual([]);
    expect(none.unfixable).toMatchObject([{ reason: 'upgrade-forbidden' }]);
  });

  it('a fix only in a major that --upgrade-config forbids (in-place)', async () => {
    const inventory = npmInventory({
      '': { dependencies: { lib: '>=1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });
    const registry = universe(`
      lib
        1.0.0
        2.0.0
    `);
    const plan = await assemblePlan(
      planInput(inventory, [advisory('GHSA-major', 'lib', { fixed: '2.0.0' })], registry),
      {
        upgradeConfig: parseUpgradeConfig(['lib:minor']),
      },
    );
    expect(plan.patches).toEqual([]);
    expect(plan.unfixable).toMatchObject([
      {
        reason: 'major-forbidden',
        text: 'the fix needs a major upgrade, lib 1.0.0 → 2.0.0, which --upgrade-config lib:minor forbids',
        alternatives: [
          { kind: 'major-upgrade', name: 'lib', version: '2.0.0', text: 'major upgrade of lib to 2.0.0' },
        ],
      },
    ]);
  });
});

describe('existing overrides', () => {
  const registry = universe(`
    parent
      1.0.0
        lib@^1.0.0
      2.0.0
        lib@^1.0.1
    lib
      1.0.0
      1.0.1
  `);
  const inventory = () =>
    npmInventory({
      '': { dependencies: { parent: '^1.0.0' } },
      'node_modules/parent': { version: '1.0.0', dependencies: { lib: '^1.0.0' } },
      'node_modules/lib': { version: '1.0.0' },
    });

  it('without the override, lib moves in place', async () => {
    const plan = await assemblePlan(planInput(inventory(), [libAdvisory], registry));
    expect(plan.patches.map(describeChanges)).toEqual([['lib 1.0.0 -> 1.0.1']]);
  });

  for (const overrides of [{ lib: '1.0.0' }, { parent: { lib: '1.0.0' } }]) {
    it(`an override pinning the affected version undoes every fix: ${JSON.stringify(overrides)}`, async () => {
      const plan = await assemblePlan(planInput(inventory(), [libAdvisory], registry, { overrides }), {
        strategies: ['in-place', 'relax', 'parent-upgrade'],
      });
      // Neither lib 1.0.0 → 1.0.1 nor parent ^1 → ^2 is a fix: the override puts 1.0.0 back.
      expect(plan.patches).toEqual([]);
      expect(plan.unfixable).toMatchObject([
        { reason: 'override-pins', alternatives: [{ kind: 'override' }] },
      ]);
      expect(plan.overrides).toMatchObject([
        { value: '1.0.0', finding: { id: 'GHSA-lib', name: 'lib', version: '1.0.0' } },
      ]);
    });
  }
});

describe('risk facts', () => {
  const meta = (versions: Record<string, Partial<PackageMetadata['versions'][string]>>): PackageMetadata => ({
    name: 'lib',
    form: 'full',
    distTags: { latest: '1.0.1' },
    modified: undefined,
    skipped: [],
    versions: Object.fromEntries(
      Object.entries(versions).map(([version, v]) => [
        version,
        {
          version,
          dependencies: {},
          optionalDependencies: {},
          peerDependencies: {},
          peerDependenciesMeta: {},
          dist: undefined,
          deprecated: undefined,
          hasInstallScript: false,
          publishedAt: undefined,
          ...v,
        },
      ]),
    ),
  });
  const registry: RegistrySource = {
    kind: 'npm',
    getPackage: async (name) =>
      name === 'lib'
        ? meta({
            '1.0.0': { publishedAt: '2024-01-01T00:00:00.000Z' },
            '1.0.1': {
              publishedAt: '2025-12-01T00:00:00.000Z',
              hasInstallScript: true,
              deprecated: 'use 2.x',
            },
          })
        : undefined,
  };

  it('age, deprecation and new install scripts of the target', async () => {
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory], registry));
    expect(plan.patches[0]?.risk).toEqual({
      step: 'patch',
      downgrade: false,
      inRange: true,
      publishedAt: '2025-12-01T00:00:00.000Z',
      ageDays: 31,
      deprecated: 'lib@1.0.1: use 2.x',
      addsInstallScript: true,
      stillAffectedBy: [],
    });
    // Counted to a day before the release (--today): a negative age, not "less than a day".
    const earlier = await assemblePlan(
      planInput(libProject(), [libAdvisory], registry, { now: new Date('2025-11-28T00:00:00Z') }),
    );
    expect(earlier.patches[0]?.risk?.ageDays).toBe(-3);
  });
});

describe('plans are stable', () => {
  it('the same input gives the same plan, and ids hash the changes', async () => {
    const a = await assemblePlan(planInput(libProject(), [libAdvisory], libRegistry));
    const b = await assemblePlan(planInput(libProject(), [libAdvisory], libRegistry));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const [patch] = a.patches;
    expect(patch?.id).toBe(patchId('in-place', patch?.changes ?? []));
    expect(patch?.id).toMatch(/^p-[0-9a-f]{10}$/);
  });
});

describe('options', () => {
  it('parses --upgrade-config as osv-scanner does', () => {
    expect(parseUpgradeConfig(['minor', 'lodash:patch', '@scope/pkg:none'])).toEqual({
      default: 'minor',
      packages: { lodash: 'patch', '@scope/pkg': 'none' },
    });
    expect(() => parseUpgradeConfig(['lodash:sometimes'])).toThrow(/must be one of/);
  });

  const finding = (extra: Partial<Finding>): Finding =>
    ({
      id: 'GHSA-x',
      aliases: [],
      advisories: ['GHSA-x'],
      kind: 'vulnerability',
      severity: 'moderate',
      cvssScore: 5.3,
      cvssVector: undefined,
      summary: undefined,
      package: { name: 'x', version: '1.0.0', purl: undefined },
      fixedIn: [],
      paths: [['app', 'a@1.0.0', 'x@1.0.0']],
      pathCount: 1,
      pathsComplete: true,
      scope: 'prod',
      direct: false,
      workspaces: [],
      locations: ['node_modules/x'],
      ...extra,
    }) as Finding;

  it('leaves findings out by scope, severity and depth', () => {
    expect(ignoreReason(finding({ scope: 'dev' }), planOptions({ ignoreDev: true }))).toBe('dev');
    expect(ignoreReason(finding({}), planOptions({ minSeverity: 'high' }))).toBe('severity');
    expect(ignoreReason(finding({}), planOptions({ minSeverity: 5.3 }))).toBeUndefined();
    expect(ignoreReason(finding({}), planOptions({ minSeverity: 7 }))).toBe('severity');
    expect(
      ignoreReason(finding({ kind: 'malicious' }), planOptions({ minSeverity: 'critical' })),
    ).toBeUndefined();
    expect(ignoreReason(finding({}), planOptions({ maxDepth: 1 }))).toBe('depth');
    expect(ignoreReason(finding({}), planOptions({ maxDepth: 2 }))).toBeUndefined();
  });

  it('counts the findings left out that the patches fix anyway, so the summary adds up', async () => {
    const low = advisory('GHSA-low', 'lib', { fixed: '1.0.1' }, { severityLabel: 'low' });
    const plan = await assemblePlan(planInput(libProject(), [libAdvisory, low], libRegistry), {
      minSeverity: 'high',
    });
    expect(plan.patches.map(describeChanges)).toEqual([['lib 1.0.0 -> 1.0.1']]);
    expect(plan.ignored.map((i) => i.finding.id)).toEqual(['GHSA-low']);
    expect(plan.summary).toEqual({
      findings: 2,
      targeted: 1,
      fixed: 1,
      alsoFixed: 1,
      remaining: 0,
      unfixable: 0,
    });
  });
});
