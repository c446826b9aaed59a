#!/usr/bin/env node
// Benchmark: the advisory store at scale. Builds a synthetic OSV feed of 300,000 records cloned
// from the shapes of the real ones (new ids, new package names), imports it beside the real 8,752
// with the real CLI, and measures the import rate, the store's size on disk and the whole
// `patchpilot scan` process on Insomnia's lockfile against that store, side by side with the
// floor (node reading + JSON.parse of the lockfile) and the same scan against a store of the real
// records only. See bench/README.md ("Scale benchmark").
//
// Usage: node bench/scale.mjs [--records N] [--runs N] [--import-runs N] [--seed S] [--json] ...
// Env:   BENCH_RUNS, BENCH_IMPORT_RUNS, BENCH_RSS, BENCH_PROJECTS_DIR, BENCH_ADVISORIES_DIR
//
// Plain Node ESM, node: builtins only. A missed goal is reported, never turned into a non-zero exit.

import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGzip, gunzipSync } from 'node:zlib';
import {
  advisoriesDir,
  advisoryFiles,
  binPath,
  caCertsNote,
  childEnv,
  fail,
  GNU_TIME,
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

const LOCKFILE = 'Kong__insomnia@5082975c7d/package-lock.json';

// Goals from the issue: import at least 20,000 records per second; the whole `patchpilot scan`
// process on Insomnia's lockfile against the 300,000-record store within 250 ms.
const GOAL = { minImportRate: 20_000, maxScanMs: 250 };

/** Bumped whenever the generator changes what it writes, so a kept synthetic file is not reused. */
const GENERATOR_VERSION = 1;
/** Synthetic package names are `<real name>-ppx<round>`; a round is this many records. */
const ROUND_SIZE = 5_000;

// ---------------------------------------------------------------------------------------------
// Options

const usage = `Usage: node bench/scale.mjs [options]   (or: npm run bench:scale [-- options])

  --records N      synthetic records to generate (default 300000)
  --runs N         measured runs of each scan command and of the floor (default 9, env BENCH_RUNS)
  --import-runs N  imports of each kind, each into a new store (default 3, env BENCH_IMPORT_RUNS)
  --seed S         seed of the generator (default 1); the same seed gives the same file
  --mal-share F    share of synthetic records cloned from MAL-* records (default 0.9);
                   the rest are cloned from the GHSA records
  --no-reimport    skip the second import of the same files (every record unchanged)
  --rss MODE       time | preload | none | auto (default auto, env BENCH_RSS), as in bench/scan.mjs
  --work DIR       keep the synthetic file and the stores in DIR (created if missing) instead of
                   a temporary folder deleted at the end; a synthetic file already there with the
                   same parameters is reused, the stores are always rebuilt
  --json           print the raw numbers as JSON instead of the Markdown report
  --keep-ca-certs  keep NODE_EXTRA_CA_CERTS in the children's environment (removed by default)
  -h, --help       show this help

Projects:   ${projectsDir}   (env BENCH_PROJECTS_DIR)
Advisories: ${advisoriesDir}   (env BENCH_ADVISORIES_DIR)
`;

const parseOptions = (argv) => {
  const opts = {
    records: 300_000,
    runs: positiveIntFromEnv('BENCH_RUNS', 9),
    importRuns: positiveIntFromEnv('BENCH_IMPORT_RUNS', 3),
    seed: 1,
    malShare: 0.9,
    reimport: true,
    rss: process.env.BENCH_RSS || 'auto',
    work: undefined,
    json: false,
    keepCaCerts: false,
  };
  parseArgs(argv, usage, (flag, value) => {
    switch (flag) {
      case '--records':
        opts.records = parsePositiveInt(value(), '--records');
        break;
      case '--runs':
        opts.runs = parsePositiveInt(value(), '--runs');
        break;
      case '--import-runs':
        opts.importRuns = parsePositiveInt(value(), '--import-runs');
        break;
      case '--seed':
        opts.seed = parsePositiveInt(value(), '--seed');
        break;
      case '--mal-share': {
        const v = value();
        opts.malShare = Number(v);
        if (!(opts.malShare >= 0 && opts.malShare <= 1))
          fail(`--mal-share must be between 0 and 1, got ${v}`);
        break;
      }
      case '--no-reimport':
        opts.reimport = false;
        break;
      case '--rss':
        opts.rss = value();
        break;
      case '--work':
        opts.work = path.resolve(value());
        break;
      case '--json':
        opts.json = true;
        break;
      case '--keep-ca-certs':
        opts.keepCaCerts = true;
        break;
      default:
        return false;
    }
  });
  return opts;
};

// ---------------------------------------------------------------------------------------------
// Helpers

const int = (n) => Math.round(n).toLocaleString('en-US');
const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);

