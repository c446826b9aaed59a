import { fileURLToPath } from 'node:url';
import { readText } from '../util/fs.js';

let cached: string | undefined;

/** PatchPilot's own version, from the package.json it ships with. */
export const toolVersion = (): string => {
  cached ??= (
    JSON.parse(readText(fileURLToPath(new URL('../../package.json', import.meta.url)))) as { version: string }
  ).version;
  return cached;
};
