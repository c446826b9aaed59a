import { printableText } from '../util/printable.js';
import { main } from './main.js';

/** Process glue for bin/patchpilot.js: the only place that reads process globals. */
export const run = (): void => {
  // The first Ctrl-C or SIGTERM asks the running command to stop and clean up (a sync rolls back
  // and removes its download); a second one ends the process at once.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    interrupt.abort(new Error(`interrupted (${signal})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    interrupted: interrupt.signal,
  }).then(exit, (error: unknown) => {
    process.stderr.write(printableText(`patchpilot: internal error: ${String(error)}\n`));
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
