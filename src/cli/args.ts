import { type ParseArgsConfig, parseArgs } from 'node:util';
import { PatchPilotError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with usage errors that name the command and point at --help. */
export const parseCommandArgs = <T extends Options>(command: string, args: readonly string[], options: T) => {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new PatchPilotError('USAGE', `${command}: ${text.split('\n')[0]}`, {
      hint: `see \`patchpilot ${command} --help\``,
      cause,
    });
  }
};

export const usage = (command: string, message: string): PatchPilotError =>
  new PatchPilotError('USAGE', `${command}: ${message}`, { hint: `see \`patchpilot ${command} --help\`` });
