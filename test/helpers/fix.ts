import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { Change } from '../../src/core/change.js';
import { runProcessAsync } from '../../src/util/process.js';
import { type CliResult, projectRoot, runCliAsync, tempDir } from './cli.js';
import { type FakePackage, type FakeRegistry, startFakeRegistry } from './fake-registry.js';

/**
 * Real git repositories in temp folders, a fake npm registry the real npm installs from, and an
 * advisory store filled through the CLI: the setting `fix`'s end-to-end tests run in.
 */

export interface FixReportJson {
  schemaVersion: number;
  dryRun: boolean;
  base: { branch: string | null; commit: string; after: string | null };
  ledger: string | null;
  summary: Record<string, number>;
  changes: Change[];
  unfixable: unknown[];
  staleWorktrees: string[];
  staleBranches: string[];
  written?: string[];
}

export const git = (cwd: string, ...args: string[]): string => {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', env: gitEnv() });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
};

const gitEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test User',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test User',
  GIT_COMMITTER_EMAIL: 'test@example.com',
});

export interface Advisory {
  readonly id: string;
  readonly name: string;
  readonly introduced?: string;
  readonly fixed: string;
  readonly severity?: 'LOW' | 'MODERATE' | 'HIGH' | 'CRITICAL';
}

export const osvRecord = (a: Advisory): Record<string, unknown> => ({
  schema_version: '1.6.0',
  id: a.id,
  modified: '2024-01-01T00:00:00Z',
  published: '2024-01-01T00:00:00Z',
  summary: `test advisory for ${a.name}`,
  affected: [
    {
      package: { ecosystem: 'npm', name: a.name },
      ranges: [{ type: 'SEMVER', events: [{ introduced: a.introduced ?? '0' }, { fixed: a.fixed }] }],
    },
  ],
  database_specific: { severity: a.severity ?? 'HIGH' },
});

export interface Scenario {
  readonly packages: readonly FakePackage[];
  readonly dependencies: Record<string, string>;
  /** The version each dependency is locked at (npm would otherwise lock the highest in range). */
  readonly locked: Record<string, string>;
  /** Files of the project besides package.json, by path. */
  readonly files?: Record<string, string>;
  readonly scripts?: Record<string, string>;
  /** More package.json fields (`resolutions`, `pnpm`), written with the ranges. */
  readonly manifestFields?: Record<string, unknown>;
  readonly advisories: readonly Advisory[];
  /** Options for npm when it locks the project (`--legacy-peer-deps`); not kept in the project. */
  readonly lockArgs?: readonly string[];
  /** The package manager that locks the project (default npm): the real yarn 1, yarn 4 or pnpm. */
  readonly manager?: 'npm' | 'yarn' | 'yarn-berry' | 'pnpm';
}

export interface Project {
  readonly root: string;
  readonly repo: string;
  readonly registry: FakeRegistry;
  readonly env: Record<string, string>;
  readonly db: string;
  readonly ledger: string;
  /** Runs the CLI in the repository with the project's registry, store and ledger. */
  run(args: readonly string[], options?: Parameters<typeof runCliAsync>[1]): Promise<CliResult>;
  /** `fix --json` (plus args); the parsed report. */
  fix(args?: readonly string[]): Promise<{ result: CliResult; report: FixReportJson }>;
  close(): Promise<void>;
}

const write = (path: string, text: string): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

