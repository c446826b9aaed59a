import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for end-to-end tests: they run the built CLI as a user would, in real temp folders. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const binPath = join(projectRoot, 'bin/patchpilot.js');
export const sharedData = resolve(projectRoot, '../shared/data');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const runCli = (
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): CliResult => {
  if (!existsSync(join(projectRoot, 'dist/cli/run.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests');
  }
  const result = spawnSync(process.execPath, [binPath, ...args], {
    cwd: options.cwd ?? projectRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
};

/**
 * `runCli` without blocking the test's event loop: needed when the CLI talks to a server the test
 * itself runs (the fake registry). `onSpawn` gets the child, to signal it.
 */
export const runCliAsync = (
  args: readonly string[],
  options: {
    cwd?: string;
    env?: Record<string, string | undefined>;
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliResult> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: options.cwd ?? projectRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? -1 : -1), stdout, stderr }));
    options.onSpawn?.(child);
  });

/** The environment a user's shell would give: proxies and CA certificates pass through. */
export const childEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const key of [
    'PATH',
    'HOME',
    'NODE_EXTRA_CA_CERTS',
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'NO_PROXY',
    'https_proxy',
    'http_proxy',
    'no_proxy',
  ]) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return env;
};

export const tempDir = (prefix = 'patchpilot-test-'): { path: string; remove: () => void } => {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
};

/**
 * Whether the real data in ../shared/data is present. Outside CI a missing folder skips the suites
 * that need it; in CI (CI=true) it is a failure.
 */
export const requireSharedData = (): boolean => {
  if (existsSync(sharedData)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${sharedData} is missing: the conformance suites need the real data in CI`);
  }
  return false;
};
