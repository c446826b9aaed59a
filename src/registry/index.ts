import { join, resolve } from 'node:path';
import { type Env, homeFolders } from '../util/home.js';
import { createNpmRegistry, type RetryPolicy } from './npm.js';
import { loadNpmConfig } from './npmrc.js';
import type { Registry } from './types.js';
import { createUniverseRegistry } from './universe.js';

export type { RetryPolicy } from './npm.js';
export { loadNpmConfig, type NpmConfig } from './npmrc.js';
export type {
  GetPackageOptions,
  MetadataForm,
  PackageDist,
  PackageMetadata,
  PackageVersion,
  PeerDependencyMeta,
  Registry,
  RegistrySource,
  SkippedVersion,
} from './types.js';

/**
 * What the CLI maps its flags to: `--offline` → `offline`, `--universe FILE` → `universe`,
 * `--registry URL` → `registry`, `--cache-dir DIR` → `cacheDir`. The rest are tuning, with
 * defaults meant for real registries (tests shorten them).
 */
export interface RegistryOptions {
  /** The project folder: its `.npmrc` is read (npm's way: the nearest folder with package.json). */
  readonly cwd: string;
  readonly env: Env;
  /** Answer from the cache only; a document not in it is an error (REGISTRY_OFFLINE_MISS). */
  readonly offline?: boolean;
  /** The folder of cached documents; default `<cache home>/registry` (util/home.ts). */
  readonly cacheDir?: string | undefined;
  /** An OSV-Scanner universe YAML file: answers every question instead of the npm registry. */
  readonly universe?: string | undefined;
  /** The default registry, above every `.npmrc` and `npm_config_registry`; scoped registries still apply. */
  readonly registry?: string | undefined;
  /** A cached document younger than this is used without asking; default 5 minutes. */
  readonly maxAgeMs?: number;
  /** Requests in flight at once; default 12. */
  readonly concurrency?: number;
  /** Per request; default 30 s. */
  readonly timeoutMs?: number;
  /** A registry answer longer than this (decompressed) is refused; default 256 MiB. */
  readonly maxDocumentBytes?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** How retries wait; tests pass one that does not. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Ignored settings and a cache that cannot be written; never fatal. Default: dropped. */
  readonly onWarning?: (message: string) => void;
  readonly signal?: AbortSignal | undefined;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 3, minDelayMs: 500, maxDelayMs: 30_000 };

export const defaultRegistryCacheDir = (env: Env, cwd: string): string =>
  join(homeFolders(env, cwd).cache, 'registry');

const wait = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * The registry the planner asks: the universe file when one is given, otherwise the npm registry
 * as the project's npm configuration describes it, through the disk cache. Reads configuration
 * files now (bad settings fail here, before any request); opens no connection until asked.
 */
export const createRegistry = (options: RegistryOptions): Registry => {
  if (options.universe !== undefined) return createUniverseRegistry(resolve(options.cwd, options.universe));
  const config = loadNpmConfig({ cwd: options.cwd, env: options.env, registry: options.registry });
  const onWarning = options.onWarning ?? (() => undefined);
  for (const warning of config.warnings) onWarning(warning);
  return createNpmRegistry({
    config,
    cacheDir: options.cacheDir
      ? resolve(options.cwd, options.cacheDir)
      : defaultRegistryCacheDir(options.env, options.cwd),
    offline: options.offline ?? false,
    maxAgeMs: options.maxAgeMs ?? 5 * 60_000,
    concurrency: options.concurrency ?? 12,
    timeoutMs: options.timeoutMs ?? 30_000,
    // The largest full documents on registry.npmjs.org are tens of MiB; this only stops a runaway
    // or decompression-bomb answer before it takes the process's memory.
    maxDocumentBytes: options.maxDocumentBytes ?? 256 * 1024 * 1024,
    retry: { ...defaultRetryPolicy, ...options.retry },
    sleep: options.sleep ?? wait,
    onWarning,
    signal: options.signal,
  });
};
