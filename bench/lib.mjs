// What the benchmark scripts share: where things are, option parsing, statistics, the children's
// environment, a temporary folder, and the measurement of one child process (wall time, peak
// memory and CPU time). Plain Node ESM, node: builtins only.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(benchDir, '..');
export const binPath = path.join(repoRoot, 'bin', 'patchpilot.js');
export const GNU_TIME = '/usr/bin/time';

/** A folder of the shared real data (`../../shared/data/<name>`), or the one `envName` names. */
export const sharedData = (envName, name) =>
  path.resolve(process.env[envName] || path.join(benchDir, '../../shared/data', name));
export const projectsDir = sharedData('BENCH_PROJECTS_DIR', 'projects');
export const advisoriesDir = sharedData('BENCH_ADVISORIES_DIR', 'advisories');
/** The three OSV files every scan and plan benchmark loads into its store. */
export const advisoryFiles = ['npm-osv.jsonl.gz', 'npm-osv-more.jsonl.gz', 'npm-malicious-sample.jsonl.gz'];

// ---------------------------------------------------------------------------------------------
// Messages and options

export const fail = (message) => {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
};

export const log = (message) => process.stderr.write(`${message}\n`);

export const parsePositiveInt = (value, name) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
};

/** A positive integer from the environment variable `name`, else `fallback`. */
export const positiveIntFromEnv = (name, fallback) =>
  process.env[name] ? parsePositiveInt(process.env[name], name) : fallback;

/**
 * Walks the command line: `handle(flag, value)` for each argument, where `value()` reads the
 * option's value (`--flag=value` or the next argument). `-h`/`--help` prints `usage` and exits 0;
 * a flag `handle` does not know (it returns false) fails with the usage.
 */
export const parseArgs = (argv, usage, handle) => {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) fail(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '-h' || flag === '--help') {
      process.stdout.write(usage);
      process.exit(0);
    }
    if (handle(flag, value) === false) fail(`unknown option ${arg}\n\n${usage}`);
  }
};

/** Fails unless `value` is one of `allowed`. */
export const oneOf = (option, value, allowed) => {
  if (!allowed.includes(value)) {
    const list = `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}`;
    fail(`${option} must be ${list}, got ${JSON.stringify(value)}`);
  }
  return value;
};

export const requireBuild = (script) => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'run.js'))) {
    fail(
      `${path.join(repoRoot, 'dist/cli/run.js')} is missing: build first with \`npm run build\` (or run \`npm run ${script}\`, which builds).`,
    );
  }
};

// ---------------------------------------------------------------------------------------------
// Statistics and counts

export const median = (values) => {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Entries of a parsed npm lockfile as the projects' INDEX.md counts them: v2/v3 keys of
 *  `packages` containing node_modules/; v1 every entry of the nested `dependencies` tree. */
export const countLockEntries = (lock) => {
  if (lock.packages && typeof lock.packages === 'object') {
    return Object.keys(lock.packages).filter((k) => k.includes('node_modules/')).length;
  }
  const walk = (deps) => Object.values(deps ?? {}).reduce((n, d) => n + 1 + walk(d?.dependencies), 0);
  return walk(lock.dependencies);
};

// ---------------------------------------------------------------------------------------------
// The children's environment and working folder

/**
 * The parent's environment minus the npm_* variables that `npm run` sets (npm_config_local_prefix
 * would point a child npm at this repository), so each command runs as if typed in a shell, and
 * minus NODE_EXTRA_CA_CERTS unless `keepCaCerts`: Node reads that file at every start (tens of ms
 * on some machines), no measured command makes a TLS connection, and the cost would be added to
 * the floor and every other column alike. `drop` names more variables to leave out.
 */
export const childEnv = (keepCaCerts, drop = []) =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !k.toLowerCase().startsWith('npm_') &&
        !drop.includes(k) &&
        (keepCaCerts || k !== 'NODE_EXTRA_CA_CERTS'),
    ),
  );

/** The sentence the reports print about NODE_EXTRA_CA_CERTS, or null when it is not set. */
export const caCertsNote = (keepCaCerts) =>
  process.env.NODE_EXTRA_CA_CERTS
    ? keepCaCerts
      ? 'NODE_EXTRA_CA_CERTS is set and kept (--keep-ca-certs): every node start, the floor included, pays for reading it'
      : "NODE_EXTRA_CA_CERTS is set here and was removed from the children's environment (no measured command uses TLS; use --keep-ca-certs to keep it)"
    : null;

/** A new folder below the OS temp folder, removed when the process exits or is interrupted. */
export const temporaryFolder = (prefix) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const cleanup = () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      log(`bench: could not remove ${dir}: ${e.message}`);
    }
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      cleanup();
      process.exit(130);
    });
  }
  return dir;
};

// ---------------------------------------------------------------------------------------------
// Measuring one child process

/** `--rss auto|time|preload|none` as used: auto is GNU time where it exists, else preload. */
export const rssModeFor = (requested) => {
  oneOf('--rss', requested, ['auto', 'time', 'preload', 'none']);
  const mode = requested === 'auto' ? (existsSync(GNU_TIME) ? 'time' : 'preload') : requested;
  if (mode === 'time' && !existsSync(GNU_TIME)) fail(`--rss time: ${GNU_TIME} not found`);
  return mode;
};

