#!/usr/bin/env node

// Benchmark: `patchpilot plan`, whole process, on two real projects:
//   - santatracker (osv-scanner's remediation fixture) with its universe file as the registry;
//   - Insomnia (Kong/insomnia's package-lock.json) against the npm registry with a warm cache: a
//     first run fills a fresh cache folder, then every measured run is --offline.
// Beside each: the floor, a `node` process reading and JSON.parse-ing the same lockfile.
// Prints median wall time (and peak RSS with GNU time). See bench/README.md, "Planning benchmark".
//
// Usage: node bench/plan.mjs [--runs N] [--json] [--keep-ca-certs]
// Env:   BENCH_RUNS, BENCH_PROJECTS_DIR, BENCH_ADVISORIES_DIR, BENCH_FIXTURES_DIR
//
// Plain Node ESM, node: builtins only. The first Insomnia run needs the network (registry.npmjs.org
// or the registry npm's configuration names); without it that case is reported as not measured.

import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  advisoriesDir,
  advisoryFiles,
  benchDir,
  binPath,
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
  sharedData,
  temporaryFolder,
} from './lib.mjs';

const fixturesDir = sharedData('BENCH_FIXTURES_DIR', 'remediation-fixtures');
const santatracker = path.join(
  fixturesDir,
  'osv-scanner@f6c921cad3/internal/remediation/testdata/santatracker',
);
const insomnia = path.join(projectsDir, 'Kong__insomnia@5082975c7d');
// Release ages are counted to a fixed day, so every run plans the same bytes.
const TODAY = '2026-01-01';

const usage = `Usage: node bench/plan.mjs [options]   (or: npm run bench:plan [-- options])

  --runs N         measured runs per command (default 5, env BENCH_RUNS)
  --json           print the raw numbers as JSON instead of the Markdown report
  --keep-ca-certs  keep NODE_EXTRA_CA_CERTS for the measured (offline) runs; the first Insomnia
                   run, which fills the cache over the network, always keeps it
  -h, --help       show this help

santatracker: ${santatracker}   (env BENCH_FIXTURES_DIR)
Insomnia:     ${insomnia}   (env BENCH_PROJECTS_DIR)
Advisories:   ${advisoriesDir}   (env BENCH_ADVISORIES_DIR)
`;

const parseOptions = (argv) => {
  const opts = { runs: positiveIntFromEnv('BENCH_RUNS', 5), json: false, keepCaCerts: false };
  parseArgs(argv, usage, (flag, value) => {
    if (flag === '--runs') opts.runs = parsePositiveInt(value(), '--runs');
    else if (flag === '--json') opts.json = true;
    else if (flag === '--keep-ca-certs') opts.keepCaCerts = true;
    else return false;
  });
  return opts;
};

/** Entries as the projects' INDEX.md counts them (lockfileVersion 2/3: keys under node_modules/). */
const countEntries = (lockfile) => countLockEntries(JSON.parse(readFileSync(lockfile, 'utf8')));

