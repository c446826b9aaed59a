import { join, relative, resolve } from 'node:path';
import { configFileNames } from '../../config/load.js';
import { defaultConfigJson, defaultConfigYaml } from '../../config/template.js';
import { PatchPilotError } from '../../core/errors.js';
import { statOrUndefined, writeFileAtomic } from '../../util/fs.js';
import { parseCommandArgs, usage } from '../args.js';
import type { Io, Outcome } from '../io.js';

const help = `Usage: patchpilot init [DIR] [options]

Write a default configuration to DIR (default: the current folder): .patchpilot.yml, every key
explained in a comment, or .patchpilot.json. The file points editors at the JSON Schema PatchPilot
ships (node_modules/patchpilot/schema/patchpilot.schema.json) for completion and checks.

Options:
      --format FORMAT  yml (default) or json
      --force          replace an existing file of the same name
  -h, --help           show this help

An existing configuration file is never replaced without --force, and one of another name
(.patchpilot.yaml next to a new .patchpilot.yml) is never touched: remove it first. The file is
written atomically.

Exit codes: 0 written, 2 usage error or a configuration file already exists, 3 the file could not
be written.
`;

export const initCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('init', args, {
    format: { type: 'string' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 'ok';
  }
  if (positionals.length > 1) throw usage('init', `expected one folder, got ${positionals.length}`);
  const format = values.format ?? 'yml';
  if (!['yml', 'yaml', 'json'].includes(format))
    throw usage('init', `unknown --format "${format}" (yml, json)`);
  const folder = resolve(io.cwd, positionals[0] ?? '.');
  if (!statOrUndefined(folder)?.isDirectory())
    throw usage('init', `${positionals[0] ?? '.'} is not a folder`);
  const name = format === 'json' ? '.patchpilot.json' : '.patchpilot.yml';
  const path = join(folder, name);
  const shown = relative(io.cwd, path) || name;
  const others = configFileNames.filter((n) => n !== name && statOrUndefined(join(folder, n)) !== undefined);
  if (others.length > 0) {
    throw new PatchPilotError(
      'CONFIG_EXISTS',
      `${relative(io.cwd, join(folder, others[0] as string)) || others[0]} already configures this project`,
      { hint: `edit it, or remove it before writing ${name} (a project has one configuration file)` },
    );
  }
  if (statOrUndefined(path) !== undefined && !values.force) {
    throw new PatchPilotError('CONFIG_EXISTS', `${shown} already exists`, {
      hint: 'edit it, or pass --force to replace it with the defaults',
    });
  }
  writeFileAtomic(path, format === 'json' ? defaultConfigJson() : defaultConfigYaml);
  io.stderr.write(`wrote ${shown}\n`);
  return 'ok';
};
