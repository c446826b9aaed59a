import { createRequire } from 'node:module';

/**
 * Libraries that only some lockfiles need, loaded on first use: every command pays for what it
 * imports at start-up, and most lockfiles never need a YAML parser (pnpm and yarn berry lockfiles
 * are read by a line reader first) or semver ranges (bun peers only).
 */
const require = createRequire(import.meta.url);

let yamlModule: typeof import('yaml') | undefined;
export const yaml = (): typeof import('yaml') => {
  yamlModule ??= require('yaml') as typeof import('yaml');
  return yamlModule;
};

/** The most alias uses a YAML document may expand to: far more than any real lockfile has. */
export const MAX_YAML_ALIASES = 100;

/**
 * Whether the `yaml` package refused to expand a document's aliases (a "billion laughs" input:
 * a few lines that expand to gigabytes). It throws a plain ReferenceError for that.
 */
export const isAliasBomb = (error: unknown): boolean =>
  error instanceof ReferenceError && error.message.startsWith('Excessive alias count');

/** The error a file that expands aliases without bound is, in the words of its reader. */
export const aliasBombReason = `its YAML aliases expand more than ${MAX_YAML_ALIASES} times`;

let semverModule: typeof import('semver') | undefined;
export const semver = (): typeof import('semver') => {
  semverModule ??= require('semver') as typeof import('semver');
  return semverModule;
};
