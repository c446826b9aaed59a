import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** PatchPilot's own version, from the package.json it ships with. */
export const toolVersion = (): string => {
  cached ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return cached;
};
