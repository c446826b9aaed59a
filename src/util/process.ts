import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { Env } from './home.js';

/**
 * The child-process edge: every program PatchPilot runs goes through here. Commands are run
 * with the caller's environment and with a time limit; without a shell, except the project's own
 * configured commands (`runShellCommand`), which are shell lines as npm scripts are.
 */

export interface ProcessResult {
  /** The exit code; undefined when the program could not be started or was killed. */
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export const runProcess = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: Env; readonly timeoutMs?: number },
): ProcessResult => {
  const result = spawnSync(command, [...args], {
    cwd: options.cwd,
    env: options.env as NodeJS.ProcessEnv,
    encoding: 'utf8',
    // A lockfile read with `git show` can be tens of megabytes.
    maxBuffer: 512 * 1024 * 1024,
    timeout: options.timeoutMs ?? 10_000,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  return {
    code: result.error || result.status === null ? undefined : result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
  };
};

/**
 * `git config --get KEY` as git sees it from `cwd` (repository, global and system files), or
 * undefined when git is missing, the key is unset or empty.
 */
export const gitConfigValue = (
  key: string,
  options: { readonly cwd: string; readonly env: Env },
): string | undefined => {
  const result = runProcess('git', ['config', '--get', key], options);
  const value = result.code === 0 ? result.stdout.trim() : '';
  return value === '' ? undefined : value;
};

/** One finished run of `runShellCommand` or `runProcessAsync`. */
export interface CommandRun {
  /** The command line as a user would type it. */
  readonly command: string;
  /** The exit code; undefined when the program could not be started or was killed by a signal. */
  readonly code: number | undefined;
  /** The signal that ended it (`SIGTERM`, `SIGKILL`), if one did. */
  readonly signal: string | undefined;
  /** True when it ran past `timeoutMs` and its process group was killed. */
  readonly timedOut: boolean;
  readonly durationMs: number;
  /**
   * The last `tailBytes` of interleaved stdout and stderr, cut on a UTF-8 character boundary and
   * prefixed with "…" when cut; a description of the error when the program could not be started.
   */
  readonly output: string;
}

export interface AsyncRunOptions {
  readonly cwd: string;
  readonly env: Env;
  /** Time limit of the whole run (the process group is killed after it). */
  readonly timeoutMs: number;
  /** How much of the output to keep; default 16 KiB. */
  readonly tailBytes?: number;
  /** Aborting kills the process group as a timeout does (without setting `timedOut`). */
  readonly signal?: AbortSignal;
  /** Every decoded chunk of stdout or stderr, as it arrives (for progress). */
  readonly onOutput?: (chunk: string) => void;
}

const defaultTailBytes = 16 * 1024;
/** Between SIGTERM and SIGKILL of a timed-out or aborted process group. */
const killGraceMs = 2_000;
/** How long stray processes may hold the output pipes open after the program itself exited. */
const closeGraceMs = 1_000;

/** Keeps the end of a stream of text, bounded in memory, cut on a character boundary. */
const outputTail = (limit: number) => {
  let parts: string[] = [];
  let size = 0;
  let cut = false;
  const trim = (keep: number): string => {
    const bytes = Buffer.from(parts.join(''), 'utf8');
    if (bytes.length <= keep) return bytes.toString('utf8');
    cut = true;
    let start = bytes.length - keep;
    // Skip UTF-8 continuation bytes (10xxxxxx) so the tail starts on a whole character.
    while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
    return bytes.subarray(start).toString('utf8');
  };
  return {
    push: (text: string): void => {
      if (text === '') return;
      parts.push(text);
      size += Buffer.byteLength(text, 'utf8');
      if (size > 2 * limit + 4096) {
        const kept = trim(limit);
        parts = [kept];
        size = Buffer.byteLength(kept, 'utf8');
      }
    },
    text: (): string => {
      const kept = trim(limit);
      return cut ? `…${kept}` : kept;
    },
  };
};

/**
 * The process groups still running. Children live in their own groups (and sessions), so a
 * terminal's Ctrl-C does not reach them: when PatchPilot exits, whatever is left is killed.
 */
const liveGroups = new Set<number>();
let exitHook = false;
const trackGroup = (pid: number): void => {
  liveGroups.add(pid);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const group of liveGroups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });
};

