#!/usr/bin/env node
// Benchmark: `patchpilot scan` on real npm lockfiles, side by side with
//   (a) the floor: `node -e` reading and JSON.parse-ing the same lockfile, and
//   (b) `npm ls --all --json --package-lock-only` in the lockfile's folder.
// Prints median wall time and peak memory (max RSS) per command. See bench/README.md.
//
// Usage: node bench/scan.mjs [--runs N] [--npm-runs N] [--rss auto|time|preload|none] [--json]
// Env:   BENCH_RUNS, BENCH_NPM_RUNS, BENCH_RSS, BENCH_PROJECTS_DIR, BENCH_ADVISORIES_DIR
//
// Plain Node ESM, node: builtins only. A missed goal is reported, never turned into a non-zero exit.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  advisoriesDir,
  advisoryFiles,
  binPath,
  caCertsNote,
  childEnv,
  countLockEntries,
  fail,
  GNU_TIME,
  importAdvisories,
  log,
  makeRunner,
  median,
  parseArgs,
  parsePositiveInt,
  positiveIntFromEnv,
  projectsDir,
  repoRoot,
  requireBuild,
  rssModeFor,
  temporaryFolder,
} from './lib.mjs';

// Goal from the issue: the whole `patchpilot scan` process on Insomnia's lockfile within
// 3x the floor and at least 5x faster than `npm ls`.
const GOAL = {
  lockfile: 'Kong__insomnia@5082975c7d/package-lock.json',
  maxScanOverFloor: 3,
  minNpmLsOverScan: 5,
};

// ---------------------------------------------------------------------------------------------
// Options

const usage = `Usage: node bench/scan.mjs [options]   (or: npm run bench [-- options])

  --runs N         measured runs per command (default 7, env BENCH_RUNS)
  --npm-runs N     measured runs for npm ls (default: same as --runs, env BENCH_NPM_RUNS)
  --rss MODE       how peak memory is measured (env BENCH_RSS, default auto):
                     time     GNU time (${GNU_TIME} -f %M), max RSS of the child from wait4()
                     preload  NODE_OPTIONS --require of an exit hook that records
                              process.resourceUsage().maxRSS (all measured commands are node)
                     none     do not measure memory
                     auto     time if ${GNU_TIME} exists, else preload
  --json           print the raw numbers as JSON instead of the Markdown report
  --keep-ca-certs  keep NODE_EXTRA_CA_CERTS in the children's environment (removed by default:
                   Node reads that file at every start, and no measured command uses TLS)
  -h, --help       show this help

Projects:   ${projectsDir}   (env BENCH_PROJECTS_DIR)
Advisories: ${advisoriesDir}   (env BENCH_ADVISORIES_DIR)
`;

const parseOptions = (argv) => {
  const opts = {
    runs: positiveIntFromEnv('BENCH_RUNS', 7),
    npmRuns: positiveIntFromEnv('BENCH_NPM_RUNS', undefined),
    rss: process.env.BENCH_RSS || 'auto',
    json: false,
    keepCaCerts: false,
  };
  parseArgs(argv, usage, (flag, value) => {
    if (flag === '--runs') opts.runs = parsePositiveInt(value(), '--runs');
    else if (flag === '--npm-runs') opts.npmRuns = parsePositiveInt(value(), '--npm-runs');
    else if (flag === '--rss') opts.rss = value();
    else if (flag === '--json') opts.json = true;
    else if (flag === '--keep-ca-certs') opts.keepCaCerts = true;
    else return false;
  });
  opts.npmRuns ??= opts.runs;
  return opts;
};

// ---------------------------------------------------------------------------------------------
// Helpers

/** Every package-lock.json / npm-shrinkwrap.json below dir, never inside node_modules. */
const findLockfiles = (dir) => {
  const found = [];
  const walk = (d) => {
    const entries = readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(path.join(d, e.name));
      } else if (e.isFile() && (e.name === 'package-lock.json' || e.name === 'npm-shrinkwrap.json')) {
        found.push(path.join(d, e.name));
      }
    }
  };
  walk(dir);
  return found;
};

// ---------------------------------------------------------------------------------------------
// Main

