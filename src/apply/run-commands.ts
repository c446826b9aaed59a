import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Env } from '../util/home.js';
import { type CommandRun, runShellCommand } from '../util/process.js';

/**
 * The project's own build and test commands, run in a checkout after a change. They are shell
 * lines (as npm scripts are) and they run the project's code: only in a worktree, only when the
 * configuration or package.json says what they are.
 */

export interface TestRunResult {
  /** False when there was nothing to run (no build and no test command). */
  readonly ran: boolean;
  /** Every command exited 0 (false when nothing ran). */
  readonly passed: boolean;
  /** The commands that ran, in order; the last one is the one that failed, if one did. */
  readonly commands: readonly CommandRun[];
  readonly durationMs: number;
  /** Where the V8 coverage of every Node process the commands started was written, if asked. */
  readonly coverageDir?: string;
}

export type ScriptRunner = 'npm' | 'yarn' | 'pnpm' | 'bun';

/** The test script `npm init` writes: it fails on purpose, so it is no test suite. */
const isPlaceholderTest = (script: string): boolean => /Error: no test specified/.test(script);

const testScript: Record<ScriptRunner, string> = {
  npm: 'npm test',
  yarn: 'yarn test',
  pnpm: 'pnpm test',
  // `bun test` is bun's own test runner, not the package.json script.
  bun: 'bun run test',
};

/**
 * The build and test commands to run: the configured ones win. With no configured test command,
 * the package.json `test` script runs through the project's package manager, unless it is
 * missing, empty or npm's placeholder. There is no default build: a `build` script is not run
 * unless configured, since the test script usually builds what it needs (and a build may publish,
 * deploy or take long).
 */
export const projectCommands = (
  manifest: { readonly scripts?: Readonly<Record<string, string>> } | undefined,
  configured: { readonly build?: string; readonly test?: string },
  manager: ScriptRunner,
): { build?: string; test?: string } => {
  const script = manifest?.scripts?.test;
  const test =
    configured.test ??
    (typeof script === 'string' && script.trim() !== '' && !isPlaceholderTest(script)
      ? testScript[manager]
      : undefined);
  return {
    ...(configured.build === undefined ? {} : { build: configured.build }),
    ...(test === undefined ? {} : { test }),
  };
};

/**
 * A Node process killed by SIGTERM writes no V8 coverage, and test runners stop their workers
 * that way (Vitest's default `forks` pool does): without this, a Vitest suite would seem to load
 * nothing. Preloaded into every Node process, it writes the coverage first, then dies of the signal
 * as it would have; when the program handles SIGTERM itself, it does nothing.
 */
const flushOnSigterm = `'use strict';
// Written by PatchPilot: see src/apply/run-commands.ts.
const v8 = require('node:v8');
function patchpilotFlushCoverage() {
  if (process.listenerCount('SIGTERM') > 1) return;
  process.off('SIGTERM', patchpilotFlushCoverage);
  try {
    v8.takeCoverage();
  } catch {}
  process.kill(process.pid, 'SIGTERM');
}
process.on('SIGTERM', patchpilotFlushCoverage);
`;

/** `NODE_OPTIONS` plus a preload, quoted as Node parses that variable. */
const withPreload = (nodeOptions: string | undefined, file: string): string => {
  const option = `--require "${file.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  return nodeOptions === undefined || nodeOptions.trim() === '' ? option : `${nodeOptions} ${option}`;
};

/** Calls `onLine` once per complete line of a stream of chunks; `flush` emits the rest. */
const lineSplitter = (onLine: (line: string) => void) => {
  let pending = '';
  return {
    push: (chunk: string): void => {
      pending += chunk;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    },
    flush: (): void => {
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
};

/**
 * Runs the build, then the tests, each with the time limit `timeoutMs`, stopping at the first
 * that fails. The environment gets `CI=true` (no watch modes, no prompts) and, with `coverageDir`,
 * `NODE_V8_COVERAGE` so that every Node process the commands start (npm, the test runner, its
 * workers) writes its V8 coverage there (`exercise.ts` reads it), with a preload in `NODE_OPTIONS`
 * that keeps workers stopped by SIGTERM from losing theirs. Lifecycle scripts are not turned
 * off here (`npm_config_ignore_scripts` is removed): `npm test` must run the project's scripts,
 * `pretest` and `posttest` included.
 */
export const runProjectCommands = async (
  commands: { readonly build?: string; readonly test?: string },
  options: {
    readonly cwd: string;
    readonly env: Env;
    readonly timeoutMs: number;
    readonly coverageDir?: string;
    readonly onOutput?: (line: string) => void;
    readonly signal?: AbortSignal;
  },
): Promise<TestRunResult> => {
  const started = performance.now();
  const lines = [commands.build, commands.test].filter(
    (c): c is string => c !== undefined && c.trim() !== '',
  );
  const coverage = options.coverageDir === undefined ? {} : { coverageDir: options.coverageDir };
  if (lines.length === 0) return { ran: false, passed: false, commands: [], durationMs: 0, ...coverage };

  const env: Record<string, string | undefined> = { ...options.env, CI: 'true' };
  // npm reads it in either case. `npm test` still runs the test script with it, but skips
  // `pretest` and `posttest`, which often build or check what the tests need.
  for (const key of Object.keys(env)) {
    if (key.toLowerCase() === 'npm_config_ignore_scripts') delete env[key];
  }
  if (options.coverageDir !== undefined) {
    // Absolute: each process resolves it against its own working directory.
    const dir = resolve(options.coverageDir);
    mkdirSync(dir, { recursive: true });
    const preload = join(dir, 'patchpilot-flush-coverage.cjs');
    writeFileSync(preload, flushOnSigterm);
    env.NODE_V8_COVERAGE = dir;
    env.NODE_OPTIONS = withPreload(env.NODE_OPTIONS, preload);
  }

  const runs: CommandRun[] = [];
  let passed = true;
  for (const command of lines) {
    const splitter = options.onOutput ? lineSplitter(options.onOutput) : undefined;
    const run = await runShellCommand(command, {
      cwd: options.cwd,
      env,
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(splitter ? { onOutput: splitter.push } : {}),
    });
    splitter?.flush();
    runs.push(run);
    if (run.code !== 0 || run.timedOut) {
      passed = false;
      break;
    }
  }
  return {
    ran: true,
    passed,
    commands: runs,
    durationMs: Math.round(performance.now() - started),
    ...coverage,
  };
};
