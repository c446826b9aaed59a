import { basename } from 'node:path';

/**
 * The project's own package manager: which one, and the commands `fix` runs with it. Every
 * command disables dependency lifecycle scripts (`--ignore-scripts`, yarn berry's
 * `enableScripts=false`) and pnpm's `.pnpmfile.cjs` hooks; only the install before the tests may
 * run them, and only when the configuration says so. What the project itself commits as its
 * package manager (yarn berry's `yarnPath` and plugins, yarn 1's `yarn-path`) is run as the
 * project's own tooling, as the project's developers run it.
 */

export type ManagerName = 'npm' | 'yarn-classic' | 'yarn-berry' | 'pnpm' | 'bun';

export interface CommandLine {
  readonly file: string;
  readonly args: readonly string[];
  /** Variables the command needs on top of the environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** The manager a lockfile belongs to; `packageManager` from package.json picks yarn's line. */
export const detectManager = (lockfile: string, format: string): ManagerName => {
  const name = basename(lockfile);
  if (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') return 'npm';
  if (name === 'pnpm-lock.yaml') return 'pnpm';
  if (name === 'bun.lock') return 'bun';
  return format.includes('berry') ? 'yarn-berry' : 'yarn-classic';
};

const quiet = ['--no-audit', '--no-fund', '--loglevel=error'];

/** Rewrites the lockfile from the (edited) manifests without installing anything. */
export const regenerateCommand = (manager: ManagerName): CommandLine => {
  switch (manager) {
    case 'npm':
      return { file: 'npm', args: ['install', '--package-lock-only', '--ignore-scripts', ...quiet], env: {} };
    case 'pnpm':
      // In CI pnpm defaults to a frozen lockfile, which would refuse to rewrite it.
      return {
        file: 'pnpm',
        args: ['install', '--lockfile-only', '--ignore-scripts', '--ignore-pnpmfile', '--no-frozen-lockfile'],
        env: {},
      };
    case 'yarn-classic':
      // yarn 1 has no lockfile-only mode; --ignore-scripts keeps it from running anything.
      return { file: 'yarn', args: ['install', '--ignore-scripts', '--non-interactive'], env: {} };
    case 'yarn-berry':
      return {
        file: 'yarn',
        args: ['install', '--mode=update-lockfile'],
        env: { YARN_ENABLE_SCRIPTS: 'false', YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' },
      };
    case 'bun':
      return { file: 'bun', args: ['install', '--lockfile-only', '--ignore-scripts'], env: {} };
  }
};

/** Installs exactly what the lockfile says, for the tests. */
export const installCommand = (manager: ManagerName, allowScripts: boolean): CommandLine => {
  const scripts = allowScripts ? [] : ['--ignore-scripts'];
  switch (manager) {
    case 'npm':
      return { file: 'npm', args: ['ci', ...scripts, ...quiet], env: {} };
    case 'pnpm':
      return {
        file: 'pnpm',
        args: ['install', '--frozen-lockfile', ...scripts, ...(allowScripts ? [] : ['--ignore-pnpmfile'])],
        env: {},
      };
    case 'yarn-classic':
      return {
        file: 'yarn',
        args: ['install', '--frozen-lockfile', '--non-interactive', ...scripts],
        env: {},
      };
    case 'yarn-berry':
      return {
        file: 'yarn',
        args: ['install', '--immutable'],
        env: allowScripts ? {} : { YARN_ENABLE_SCRIPTS: 'false' },
      };
    case 'bun':
      return { file: 'bun', args: ['install', '--frozen-lockfile', ...scripts], env: {} };
  }
};

/** The command line as a user would type it, for reports. */
export const commandText = (line: CommandLine): string =>
  [...Object.entries(line.env).map(([k, v]) => `${k}=${v}`), line.file, ...line.args].join(' ');

/** The short name `run-commands` uses for the test script (`npm test`, `yarn test`, …). */
export const runnerOf = (manager: ManagerName): 'npm' | 'yarn' | 'pnpm' | 'bun' =>
  manager === 'yarn-classic' || manager === 'yarn-berry' ? 'yarn' : manager;
