import { spawnSync } from 'node:child_process';
import type { Env } from './home.js';

/**
 * The child-process edge: every program PatchPilot runs goes through here. Commands are run
 * without a shell, with the caller's environment, and with a time limit.
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