export const createProject = async (scenario: Scenario): Promise<Project> => {
  const registry = await startFakeRegistry(scenario.packages);
  const root = tempDir('patchpilot-e2e-fix-');
  const repo = join(root.path, 'repo');
  const env: Record<string, string> = {
    HOME: join(root.path, 'home'),
    PATCHPILOT_HOME: join(root.path, 'patchpilot'),
    npm_config_registry: registry.url,
    npm_config_cache: join(root.path, 'npm-cache'),
    npm_config_update_notifier: 'false',
    GIT_CONFIG_NOSYSTEM: '1',
    // yarn (1 and 4) and pnpm are devDependencies of PatchPilot; `yarn` is the project's line of
    // yarn, through a shim, as a user's yarn 1 defers to the project's yarnPath. Caches stay in
    // the temp folder.
    PATH: [join(root.path, 'bin'), join(projectRoot, 'node_modules', '.bin'), process.env.PATH ?? ''].join(
      delimiter,
    ),
    YARN_CACHE_FOLDER: join(root.path, 'yarn-cache'),
    YARN_GLOBAL_FOLDER: join(root.path, 'yarn-berry-global'),
    YARN_ENABLE_TELEMETRY: 'false',
    npm_config_store_dir: join(root.path, 'pnpm-store'),
  };
  mkdirSync(env.HOME as string, { recursive: true });
  const yarnJs =
    scenario.manager === 'yarn-berry'
      ? join(projectRoot, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js')
      : join(projectRoot, 'node_modules', 'yarn', 'bin', 'yarn.js');
  write(
    join(root.path, 'bin', 'yarn'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(yarnJs)} "$@"\n`,
  );
  chmodSync(join(root.path, 'bin', 'yarn'), 0o755);
  const manifest = (dependencies: Record<string, string>): string =>
    `${JSON.stringify(
      {
        name: 'fix-e2e-app',
        version: '1.0.0',
        private: true,
        scripts: scenario.scripts ?? { test: 'node --test test/' },
        dependencies,
        ...(dependencies === scenario.dependencies ? scenario.manifestFields : {}),
      },
      null,
      2,
    )}\n`;
  write(join(repo, '.gitignore'), 'node_modules/\n');
  for (const [path, text] of Object.entries(scenario.files ?? {})) write(join(repo, path), text);
  // Locked first at the exact versions, then the manifest gets its ranges and npm rewrites the
  // lockfile's root entry, keeping the versions (they satisfy the ranges).
  const npm = async (args: string[]): Promise<void> => {
    const run = await runProcessAsync('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: repo,
      env: { ...process.env, ...env },
      timeoutMs: 60_000,
    });
    if (run.code !== 0) throw new Error(`npm ${args.join(' ')}: ${run.output}`);
  };
  const manager = scenario.manager ?? 'npm';
  const tool = async (file: string, args: string[]): Promise<void> => {
    const run = await runProcessAsync(file, args, {
      cwd: repo,
      env: { ...process.env, ...env },
      timeoutMs: 60_000,
    });
    if (run.code !== 0) throw new Error(`${file} ${args.join(' ')}: ${run.output}`);
  };
  write(join(repo, 'package.json'), manifest(scenario.locked));
  if (manager === 'yarn') {
    // yarn 1 resolves a new pattern to the highest version in range: the lockfile's patterns are
    // renamed from the exact versions to the ranges, which yarn then keeps.
    write(join(repo, '.yarnrc'), `registry "${registry.url}"\n`);
    await tool('yarn', ['install', '--ignore-scripts', '--non-interactive']);
    let lock = readFileSync(join(repo, 'yarn.lock'), 'utf8');
    for (const [name, range] of Object.entries(scenario.dependencies)) {
      const locked = scenario.locked[name] as string;
      lock = lock.replace(new RegExp(`^"?${name}@${locked}"?:$`, 'm'), `"${name}@${range}":`);
    }
    write(join(repo, 'yarn.lock'), lock);
    write(join(repo, 'package.json'), manifest(scenario.dependencies));
    await tool('yarn', ['install', '--ignore-scripts', '--non-interactive']);
  } else if (manager === 'yarn-berry') {
    // yarn 4 from the fake registry over plain HTTP, into node_modules; the same renaming as for
    // yarn 1, in the lockfile's descriptors and in the workspace's own entry.
    write(
      join(repo, '.yarnrc.yml'),
      `npmRegistryServer: "${registry.url.replace(/\/$/, '')}"\nunsafeHttpWhitelist:\n  - "127.0.0.1"\nnodeLinker: node-modules\n`,
    );
    write(join(repo, '.gitignore'), 'node_modules/\n.yarn/\n');
    // An empty lockfile makes the folder a project of its own: without one, yarn 4 joins the
    // project of any package.json above the temporary folder and refuses to install.
    write(join(repo, 'yarn.lock'), '');
    const berry = { YARN_ENABLE_SCRIPTS: 'false', YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' };
    const yarn4 = async (): Promise<void> => {
      const run = await runProcessAsync('yarn', ['install'], {
        cwd: repo,
        env: { ...process.env, ...env, ...berry },
        timeoutMs: 60_000,
      });
      if (run.code !== 0) throw new Error(`yarn install: ${run.output}`);
    };
    await yarn4();
    let lock = readFileSync(join(repo, 'yarn.lock'), 'utf8');
    for (const [name, range] of Object.entries(scenario.dependencies)) {
      const locked = scenario.locked[name] as string;
      lock = lock
        .replace(`"${name}@npm:${locked}":`, `"${name}@npm:${range}":`)
        .replace(`    ${name}: "npm:${locked}"`, `    ${name}: "npm:${range}"`);
    }
    write(join(repo, 'yarn.lock'), lock);
    write(join(repo, 'package.json'), manifest(scenario.dependencies));
    await yarn4();
  } else if (manager === 'pnpm') {
    write(join(repo, '.npmrc'), `registry=${registry.url}\n`);
    await tool('pnpm', ['install', '--ignore-scripts', '--no-frozen-lockfile']);
    write(join(repo, 'package.json'), manifest(scenario.dependencies));
    await tool('pnpm', ['install', '--lockfile-only', '--ignore-scripts', '--no-frozen-lockfile']);
  } else {
    await npm(['install', ...(scenario.lockArgs ?? [])]);
    write(join(repo, 'package.json'), manifest(scenario.dependencies));
    await npm(['install', '--package-lock-only', ...(scenario.lockArgs ?? [])]);
  }
  git(repo, 'init', '--quiet', '-b', 'main');
  git(repo, 'config', 'user.name', 'Test User');
  git(repo, 'config', 'user.email', 'test@example.com');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'initial');
  const db = join(root.path, 'advisories.db');
  const ledger = join(root.path, 'ledger.db');
  const advisories = join(root.path, 'advisories.json');
  writeFileSync(advisories, JSON.stringify({ vulns: scenario.advisories.map(osvRecord) }));
  const imported = await runCliAsync(['db', 'import', advisories, '--db', db], { env });
  if (imported.code !== 0) throw new Error(`db import: ${imported.stderr}`);
  const run: Project['run'] = (args, options) =>
    runCliAsync([...args], { cwd: repo, ...options, env: { ...env, ...options?.env } });
  return {
    root: root.path,
    repo,
    registry,
    env,
    db,
    ledger,
    run,
    fix: async (args = []) => {
      const result = await run([
        'fix',
        '--json',
        '--db',
        db,
        '--ledger',
        ledger,
        '--cache-dir',
        join(root.path, 'registry-cache'),
        ...args,
      ]);
      expect(result.stdout, result.stderr).not.toBe('');
      return { result, report: JSON.parse(result.stdout) as FixReportJson };
    },
    close: async () => {
      await registry.close();
      root.remove();
    },
  };
};

/** A package whose `index.js` returns `value`. */
export const lib = (value: string, extra: Record<string, unknown> = {}) => ({
  files: { 'index.js': `module.exports = () => ${JSON.stringify(value)};\n` },
  ...extra,
});

export const byName = (report: FixReportJson, name: string): Change => {
  const change = report.changes.find((c) =>
    c.patch.changes.some((x) => (x.kind === 'lock' || x.kind === 'manifest') && x.name === name),
  );
  if (!change) throw new Error(`no change moves ${name}: ${JSON.stringify(report.changes.map((c) => c.id))}`);
  return change;
};
