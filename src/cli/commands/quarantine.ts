import { PatchPilotError } from '../../core/errors.js';
import { humanActor } from '../../ledger/actor.js';
import { ledgerProject } from '../../ledger/location.js';
import {
  matchingQuarantine,
  parsePackageSpec,
  type QuarantinedVersion,
  quarantinedVersions,
} from '../../ledger/quarantine.js';
import { Ledger, ledgerNotFound } from '../../ledger/store.js';
import { statOrUndefined } from '../../util/fs.js';
import { dispatchSubcommand, parseCommandArgs, usage } from '../args.js';
import { displayPath, type Io, type Outcome } from '../io.js';
import { ledgerTarget, requireIntact } from './ledger.js';

const help = `Usage: patchpilot quarantine <command> [options]

Package versions a rolled-back change (\`patchpilot rollback\`) brought in are quarantined: \`plan\`
and \`fix\` do not propose them again until someone releases them. Quarantine is read from the
project's ledger (the rolled-back entries and the releases after them), so it is as
tamper-evident as the ledger.

Commands:
  list [DIR]                   show the quarantined versions
  release NAME[@VERSION] [DIR] release a version (or every version of NAME); recorded in the ledger

Run \`patchpilot quarantine <command> --help\` for a command's options.
`;

const ledgerOption = `      --ledger FILE   the ledger file (default: $PATCHPILOT_LEDGER, else the project's own under
                      <data home>/ledgers/)`;

const listHelp = `Usage: patchpilot quarantine list [DIR] [options]

Show the package versions quarantined in the project in DIR (default: the current folder): name,
version, the change whose rollback quarantined it, why, and the ledger entry that says so.

Options:
${ledgerOption}
      --json          print them as JSON
  -h, --help          show this help
`;

const releaseHelp = `Usage: patchpilot quarantine release NAME[@VERSION] [DIR] --reason TEXT [options]

Release a quarantined version (lodash@4.17.21), or every quarantined version of a package (lodash,
@scope/name), so \`plan\` and \`fix\` may propose it again. The release is an entry in the
project's ledger, with its author and reason. Nothing quarantined matching NAME[@VERSION] is an
error.

Options:
      --reason TEXT   why it is safe again (required; recorded in the ledger)
      --author NAME   who decides (default: git config user.name <user.email>)
${ledgerOption}
      --json          print the ledger entry as JSON
  -h, --help          show this help

Example:
  patchpilot quarantine release left-pad@1.3.1 --reason "the crash was our test's fault"
`;

export const quarantineCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  return dispatchSubcommand(
    'quarantine',
    help,
    { list: quarantineList, release: quarantineRelease },
    args,
    io,
  );
};

/**
 * Without the project's ledger nothing was ever rolled back: nothing is quarantined. A ledger
 * named (--ledger, PATCHPILOT_LEDGER) must exist. A ledger that is not intact is read with a warning.
 */
const readQuarantine = (path: string, named: boolean, io: Io): QuarantinedVersion[] => {
  if (!named && !statOrUndefined(path)) return [];
  const ledger = Ledger.open(path, { readonly: true });
  try {
    const check = ledger.verify();
    if (check.problem) {
      io.stderr.write(
        `warning: ${displayPath(io, path)} is not intact (entry ${check.problem.seq} ${check.problem.kind}: ${check.problem.text}); what it says is quarantined may not be what was recorded\n`,
      );
    }
    return quarantinedVersions(ledger);
  } finally {
    ledger.close();
  }
};

const quarantineList = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('quarantine list', args, {
    ledger: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(listHelp);
    return 'ok';
  }
  if (positionals.length > 1) throw usage('quarantine list', `unexpected argument "${positionals[1]}"`);
  const { path } = ledgerTarget('quarantine list', positionals[0], values.ledger, io);
  const quarantined = readQuarantine(path, values.ledger !== undefined || !!io.env.PATCHPILOT_LEDGER, io);
  const name = displayPath(io, path);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ schemaVersion: 1, ledger: name, quarantined }, null, 2)}\n`);
    return 'ok';
  }
  if (quarantined.length === 0) {
    io.stdout.write('nothing is quarantined\n');
    return 'ok';
  }
  const lines = [
    `${quarantined.length} quarantined version${quarantined.length === 1 ? '' : 's'} (${name}):`,
  ];
  for (const q of quarantined) {
    lines.push(`  ${q.name}@${q.version}  change ${q.change}, entry ${q.seq}, ${q.time}: ${q.reason}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 'ok';
};

const quarantineRelease = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('quarantine release', args, {
    reason: { type: 'string' },
    author: { type: 'string' },
    ledger: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(releaseHelp);
    return 'ok';
  }
  const [spec, dir, extra] = positionals;
  if (spec === undefined || spec.trim() === '') {
    throw usage('quarantine release', 'give the package to release: NAME or NAME@VERSION');
  }
  if (extra !== undefined) throw usage('quarantine release', `unexpected argument "${extra}"`);
  if (values.author !== undefined && values.author.trim() === '')
    throw usage('quarantine release', '--author needs a name');
  const reason = values.reason?.trim();
  if (!reason)
    throw usage('quarantine release', '--reason TEXT is required: say why the version is safe again');
  const { name, version } = parsePackageSpec(spec.trim());
  if (version === undefined && spec.trim().endsWith('@'))
    throw usage(
      'quarantine release',
      `"${spec}" names no version: give NAME for every version, or NAME@VERSION`,
    );
  const { folder, path } = ledgerTarget('quarantine release', dir, values.ledger, io);
  const nothing = () =>
    new PatchPilotError('QUARANTINE_NOT_FOUND', `nothing quarantined matches ${spec}`, {
      hint: 'see what is quarantined with `patchpilot quarantine list`',
    });
  if (!statOrUndefined(path)) {
    throw values.ledger === undefined && !io.env.PATCHPILOT_LEDGER ? nothing() : ledgerNotFound(path);
  }
  const ledger = Ledger.open(path, { project: ledgerProject(folder, io.env) });
  try {
    requireIntact(ledger, displayPath(io, path), 'nothing is released on a ledger that is not intact');
    const matches = matchingQuarantine(quarantinedVersions(ledger), name, version);
    if (matches.length === 0) throw nothing();
    const changes = [...new Set(matches.map((m) => m.change))];
    const entry = ledger.append({
      kind: 'quarantine-released',
      subject: version === undefined ? name : `${name}@${version}`,
      ...(changes.length === 1 ? { change: changes[0] as string } : {}),
      actor: humanActor({
        ...(values.author === undefined ? {} : { author: values.author }),
        cwd: folder,
        env: io.env,
      }),
      inputs: {
        released: matches.map((m) => ({ name: m.name, version: m.version, change: m.change, seq: m.seq })),
      },
      outcome: { name, ...(version === undefined ? {} : { version }), reason },
      time: io.now().toISOString(),
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    } else {
      io.stdout.write(
        `released ${matches.map((m) => `${m.name}@${m.version}`).join(', ')} by ${entry.actor} (ledger entry ${entry.seq})\n`,
      );
    }
  } finally {
    ledger.close();
  }
  return 'ok';
};
