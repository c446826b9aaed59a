import { type ParseArgsConfig, parseArgs } from 'node:util';
import { PatchPilotError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with usage errors that name the command and point at --help. */
export const parseCommandArgs = <T extends Options>(command: string, args: readonly string[], options: T) => {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : String(cause);
    // `--max-paths -1`: parseArgs takes a value that starts with "-" for an option, and says only
    // that the argument is "ambiguous".
    const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(text);
    if (ambiguous) {
      const option = ambiguous[1] as string;
      // The value parseArgs took: the one after the last use of the option that is followed by one.
      const at = args.findLastIndex((a, i) => a === option && (args[i + 1] ?? '').startsWith('-'));
      const value = args[at + 1] ?? '';
      // Another option of the command: the value was left out, not written with a dash.
      const name = value.replace(/^--?/, '').split('=')[0] ?? '';
      const missing = value.startsWith('--')
        ? Object.hasOwn(options, name)
        : Object.values(options).some((o) => o.short === name);
      throw new PatchPilotError(
        'USAGE',
        missing
          ? `${command}: ${option} needs a value, and ${value} is an option of its own`
          : `${command}: ${option} needs a value; one that starts with "-" is written ${option}=${value}`,
        { hint: `see \`patchpilot ${command} --help\``, cause },
      );
    }
    throw new PatchPilotError('USAGE', `${command}: ${text.split('\n')[0]}`, {
      hint: `see \`patchpilot ${command} --help\``,
      cause,
    });
  }
};

export const usage = (command: string, message: string): PatchPilotError =>
  new PatchPilotError('USAGE', `${command}: ${message}`, { hint: `see \`patchpilot ${command} --help\`` });

/**
 * A command made of subcommands (`db`, `ledger`, `quarantine`, `vex`): no subcommand prints the
 * help to stderr (usage), `--help` / `help` prints it to stdout, an unknown one is a usage error
 * naming the known ones (unless `listKnown` is false).
 */
export const dispatchSubcommand = <
  Io extends { stdout: { write(text: string): unknown }; stderr: { write(text: string): unknown } },
>(
  command: string,
  help: string,
  handlers: Readonly<Record<string, (args: readonly string[], io: Io) => Promise<'ok' | 'failed' | 'usage'>>>,
  args: readonly string[],
  io: Io,
  options: { readonly listKnown?: boolean } = {},
): Promise<'ok' | 'failed' | 'usage'> => {
  const [sub, ...rest] = args;
  if (sub === undefined) {
    io.stderr.write(help);
    return Promise.resolve('usage');
  }
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(help);
    return Promise.resolve('ok');
  }
  const handler = Object.hasOwn(handlers, sub) ? handlers[sub] : undefined;
  if (handler) return handler(rest, io);
  const known = options.listKnown === false ? '' : ` (${Object.keys(handlers).join(', ')})`;
  throw usage(command, `unknown command "${sub}"${known}`);
};
