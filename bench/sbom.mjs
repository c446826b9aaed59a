#!/usr/bin/env node
// Benchmark: `patchpilot sbom` (CycloneDX) on every real project of the shared data (npm, yarn v1,
// yarn berry, pnpm), side by side with
//   (a) the floor: `node -e` reading and parsing the same lockfile,
//   (b) `npm sbom --package-lock-only --sbom-format cyclonedx` (npm projects),
//   (c) `@cyclonedx/cyclonedx-npm --package-lock-only` (npm projects),
//   (d) `@cyclonedx/cdxgen -t js` without installs or fetches (every project).
// Prints median wall time, peak memory (max RSS) and the number of components in each SBOM.
// See bench/README.md, section "SBOM benchmark".
//
// Usage: node bench/sbom.mjs [--runs N] [--peer-runs N] [--only PROJECT] [--json] [--help]
//
// Plain Node ESM, node: builtins only (the floor of yarn berry and pnpm loads the `yaml`
// package from this repository's node_modules). Every tool reads its own temporary copy of the
// project files; the shared data folder is only read. The peers (cyclonedx-npm, cdxgen) are
// installed once from the npm registry into a cache folder below the OS temp folder.
// A missed goal or a failing tool is reported, never turned into a non-zero exit.

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  binPath,
  childEnv,
  fail,
  GNU_TIME,
  log,
  makeRunner,
  median,
  oneOf,
  parseArgs,
  parsePositiveInt,
  positiveIntFromEnv,
  projectsDir,
  repoRoot,
  rssModeFor,
  temporaryFolder,
} from './lib.mjs';

const UNSHARE = '/usr/bin/unshare';
const STRACE = '/usr/bin/strace';
const peerCacheRoot = path.join(os.tmpdir(), 'patchpilot-bench-sbom-peers');

// Goals from the issue, checked on every project where both figures exist.
const GOAL = {
  minCyclonedxNpmOverPatchpilot: 10,
  minCdxgenOverPatchpilot: 10,
  minNpmSbomOverPatchpilot: 4,
  maxPatchpilotOverFloor: 2,
};

const TOOLS = ['floor', 'patchpilot', 'npmSbom', 'cyclonedxNpm', 'cdxgen'];
const TOOL_LABEL = {
  floor: 'floor',
  patchpilot: 'patchpilot sbom',
  npmSbom: 'npm sbom',
  cyclonedxNpm: 'cyclonedx-npm',
  cdxgen: 'cdxgen',
};

// ---------------------------------------------------------------------------------------------
// Options

const usage = `Usage: node bench/sbom.mjs [options]   (or: npm run bench:sbom [-- options])

  --runs N               measured runs of every command (default: 5 for patchpilot and the
                         floor, 3 for the peers; env BENCH_RUNS)
  --peer-runs N          measured runs of npm sbom, cyclonedx-npm and cdxgen only (overrides
                         --runs for them; env BENCH_PEER_RUNS)
  --only PROJECT         only projects whose folder name contains PROJECT (case-insensitive;
                         repeat or separate with commas)
  --tools LIST           only these tools, comma-separated, from: ${TOOLS.join(', ')}
                         (default: all)
  --cyclonedx-npm VER    version of @cyclonedx/cyclonedx-npm (default: latest on the registry,
                         env BENCH_CYCLONEDX_NPM_VERSION)
  --cdxgen VER           version of @cyclonedx/cdxgen (default: latest on the registry,
                         env BENCH_CDXGEN_VERSION)
  --rss MODE             how peak memory is measured (env BENCH_RSS, default auto):
                           time     GNU time (${GNU_TIME} -f %M): max RSS from wait4(); for a
                                    command that starts children, the largest single process
                           preload  NODE_OPTIONS --require of an exit hook recording
                                    process.resourceUsage().maxRSS of the top node process
                           none     do not measure memory
                           auto     time if ${GNU_TIME} exists, else preload
  --net MODE             network isolation of every measured command (default auto):
                           unshare  run under \`${UNSHARE} --net\` (a network namespace with no
                                    usable interface: every connect fails at once)
                           env      only the environment (unreachable proxy, npm offline)
                           auto     unshare if it works here, else env
  --trace MODE           trace the warm-up run with strace to list network attempts and the
                         programs each command starts (auto|on|off, default auto)
  --peer-defaults        run cyclonedx-npm and cdxgen with their own defaults for output
                         validation (on) and, for cdxgen, babel source analysis (on); by
                         default both are turned off (--no-validate, --no-babel): PatchPilot
                         does not validate its output at run time and the copies hold no source
  --timeout S            kill a run after S seconds (default 300)
  --json                 print the raw results as JSON instead of the Markdown report
  --json-out FILE        also write the raw results as JSON to FILE (with the Markdown report)
  --keep-ca-certs        keep NODE_EXTRA_CA_CERTS in the measured commands' environment
  -h, --help             show this help

Projects: ${projectsDir}   (env BENCH_PROJECTS_DIR)
Peers are installed once into ${peerCacheRoot}/<versions>.
`;