const main = () => {
  const opts = parseOptions(process.argv.slice(2));
  // No npm_* variables from `npm run`, no NODE_EXTRA_CA_CERTS unless --keep-ca-certs (lib.mjs).
  const baseEnv = childEnv(opts.keepCaCerts);
  const envNote = caCertsNote(opts.keepCaCerts);

  requireBuild('bench');
  if (!existsSync(projectsDir)) fail(`projects folder not found: ${projectsDir}`);
  for (const f of advisoryFiles) {
    if (!existsSync(path.join(advisoriesDir, f)))
      fail(`advisory file not found: ${path.join(advisoriesDir, f)}`);
  }

  const rssMode = rssModeFor(opts.rss);
  const rssNote =
    rssMode === 'time'
      ? `max RSS of each child from GNU time (\`${GNU_TIME}\`, wait4 rusage); every measured command, the floor included, runs under it, which adds about 1 ms of wall time to each`
      : rssMode === 'preload'
        ? `${opts.rss === 'auto' ? `${GNU_TIME} not available: ` : ''}max RSS from process.resourceUsage().maxRSS recorded by an exit hook loaded with NODE_OPTIONS=--require into every measured command (all are node processes); the preload adds well under 1 ms`
        : 'memory not measured (--rss none): RSS columns are n/a';

  const tmp = temporaryFolder('patchpilot-bench-');
  const runOnce = makeRunner({ rssMode, tmp, env: baseEnv });
  const db = path.join(tmp, 'advisories.db');

  // Setup: import the advisories once (timed, not part of the table).
  const { summary: importSummary, ms: dbImportMs } = importAdvisories(
    advisoryFiles.map((f) => path.join(advisoriesDir, f)),
    db,
    baseEnv,
  );

  const lockfiles = findLockfiles(projectsDir);
  if (lockfiles.length === 0) fail(`no package-lock.json or npm-shrinkwrap.json below ${projectsDir}`);

  const results = [];
  for (const lockfile of lockfiles) {
    const rel = path.relative(projectsDir, lockfile).split(path.sep).join('/');
    const folder = path.dirname(lockfile);
    let lock;
    try {
      lock = JSON.parse(readFileSync(lockfile, 'utf8'));
    } catch (e) {
      log(`bench: skipping ${rel}: not JSON (${e.message})`);
      continue;
    }
    const row = {
      lockfile: rel,
      lockfileVersion: lock.lockfileVersion ?? null,
      bytes: statSync(lockfile).size,
      entries: countLockEntries(lock),
      notes: [],
    };
    lock = undefined;

    const commands = {
      floor: {
        cmd: process.execPath,
        args: ['-e', `JSON.parse(require('node:fs').readFileSync(${JSON.stringify(lockfile)}, 'utf8'))`],
        cwd: folder,
        runs: opts.runs,
        ok: (r) => r.status === 0,
      },
      scan: {
        cmd: process.execPath,
        args: [binPath, 'scan', lockfile, '--json', '--db', db],
        cwd: repoRoot,
        runs: opts.runs,
        ok: (r) => r.status === 0,
      },
      npmLs: {
        cmd: 'npm',
        args: ['ls', '--all', '--json', '--package-lock-only'],
        cwd: folder,
        // No update check: it would add network time unrelated to listing.
        env: { ...baseEnv, npm_config_update_notifier: 'false' },
        runs: opts.npmRuns,
        // npm ls exits 1 (ELSPROBLEMS) when the tree has missing/invalid entries but still
        // prints the whole tree; that run is kept and the exit code noted.
        ok: (r) => r.status === 0 || (r.status === 1 && r.stdout.trimStart().startsWith('{')),
      },
    };

    // Warm-up, once per command; also checks each command works. stdout is captured here
    // (and only here) to check it.
    log(`bench: ${rel} (${row.entries} entries): warm-up`);
    const broken = {};
    for (const [name, c] of Object.entries(commands)) {
      const r = runOnce(c.cmd, c.args, { cwd: c.cwd, env: c.env, captureStdout: true });
      if (!c.ok(r)) {
        broken[name] =
          `exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' | ')}`;
        row.notes.push(`${name} failed in warm-up (${broken[name]}); not measured`);
        log(`bench:   ${name} FAILED: ${broken[name]}`);
        continue;
      }
      if (name === 'scan') {
        try {
          const report = JSON.parse(r.stdout);
          row.scanPackages = report.projects?.[0]?.packages ?? null;
          row.scanFindings = report.summary?.total ?? null;
        } catch {
          row.notes.push('scan --json output did not parse as JSON');
        }
      }
      if (name === 'npmLs' && r.status !== 0) {
        row.npmLsExitCode = r.status;
        row.notes.push(
          `npm ls exits ${r.status} (${(r.stderr.match(/code (\w+)/) ?? [])[1] ?? 'error'}) but prints the full tree`,
        );
      }
    }

    // Measured runs, interleaved (floor, scan, npm ls, floor, ...) so drift hits all alike.
    const samples = { floor: [], scan: [], npmLs: [] };
    const rss = { floor: [], scan: [], npmLs: [] };
    const maxRuns = Math.max(opts.runs, opts.npmRuns);
    for (let i = 0; i < maxRuns; i++) {
      log(`bench: ${rel}: run ${i + 1}/${maxRuns}`);
      for (const [name, c] of Object.entries(commands)) {
        if (broken[name] || i >= c.runs) continue;
        const r = runOnce(c.cmd, c.args, { cwd: c.cwd, env: c.env });
        // npm ls output is not captured in measured runs, so accept exit 0/1 as in warm-up.
        const okStatus = name === 'npmLs' ? r.status === 0 || r.status === 1 : r.status === 0;
        if (!okStatus) {
          row.notes.push(`${name} run ${i + 1} failed (exit ${r.status ?? r.signal}); sample dropped`);
          continue;
        }
        samples[name].push(r.ms);
        if (r.rssKb !== null) rss[name].push(r.rssKb);
      }
    }

    for (const name of Object.keys(commands)) {
      row[name] = {
        runs: samples[name].length,
        medianMs: median(samples[name]),
        minMs: samples[name].length ? Math.min(...samples[name]) : null,
        maxMs: samples[name].length ? Math.max(...samples[name]) : null,
        medianRssKb: median(rss[name]),
        maxRssKb: rss[name].length ? Math.max(...rss[name]) : null,
        samplesMs: samples[name].map((x) => Number(x.toFixed(2))),
        rssKb: rss[name],
      };
    }
    row.scanOverFloor =
      row.scan.medianMs && row.floor.medianMs ? row.scan.medianMs / row.floor.medianMs : null;
    row.npmLsOverScan =
      row.scan.medianMs && row.npmLs.medianMs ? row.npmLs.medianMs / row.scan.medianMs : null;
    results.push(row);
  }

  // Goal evaluation (Insomnia).
  const target = results.find((r) => r.lockfile === GOAL.lockfile);
  const goals = [];
  if (!target) {
    goals.push({ name: 'insomnia', status: 'SKIP', text: `${GOAL.lockfile} not found below ${projectsDir}` });
  } else {
    const f = target.floor.medianMs;
    const s = target.scan.medianMs;
    const n = target.npmLs.medianMs;
    if (f === null || s === null) {
      goals.push({ name: 'scan-within-3x-floor', status: 'SKIP', text: 'scan or floor not measured' });
    } else {
      const ratio = s / f;
      goals.push({
        name: 'scan-within-3x-floor',
        status: ratio <= GOAL.maxScanOverFloor ? 'PASS' : 'FAIL',
        value: ratio,
        text: `patchpilot scan ${s.toFixed(0)} ms = ${ratio.toFixed(2)}× floor ${f.toFixed(0)} ms (goal ≤ ${GOAL.maxScanOverFloor}×, i.e. ≤ ${(GOAL.maxScanOverFloor * f).toFixed(0)} ms)`,
      });
    }
    if (n === null || s === null) {
      goals.push({ name: 'scan-5x-faster-than-npm-ls', status: 'SKIP', text: 'scan or npm ls not measured' });
    } else {
      const speedup = n / s;
      goals.push({
        name: 'scan-5x-faster-than-npm-ls',
        status: speedup >= GOAL.minNpmLsOverScan ? 'PASS' : 'FAIL',
        value: speedup,
        text: `npm ls ${n.toFixed(0)} ms ÷ patchpilot scan ${s.toFixed(0)} ms = ${speedup.toFixed(2)}× (goal ≥ ${GOAL.minNpmLsOverScan}×, i.e. scan ≤ ${(n / GOAL.minNpmLsOverScan).toFixed(0)} ms)`,
      });
    }
  }

  const cpus = os.cpus();
  const machine = {
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemMiB: Math.round(os.totalmem() / 1024 / 1024),
    npm: spawnSync('npm', ['--version'], { env: baseEnv, encoding: 'utf8' }).stdout?.trim() || null,
  };

  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine,
          runs: opts.runs,
          npmRuns: opts.npmRuns,
          warmupRuns: 1,
          rssMethod: rssMode,
          rssNote,
          envNote,
          projectsDir,
          advisories: advisoryFiles,
          dbImportMs,
          dbImport: importSummary,
          results,
          goals,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }

  const ms = (x) => (x === null ? 'n/a' : x.toFixed(0));
  const mib = (kb) => (kb === null ? 'n/a' : (kb / 1024).toFixed(0));
  const ratio = (x) => (x === null ? 'n/a' : `${x.toFixed(2)}×`);
  const out = [];
  out.push(`## patchpilot scan benchmark (${new Date().toISOString().slice(0, 10)})`);
  out.push('');
  out.push(
    `Machine: node ${machine.node}, ${machine.cpu}, ${machine.cpuCount} CPUs, ${machine.platform}, ${machine.totalMemMiB} MiB RAM; npm ${machine.npm ?? 'n/a'}`,
  );
  out.push(
    `Runs: ${opts.runs} measured per command${opts.npmRuns !== opts.runs ? ` (npm ls: ${opts.npmRuns})` : ''}, after 1 warm-up; medians shown. Wall time measured by the parent around each spawn.`,
  );
  out.push(`Memory: ${rssNote}.`);
  out.push(
    `Environment: npm_* variables from \`npm run\` removed from the children's environment; npm ls runs with npm_config_update_notifier=false${envNote ? `; ${envNote}` : ''}.`,
  );
  out.push(
    `Advisory store: ${importSummary}; \`db import\` took ${(dbImportMs / 1000).toFixed(2)} s (not in the table).`,
  );
  out.push('');
  out.push(
    '| lockfile | v | entries | floor ms | scan ms | scan ÷ floor | npm ls ms | npm ls ÷ scan | floor RSS MiB | scan RSS MiB | npm ls RSS MiB |',
  );
  out.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of results) {
    out.push(
      `| ${r.lockfile} | ${r.lockfileVersion ?? '?'} | ${r.entries.toLocaleString('en-US')} | ${ms(r.floor.medianMs)} | ${ms(r.scan.medianMs)} | ${ratio(r.scanOverFloor)} | ${ms(r.npmLs.medianMs)} | ${ratio(r.npmLsOverScan)} | ${mib(r.floor.medianRssKb)} | ${mib(r.scan.medianRssKb)} | ${mib(r.npmLs.medianRssKb)} |`,
    );
  }
  out.push('');
  out.push("RSS columns: median over the measured runs of each run's max RSS.");
  const notes = results.flatMap((r) => [...new Set(r.notes)].map((n) => `- ${r.lockfile}: ${n}`));
  const scanCounts = results
    .filter((r) => r.scanPackages !== undefined)
    .map((r) => `${r.lockfile} ${r.scanPackages} packages / ${r.scanFindings} findings`);
  if (scanCounts.length) {
    out.push('');
    out.push(`patchpilot scan reported (warm-up run): ${scanCounts.join('; ')}.`);
  }
  if (notes.length) {
    out.push('');
    out.push('Notes:');
    out.push(...notes);
  }
  out.push('');
  out.push(`Goal (${GOAL.lockfile}):`);
  for (const g of goals) out.push(`${g.status}: ${g.text}`);
  process.stdout.write(`${out.join('\n')}\n`);
};

main();
