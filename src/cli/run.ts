import { main } from './main.js';

/** Process glue for bin/patchpilot.js: the only place that reads process globals. */
export const run = (): void => {
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
  }).then(exit, (error: unknown) => {
    process.stderr.write(`patchpilot: internal error: ${String(error)}\n`);
    exit(70);
  });
};

/**
 * Exits once stdout and stderr have taken everything written to them. Exiting at once rather
 * than when the event loop drains skips the garbage collection V8 schedules for idle time, which
 * on a large lockfile costs as much as matching it.
 */
const exit = (code: number): void => {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
};
