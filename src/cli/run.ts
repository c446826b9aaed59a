import { main } from './main.js';

/** Process glue for bin/patchpilot.js: the only place that reads process globals. */
export const run = (): void => {
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`patchpilot: internal error: ${String(error)}\n`);
      process.exitCode = 70;
    },
  );
};