const quoteArgument = (arg: string): string =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;

const runAsync = (
  file: string,
  args: readonly string[],
  command: string,
  options: AsyncRunOptions,
): Promise<CommandRun> => {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const tail = outputTail(Math.max(0, options.tailBytes ?? defaultTailBytes));
  if (options.signal?.aborted) {
    return Promise.resolve({
      command,
      code: undefined,
      signal: undefined,
      timedOut: false,
      durationMs: 0,
      output: 'not started: the run was aborted',
    });
  }
  return new Promise((resolve) => {
    // Own process group (POSIX): killing `-pid` reaches the grandchildren too (npm → node → runner).
    const group = process.platform !== 'win32';
    let child: ChildProcess;
    try {
      child = spawn(file, [...args], {
        cwd: options.cwd,
        env: options.env as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: group,
        windowsHide: true,
      });
    } catch (error) {
      resolve({
        command,
        code: undefined,
        signal: undefined,
        timedOut: false,
        durationMs: elapsed(),
        output: `could not start ${file}: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    if (group && child.pid !== undefined) trackGroup(child.pid);
    let settled = false;
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const timers: NodeJS.Timeout[] = [];

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        if (group) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // ESRCH: the group is gone already.
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      const hard = setTimeout(() => killGroup('SIGKILL'), killGraceMs);
      hard.unref();
      timers.push(hard);
    };
    const onAbort = (): void => stop();

    const finish = (result: Omit<CommandRun, 'command' | 'durationMs' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      // Whatever the command left running in its group (a server started with `&`, a child
      // that ignored SIGTERM) goes with it.
      killGroup('SIGKILL');
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ command, timedOut, durationMs: elapsed(), ...result });
    };
    const finishExited = (): void => {
      finish({
        code: exit?.code ?? undefined,
        signal: exit?.signal ?? undefined,
        output: tail.text(),
      });
    };

    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      // One decoder per stream, so a character split across two chunks stays whole.
      const decoder = new StringDecoder('utf8');
      stream.on('data', (chunk: Buffer) => {
        const text = decoder.write(chunk);
        tail.push(text);
        if (text !== '') options.onOutput?.(text);
      });
      stream.on('end', () => {
        const text = decoder.end();
        tail.push(text);
        if (text !== '') options.onOutput?.(text);
      });
      stream.on('error', () => undefined);
    }

    child.on('error', (error) => {
      // Only reached when the program cannot be started (ENOENT, EACCES, a missing cwd).
      if (exit !== undefined) return;
      const kept = tail.text();
      finish({
        code: undefined,
        signal: undefined,
        output: `could not start ${file}: ${error.message}${kept === '' ? '' : `\n${kept}`}`,
      });
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // A stray background process may keep the pipes open: give it a moment, then kill the
      // group and stop reading.
      const wait = setTimeout(() => {
        killGroup('SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
        finishExited();
      }, closeGraceMs);
      wait.unref();
      timers.push(wait);
    });
    child.on('close', () => {
      if (exit !== undefined) finishExited();
    });

    const deadline = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    timers.push(deadline);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
};

/**
 * Runs a shell command line (`/bin/sh -c`, as npm runs scripts) asynchronously, in its own process
 * group, with a time limit. It never throws: a failing command is a result, and a program that
 * cannot be started is one with `code` undefined and the error in `output`. On timeout or abort
 * the whole group gets SIGTERM, then SIGKILL two seconds later.
 */
export const runShellCommand = (command: string, options: AsyncRunOptions): Promise<CommandRun> =>
  process.platform === 'win32'
    ? runAsync(process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', command], command, options)
    : runAsync('/bin/sh', ['-c', command], command, options);

/** `runShellCommand` without a shell: `file` is run with `args` as they are. */
export const runProcessAsync = (
  file: string,
  args: readonly string[],
  options: AsyncRunOptions,
): Promise<CommandRun> => runAsync(file, args, [file, ...args].map(quoteArgument).join(' '), options);