const parseOptions = (argv) => {
  const opts = {
    runs: positiveIntFromEnv('BENCH_RUNS', undefined),
    peerRuns: positiveIntFromEnv('BENCH_PEER_RUNS', undefined),
    only: [],
    tools: [...TOOLS],
    cyclonedxNpmVersion: process.env.BENCH_CYCLONEDX_NPM_VERSION || 'latest',
    cdxgenVersion: process.env.BENCH_CDXGEN_VERSION || 'latest',
    rss: process.env.BENCH_RSS || 'auto',
    net: 'auto',
    trace: 'auto',
    timeoutS: 300,
    peerDefaults: false,
    json: false,
    jsonOut: null,
    keepCaCerts: false,
  };
  parseArgs(argv, usage, (flag, value) => {
    switch (flag) {
      case '--runs':
        opts.runs = parsePositiveInt(value(), '--runs');
        break;
      case '--peer-runs':
        opts.peerRuns = parsePositiveInt(value(), '--peer-runs');
        break;
      case '--only':
        opts.only.push(
          ...value()
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
        );
        break;
      case '--tools': {
        const list = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const t of list)
          if (!TOOLS.includes(t)) fail(`--tools: unknown tool ${t} (known: ${TOOLS.join(', ')})`);
        opts.tools = TOOLS.filter((t) => list.includes(t));
        break;
      }
      case '--cyclonedx-npm':
        opts.cyclonedxNpmVersion = value();
        break;
      case '--cdxgen':
        opts.cdxgenVersion = value();
        break;
      case '--rss':
        opts.rss = value();
        break;
      case '--net':
        opts.net = value();
        break;
      case '--trace':
        opts.trace = value();
        break;
      case '--timeout':
        opts.timeoutS = parsePositiveInt(value(), '--timeout');
        break;
      case '--json':
        opts.json = true;
        break;
      case '--json-out':
        opts.jsonOut = path.resolve(value());
        break;
      case '--peer-defaults':
        opts.peerDefaults = true;
        break;
      case '--keep-ca-certs':
        opts.keepCaCerts = true;
        break;
      default:
        return false;
    }
  });
  oneOf('--net', opts.net, ['auto', 'unshare', 'env']);
  oneOf('--trace', opts.trace, ['auto', 'on', 'off']);
  opts.mainRuns = opts.runs ?? 5;
  opts.peerRuns ??= opts.runs ?? 3;
  return opts;
};

// ---------------------------------------------------------------------------------------------
// Helpers

/** The lines of an error output that explain it: npm's `npm error` lines, a JavaScript error with
 *  the function it was thrown in, or the last lines. */
const errorSummary = (stderr, stdout) => {
  const text = `${stderr}\n${stdout}`;
  const js = text.match(/^\s*([A-Z]\w*Error: .*)$(?:\n\s+at (\S+))?/m);
  if (js) return `${js[1].trim()}${js[2] ? ` (at ${js[2]})` : ''}`.slice(0, 400);
  const npmLines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^npm (error|ERR!)/.test(l) && !/complete log of this run/.test(l));
  if (npmLines.length) return npmLines.slice(0, 3).join(' | ');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-3).join(' | ').slice(0, 400);
};

/** Relative path, size and mtime of every file below dir (to see whether a tool wrote there). */
const snapshot = (dir) => {
  const files = new Map();
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(full, r);
      else {
        const st = statSync(full);
        files.set(r, `${st.size}:${st.mtimeMs}`);
      }
    }
  };
  walk(dir, '');
  return files;
};

const diffSnapshot = (before, after) => {
  const changes = [];
  for (const [f, sig] of after) {
    if (!before.has(f)) changes.push(`created ${f}`);
    else if (before.get(f) !== sig) changes.push(`modified ${f}`);
  }
  for (const f of before.keys()) if (!after.has(f)) changes.push(`deleted ${f}`);
  return changes;
};

// ---------------------------------------------------------------------------------------------
// Projects

/** The lockfile a package manager reads in a project's root folder, and its format. */
const detectLockfile = (dir) => {
  for (const name of ['npm-shrinkwrap.json', 'package-lock.json']) {
    if (existsSync(path.join(dir, name))) return { name, format: 'npm' };
  }
  if (existsSync(path.join(dir, 'pnpm-lock.yaml'))) return { name: 'pnpm-lock.yaml', format: 'pnpm' };
  if (existsSync(path.join(dir, 'yarn.lock'))) {
    const head = readFileSync(path.join(dir, 'yarn.lock'), 'utf8').slice(0, 4096);
    return { name: 'yarn.lock', format: /^__metadata:/m.test(head) ? 'yarn-berry' : 'yarn-v1' };
  }
  return null;
};

const FORMAT_LABEL = {
  npm: 'npm',
  'yarn-v1': 'yarn v1',
  'yarn-berry': 'yarn berry',
  pnpm: 'pnpm',
};