/**
 * Returns `run(cmd, args, options)`, which runs one child and measures it. Wall time is taken
 * here around spawnSync with performance.now(), the same way for every command. Peak memory
 * (max RSS, KiB) and CPU time (user + system, s) come from GNU time (`rssMode` 'time': the
 * command runs under it, which adds about 1 ms) or from an exit hook that every node child loads
 * through NODE_OPTIONS ('preload'), or are not measured ('none').
 *
 * Options of makeRunner: `tmp` (a folder for the figures), `env` and `cwd` (defaults of each
 * run), `timeoutMs` (the child is killed after it), `tolerateSpawnErrors` (a child that cannot be
 * started is reported in `spawnError` instead of thrown).
 * Options of run: `cwd`, `env`, `captureStdout` (else stdout is discarded), `stdoutFile` (stdout
 * goes to that file), `measureRss` (default true).
 */
export const makeRunner = ({
  rssMode,
  tmp,
  env: defaultEnv,
  cwd: defaultCwd,
  timeoutMs,
  tolerateSpawnErrors = false,
}) => {
  const rssFile = path.join(tmp, 'rss.txt');
  const preloadFile = path.join(tmp, 'rss-preload.cjs');
  if (rssMode === 'preload') {
    writeFileSync(
      preloadFile,
      [
        "'use strict';",
        'const out = process.env.BENCH_RSS_OUT;',
        'delete process.env.BENCH_RSS_OUT; // grandchildren do not report',
        "if (out) process.on('exit', () => { const u = process.resourceUsage(); require('node:fs').writeFileSync(out, [u.maxRSS, u.userCPUTime / 1e6, u.systemCPUTime / 1e6].join(' ')); });",
        '',
      ].join('\n'),
    );
  }
  return (
    cmd,
    args,
    { cwd = defaultCwd, env = defaultEnv, captureStdout = false, stdoutFile, measureRss = true } = {},
  ) => {
    const mode = measureRss ? rssMode : 'none';
    let argv = [cmd, ...args];
    let runEnv = env;
    if (mode !== 'none') rmSync(rssFile, { force: true });
    if (mode === 'time') {
      argv = [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, ...argv];
    } else if (mode === 'preload') {
      const prev = env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : '';
      runEnv = {
        ...env,
        NODE_OPTIONS: `${prev}--require ${JSON.stringify(preloadFile)}`,
        BENCH_RSS_OUT: rssFile,
      };
    }
    const fd = stdoutFile ? openSync(stdoutFile, 'w') : null;
    const start = performance.now();
    const r = spawnSync(argv[0], argv.slice(1), {
      cwd,
      env: runEnv,
      stdio: ['ignore', fd ?? (captureStdout ? 'pipe' : 'ignore'), 'pipe'],
      maxBuffer: 512 * 1024 * 1024,
      ...(timeoutMs ? { timeout: timeoutMs, killSignal: 'SIGKILL' } : {}),
    });
    const ms = performance.now() - start;
    if (fd !== null) closeSync(fd);
    const timedOut = r.error?.code === 'ETIMEDOUT';
    const spawnError = r.error && !timedOut ? r.error.message : null;
    if (spawnError && !tolerateSpawnErrors) throw new Error(`cannot run ${cmd}: ${spawnError}`);
    let rssKb = null;
    let cpuS = null;
    if (mode !== 'none' && existsSync(rssFile)) {
      // "maxRSS-KiB user-s system-s"; GNU time puts a line about a non-zero exit before it.
      const [kb, user, system] = readFileSync(rssFile, 'utf8')
        .trim()
        .split('\n')
        .pop()
        .split(' ')
        .map(Number);
      if (Number.isFinite(kb) && kb > 0) rssKb = kb;
      if (Number.isFinite(user) && Number.isFinite(system)) cpuS = user + system;
    }
    return {
      ms,
      rssKb,
      cpuS,
      // GNU time exits with the child's status.
      status: r.status,
      signal: r.signal,
      timedOut,
      spawnError,
      stdout: r.stdout ? r.stdout.toString('utf8') : '',
      stderr: r.stderr ? r.stderr.toString('utf8') : '',
    };
  };
};

/**
 * `patchpilot db import FILES --db DB`, once, before anything is measured (timed, never part of
 * a table); a failed import fails the benchmark. Returns the import's summary line and its time.
 */
export const importAdvisories = (files, db, env) => {
  log(`bench: importing ${files.map((f) => path.basename(f)).join(', ')} into ${db}`);
  const started = performance.now();
  const r = spawnSync(process.execPath, [binPath, 'db', 'import', ...files, '--db', db], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  if (r.error || r.status !== 0) {
    fail(`db import failed (exit ${r.status}): ${r.error?.message ?? ''}${r.stderr}${r.stdout}`);
  }
  const summary = r.stdout.toString('utf8').trim().split('\n').pop();
  log(`bench: ${summary} (${(ms / 1000).toFixed(2)} s)`);
  return { summary, ms };
};
