import { relative, resolve, sep } from 'node:path';
import type { Env } from '../util/home.js';

/** Everything a command may touch of its environment, passed in so tests can run it in-process. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: Env;
  readonly cwd: string;
  readonly now: () => Date;
  /** Aborted on Ctrl-C or SIGTERM, so long work can stop and clean up; absent in tests. */
  readonly interrupted?: AbortSignal;
}

/**
 * What a command reports back; `cli/main.ts` alone turns it into an exit code. `failed` means the
 * command ran and found what its options say should fail a build (`--fail-on`).
 */
export type Outcome = 'ok' | 'failed' | 'usage';

export type Command = (args: readonly string[], io: Io) => Promise<Outcome>;

/** The command's stdout and stderr, for `writeOutputFile`: `-o /dev/stdout` writes to them. */
export const ownStreams = (io: Io): { fd: number; write: (text: string) => void }[] => [
  { fd: 1, write: (text) => io.stdout.write(text) },
  { fd: 2, write: (text) => io.stderr.write(text) },
];

/** A path as the user would write it: relative to the current folder when it is below it. */
export const displayPath = (io: Io, path: string): string => {
  const rel = relative(io.cwd, path);
  return rel === '' || rel.startsWith('..') || resolve(io.cwd, rel) !== path
    ? path
    : rel.split(sep).join('/');
};
