import type { Env } from '../util/home.js';

/** Everything a command may touch of its environment, passed in so tests can run it in-process. */
export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: Env;
  readonly cwd: string;
  readonly now: () => Date;
}

export type Command = (args: readonly string[], io: Io) => Promise<number>;
