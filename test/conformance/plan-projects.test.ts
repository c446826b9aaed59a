import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Plan, strategyNames } from '../../src/core/plan.js';
import {
  binPath,
  childEnv,
  projectRoot,
  requireSharedData,
  runCli,
  sharedData,
  tempDir,
} from '../helpers/cli.js';

/**
 * `patchpilot plan` on every lockfile of the real projects (npm, yarn classic, yarn berry, pnpm) (../shared/data/projects, read in
 * place), against the real npm registry: once with a fresh cache folder (which records every
 * document the plan needed), then again with --offline and that cache alone. The two plans must be
 * identical: planning is a pure function of the lockfile, the advisories and the registry's
 * answers, and the cache holds every answer a plan needs (abbreviated documents for resolution,
 * full ones for the chosen patches' publish times). The figures of each plan are printed.
 *
 * The projects run at the same time, each online then offline, so that one project's network
 * waits overlap another's planning.
 */
const hasData = requireSharedData();
const projects = join(sharedData, 'projects');
const advisories = join(sharedData, 'advisories');
const advisoryFiles = ['npm-osv.jsonl.gz', 'npm-osv-more.jsonl.gz', 'npm-malicious-sample.jsonl.gz'];
/** Lockfiles planned at once (each run keeps up to 12 registry requests in flight). */
const parallel = 4;

const lockfileNames = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml']);

const projectLockfiles = (dir: string): string[] => {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(at, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(path);
      else if (entry.isFile() && lockfileNames.has(entry.name)) found.push(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
};

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

const runAsync = (args: readonly string[]): Promise<Run> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [binPath, ...args], { cwd: projectRoot, env: childEnv() });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
      }),
    );
  });

interface Outcome {
  readonly lockfile: string;
  readonly online: Run;
  readonly offline: Run;
}

const lockfiles = hasData ? projectLockfiles(projects) : [];
const home = tempDir('patchpilot-plan-projects-');
const db = join(home.path, 'advisories.db');
const cache = join(home.path, 'registry-cache');
// Both runs count release ages to the same day.
const today = new Date().toISOString().slice(0, 10);
const outcomes = new Map<string, Outcome>();

interface Report {
  registry: { source: string; offline: boolean };
  projects: { lockfile: string; plan: Plan }[];
}