const main = () => {
  const opts = parseOptions(process.argv.slice(2));
  requireBuild('bench:plan');
  for (const required of [
    path.join(santatracker, 'package-lock.json'),
    path.join(santatracker, 'universe.yaml'),
    path.join(santatracker, 'vulns.json'),
    path.join(insomnia, 'package-lock.json'),
    ...advisoryFiles.map((f) => path.join(advisoriesDir, f)),
  ]) {
    if (!existsSync(required)) fail(`not found: ${required}`);
  }
  // No npm_* variables from `npm run`, no NODE_EXTRA_CA_CERTS unless --keep-ca-certs (lib.mjs); the
  // run that fills the registry cache keeps it.
  const env = childEnv(opts.keepCaCerts);
  const networkEnv = childEnv(true);
  const tmp = temporaryFolder('patchpilot-bench-plan-');
  // Peak memory from GNU time where it exists; every command here is node.
  const runNode = makeRunner({ rssMode: existsSync(GNU_TIME) ? 'time' : 'none', tmp, cwd: repoRoot });
  const run = (args, { env, capture = false }) =>
    runNode(process.execPath, args, { env, captureStdout: capture });
  const santaDb = path.join(tmp, 'santatracker.db');
  const db = path.join(tmp, 'advisories.db');
  const cache = path.join(tmp, 'registry-cache');
  importAdvisories([path.join(santatracker, 'vulns.json')], santaDb, env);
  importAdvisories(
    advisoryFiles.map((f) => path.join(advisoriesDir, f)),
    db,
    env,
  );

  const cases = [
    {
      name: 'santatracker',
      lockfile: path.join(santatracker, 'package-lock.json'),
      registry: 'universe file',
      args: [
        binPath,
        'plan',
        santatracker,
        '--universe',
        path.join(santatracker, 'universe.yaml'),
        '--db',
        santaDb,
        '--json',
        '--deterministic',
        '--today',
        TODAY,
      ],
    },
    {
      name: 'Insomnia',
      lockfile: path.join(insomnia, 'package-lock.json'),
      registry: 'npm, warm cache, --offline',
      fill: [
        binPath,
        'plan',
        insomnia,
        '--cache-dir',
        cache,
        '--db',
        db,
        '--json',
        '--deterministic',
        '--today',
        TODAY,
      ],
      args: [
        binPath,
        'plan',
        insomnia,
        '--offline',
        '--cache-dir',
        cache,
        '--db',
        db,
        '--json',
        '--deterministic',
        '--today',
        TODAY,
      ],
    },
  ];

  const results = [];
  for (const c of cases) {
    const row = {
      case: c.name,
      lockfile: path.relative(path.resolve(benchDir, '../..'), c.lockfile).split(path.sep).join('/'),
      bytes: statSync(c.lockfile).size,
      entries: countEntries(c.lockfile),
      registry: c.registry,
      notes: [],
    };
    results.push(row);
    if (c.fill) {
      log(`bench: ${c.name}: filling the registry cache (network)`);
      const filled = run(c.fill, { env: networkEnv });
      row.fillMs = filled.ms;
      if (filled.status !== 0) {
        row.notes.push(`the first run could not fill the cache (exit ${filled.status}); not measured`);
        log(`bench:   FAILED: ${filled.stderr.trim().split('\n').slice(-2).join(' | ')}`);
        continue;
      }
      log(`bench:   ${(filled.ms / 1000).toFixed(1)} s`);
    }
    const floorArgs = [
      '-e',
      `JSON.parse(require('node:fs').readFileSync(${JSON.stringify(c.lockfile)}, 'utf8'))`,
    ];
    const warm = run(c.args, { env, capture: true });
    if (warm.status !== 0) {
      row.notes.push(`plan failed in warm-up (exit ${warm.status}): ${warm.stderr.trim().split('\n')[0]}`);
      continue;
    }
    const report = JSON.parse(warm.stdout);
    row.findings = report.summary.findings;
    row.fixed = report.summary.fixed;
    row.patches = report.summary.patches;
    run(floorArgs, { env });
    const samples = { floor: [], plan: [] };
    const rss = { floor: [], plan: [] };
    for (let i = 0; i < opts.runs; i++) {
      log(`bench: ${c.name}: run ${i + 1}/${opts.runs}`);
      const f = run(floorArgs, { env });
      samples.floor.push(f.ms);
      if (f.rssKb) rss.floor.push(f.rssKb);
      const p = run(c.args, { env });
      if (p.status !== 0) {
        row.notes.push(`run ${i + 1} failed (exit ${p.status})`);
        continue;
      }
      samples.plan.push(p.ms);
      if (p.rssKb) rss.plan.push(p.rssKb);
    }
    row.samples = samples;
    row.floorMs = median(samples.floor);
    row.planMs = median(samples.plan);
    row.floorRssKb = median(rss.floor);
    row.planRssKb = median(rss.plan);
  }

  const meta = {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    runs: opts.runs,
    today: TODAY,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ meta, results }, null, 2)}\n`);
    return;
  }
  const s = (ms) => (ms == null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
  const mib = (kb) => (kb == null ? 'n/a' : `${Math.round(kb / 1024)} MiB`);
  const lines = [
    `Planning benchmark: ${meta.date}, Node ${meta.node}, ${meta.cpus} × ${meta.cpu}, ${meta.memoryGiB} GiB; median of ${meta.runs} runs`,
    '',
    '| case | lockfile entries | registry | floor | plan | plan / floor | plan peak RSS | findings → fixed | patches |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const ratio = r.planMs != null && r.floorMs ? `${(r.planMs / r.floorMs).toFixed(1)}×` : 'n/a';
    lines.push(
      `| ${r.case} | ${r.entries.toLocaleString('en-US')} | ${r.registry} | ${s(r.floorMs)} | ${s(r.planMs)} | ${ratio} | ${mib(r.planRssKb)} | ${r.findings ?? 'n/a'} → ${r.fixed ?? 'n/a'} | ${r.patches ?? 'n/a'} |`,
    );
  }
  lines.push('');
  for (const r of results) {
    if (r.fillMs !== undefined)
      lines.push(`- ${r.case}: the first run, filling the cache over the network, took ${s(r.fillMs)}.`);
    for (const note of r.notes) lines.push(`- ${r.case}: ${note}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
};

main();
