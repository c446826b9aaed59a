import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/core/plan.js';
import { binPath, childEnv, requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';

/**
 * The planner's prediction against npm itself. For each project, the relax patches of a
 * relax-only plan are applied one after the other, as `fix` applies them: the manifest edits are
 * written and `npm install --package-lock-only --ignore-scripts` locks the project, and what npm
 * changed in package-lock.json (every install location whose version differs, added or removed)
 * is compared with what the patch says it changes. Plan and npm use the real registry a few
 * seconds apart, and the same Node.js (the plan chooses versions for the Node.js it runs on, as
 * npm does). A lockfileVersion 1 project is planned as it is, and npm's changes are counted from
 * the lockfile npm first writes for it unchanged. Bundled packages (what a tarball holds, which the registry does not say) and links
 * are left out of the comparison.
 */
const hasData = requireSharedData();
const projects = ['OWASP__NodeGoat@3137d3c0f1', 'OWASP__NodeGoat@c5cb68a708', 'appsecco__dvna@da42114edc'];
const advisoryFiles = ['npm-osv.jsonl.gz', 'npm-osv-more.jsonl.gz', 'npm-malicious-sample.jsonl.gz'];

const run = (
  file: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      env: { ...childEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out: code === 0 ? out : `${out}\n${err}` }));
  });

type Entry = { version?: string; link?: boolean; inBundle?: boolean };
type Packages = Record<string, Entry>;

const lockPackages = (dir: string): Packages =>
  (JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages: Packages }).packages;

/**
 * npm with a cache of its own, filled during this run: what it fetched first it reuses without
 * asking again (--prefer-offline), as fresh as the plan's own registry cache.
 */
const npmLock = async (dir: string): Promise<void> => {
  const npm = await run(
    'npm',
    [
      'install',
      '--package-lock-only',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      // GitHub tarballs (NodeGoat's grunt-if) are out of reach here: fail them at once.
      '--fetch-retries=0',
      '--loglevel=error',
    ],
    dir,
    { npm_config_cache: join(home.path, 'npm-cache') },
  );
  if (npm.code !== 0) throw new Error(`npm install in ${dir} failed: ${npm.out}`);
};

/** What one step changed: install location → [from, to] (undefined: absent). */
type Moves = Map<string, [string | undefined, string | undefined]>;

const npmMoves = (before: Packages, after: Packages): Moves => {
  const moves: Moves = new Map();
  for (const location of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!location.includes('node_modules/')) continue;
    const a = before[location];
    const b = after[location];
    if (a?.link || b?.link || a?.inBundle || b?.inBundle) continue;
    if (a?.version !== b?.version) moves.set(location, [a?.version, b?.version]);
  }
  return moves;
};

/** What the patch says it changes, at the same locations; manifest targets where npm puts them. */
const predictedMoves = (patch: Plan['patches'][number], before: Packages, after: Packages): Moves => {
  const moves: Moves = new Map();
  const bundled = (l: string): boolean => before[l]?.inBundle === true || after[l]?.inBundle === true;
  for (const c of patch.changes) {
    if (c.kind === 'lock') for (const l of c.locations) moves.set(l, [c.from, c.to]);
    else if (c.kind === 'add') for (const l of c.locations) moves.set(l, [undefined, c.to]);
    else if (c.kind === 'remove') for (const l of c.locations) moves.set(l, [c.from, undefined]);
    else if (c.kind === 'manifest' && c.from !== c.to) {
      const own = `${c.importer === '' ? '' : `${c.importer}/`}node_modules/${c.dependency}`;
      const at =
        c.importer !== '' && !(own in before) && !(own in after) ? `node_modules/${c.dependency}` : own;
      moves.set(at, [c.from, c.to]);
    }
  }
  for (const l of [...moves.keys()]) if (bundled(l)) moves.delete(l);
  return moves;
};

interface Step {
  readonly patch: string;
  readonly predicted: number;
  readonly npm: number;
  readonly differing: readonly string[];
}

const home = tempDir('patchpilot-npm-fidelity-');
const db = join(home.path, 'advisories.db');
const results = new Map<string, Step[]>();

const check = async (project: string): Promise<Step[]> => {
  const dir = join(home.path, project);
  await run('mkdir', ['-p', dir], home.path);
  for (const file of ['package.json', 'package-lock.json']) {
    copyFileSync(join(sharedData, 'projects', project, file), join(dir, file));
  }
  const planned = await run(
    process.execPath,
    [
      binPath,
      'plan',
      dir,
      '--strategy',
      'relax',
      '--json',
      '--db',
      db,
      '--cache-dir',
      join(home.path, 'cache'),
    ],
    home.path,
  );
  if (planned.code !== 0) throw new Error(`plan ${project} failed: ${planned.out}`);
  const plan = (JSON.parse(planned.out) as { projects: { plan: Plan }[] }).projects[0]?.plan as Plan;
  if (
    (JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as { packages?: unknown }).packages ===
    undefined
  ) {
    await npmLock(dir);
  }
  const steps: Step[] = [];
  let before = lockPackages(dir);
  for (const patch of plan.patches) {
    const manifestPath = join(dir, 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, Record<string, string>>;
    for (const c of patch.changes) {
      if (c.kind !== 'manifest' || c.importer !== '') continue;
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
        const deps = manifest[field];
        if (deps && Object.hasOwn(deps, c.dependency)) deps[c.dependency] = c.toRange;
      }
    }
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await npmLock(dir);
    const after = lockPackages(dir);
    const actual = npmMoves(before, after);
    const predicted = predictedMoves(patch, before, after);
    const differing: string[] = [];
    for (const l of new Set([...actual.keys(), ...predicted.keys()])) {
      const a = actual.get(l);
      const p = predicted.get(l);
      if (a?.[0] !== p?.[0] || a?.[1] !== p?.[1]) {
        differing.push(
          `${l}: planned ${p ? `${p[0]} → ${p[1]}` : 'no change'}, npm ${a ? `${a[0]} → ${a[1]}` : 'no change'}`,
        );
      }
    }
    steps.push({ patch: patch.id, predicted: predicted.size, npm: actual.size, differing });
    before = after;
  }
  return steps;
};

describe.skipIf(!hasData)("the planner's tree against npm's, patch after patch (real registry)", () => {
  beforeAll(async () => {
    const imported = runCli([
      'db',
      'import',
      ...advisoryFiles.map((f) => join(sharedData, 'advisories', f)),
      '--db',
      db,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    for (const [project, steps] of await Promise.all(
      projects.map(async (p) => [p, await check(p)] as const),
    )) {
      results.set(project, steps);
    }
  });
  afterAll(() => home.remove());

  it.each(projects)('%s: every relax patch changes what npm changes', (project) => {
    const steps = results.get(project) ?? [];
    const changed = steps.reduce((n, s) => n + s.npm, 0);
    console.log(
      `${project}: ${steps.length} relax patches; npm changed ${changed} install locations, ` +
        `${steps.reduce((n, s) => n + s.differing.length, 0)} predicted otherwise`,
    );
    // The plans raise ranges (NodeGoat: express, mongodb, mocha, …; DVNA: bcrypt, sequelize, …),
    // and each moves many packages.
    expect(steps.length).toBeGreaterThan(5);
    expect(changed).toBeGreaterThan(200);
    expect(steps.flatMap((s) => s.differing.map((d) => `${s.patch} ${d}`))).toEqual([]);
  });
});
