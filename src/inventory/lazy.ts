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

let semverModule: typeof import('semver') | undefined;
export const semver = (): typeof import('semver') => {
  semverModule ??= require('semver') as typeof import('semver');
  return semverModule;
};