/** The store file and whatever SQLite keeps beside it. */
const storeSize = (db) => {
  const files = {};
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    if (existsSync(db + suffix)) files[path.basename(db + suffix)] = statSync(db + suffix).size;
  }
  return { files, bytes: Object.values(files).reduce((a, b) => a + b, 0) };
};

// ---------------------------------------------------------------------------------------------
// Synthetic records

/** mulberry32: a small seeded PRNG, enough to make the synthetic feed reproducible. */
const prng = (seed) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const readJsonl = (file) =>
  gunzipSync(readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));

/** Package names of an npm lockfile (v1 nested dependencies or v2/v3 packages), aliases' real names included. */
const lockfileNames = (lock) => {
  const names = new Set();
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    const at = key.lastIndexOf('node_modules/');
    if (at >= 0) names.add(key.slice(at + 'node_modules/'.length));
    if (entry?.name) names.add(entry.name);
  }
  const walk = (deps) => {
    for (const [name, dep] of Object.entries(deps ?? {})) {
      names.add(name);
      walk(dep?.dependencies);
    }
  };
  walk(lock.dependencies);
  return names;
};

const GHSA_ALPHABET = '23456789cfghjmpqrvwx';

/**
 * Clones real records into `count` synthetic ones. Each synthetic record copies one real record
 * (drawn with the PRNG; MAL-* with probability `malShare`, GHSA otherwise) with everything kept
 * (affected entries, ranges and their events, versions lists, severity vectors, database_specific,
 * references, details) except:
 * - its id: `MAL-<year>-<1,000,000 + n>` or a fresh `GHSA-xxxx-xxxx-xxxx`; every occurrence of the
 *   old id in the record's text (URLs, details) is replaced too;
 * - its aliases: fresh CVE / GHSA / MAL ids, other aliases suffixed, so that no alias group and no
 *   EPSS or KEV lookup joins a synthetic record to a real one;
 * - package names: `<real name>-ppx<round>` (scope kept), in `affected[].package.name`, its purl
 *   and the summary. Records of one round that copy records of the same real package share the
 *   new name, so several advisories per package occur as in the real feed.
 */
