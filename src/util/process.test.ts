import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProcess, runProcessAsync, runShellCommand } from './process.js';

const env = { PATH: process.env.PATH };
const node = process.execPath;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchpilot-process-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Alive and not a zombie waiting for a parent that never reaps it (PID 1 in some containers). */
const alive = (pid: number): boolean => {
  const stat = `/proc/${pid}/stat`;
  if (existsSync(stat)) {
    try {
      const state = readFileSync(stat, 'utf8').split(') ')[1]?.[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitDead = async (pid: number): Promise<boolean> => {
  for (let i = 0; i < 50; i += 1) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
};

/** A shell line that starts a grandchild (a second shell that becomes `sleep`) that records its pid. */
const sleeper = (pidFile: string): string => `/bin/sh -c 'echo $$ > "${pidFile}"; exec sleep 30'`;

describe('runProcess', () => {
  it('runs a program without a shell', () => {
    const result = runProcess(node, ['-e', 'console.log(process.argv[1])', '$HOME; exit 3'], {
      cwd: dir,
      env,
    });
    expect(result).toEqual({ code: 0, stdout: '$HOME; exit 3\n', stderr: '' });
  });
});

describe('runShellCommand', () => {
  it('reports the exit code and the interleaved output of a failing command, without throwing', async () => {
    const run = await runShellCommand('echo out; echo err >&2; exit 3', { cwd: dir, env, timeoutMs: 10_000 });
    expect(run).toMatchObject({
      command: 'echo out; echo err >&2; exit 3',
      code: 3,
      signal: undefined,
      timedOut: false,
    });
    expect(run.output).toContain('out\n');
    expect(run.output).toContain('err\n');
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('runs in cwd with exactly the given environment and no stdin', async () => {
    const run = await runShellCommand('pwd; echo "[$PATCHPILOT_X][$HOME]"; cat; echo done', {
      cwd: dir,
      env: { ...env, PATCHPILOT_X: 'x y' },
      timeoutMs: 10_000,
    });
    expect(run.code).toBe(0);
    expect(run.output).toContain('[x y][]');
    expect(run.output).toContain('done');
    expect(run.output.split('\n')[0]?.endsWith(dir.split('/').pop() ?? '')).toBe(true);
  });

  it('keeps the last tailBytes of the output, cut on a character boundary', async () => {
    const run = await runShellCommand(
      `"${node}" -e "process.stdout.write('start' + 'é'.repeat(1000) + 'end')"`,
      {
        cwd: dir,
        env,
        timeoutMs: 10_000,
        tailBytes: 12,
      },
    );
    expect(run.output.startsWith('…')).toBe(true);
    expect(run.output).not.toContain('\uFFFD');
    expect(run.output.endsWith('end')).toBe(true);
    expect(Buffer.byteLength(run.output.slice(1))).toBeLessThanOrEqual(12);
    expect(run.output).toBe(`…${'é'.repeat(4)}end`);
  });

  it('keeps all of a short output uncut, and bounds a long one', async () => {
    const short = await runShellCommand('printf abc', { cwd: dir, env, timeoutMs: 10_000 });
    expect(short.output).toBe('abc');
    const long = await runShellCommand(
      `"${node}" -e "for (let i = 0; i < 20000; i++) console.log('line ' + i)"`,
      {
        cwd: dir,
        env,
        timeoutMs: 10_000,
      },
    );
    expect(long.output.startsWith('…')).toBe(true);
    expect(Buffer.byteLength(long.output)).toBeLessThanOrEqual(16 * 1024 + 3);
    expect(long.output.endsWith('line 19999\n')).toBe(true);
  });

  it('streams decoded output to onOutput as it arrives', async () => {
    const chunks: string[] = [];
    await runShellCommand('echo one; echo two >&2', {
      cwd: dir,
      env,
      timeoutMs: 10_000,
      onOutput: (chunk) => chunks.push(chunk),
    });
    expect(chunks.join('').split('\n').sort()).toEqual(['', 'one', 'two']);
  });

  it('kills the whole process group, grandchildren included, on timeout', async () => {
    const pidFile = join(dir, 'pid');
    const run = await runShellCommand(`${sleeper(pidFile)}; echo unreachable`, {
      cwd: dir,
      env,
      timeoutMs: 1_000,
    });
    expect(run.timedOut).toBe(true);
    expect(run.code).toBeUndefined();
    expect(run.signal).toBe('SIGTERM');
    expect(run.output).not.toContain('unreachable');
    expect(run.durationMs).toBeLessThan(5_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitDead(pid)).toBe(true);
  });

  it('follows SIGTERM with SIGKILL when the group ignores it', async () => {
    const run = await runShellCommand(`trap '' TERM; echo ready; sleep 30; sleep 30`, {
      cwd: dir,
      env,
      timeoutMs: 300,
    });
    expect(run.timedOut).toBe(true);
    expect(run.signal).toBe('SIGKILL');
    expect(run.durationMs).toBeGreaterThanOrEqual(2_000);
    expect(run.durationMs).toBeLessThan(6_000);
    expect(run.output).toBe('ready\n');
  });

  it('kills the group when aborted, without calling it a timeout', async () => {
    const pidFile = join(dir, 'pid');
    const controller = new AbortController();
    const running = runShellCommand(sleeper(pidFile), {
      cwd: dir,
      env,
      timeoutMs: 30_000,
      signal: controller.signal,
    });
    for (let i = 0; i < 100 && !existsSync(pidFile); i += 1) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    const run = await running;
    expect(run).toMatchObject({ timedOut: false, code: undefined, signal: 'SIGTERM' });
    expect(await waitDead(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('does not start at all when already aborted', async () => {
    const marker = join(dir, 'marker');
    const run = await runShellCommand(`touch "${marker}"`, {
      cwd: dir,
      env,
      timeoutMs: 10_000,
      signal: AbortSignal.abort(),
    });
    expect(run.code).toBeUndefined();
    expect(run.output).toContain('aborted');
    expect(existsSync(marker)).toBe(false);
  });

  it('returns once the command exits even when a background process holds the output open', async () => {
    const pidFile = join(dir, 'pid');
    const run = await runShellCommand(`${sleeper(pidFile)} & echo started; sleep 0.5; exit 4`, {
      cwd: dir,
      env,
      timeoutMs: 20_000,
    });
    expect(run).toMatchObject({ code: 4, timedOut: false });
    expect(run.output).toContain('started');
    expect(run.durationMs).toBeLessThan(5_000);
    expect(await waitDead(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('describes a command that cannot start in a missing folder', async () => {
    const run = await runShellCommand('true', { cwd: join(dir, 'missing'), env, timeoutMs: 10_000 });
    expect(run.code).toBeUndefined();
    expect(run.output).toMatch(/could not start .*ENOENT/);
  });
});

describe('runProcessAsync', () => {
  it('passes arguments as they are, without a shell', async () => {
    const run = await runProcessAsync(node, ['-e', 'console.log(process.argv[1])', 'a b; echo $HOME'], {
      cwd: dir,
      env,
      timeoutMs: 10_000,
    });
    expect(run.code).toBe(0);
    expect(run.output).toBe('a b; echo $HOME\n');
    expect(run.command).toBe(`${node} -e 'console.log(process.argv[1])' 'a b; echo $HOME'`);
  });

  it('reports a program that does not exist as code undefined with the error, without throwing', async () => {
    const run = await runProcessAsync('patchpilot-no-such-program', ['x'], {
      cwd: dir,
      env,
      timeoutMs: 10_000,
    });
    expect(run).toMatchObject({ code: undefined, signal: undefined, timedOut: false });
    expect(run.output).toContain('could not start patchpilot-no-such-program');
    expect(run.output).toContain('ENOENT');
  });

  it('reports the signal that killed the program', async () => {
    const run = await runProcessAsync(node, ['-e', "process.kill(process.pid, 'SIGKILL')"], {
      cwd: dir,
      env,
      timeoutMs: 10_000,
    });
    expect(run).toMatchObject({ code: undefined, signal: 'SIGKILL', timedOut: false });
  });
});