describe.skipIf(!hasData)(
  'plan on the real projects: the real registry, then its recorded cache offline',
  () => {
    const args = (lockfile: string): string[] => [
      'plan',
      lockfile,
      '--json',
      '--deterministic',
      '--today',
      today,
      '--db',
      db,
      '--cache-dir',
      cache,
    ];
    beforeAll(async () => {
      const imported = runCli(['db', 'import', ...advisoryFiles.map((f) => join(advisories, f)), '--db', db]);
      expect(imported.code, imported.stderr).toBe(0);
      const queue = [...lockfiles];
      const worker = async (): Promise<void> => {
        for (let lockfile = queue.shift(); lockfile !== undefined; lockfile = queue.shift()) {
          const online = await runAsync(args(lockfile));
          const offline = await runAsync([...args(lockfile), '--offline']);
          outcomes.set(lockfile, { lockfile, online, offline });
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));
    });
    afterAll(() => home.remove());

    it('finds the lockfiles', () => {
      expect(lockfiles.map((l) => relative(projects, l))).toEqual([
        'Kong__insomnia@5082975c7d/package-lock.json',
        'OWASP__NodeGoat@3137d3c0f1/package-lock.json',
        'OWASP__NodeGoat@c5cb68a708/package-lock.json',
        'appsecco__dvna@da42114edc/package-lock.json',
        'getsentry__sentry-javascript@f7a6cc0c22/yarn.lock',
        'jestjs__jest@52db46e504/yarn.lock',
        'juice-shop__juice-shop@8303ac5fce/frontend/package-lock.json',
        'juice-shop__juice-shop@8303ac5fce/package-lock.json',
        'npm__cli@780afc50e3/package-lock.json',
        'vitejs__vite@a98c8d95d5/pnpm-lock.yaml',
      ]);
    });

    for (const lockfile of lockfiles) {
      const name = relative(projects, lockfile);
      it(`${name}: the same plan online and offline`, () => {
        const outcome = outcomes.get(lockfile) as Outcome;
        expect(outcome.online.code, outcome.online.stderr).toBe(0);
        expect(outcome.offline.code, outcome.offline.stderr).toBe(0);
        const online = JSON.parse(outcome.online.stdout) as Report;
        const offline = JSON.parse(outcome.offline.stdout) as Report;
        expect(online.registry).toEqual({ source: 'npm', offline: false });
        expect(offline.registry).toEqual({ source: 'npm', offline: true });
        // Byte for byte, everything but the line that says where the metadata came from.
        expect(JSON.stringify(offline.projects)).toBe(JSON.stringify(online.projects));

        const plan = (online.projects[0] as Report['projects'][number]).plan;
        const s = plan.summary;
        const byStrategy: Record<string, number> = {};
        for (const p of plan.patches) byStrategy[p.strategy] = (byStrategy[p.strategy] ?? 0) + 1;
        console.log(
          `${name}: ${s.findings} findings, ${plan.patches.length} patches ` +
            `(${strategyNames
              .filter((k) => byStrategy[k] !== undefined)
              .map((k) => `${byStrategy[k]} ${k}`)
              .join(', ')}), ${s.fixed} fixed, ${s.remaining} remaining, ${s.unfixable} unfixable; ` +
            `online ${(outcome.online.ms / 1000).toFixed(1)} s, offline ${(outcome.offline.ms / 1000).toFixed(1)} s`,
        );
        // What every plan holds to: no patch introduces a finding; each fixes something; the
        // counts add up.
        expect(plan.patches.every((p) => p.introduces.length === 0 && p.fixes.length > 0)).toBe(true);
        expect(s.targeted).toBe(s.findings - plan.ignored.length);
        expect(s.unfixable).toBe(s.targeted - s.fixed);
        expect(s.remaining).toBeLessThanOrEqual(s.findings - s.fixed - s.alsoFixed);
        // Every project with findings gets at least one of them fixed, whatever its format.
        if (s.targeted > 0) expect(s.fixed).toBeGreaterThan(0);
        expect(claimedTwice(plan)).toEqual([]);
        // NodeGoat 2020's lockfile keeps cross-spawn 7.0.3 of a cross-env its package.json no
        // longer declares: nothing installs it, and the plan says so rather than suggest an override.
        const extraneous = plan.unfixable.filter((u) => u.reason === 'extraneous');
        expect([...new Set(extraneous.map((u) => `${u.finding.name}@${u.finding.version}`))]).toEqual(
          name === 'OWASP__NodeGoat@3137d3c0f1/package-lock.json' ? ['cross-spawn@7.0.3'] : [],
        );
      });
    }

    // With dev findings ignored, an override met other picks only once together with them, and
    // claimed what they had fixed already (six findings twice in NodeGoat's plan). The plan moves
    // packages the default plan does not: the cache may lack their documents, so it runs online.
    it('OWASP__NodeGoat@3137d3c0f1: --ignore-dev: each finding is fixed by one patch, and the counts add up', async () => {
      const lockfile = join(projects, 'OWASP__NodeGoat@3137d3c0f1/package-lock.json');
      const run = await runAsync([...args(lockfile), '--ignore-dev']);
      expect(run.code, run.stderr).toBe(0);
      const plan = ((JSON.parse(run.stdout) as Report).projects[0] as Report['projects'][number]).plan;
      expect(plan.patches.some((p) => p.strategy === 'override')).toBe(true);
      expect(claimedTwice(plan)).toEqual([]);
      // Dev findings are left out, and the patches fix some of them along the way.
      const s = plan.summary;
      expect(plan.ignored.length).toBeGreaterThan(0);
      expect(s.targeted).toBe(s.findings - plan.ignored.length);
      expect(s.alsoFixed).toBeGreaterThan(0);
      expect(s.remaining).toBeLessThanOrEqual(s.findings - s.fixed - s.alsoFixed);
    });
  },
);

/** Findings (`ID name@version`) more than one patch of the plan says it fixes. */
const claimedTwice = (plan: Plan): string[] => {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const p of plan.patches) {
    for (const f of p.fixes) {
      const key = `${f.id} ${f.name}@${f.version}`;
      if (seen.has(key)) twice.add(key);
      seen.add(key);
    }
  }
  return [...twice];
};
