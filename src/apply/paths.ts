import { sep } from 'node:path';
import { realPathOrUndefined } from '../util/fs.js';

/**
 * Why a file to edit is not plainly inside the project folder (a symbolic link, or a link on the
 * way, leading out of it), or undefined when it is.
 */
export const escapes = (folder: string, path: string): string | undefined => {
  const root = realPathOrUndefined(folder) ?? folder;
  const real = realPathOrUndefined(path);
  if (real === undefined) return 'does not exist';
  return real === root || real.startsWith(`${root}${sep}`)
    ? undefined
    : `leads outside the project (to ${real})`;
};
