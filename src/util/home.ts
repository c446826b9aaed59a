import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Every piece of state PatchPilot keeps lives under two folders: data (the advisory store, the
 * ledger to come) and cache (registry documents). `PATCHPILOT_HOME` puts both under one folder;
 * otherwise the XDG base directories are used.
 */
export interface HomeFolders {
  readonly data: string;
  readonly cache: string;
}

export const homeFolders = (env: Env, cwd: string): HomeFolders => {
  const home = env.PATCHPILOT_HOME;
  if (home) {
    const base = resolve(cwd, home);
    return { data: join(base, 'data'), cache: join(base, 'cache') };
  }
  const userHome = env.HOME || homedir();
  const xdg = (name: string, fallback: string): string => {
    const value = env[name];
    return value && isAbsolute(value) ? value : join(userHome, fallback);
  };
  return {
    data: join(xdg('XDG_DATA_HOME', '.local/share'), 'patchpilot'),
    cache: join(xdg('XDG_CACHE_HOME', '.cache'), 'patchpilot'),
  };
};

/** `--db FILE` wins over `PATCHPILOT_DB`, which wins over the home folder's `advisories.db`. */
export const advisoryDbPath = (flag: string | undefined, env: Env, cwd: string): string => {
  if (flag) return resolve(cwd, flag);
  if (env.PATCHPILOT_DB) return resolve(cwd, env.PATCHPILOT_DB);
  return join(homeFolders(env, cwd).data, 'advisories.db');
};