async function writeSynthetic(file, { records, seed, malShare, real, forbiddenNames }) {
  const random = prng(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const mal = real.filter((r) => r.id.startsWith('MAL-'));
  const ghsa = real.filter((r) => !r.id.startsWith('MAL-'));
  if (mal.length === 0 || ghsa.length === 0) fail('the real advisories hold no MAL-* or no GHSA record');
  const usedIds = new Set(real.map((r) => r.id));
  for (const r of real) for (const a of r.aliases ?? []) usedIds.add(a);
  const freshGhsa = () => {
    for (;;) {
      let id = 'GHSA';
      for (let g = 0; g < 3; g++) {
        id += '-';
        for (let c = 0; c < 4; c++) id += GHSA_ALPHABET[Math.floor(random() * GHSA_ALPHABET.length)];
      }
      if (!usedIds.has(id)) {
        usedIds.add(id);
        return id;
      }
    }
  };
  let cveCounter = 0;
  let malAliasCounter = 0;
  const freshAlias = (alias, round) => {
    const year = (/^[A-Z]+-(\d{4})-/.exec(alias) ?? [])[1] ?? '2024';
    if (alias.startsWith('CVE-')) return `CVE-${year}-${9_000_000 + cveCounter++}`;
    if (alias.startsWith('GHSA-')) return freshGhsa();
    if (alias.startsWith('MAL-')) return `MAL-${year}-${5_000_000 + malAliasCounter++}`;
    return `${alias}-ppx${round}`;
  };
  const rename = (name, round) => `${name}-ppx${round}`;
  const purlOf = (name) => `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}`;

  const stats = { mal: 0, ghsa: 0, names: new Set(), bytes: 0 };
  const gzip = createGzip({ level: 6 });
  const out = createWriteStream(file);
  gzip.pipe(out);
  const closed = once(out, 'close');
  let chunk = [];
  const flush = async () => {
    const text = chunk.join('');
    chunk = [];
    stats.bytes += Buffer.byteLength(text);
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  for (let n = 0; n < records; n++) {
    const round = Math.floor(n / ROUND_SIZE);
    const isMal = random() < malShare;
    const template = isMal ? pick(mal) : pick(ghsa);
    const record = structuredClone(template);
    let id;
    if (isMal) {
      const year = (/^MAL-(\d{4})-/.exec(template.id) ?? [])[1] ?? '2024';
      id = `MAL-${year}-${1_000_000 + n}`;
      stats.mal++;
    } else {
      id = freshGhsa();
      stats.ghsa++;
    }
    record.id = id;
    const replacements = [[template.id, id]];
    if (Array.isArray(record.aliases)) {
      record.aliases = record.aliases.map((alias) => {
        const fresh = freshAlias(alias, round);
        replacements.push([alias, fresh]);
        return fresh;
      });
    }
    const names = new Map();
    for (const affected of record.affected ?? []) {
      const pkg = affected.package;
      if (!pkg?.name) continue;
      const name = rename(pkg.name, round);
      if (forbiddenNames.has(name)) fail(`synthetic package name ${name} is a real name; change --seed`);
      names.set(pkg.name, name);
      pkg.name = name;
      if (pkg.purl !== undefined) pkg.purl = purlOf(name);
      stats.names.add(name);
    }
    if (typeof record.summary === 'string' && names.size > 0) {
      // One pass, longest name first, so that a name inside another is not renamed twice.
      const pattern = new RegExp(
        [...names.keys()]
          .sort((a, b) => b.length - a.length)
          .map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|'),
        'g',
      );
      record.summary = record.summary.replace(pattern, (m) => names.get(m));
    }
    let text = JSON.stringify(record);
    // Ids and aliases are distinctive strings: replacing them in the text reaches URLs and details.
    for (const [from, to] of replacements) text = text.split(from).join(to);
    chunk.push(`${text}\n`);
    if (chunk.length === 1000) await flush();
  }
  await flush();
  gzip.end();
  await closed;
  return { mal: stats.mal, ghsa: stats.ghsa, packages: stats.names.size, uncompressedBytes: stats.bytes };
}

// ---------------------------------------------------------------------------------------------
// Main

const main = async () => {
  const opts = parseOptions(process.argv.slice(2));
  // No npm_* variables from `npm run`, no NODE_EXTRA_CA_CERTS unless --keep-ca-certs (lib.mjs).
  const baseEnv = childEnv(opts.keepCaCerts);
  const loadStart = os.loadavg()[0];
  const git = (...args) => spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git('status', '--porcelain', '--', 'src', 'bin').split('\n').filter(Boolean).length;
  const commit = `${git('rev-parse', '--short', 'HEAD') || 'unknown'}${dirty ? ` with ${dirty} uncommitted changes in src/ and bin/` : ''}`;
  const envNote = caCertsNote(opts.keepCaCerts);

  requireBuild('bench:scale');
  const lockfile = path.join(projectsDir, LOCKFILE);
  if (!existsSync(lockfile)) fail(`lockfile not found: ${lockfile}`);
  const realFiles = advisoryFiles.map((f) => path.join(advisoriesDir, f));
  for (const f of realFiles) if (!existsSync(f)) fail(`advisory file not found: ${f}`);

  const rssMode = rssModeFor(opts.rss);

  let work = opts.work;
  if (work) mkdirSync(work, { recursive: true });
  else work = temporaryFolder('patchpilot-bench-scale-');
  const runOnce = makeRunner({ rssMode, tmp: work, env: baseEnv, cwd: repoRoot });

  // 1. The synthetic feed.
  const real = realFiles.flatMap(readJsonl);
  const realNames = new Set(real.flatMap((r) => (r.affected ?? []).map((a) => a.package?.name)));
  const insomniaNames = lockfileNames(JSON.parse(readFileSync(lockfile, 'utf8')));
  const forbiddenNames = new Set([...realNames, ...insomniaNames]);
  const synthFile = path.join(
    work,
    `synthetic-v${GENERATOR_VERSION}-n${opts.records}-seed${opts.seed}-mal${opts.malShare}.jsonl.gz`,
  );
  const synthMetaFile = `${synthFile}.meta.json`;
  let synth;
  if (existsSync(synthFile) && existsSync(synthMetaFile)) {
    synth = JSON.parse(readFileSync(synthMetaFile, 'utf8'));
    log(`bench: reusing ${synthFile}`);
  } else {
    log(`bench: writing ${int(opts.records)} synthetic records to ${synthFile}`);
    const start = performance.now();
    synth = await writeSynthetic(`${synthFile}.tmp`, { ...opts, real, forbiddenNames });
    synth.generateMs = performance.now() - start;
    renameSync(`${synthFile}.tmp`, synthFile);
    writeFileSync(synthMetaFile, JSON.stringify(synth));
  }
  synth.gzBytes = statSync(synthFile).size;
  log(
    `bench: synthetic feed: ${int(synth.mal)} MAL-shaped + ${int(synth.ghsa)} GHSA-shaped records, ${int(synth.packages)} package names, ${mib(synth.uncompressedBytes)} MiB of JSON (${mib(synth.gzBytes)} MiB gzipped)`,
  );

  // 2. Imports, each one whole `db import` process, into a new store each time (the same files
  //    again into the store just written, for the second row); repeated, medians reported.
  const importOnce = (db, files) => {
    const r = runOnce(process.execPath, [binPath, 'db', 'import', ...files, '--db', db, '--json'], {
      captureStdout: true,
    });
    if (r.status !== 0) fail(`db import failed (exit ${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
    const result = JSON.parse(r.stdout);
    return { ms: r.ms, rssKb: r.rssKb, cpuS: r.cpuS, result };
  };
  const removeStore = (db) => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(db + suffix, { force: true });
  };
  const summarise = (runs) => {
    const { result } = runs[runs.length - 1];
    const ms = median(runs.map((r) => r.ms));
    return {
      runs: runs.length,
      ms,
      minMs: Math.min(...runs.map((r) => r.ms)),
      maxMs: Math.max(...runs.map((r) => r.ms)),
      samplesMs: runs.map((r) => Number(r.ms.toFixed(1))),
      rssKb: median(runs.map((r) => r.rssKb).filter((x) => x !== null)),
      cpuS: median(runs.map((r) => r.cpuS).filter((x) => x !== null)),
      read: result.read,
      added: result.added,
      updated: result.updated,
      unchanged: result.unchanged,
      skipped: result.skipped?.length ?? 0,
      recordsPerSecond: result.read / (ms / 1000),
    };
  };
  const scaleDb = path.join(work, 'scale.db');
  const realDb = path.join(work, 'real.db');
  const scaleFiles = [synthFile, ...realFiles];
  const runs = { scale: [], reimport: [], real: [] };
  for (let i = 0; i < opts.importRuns; i++) {
    const round = `${i + 1}/${opts.importRuns}`;
    removeStore(scaleDb);
    log(`bench: import ${round}: synthetic + real records, new store`);
    runs.scale.push(importOnce(scaleDb, scaleFiles));
    log(`bench:   ${(runs.scale.at(-1).ms / 1000).toFixed(2)} s`);
    if (opts.reimport) {
      log(`bench: import ${round}: the same files again`);
      runs.reimport.push(importOnce(scaleDb, scaleFiles));
      log(`bench:   ${(runs.reimport.at(-1).ms / 1000).toFixed(2)} s`);
    }
    removeStore(realDb);
    log(`bench: import ${round}: real records only, new store`);
    runs.real.push(importOnce(realDb, realFiles));
  }
  const imports = { scale: summarise(runs.scale), real: summarise(runs.real) };
  if (opts.reimport) imports.reimport = summarise(runs.reimport);
  const scaleSize = storeSize(scaleDb);
  const realSize = storeSize(realDb);

  // 3. Scans: warm-up (checked, output kept), then interleaved measured runs.
  const commands = {
    floor: {
      cmd: process.execPath,
      args: ['-e', `JSON.parse(require('node:fs').readFileSync(${JSON.stringify(lockfile)}, 'utf8'))`],
    },
    scanReal: { cmd: process.execPath, args: [binPath, 'scan', lockfile, '--json', '--db', realDb] },
    scanScale: { cmd: process.execPath, args: [binPath, 'scan', lockfile, '--json', '--db', scaleDb] },
  };
  const reports = {};
  for (const [name, c] of Object.entries(commands)) {
    log(`bench: warm-up ${name}`);
    const r = runOnce(c.cmd, c.args, { captureStdout: true });
    // Exit 1 means "findings": the scan worked.
    if (!(r.status === 0 || (name !== 'floor' && r.status === 1))) {
      fail(`${name} failed in warm-up (exit ${r.status ?? r.signal}): ${r.stderr.trim().split('\n')[0]}`);
    }
    if (name !== 'floor') reports[name] = JSON.parse(r.stdout);
  }
  const samples = { floor: [], scanReal: [], scanScale: [] };
  const rss = { floor: [], scanReal: [], scanScale: [] };
  const cpu = { floor: [], scanReal: [], scanScale: [] };
  for (let i = 0; i < opts.runs; i++) {
    log(`bench: run ${i + 1}/${opts.runs}`);
    for (const [name, c] of Object.entries(commands)) {
      const r = runOnce(c.cmd, c.args);
      if (!(r.status === 0 || (name !== 'floor' && r.status === 1))) {
        fail(`${name} run ${i + 1} failed (exit ${r.status ?? r.signal})`);
      }
      samples[name].push(r.ms);
      if (r.rssKb !== null) rss[name].push(r.rssKb);
      if (r.cpuS !== null) cpu[name].push(r.cpuS);
    }
  }
  const scans = {};
  for (const name of Object.keys(commands)) {
    scans[name] = {
      runs: samples[name].length,
      medianMs: median(samples[name]),
      minMs: Math.min(...samples[name]),
      maxMs: Math.max(...samples[name]),
      medianRssKb: median(rss[name]),
      samplesMs: samples[name].map((x) => Number(x.toFixed(2))),
      rssKb: rss[name],
      medianCpuMs: cpu[name].length ? median(cpu[name]) * 1000 : null,
    };
  }

  // 4. The synthetic records must not change what the scan finds.
  const findingKeys = (report) =>
    report.findings.map((f) => `${f.id} ${f.package.name}@${f.package.version}`);
  const same = JSON.stringify(reports.scanReal.findings) === JSON.stringify(reports.scanScale.findings);
  const realKeys = findingKeys(reports.scanReal);
  const check = {
    status: same ? 'PASS' : 'FAIL',
    findings: realKeys.length,
    advisories: new Set(reports.scanReal.findings.flatMap((f) => f.advisories)).size,
    packages: new Set(reports.scanReal.findings.map((f) => `${f.package.name}@${f.package.version}`)).size,
    scaleFindings: reports.scanScale.findings.length,
    storeAdvisories: { real: reports.scanReal.store.advisories, scale: reports.scanScale.store.advisories },
    scannedPackages: reports.scanScale.projects[0]?.packages ?? null,
  };
  if (!same) {
    const scaleKeys = new Set(findingKeys(reports.scanScale));
    const realSet = new Set(realKeys);
    check.onlyScale = [...scaleKeys].filter((k) => !realSet.has(k)).slice(0, 10);
    check.onlyReal = realKeys.filter((k) => !scaleKeys.has(k)).slice(0, 10);
  }

  // 5. Goals.
  const goals = [];
  const rate = imports.scale.recordsPerSecond;
  goals.push({
    name: 'import-rate',
    status: rate >= GOAL.minImportRate ? 'PASS' : 'FAIL',
    value: rate,
    text: `db import of ${int(imports.scale.read)} records into a new store: ${int(rate)} records/s (median ${(imports.scale.ms / 1000).toFixed(2)} s for the whole process; goal ≥ ${int(GOAL.minImportRate)} records/s, i.e. ≤ ${(imports.scale.read / GOAL.minImportRate).toFixed(2)} s)`,
  });
  const s = scans.scanScale.medianMs;
  goals.push({
    name: 'scan-within-250ms',
    status: s <= GOAL.maxScanMs ? 'PASS' : 'FAIL',
    value: s,
    text: `patchpilot scan of ${LOCKFILE} against ${int(check.storeAdvisories.scale)} records: median ${s.toFixed(0)} ms for the whole process (goal ≤ ${GOAL.maxScanMs} ms)`,
  });

  const cpus = os.cpus();
  const machine = {
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemMiB: Math.round(os.totalmem() / 1024 / 1024),
  };
  const rssNote =
    rssMode === 'time'
      ? `max RSS and CPU time (user + system, all threads) of each child from GNU time (\`${GNU_TIME} -f '%M %U %S'\`)`
      : rssMode === 'preload'
        ? 'max RSS and CPU time from process.resourceUsage() recorded by an exit hook (NODE_OPTIONS=--require)'
        : 'memory and CPU time not measured (--rss none)';

  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine,
          commit,
          loadAverage: { start: loadStart, end: os.loadavg()[0] },
          options: { ...opts, work: opts.work ?? null },
          rssMethod: rssMode,
          envNote,
          lockfile: LOCKFILE,
          synthetic: synth,
          imports,
          storeSize: { scale: scaleSize, real: realSize },
          scans,
          check,
          goals,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }

  const ms = (x) => (x === null ? 'n/a' : x.toFixed(0));
  const rssMiB = (kb) => (kb === null || kb === undefined ? 'n/a' : (kb / 1024).toFixed(0));
  const out = [];
  out.push(`## patchpilot scale benchmark (${new Date().toISOString().slice(0, 10)})`);
  out.push('');
  out.push(
    `Machine: node ${machine.node}, ${machine.cpu}, ${machine.cpuCount} CPUs, ${machine.platform}, ${machine.totalMemMiB} MiB RAM.`,
  );
  out.push(
    `Synthetic feed (seed ${opts.seed}): ${int(synth.mal)} MAL-shaped + ${int(synth.ghsa)} GHSA-shaped records, ${int(synth.packages)} package names, ${mib(synth.uncompressedBytes)} MiB of JSON lines, ${mib(synth.gzBytes)} MiB gzipped; imported with the ${int(real.length)} real records.`,
  );
  out.push(`Memory and CPU: ${rssNote}.${envNote ? ` ${envNote}.` : ''}`);
  out.push(
    `Load average (1 min) at the start and the end: ${loadStart.toFixed(2)}, ${os.loadavg()[0].toFixed(2)}. PatchPilot ${commit}.`,
  );
  out.push('');
  out.push(
    `| import (whole \`db import\` process, ${opts.importRuns} runs) | records | added | unchanged | median s | min–max s | records/s | CPU s | store MiB | max RSS MiB |`,
  );
  out.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  const importRow = (label, r, size) =>
    `| ${label} | ${int(r.read)} | ${int(r.added)} | ${int(r.unchanged)} | ${(r.ms / 1000).toFixed(2)} | ${(r.minMs / 1000).toFixed(2)}–${(r.maxMs / 1000).toFixed(2)} | ${int(r.recordsPerSecond)} | ${r.cpuS === null ? 'n/a' : r.cpuS.toFixed(1)} | ${size === undefined ? '' : mib(size.bytes)} | ${rssMiB(r.rssKb)} |`;
  out.push(importRow('synthetic + real, new store', imports.scale, scaleSize));
  if (imports.reimport) out.push(importRow('same files again (nothing newer)', imports.reimport, scaleSize));
  out.push(importRow('real only, new store', imports.real, realSize));
  out.push('');
  out.push(
    `Store files: scale ${Object.entries(scaleSize.files)
      .map(([f, b]) => `${f} ${int(b)} bytes`)
      .join(', ')}; real ${Object.entries(realSize.files)
      .map(([f, b]) => `${f} ${int(b)} bytes`)
      .join(', ')}.`,
  );
  out.push('');
  out.push(`| command (${LOCKFILE}) | median ms | min ms | max ms | ÷ floor | CPU ms | max RSS MiB |`);
  out.push('|---|--:|--:|--:|--:|--:|--:|');
  const labels = {
    floor: 'floor: node reads + JSON.parse the lockfile',
    scanReal: `scan, real store (${int(check.storeAdvisories.real)} records)`,
    scanScale: `scan, scale store (${int(check.storeAdvisories.scale)} records)`,
  };
  for (const [name, r] of Object.entries(scans)) {
    out.push(
      `| ${labels[name]} | ${ms(r.medianMs)} | ${ms(r.minMs)} | ${ms(r.maxMs)} | ${(r.medianMs / scans.floor.medianMs).toFixed(2)}× | ${ms(r.medianCpuMs)} | ${rssMiB(r.medianRssKb)} |`,
    );
  }
  out.push('');
  out.push(
    `Scans: ${opts.runs} measured runs per command after 1 warm-up, interleaved (floor, real, scale); wall time of the whole process, medians shown.`,
  );
  out.push('');
  out.push(
    `${check.status}: findings against the scale store equal those against the real store (${check.findings} findings, ${check.advisories} advisories, ${check.packages} package versions; ${check.scaleFindings} against the scale store)`,
  );
  if (check.status === 'FAIL') {
    out.push(`  only with the scale store: ${check.onlyScale.join(', ') || '-'}`);
    out.push(`  only with the real store: ${check.onlyReal.join(', ') || '-'}`);
  }
  for (const g of goals) out.push(`${g.status}: ${g.text}`);
  process.stdout.write(`${out.join('\n')}\n`);
};

await main();
