import type { Env } from '../util/home.js';
import { gitConfigValue } from '../util/process.js';

/** Who an entry names as its actor: PatchPilot itself, at a version, or a person. */
export const toolActor = (version: string): string => `patchpilot@${version}`;

/**
 * A person: `--author` when given, else git's `user.name <user.email>` as seen from `cwd`, else
 * `unknown`. A decision is never refused for want of a name; the ledger records that it had none.
 */
export const humanActor = (options: {
  readonly author?: string;
  readonly cwd: string;
  readonly env: Env;
}): string => {
  const given = options.author?.trim();
  if (given) return given;
  const git = { cwd: options.cwd, env: options.env };
  const name = gitConfigValue('user.name', git);
  const email = gitConfigValue('user.email', git);
  if (name && email) return `${name} <${email}>`;
  return name ?? email ?? 'unknown';
};