/** Lockfile entries, counted as in the projects' INDEX.md. */
const countEntries = (format, text, yamlModule) => {
  if (format === 'npm') {
    const lock = JSON.parse(text);
    if (lock.packages && typeof lock.packages === 'object') {
      return Object.keys(lock.packages).filter((k) => k.includes('node_modules/')).length;
    }
    const walk = (deps) => {
      let n = 0;
      for (const dep of Object.values(deps ?? {})) n += 1 + walk(dep?.dependencies);
      return n;
    };
    return walk(lock.dependencies);
  }
  if (format === 'yarn-v1' || format === 'yarn-berry') {
    // Entry blocks: unindented, non-comment lines ending with ':' (berry: minus __metadata).
    return text.split('\n').filter((l) => /^[^\s#].*:$/.test(l) && !l.startsWith('__metadata')).length;
  }
  if (format === 'pnpm' && yamlModule) {
    const doc = yamlModule.parse(text);
    return Object.keys(doc?.packages ?? {}).length;
  }
  return null;
};

// ---------------------------------------------------------------------------------------------
// CycloneDX output

/** Components of a CycloneDX JSON document: all (nested ones included) and distinct npm purls. */
const countBom = (file) => {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  if (doc?.bomFormat !== 'CycloneDX') throw new Error('not a CycloneDX JSON document (no bomFormat)');
  let components = 0;
  const purls = new Set();
  const walk = (list) => {
    for (const c of list ?? []) {
      components++;
      if (typeof c.purl === 'string' && c.purl.startsWith('pkg:npm/')) {
        // Qualifiers and subpath dropped, percent-encoding undone: pkg:npm/@scope/name@1.2.3
        let p = c.purl.replace(/[?#].*$/s, '');
        try {
          p = decodeURIComponent(p);
        } catch {}
        purls.add(p);
      }
      walk(c.components);
    }
  };
  walk(doc.components);
  return {
    specVersion: doc.specVersion ?? null,
    components,
    distinctNpmPurls: purls.size,
    dependencies: Array.isArray(doc.dependencies) ? doc.dependencies.length : null,
  };
};

// ---------------------------------------------------------------------------------------------
// Environment of the measured commands

// The children's environment of lib.mjs (no npm_* variables, no NODE_EXTRA_CA_CERTS unless
// --keep-ca-certs) without NO_PROXY, plus settings that keep every tool offline: an unreachable
// proxy, npm's offline mode, cdxgen without license or metadata fetches.
const OFFLINE_ENV = {
  HTTPS_PROXY: 'http://127.0.0.1:9',
  HTTP_PROXY: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  FETCH_LICENSE: 'false',
  CDXGEN_FETCH_PKG_METADATA: 'false',
};

const makeBaseEnv = (keepCaCerts) => childEnv(keepCaCerts, ['no_proxy', 'NO_PROXY']);

// ---------------------------------------------------------------------------------------------
// Peers: installed once per version pair into the OS temp folder

const peerPackages = {
  cyclonedxNpm: '@cyclonedx/cyclonedx-npm',
  cdxgen: '@cyclonedx/cdxgen',
};

const installedVersion = (dir, pkg) => {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
};

/** Resolves the versions (npm view for "latest" or a range), installs if not cached. */
const preparePeers = (opts, env) => {
  const wanted = { cyclonedxNpm: opts.cyclonedxNpmVersion, cdxgen: opts.cdxgenVersion };
  const versions = {};
  const notes = [];
  for (const [tool, spec] of Object.entries(wanted)) {
    if (/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
      versions[tool] = spec;
      continue;
    }
    const r = spawnSync('npm', ['view', `${peerPackages[tool]}@${spec}`, 'version', '--json'], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    let v = null;
    try {
      const parsed = JSON.parse(r.stdout);
      v = Array.isArray(parsed) ? parsed[parsed.length - 1] : parsed;
    } catch {}
    if (typeof v === 'string') {
      versions[tool] = v;
      continue;
    }
    // Registry not reachable: the newest cached install, if any.
    const cached = existsSync(peerCacheRoot)
      ? readdirSync(peerCacheRoot).filter((d) => !d.includes('.tmp-'))
      : [];
    const hit = cached
      .map((d) => path.join(peerCacheRoot, d))
      .filter((d) => installedVersion(d, peerPackages[tool]))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (!hit) {
      return {
        error: `cannot resolve ${peerPackages[tool]}@${spec}: ${errorSummary(r.stderr ?? '', r.stdout ?? '')}`,
      };
    }
    versions[tool] = installedVersion(hit, peerPackages[tool]);
    notes.push(
      `${peerPackages[tool]}@${spec} could not be resolved on the registry; using cached ${versions[tool]}`,
    );
  }
  const key = `cyclonedx-npm@${versions.cyclonedxNpm}+cdxgen@${versions.cdxgen}`;
  const dir = path.join(peerCacheRoot, key);
  const ok = (d) =>
    installedVersion(d, peerPackages.cyclonedxNpm) === versions.cyclonedxNpm &&
    installedVersion(d, peerPackages.cdxgen) === versions.cdxgen;
  let installMs = null;
  let installCommand = null;
  if (!ok(dir)) {
    // Installed next to the final folder, then renamed: an interrupted install leaves no cache.
    mkdirSync(peerCacheRoot, { recursive: true });
    const tmpDir = `${dir}.tmp-${process.pid}`;
    rmSync(tmpDir, { recursive: true, force: true });
    mkdirSync(tmpDir, { recursive: true });
    const args = [
      'install',
      '--prefix',
      tmpDir,
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      `${peerPackages.cyclonedxNpm}@${versions.cyclonedxNpm}`,
      `${peerPackages.cdxgen}@${versions.cdxgen}`,
    ];
    installCommand = `npm ${args.join(' ')}`;
    log(`bench: installing the peers: ${installCommand}`);
    const start = performance.now();
    const r = spawnSync('npm', args, {
      cwd: tmpDir,
      env,
      encoding: 'utf8',
      timeout: 900_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    installMs = performance.now() - start;
    if (r.error || r.status !== 0 || !ok(tmpDir)) {
      rmSync(tmpDir, { recursive: true, force: true });
      return {
        versions,
        error: `peer install failed (exit ${r.status}): ${errorSummary(r.stderr ?? '', r.stdout ?? '')}`,
      };
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmpDir, dir);
    log(`bench: peers installed in ${(installMs / 1000).toFixed(1)} s`);
  } else {
    log(`bench: peers cached in ${dir}`);
  }
  const resolveBin = (pkg, name) => {
    const pj = JSON.parse(readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8'));
    const rel = typeof pj.bin === 'string' ? pj.bin : pj.bin?.[name];
    if (!rel) throw new Error(`${pkg} has no bin ${name}`);
    return path.join(dir, 'node_modules', pkg, rel);
  };
  return {
    dir,
    versions,
    installMs,
    installCommand,
    notes,
    bins: {
      cyclonedxNpm: resolveBin(peerPackages.cyclonedxNpm, 'cyclonedx-npm'),
      cdxgen: resolveBin(peerPackages.cdxgen, 'cdxgen'),
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Measuring one child process

/** From an `strace -f -e trace=connect,execve` log: IP connect() attempts (DNS included) and the
 *  programs run by processes other than the first one (the tool itself, whose own exec chain
 *  through unshare, a shebang's env and node is not listed). */
const parseTrace = (file) => {
  const net = new Set();
  const programs = [];
  if (!existsSync(file)) return { net: [], programs: [] };
  let rootPid = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const pid = line.match(/^(\d+)\s/)?.[1];
    if (pid && rootPid === null) rootPid = pid;
    const c = line.match(/connect\(\d+, \{sa_family=(AF_INET6?),(.*?)\}/);
    if (c) {
      const port = c[2].match(/htons\((\d+)\)/)?.[1];
      const addr = c[2].match(/inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"/);
      net.add(`${addr ? (addr[1] ?? addr[2]) : c[1]}:${port ?? '?'}`);
      continue;
    }
    const e = line.match(/execve\("([^"]+)", \[(.*?)\]/);
    if (e && pid !== rootPid && / = 0$/.test(line)) {
      // The program and its first argument, e.g. "node npm-cli.js", "sh -c", "ldd --version".
      const args = [...e[2].matchAll(/"((?:[^"\\]|\\.)*)"(\.\.\.)?/g)].map((m) => m[1] + (m[2] ? '…' : ''));
      const shown = args
        .slice(1)
        .filter((a) => a !== '--')
        .slice(0, 2)
        .map((a) => (a.startsWith('/') ? path.basename(a) : a));
      programs.push([path.basename(e[1]), ...shown].join(' '));
    }
  }
  return { net: [...net], programs };
};

/**
 * Runs cmd once, measured as lib.mjs's runner does: [GNU time] [strace (warm-up only)]
 * [unshare --net] cmd args. stdoutFile: stdout goes to that file (for tools that write the SBOM to
 * stdout); otherwise it is captured when capture is set and discarded when not. A command that
 * cannot start or times out is reported (spawnError, timedOut), never thrown.
 */
const makeSbomRunner = ({ rssMode, netMode, tmp, timeoutMs }) => {
  const traceFile = path.join(tmp, 'trace.txt');
  const run = makeRunner({ rssMode, tmp, timeoutMs, tolerateSpawnErrors: true });
  return (cmd, args, { cwd, env, stdoutFile, capture = false, trace = false, measureRss = true }) => {
    let argv = [cmd, ...args];
    if (netMode === 'unshare') argv = [UNSHARE, '--net', ...argv];
    if (trace) {
      rmSync(traceFile, { force: true });
      argv = [
        STRACE,
        '-f',
        '--seccomp-bpf',
        '-qq',
        '-s',
        '256',
        '-e',
        'trace=connect,execve',
        '-o',
        traceFile,
        ...argv,
      ];
    }
    const r = run(argv[0], argv.slice(1), { cwd, env, stdoutFile, captureStdout: capture, measureRss });
    return { ...r, trace: trace ? parseTrace(traceFile) : null };
  };
};

// ---------------------------------------------------------------------------------------------
// Main

const gitState = () => {
  const head = spawnSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const status = spawnSync('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'src', 'bin'], {
    encoding: 'utf8',
  });
  if (head.status !== 0) return null;
  const dirty = status.stdout.split('\n').filter(Boolean).length;
  return `${head.stdout.trim()}${dirty ? ` + ${dirty} uncommitted change(s) in src/ bin/` : ''}`;
};

const main = () => {
  const opts = parseOptions(process.argv.slice(2));
  const baseEnv = makeBaseEnv(opts.keepCaCerts);
  // For the peer install (TLS to the registry): the parent's environment minus npm_* only.
  const installEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  );

  if (!existsSync(projectsDir)) fail(`projects folder not found: ${projectsDir}`);

  const rssMode = rssModeFor(opts.rss);
  let netMode = opts.net;
  const unshareWorks = () =>
    existsSync(UNSHARE) && spawnSync(UNSHARE, ['--net', 'true'], { stdio: 'ignore' }).status === 0;
  if (netMode === 'auto') netMode = unshareWorks() ? 'unshare' : 'env';
  else if (netMode === 'unshare' && !unshareWorks())
    fail(`--net unshare: \`${UNSHARE} --net true\` fails here`);
  const straceWorks = () =>
    existsSync(STRACE) &&
    spawnSync(STRACE, ['-f', '--seccomp-bpf', '-qq', '-e', 'trace=connect', '-o', '/dev/null', 'true'], {
      stdio: 'ignore',
    }).status === 0;
  let traceOn = opts.trace === 'on' || (opts.trace === 'auto' && straceWorks());
  if (opts.trace === 'on' && !straceWorks()) fail(`--trace on: ${STRACE} does not work here`);
  if (opts.trace === 'off') traceOn = false;

  const rssNote =
    rssMode === 'time'
      ? `max RSS from GNU time (\`${GNU_TIME}\`, wait4 rusage) around every measured command; for a command that starts child processes (cyclonedx-npm runs \`npm ls\`) it is the largest single process of the tree, not their sum`
      : rssMode === 'preload'
        ? 'max RSS of the top node process from process.resourceUsage().maxRSS (exit hook loaded with NODE_OPTIONS=--require); child processes are not counted'
        : 'memory not measured (--rss none)';
  const netNote =
    netMode === 'unshare'
      ? `every measured command (the floor included) runs under \`${UNSHARE} --net\`: a new network namespace with only a down loopback, so any connection attempt fails at once; the environment also points HTTP(S)_PROXY at http://127.0.0.1:9 and sets npm_config_offline=true, FETCH_LICENSE=false, CDXGEN_FETCH_PKG_METADATA=false`
      : 'no network namespace available: the environment points HTTP(S)_PROXY at http://127.0.0.1:9 and sets npm_config_offline=true, FETCH_LICENSE=false, CDXGEN_FETCH_PKG_METADATA=false (tools that ignore these could still reach the network)';

  const tmp = temporaryFolder('patchpilot-bench-sbom-');
  const runOnce = makeSbomRunner({ rssMode, netMode, tmp, timeoutMs: opts.timeoutS * 1000 });
  const env = {
    ...baseEnv,
    ...OFFLINE_ENV,
    npm_config_cache: path.join(tmp, 'npm-cache'),
    PATCHPILOT_HOME: path.join(tmp, 'patchpilot-home'),
    CDXGEN_TEMP_DIR: path.join(tmp, 'cdxgen-tmp'),
  };
  mkdirSync(env.CDXGEN_TEMP_DIR, { recursive: true });

  // The yaml package of this repository, for the floor of yarn berry and pnpm.
  let yamlPath = null;
  let yamlVersion = null;
  let yamlModule = null;
  try {
    const req = createRequire(path.join(repoRoot, 'package.json'));
    yamlPath = req.resolve('yaml');
    yamlModule = req('yaml');
    yamlVersion = JSON.parse(readFileSync(req.resolve('yaml/package.json'), 'utf8')).version;
  } catch (e) {
    log(`bench: the yaml package is not installed in ${repoRoot} (${e.message}); yaml floors fail`);
  }

  // Projects
  const projects = readdirSync(projectsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .filter((name) => opts.only.length === 0 || opts.only.some((o) => name.toLowerCase().includes(o)));
  if (projects.length === 0)
    fail(`no project folder${opts.only.length ? ` matching ${opts.only.join(', ')}` : ''} in ${projectsDir}`);

  // Peers
  const wantPeer = opts.tools.includes('cyclonedxNpm') || opts.tools.includes('cdxgen');
  const peers = wantPeer ? preparePeers(opts, installEnv) : null;
  if (peers?.error) log(`bench: ${peers.error}; cyclonedx-npm and cdxgen are not measured`);
  const npmVersion =
    spawnSync('npm', ['--version'], { env: baseEnv, encoding: 'utf8' }).stdout?.trim() || null;
  const npmPath =
    spawnSync('sh', ['-c', 'command -v npm'], { env: baseEnv, encoding: 'utf8' }).stdout?.trim() || null;
  // npm's own CLI script (what `npx` passes to the tools it runs as npm_execpath).
  let npmCli = null;
  try {
    if (npmPath) npmCli = realpathSync(npmPath);
    if (!npmCli.endsWith('.js')) npmCli = null;
  } catch {}
  const distMissing = !existsSync(path.join(repoRoot, 'dist', 'cli', 'run.js'));

  const gitAtStart = gitState();
  const distAtStart = distMissing ? null : statSync(path.join(repoRoot, 'dist', 'cli', 'run.js')).mtimeMs;
  const results = [];
  const commandLines = {};
  for (const project of projects) {
    const source = path.join(projectsDir, project);
    const lock = detectLockfile(source);
    if (!lock) {
      log(`bench: skipping ${project}: no lockfile in its root folder`);
      continue;
    }
    const lockText = readFileSync(path.join(source, lock.name), 'utf8');
    let entries = null;
    try {
      entries = countEntries(lock.format, lockText, yamlModule);
    } catch {}
    const row = {
      project,
      format: lock.format,
      lockfile: lock.name,
      bytes: Buffer.byteLength(lockText),
      entries,
      tools: {},
      notes: [],
    };
    const outDir = path.join(tmp, 'out', project);
    mkdirSync(outDir, { recursive: true });

    /** Each tool gets its own writable copy of the project files. */
    const copyFor = (tool) => {
      const dest = path.join(tmp, 'work', project, tool);
      cpSync(source, dest, { recursive: true });
      const makeWritable = (p) => {
        const st = statSync(p);
        chmodSync(p, st.mode | 0o200);
        if (st.isDirectory()) for (const e of readdirSync(p)) makeWritable(path.join(p, e));
      };
      makeWritable(dest);
      return dest;
    };

    const commands = {};
    const unavailable = {};
    for (const tool of opts.tools) {
      const isNpm = lock.format === 'npm';
      if ((tool === 'npmSbom' || tool === 'cyclonedxNpm') && !isNpm) continue; // npm projects only
      if ((tool === 'cyclonedxNpm' || tool === 'cdxgen') && (!peers || peers.error)) {
        unavailable[tool] = peers?.error ?? 'peers not prepared';
        continue;
      }
      const dir = copyFor(tool);
      const lockfile = path.join(dir, lock.name);
      const out = path.join(outDir, `${tool}.cdx.json`);
      switch (tool) {
        case 'floor': {
          let code;
          const read = `require("node:fs").readFileSync(${JSON.stringify(lockfile)}, "utf8")`;
          if (lock.format === 'npm') code = `JSON.parse(${read})`;
          else if (lock.format === 'yarn-v1') code = `${read}.split("\\n")`;
          else code = `require(${JSON.stringify(yamlPath ?? 'yaml')}).parse(${read})`;
          commands.floor = {
            cmd: process.execPath,
            args: ['-e', code],
            cwd: dir,
            runs: opts.mainRuns,
            out: null,
          };
          break;
        }
        case 'patchpilot':
          if (distMissing) {
            unavailable.patchpilot = `${path.join(repoRoot, 'dist/cli/run.js')} is missing: run \`npm run build\``;
            continue;
          }
          commands.patchpilot = {
            cmd: process.execPath,
            args: [binPath, 'sbom', dir, '--format', 'cyclonedx', '--reproducible', '--output', out],
            cwd: dir,
            runs: opts.mainRuns,
            out,
          };
          break;
        case 'npmSbom':
          commands.npmSbom = {
            cmd: 'npm',
            args: ['sbom', '--package-lock-only', '--sbom-format', 'cyclonedx'],
            cwd: dir,
            runs: opts.peerRuns,
            out,
            stdoutIsOutput: true,
          };
          break;
        case 'cyclonedxNpm':
          commands.cyclonedxNpm = {
            cmd: process.execPath,
            args: [
              peers.bins.cyclonedxNpm,
              '--package-lock-only',
              '--ignore-npm-errors',
              '--output-reproducible',
              ...(opts.peerDefaults ? [] : ['--no-validate']),
              '--output-format',
              'JSON',
              '--output-file',
              out,
            ],
            cwd: dir,
            // Without npm_execpath, cyclonedx-npm finds npm by running `npm run` in a scratch
            // project (about three extra node starts); `npx` would set it, so it is set here too.
            env: npmCli ? { ...env, npm_execpath: npmCli } : env,
            runs: opts.peerRuns,
            out,
          };
          break;
        case 'cdxgen':
          commands.cdxgen = {
            cmd: process.execPath,
            args: [
              peers.bins.cdxgen,
              '-t',
              'js',
              '--no-install-deps',
              '--no-recurse',
              ...(opts.peerDefaults ? [] : ['--no-babel', '--no-validate']),
              '--spec-version',
              '1.6',
              '-o',
              out,
              dir,
            ],
            cwd: dir,
            runs: opts.peerRuns,
            out,
          };
          break;
      }
      commands[tool].dir = dir;
      // The command as shown in the report, with placeholders for the per-run paths.
      const key = tool === 'floor' ? `floor (${FORMAT_LABEL[lock.format]})` : TOOL_LABEL[tool];
      if (!commandLines[key]) {
        const c = commands[tool];
        const show = (a) => {
          let t = a;
          if (c.out) t = t.split(c.out).join('<out>');
          t = t.split(lockfile).join(`<copy>/${lock.name}`).split(dir).join('<copy>');
          if (peers?.dir) t = t.split(peers.dir).join('<peers>');
          if (yamlPath) t = t.split(yamlPath).join('<repo>/node_modules/yaml');
          t = t.split(repoRoot).join('<repo>');
          if (t === process.execPath) t = 'node';
          return /[\s'"()]/.test(t) ? `'${t.replace(/'/g, "'\\''")}'` : t;
        };
        const envPart = c.env?.npm_execpath ? `npm_execpath=${c.env.npm_execpath} ` : '';
        commandLines[key] =
          `${envPart}${[c.cmd, ...c.args].map(show).join(' ')}${c.stdoutIsOutput ? ' > <out>' : ''}`;
      }
    }
    for (const [tool, why] of Object.entries(unavailable)) {
      row.tools[tool] = { ok: false, error: why, runs: 0 };
    }

    // Warm-up, once per command (traced with strace when available; not measured): checks that
    // the command works, counts the components of its output, lists network attempts and the
    // programs it starts, and whether it wrote into its copy of the project.
    log(`bench: ${project} (${FORMAT_LABEL[lock.format]}, ${entries ?? '?'} entries): warm-up`);
    const broken = {};
    for (const [tool, c] of Object.entries(commands)) {
      const before = snapshot(c.dir);
      if (c.out) rmSync(c.out, { force: true });
      const r = runOnce(c.cmd, c.args, {
        cwd: c.cwd,
        env: c.env ?? env,
        stdoutFile: c.stdoutIsOutput ? c.out : undefined,
        capture: !c.stdoutIsOutput,
        trace: traceOn,
        measureRss: false,
      });
      const info = { warmupMs: r.ms, warmupExit: r.status ?? r.signal };
      if (r.trace) {
        info.networkAttempts = r.trace.net;
        // The programs started, minus the wrapper chain (strace's target, unshare, the tool).
        info.childPrograms = [...new Set(r.trace.programs)];
        if (r.trace.net.length) {
          row.notes.push(
            `${TOOL_LABEL[tool]} tried the network in warm-up: connect() to ${r.trace.net.join(', ')} (refused by the isolation)`,
          );
        }
      }
      const changes = diffSnapshot(before, snapshot(c.dir));
      if (changes.length) {
        info.wroteIntoCopy = changes;
        row.notes.push(
          `${TOOL_LABEL[tool]} wrote into its copy of the project: ${changes.slice(0, 5).join(', ')}${changes.length > 5 ? ', …' : ''}`,
        );
      }
      let error = null;
      if (r.spawnError) error = `cannot run: ${r.spawnError}`;
      else if (r.timedOut) error = `timed out after ${opts.timeoutS} s`;
      else if (r.status !== 0) error = `exit ${r.status ?? r.signal}: ${errorSummary(r.stderr, r.stdout)}`;
      else if (c.out) {
        try {
          Object.assign(info, countBom(c.out));
        } catch (e) {
          error = `exit 0 but the output is not CycloneDX JSON: ${e.message}`;
        }
      }
      if (error) {
        broken[tool] = true;
        row.tools[tool] = { ok: false, error, runs: 0, ...info };
        log(`bench:   ${TOOL_LABEL[tool]} FAILED after ${(r.ms / 1000).toFixed(2)} s: ${error}`);
      } else {
        row.tools[tool] = { ok: true, ...info };
        log(
          `bench:   ${TOOL_LABEL[tool]} ok in ${(r.ms / 1000).toFixed(2)} s${info.components !== undefined ? `, ${info.components} components` : ''}`,
        );
      }
    }

    // Measured runs, interleaved (floor, patchpilot, npm sbom, cyclonedx-npm, cdxgen, floor, ...)
    // so that drift of the machine affects every column alike.
    const samples = {};
    const rss = {};
    for (const tool of Object.keys(commands)) {
      samples[tool] = [];
      rss[tool] = [];
    }
    const maxRuns = Math.max(
      0,
      ...Object.entries(commands)
        .filter(([t]) => !broken[t])
        .map(([, c]) => c.runs),
    );
    for (let i = 0; i < maxRuns; i++) {
      log(`bench: ${project}: run ${i + 1}/${maxRuns}`);
      for (const [tool, c] of Object.entries(commands)) {
        if (broken[tool] || i >= c.runs) continue;
        if (c.out) rmSync(c.out, { force: true });
        const r = runOnce(c.cmd, c.args, {
          cwd: c.cwd,
          env: c.env ?? env,
          stdoutFile: c.stdoutIsOutput ? c.out : undefined,
        });
        if (r.status !== 0 || (c.out && !existsSync(c.out))) {
          row.notes.push(
            `${TOOL_LABEL[tool]} run ${i + 1} failed (exit ${r.status ?? r.signal}${r.timedOut ? ', timed out' : ''}); sample dropped`,
          );
          continue;
        }
        samples[tool].push(r.ms);
        if (r.rssKb !== null) rss[tool].push(r.rssKb);
      }
    }
    for (const tool of Object.keys(commands)) {
      if (broken[tool]) continue;
      const s = samples[tool];
      Object.assign(row.tools[tool], {
        runs: s.length,
        medianMs: median(s),
        minMs: s.length ? Math.min(...s) : null,
        maxMs: s.length ? Math.max(...s) : null,
        medianRssKb: median(rss[tool]),
        maxRssKb: rss[tool].length ? Math.max(...rss[tool]) : null,
        samplesMs: s.map((x) => Number(x.toFixed(2))),
        rssKb: rss[tool],
      });
      if (s.length === 0) {
        row.tools[tool].ok = false;
        row.tools[tool].error = 'worked in warm-up, but every measured run failed';
      }
    }

    // Goals for this project.
    const ms = (tool) =>
      row.tools[tool]?.ok && row.tools[tool].medianMs != null ? row.tools[tool].medianMs : null;
    const pp = ms('patchpilot');
    row.goals = [];
    const speedGoal = (tool, min) => {
      if (!(tool in row.tools)) return; // not applicable to this format / not selected
      const t = ms(tool);
      if (pp === null || t === null) {
        row.goals.push({
          name: `${tool}-over-patchpilot`,
          status: 'n/a',
          text: `patchpilot ≥ ${min}× faster than ${TOOL_LABEL[tool]}: not measured (${pp === null ? 'patchpilot' : TOOL_LABEL[tool]} ${pp === null ? (row.tools.patchpilot?.error ?? 'not run') : row.tools[tool].error})`,
        });
        return;
      }
      const ratio = t / pp;
      row.goals.push({
        name: `${tool}-over-patchpilot`,
        status: ratio >= min ? 'PASS' : 'FAIL',
        value: ratio,
        text: `${TOOL_LABEL[tool]} ${t.toFixed(0)} ms ÷ patchpilot ${pp.toFixed(0)} ms = ${ratio.toFixed(1)}× (goal ≥ ${min}×, i.e. patchpilot ≤ ${(t / min).toFixed(0)} ms)`,
      });
    };
    speedGoal('cyclonedxNpm', GOAL.minCyclonedxNpmOverPatchpilot);
    speedGoal('cdxgen', GOAL.minCdxgenOverPatchpilot);
    speedGoal('npmSbom', GOAL.minNpmSbomOverPatchpilot);
    if ('floor' in row.tools && 'patchpilot' in row.tools) {
      const f = ms('floor');
      if (pp === null || f === null) {
        row.goals.push({
          name: 'patchpilot-within-floor',
          status: 'n/a',
          text: `patchpilot within ${GOAL.maxPatchpilotOverFloor}× the floor: not measured (${pp === null ? `patchpilot: ${row.tools.patchpilot.error ?? 'no samples'}` : `floor: ${row.tools.floor.error ?? 'no samples'}`})`,
        });
      } else {
        const ratio = pp / f;
        row.goals.push({
          name: 'patchpilot-within-floor',
          status: ratio <= GOAL.maxPatchpilotOverFloor ? 'PASS' : 'FAIL',
          value: ratio,
          text: `patchpilot ${pp.toFixed(0)} ms = ${ratio.toFixed(2)}× floor ${f.toFixed(0)} ms (goal ≤ ${GOAL.maxPatchpilotOverFloor}×, i.e. ≤ ${(GOAL.maxPatchpilotOverFloor * f).toFixed(0)} ms)`,
        });
      }
    }
    results.push(row);
  }

  const cpus = os.cpus();
  const machine = {
    node: process.version,
    cpu: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemMiB: Math.round(os.totalmem() / 1024 / 1024),
    npm: npmVersion,
    npmPath,
    npmCli,
  };
  const meta = {
    date: new Date().toISOString(),
    machine,
    patchpilot: gitAtStart,
    patchpilotAtEnd: gitState(),
    distRebuiltDuringRun:
      distAtStart !== null &&
      existsSync(path.join(repoRoot, 'dist', 'cli', 'run.js')) &&
      statSync(path.join(repoRoot, 'dist', 'cli', 'run.js')).mtimeMs !== distAtStart,
    runs: { patchpilot: opts.mainRuns, floor: opts.mainRuns, peers: opts.peerRuns, warmup: 1 },
    peerDefaults: opts.peerDefaults,
    rssMethod: rssMode,
    rssNote,
    netMethod: netMode,
    netNote,
    traced: traceOn,
    caCerts: process.env.NODE_EXTRA_CA_CERTS ? (opts.keepCaCerts ? 'kept' : 'removed') : 'not set',
    yaml: yamlVersion,
    peers: peers
      ? {
          dir: peers.dir ?? null,
          versions: peers.versions ?? null,
          installCommand: peers.installCommand ?? null,
          installMs: peers.installMs ?? null,
          error: peers.error ?? null,
          notes: peers.notes ?? [],
        }
      : null,
    projectsDir,
    commands: commandLines,
  };

  const raw = `${JSON.stringify({ ...meta, goal: GOAL, results }, null, 2)}\n`;
  if (opts.jsonOut) writeFileSync(opts.jsonOut, raw);
  if (opts.json) {
    process.stdout.write(raw);
    return;
  }

  // ---- Markdown report
  const fmtMs = (x) => (x == null ? 'n/a' : x.toFixed(0));
  const fmtMiB = (kb) => (kb == null ? 'n/a' : (kb / 1024).toFixed(0));
  const fmtInt = (n) => (n == null ? '' : n.toLocaleString('en-US'));
  const out = [];
  out.push(`## patchpilot sbom benchmark (${meta.date.slice(0, 10)})`);
  out.push('');
  out.push(
    `Machine: node ${machine.node}, ${machine.cpu}, ${machine.cpuCount} CPUs, ${machine.platform}, ${machine.totalMemMiB} MiB RAM; npm ${machine.npm ?? 'n/a'} (${machine.npmPath ?? 'not on PATH'}).`,
  );
  out.push(
    `PatchPilot: ${meta.patchpilot ?? 'unknown commit'}${meta.patchpilotAtEnd !== meta.patchpilot ? ` at the start, ${meta.patchpilotAtEnd ?? 'unknown'} at the end` : ''}${meta.distRebuiltDuringRun ? ' (dist/ was rebuilt during the run: the figures may mix two builds)' : ''}.`,
  );
  if (peers?.versions) {
    out.push(
      `Peers: @cyclonedx/cyclonedx-npm ${peers.versions.cyclonedxNpm}, @cyclonedx/cdxgen ${peers.versions.cdxgen}${peers.dir ? ` (in ${peers.dir}${peers.installMs ? `, installed in ${(peers.installMs / 1000).toFixed(0)} s` : ', cached'})` : ''}; yaml ${yamlVersion ?? 'n/a'} for the floor of yarn berry and pnpm.`,
    );
  }
  out.push(
    `Runs: ${opts.mainRuns} measured for patchpilot and the floor, ${opts.peerRuns} for the peers, after 1 warm-up; medians shown, interleaved by round.`,
  );
  out.push(`Memory: ${rssNote}.`);
  out.push(`Network: ${netNote}.${traceOn ? ' Warm-up runs are traced with strace (connect, execve).' : ''}`);
  out.push(
    `Environment: npm_* variables from \`npm run\` removed; NODE_EXTRA_CA_CERTS ${meta.caCerts}; npm cache, PATCHPILOT_HOME and CDXGEN_TEMP_DIR in the run's temporary folder.`,
  );
  for (const n of peers?.notes ?? []) out.push(`Note: ${n}.`);
  out.push('');
  out.push('Commands (each tool in its own copy `<copy>` of the project files, cwd `<copy>`):');
  out.push('');
  for (const [k, v] of Object.entries(commandLines)) out.push(`- ${k}: \`${v}\``);
  out.push('');

  for (const r of results) {
    out.push(`### ${r.project}: ${r.lockfile}, ${FORMAT_LABEL[r.format]}, ${fmtInt(r.entries)} entries`);
    out.push('');
    out.push(
      '| tool | median ms | min–max ms | peak RSS MiB | time ÷ patchpilot | components | distinct npm purls | goal |',
    );
    out.push('|---|--:|--:|--:|--:|--:|--:|---|');
    const pp = r.tools.patchpilot?.ok ? r.tools.patchpilot.medianMs : null;
    const goalFor = {
      floor: r.goals.find((g) => g.name === 'patchpilot-within-floor'),
      npmSbom: r.goals.find((g) => g.name === 'npmSbom-over-patchpilot'),
      cyclonedxNpm: r.goals.find((g) => g.name === 'cyclonedxNpm-over-patchpilot'),
      cdxgen: r.goals.find((g) => g.name === 'cdxgen-over-patchpilot'),
    };
    const goalCell = (tool) => {
      const g = goalFor[tool];
      if (!g) return '';
      const want =
        tool === 'floor'
          ? `≤ ${GOAL.maxPatchpilotOverFloor}×`
          : `≥ ${tool === 'npmSbom' ? GOAL.minNpmSbomOverPatchpilot : GOAL.minCdxgenOverPatchpilot}×`;
      return g.status === 'n/a' ? `n/a (${want})` : `${g.status} (${want})`;
    };
    for (const tool of TOOLS) {
      const t = r.tools[tool];
      if (!t) continue;
      if (!t.ok) {
        const when = t.warmupMs ? ` after ${fmtMs(t.warmupMs)} ms` : '';
        out.push(`| ${TOOL_LABEL[tool]} | failed${when} | | | | | | ${goalCell(tool)} |`);
        continue;
      }
      const ratio = pp && t.medianMs ? `${(t.medianMs / pp).toFixed(tool === 'floor' ? 2 : 1)}×` : 'n/a';
      out.push(
        `| ${TOOL_LABEL[tool]} | ${fmtMs(t.medianMs)} | ${fmtMs(t.minMs)}–${fmtMs(t.maxMs)} | ${fmtMiB(t.medianRssKb)} | ${ratio} | ${fmtInt(t.components)} | ${fmtInt(t.distinctNpmPurls)} | ${goalCell(tool)} |`,
      );
    }
    out.push('');
    const errors = TOOLS.filter((t) => r.tools[t] && !r.tools[t].ok).map(
      (t) => `- ${TOOL_LABEL[t]} failed: ${r.tools[t].error}`,
    );
    const children = TOOLS.filter((t) => r.tools[t]?.childPrograms?.length).map(
      (t) => `${TOOL_LABEL[t]}: ${r.tools[t].childPrograms.join(', ')}`,
    );
    const notes = [...new Set(r.notes)].map((n) => `- ${n}`);
    if (children.length) notes.push(`- programs started (warm-up trace): ${children.join('; ')}`);
    if (errors.length || notes.length) {
      out.push(...errors, ...notes);
      out.push('');
    }
    for (const g of r.goals) out.push(`${g.status === 'n/a' ? 'N/A' : g.status}: ${g.text}`);
    out.push('');
  }

  // Summary over the projects.
  out.push('### Summary (median ms; peak RSS MiB in parentheses)');
  out.push('');
  out.push(
    '| project | format | entries | floor | patchpilot | pp ÷ floor | npm sbom | cyclonedx-npm | cdxgen | goals passed |',
  );
  out.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|');
  const cell = (t) => (!t ? '–' : !t.ok ? 'failed' : `${fmtMs(t.medianMs)} (${fmtMiB(t.medianRssKb)})`);
  for (const r of results) {
    const pp = r.tools.patchpilot?.ok ? r.tools.patchpilot.medianMs : null;
    const f = r.tools.floor?.ok ? r.tools.floor.medianMs : null;
    const judged = r.goals.filter((g) => g.status !== 'n/a');
    out.push(
      `| ${r.project} | ${FORMAT_LABEL[r.format]} | ${fmtInt(r.entries)} | ${cell(r.tools.floor)} | ${cell(r.tools.patchpilot)} | ${pp && f ? `${(pp / f).toFixed(2)}×` : 'n/a'} | ${cell(r.tools.npmSbom)} | ${cell(r.tools.cyclonedxNpm)} | ${cell(r.tools.cdxgen)} | ${judged.filter((g) => g.status === 'PASS').length}/${judged.length}${judged.length < r.goals.length ? ` (${r.goals.length - judged.length} n/a)` : ''} |`,
    );
  }
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);
};

main();
