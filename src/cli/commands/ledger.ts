import { resolve } from 'node:path';
import { isoTimeMs } from '../../core/date.js';
import { PatchPilotError } from '../../core/errors.js';
import { isLedgerKind, type LedgerEntry, type LedgerKind, ledgerKinds } from '../../core/ledger.js';
import { canonicalJson } from '../../ledger/canonical.js';
import { ledgerPath } from '../../ledger/location.js';
import { Ledger, type LedgerVerification } from '../../ledger/store.js';
import { readTextIfExists, statOrUndefined, writeOutputFile } from '../../util/fs.js';
import { printableText } from '../../util/printable.js';
import { dispatchSubcommand, parseCommandArgs, usage } from '../args.js';
import { displayPath, type Io, type Outcome, ownStreams } from '../io.js';
import { toolVersion } from '../version.js';

const help = `Usage: patchpilot ledger <command> [options]

The project's ledger: every decision PatchPilot made about DIR (detected, planned, decided, applied,
tested, proved, merged, proposed, reported, failed, rolled back, released), append-only, each entry
chained to the one before by its SHA-256 hash. One ledger per project, kept under
<data home>/ledgers/ and found by the repository's identity, so every clone shares it.

Commands:
  verify [DIR]          check the chain: exit 0 when intact, 1 when an entry was edited, removed or
                        reordered (the first one is named)
  show [DIR]            list the entries (--change, --since, --kind)
  export CHANGE [DIR]   in-toto attestations of one change: its test runs and the vulnerability scans
                        before and after it, signed with --key (DSSE, Ed25519)

Run \`patchpilot ledger <command> --help\` for a command's options.
`;

const ledgerOption = `      --ledger FILE   the ledger file (default: $PATCHPILOT_LEDGER, else the project's own under
                      <data home>/ledgers/)`;

const verifyHelp = `Usage: patchpilot ledger verify [DIR] [options]

Check the ledger of the project in DIR (default: the current folder): every entry's hash against its
content, the seq numbers for gaps, every entry's link to the one before, and the head recorded at
the last append. Exit 0 when intact; exit 1 naming the first problem: an entry edited, entries
removed (a gap, or the end cut off) or an entry out of place.

Options:
${ledgerOption}
      --json          print the result as JSON
  -h, --help          show this help
`;

const showHelp = `Usage: patchpilot ledger show [DIR] [options]

List the ledger's entries in order: seq, time, actor, kind, subject and the outcome (shortened).

Options:
      --change ID     only the entries of this change (patch id)
      --since DATE    only entries at or after DATE (2025-01-31, UTC midnight, or an ISO
                      date-time, UTC when it has no offset)
      --kind KIND     only entries of this kind (repeat it, or separate kinds with commas):
                      ${ledgerKinds.join(', ')}
${ledgerOption}
      --json          print the entries as a JSON array
  -h, --help          show this help
`;

const exportHelp = `Usage: patchpilot ledger export --format in-toto CHANGE [DIR] [options]

Write in-toto attestations (Statement v1) of one change, made from the ledger entries of the run
that made its commit: a test-result statement (test-result/v0.1) per test run, and two
vulnerability statements (vulns/v0.2) from its proof of fix, the scan before the change and the
one after. Their subject is the change's commit. Without --key: { "statements": [...] }; with --key: { "envelopes": [...] },
DSSE envelopes signed with Ed25519 (key id: SHA-256 of the public key's SubjectPublicKeyInfo).

Options:
      --format FORMAT  in-toto (the only one, and the default)
      --key PEM        sign with this Ed25519 private key (PKCS#8 PEM, e.g. from
                       \`openssl genpkey -algorithm ed25519 -out key.pem\`)
      --out FILE       write the document to FILE (atomically) rather than to stdout
${ledgerOption}
  -h, --help           show this help

Example:
  patchpilot ledger export --format in-toto p-1a2b3c4d --key ci-key.pem --out change.intoto.json
`;

export const ledgerCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  return dispatchSubcommand(
    'ledger',
    help,
    { verify: ledgerVerify, show: ledgerShow, export: ledgerExport },
    args,
    io,
  );
};

/** The project folder (DIR, default the current folder) and its ledger file. */
export const ledgerTarget = (
  command: string,
  dir: string | undefined,
  flag: string | undefined,
  io: Io,
): { folder: string; path: string } => {
  const folder = resolve(io.cwd, dir ?? '.');
  if (!statOrUndefined(folder)?.isDirectory()) throw usage(command, `${dir} is not a folder`);
  return { folder, path: ledgerPath({ flag, env: io.env, cwd: io.cwd, projectRoot: folder }) };
};

/**
 * Refuses a ledger whose chain `verify` finds broken: what is signed, released or reverted from
 * it would rest on entries someone changed.
 */
export const requireIntact = (ledger: Ledger, shown: string, what: string): void => {
  const check = ledger.verify();
  if (check.ok || !check.problem) return;
  throw new PatchPilotError(
    'LEDGER_TAMPERED',
    `${shown}: entry ${check.problem.seq} ${check.problem.kind}: ${check.problem.text}; ${what}`,
    { hint: 'see `patchpilot ledger verify`; restore the ledger from a copy you trust' },
  );
};

const atMostOne = (command: string, positionals: readonly string[], what: string): string | undefined => {
  if (positionals.length > 1) throw usage(command, `unexpected argument "${positionals[1]}" (give ${what})`);
  return positionals[0];
};

const ledgerVerify = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('ledger verify', args, {
    ledger: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(verifyHelp);
    return 'ok';
  }
  const { path } = ledgerTarget(
    'ledger verify',
    atMostOne('ledger verify', positionals, 'one DIR'),
    values.ledger,
    io,
  );
  const ledger = Ledger.open(path, { readonly: true });
  let result: LedgerVerification;
  try {
    result = ledger.verify();
  } finally {
    ledger.close();
  }
  const name = displayPath(io, path);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ schemaVersion: 1, ledger: name, ...result }, null, 2)}\n`);
  } else if (result.problem) {
    io.stdout.write(
      `${name}: ${entryCount(result.entries)}; NOT intact: entry ${result.problem.seq} ${result.problem.kind}: ${result.problem.text}\n`,
    );
  } else {
    io.stdout.write(`${name}: ${entryCount(result.entries)}, intact\n`);
  }
  return result.ok ? 'ok' : 'failed';
};

const entryCount = (n: number): string => `${n} ${n === 1 ? 'entry' : 'entries'}`;

const ledgerShow = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('ledger show', args, {
    change: { type: 'string' },
    since: { type: 'string' },
    kind: { type: 'string', multiple: true },
    ledger: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(showHelp);
    return 'ok';
  }
  const kinds = values.kind?.flatMap((k) => k.split(',')).map((k) => k.trim());
  for (const kind of kinds ?? []) {
    if (!isLedgerKind(kind))
      throw usage('ledger show', `unknown --kind "${kind}" (${ledgerKinds.join(', ')})`);
  }
  if (values.since !== undefined && isoTimeMs(values.since) === undefined) {
    throw usage('ledger show', `--since "${values.since}" is not a date (2025-01-31) or ISO date-time`);
  }
  const { path } = ledgerTarget(
    'ledger show',
    atMostOne('ledger show', positionals, 'one DIR'),
    values.ledger,
    io,
  );
  const ledger = Ledger.open(path, { readonly: true });
  let entries: LedgerEntry[];
  try {
    entries = ledger.entries({
      ...(values.change === undefined ? {} : { change: values.change }),
      ...(values.since === undefined ? {} : { since: values.since }),
      ...(kinds === undefined ? {} : { kinds: kinds as LedgerKind[] }),
    });
  } finally {
    ledger.close();
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return 'ok';
  }
  io.stdout.write(renderEntries(displayPath(io, path), entries));
  return 'ok';
};

const OUTCOME_WIDTH = 60;

const shorten = (text: string, width: number): string =>
  text.length <= width ? text : `${text.slice(0, width - 1)}…`;

const renderEntries = (name: string, entries: readonly LedgerEntry[]): string => {
  if (entries.length === 0) return `${name}: no entries\n`;
  const header = ['SEQ', 'TIME', 'ACTOR', 'KIND', 'SUBJECT', 'OUTCOME'];
  const rows = entries.map((e) => [
    String(e.seq),
    e.time,
    e.actor,
    e.kind,
    e.subject,
    shorten(canonicalJson(e.outcome), OUTCOME_WIDTH),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const lines = [`${name}: ${entryCount(entries.length)}`];
  for (const row of [header, ...rows]) {
    lines.push(
      `  ${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
};

const ledgerExport = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('ledger export', args, {
    format: { type: 'string' },
    key: { type: 'string' },
    out: { type: 'string' },
    ledger: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(exportHelp);
    return 'ok';
  }
  if (values.format !== undefined && values.format !== 'in-toto') {
    throw usage('ledger export', `unknown --format "${values.format}" (in-toto)`);
  }
  const [change, dir, extra] = positionals;
  if (change === undefined || change.trim() === '')
    throw usage('ledger export', 'give the change (patch id) to export');
  if (extra !== undefined) throw usage('ledger export', `unexpected argument "${extra}" (give CHANGE [DIR])`);
  // zod and the signing code are loaded only here, never by a scan.
  const { changeStatements } = await import('../../ledger/export.js');
  const { readSigningKey, signStatement, validateStatement } = await import('../../ledger/attest.js');
  const keyPem = values.key === undefined ? undefined : readKey(resolve(io.cwd, values.key), values.key);
  // A bad key is refused before anything is read.
  if (keyPem !== undefined) readSigningKey(keyPem, values.key);
  const { path } = ledgerTarget('ledger export', dir, values.ledger, io);
  const ledger = Ledger.open(path, { readonly: true });
  let entries: LedgerEntry[];
  try {
    requireIntact(ledger, displayPath(io, path), 'nothing is exported from a ledger that is not intact');
    entries = ledger.entries({ change });
  } finally {
    ledger.close();
  }
  const statements = changeStatements(entries, { change, toolVersion: toolVersion() });
  for (const statement of statements) {
    const problems = validateStatement(statement);
    if (problems.length > 0) {
      throw new PatchPilotError(
        'INTERNAL',
        `the statement made for ${change} is not valid: ${problems.join('; ')}`,
      );
    }
  }
  const document =
    keyPem === undefined
      ? { statements }
      : { envelopes: statements.map((statement) => signStatement(statement, keyPem, values.key)) };
  const text = `${JSON.stringify(document, null, 2)}\n`;
  if (values.out === undefined) {
    io.stdout.write(text);
    return 'ok';
  }
  const out = resolve(io.cwd, values.out);
  writeOutputFile(out, printableText(text), ownStreams(io));
  io.stderr.write(
    `wrote ${statements.length} ${keyPem === undefined ? 'statement' : 'signed statement'}${statements.length === 1 ? '' : 's'} of ${change} to ${displayPath(io, out)}\n`,
  );
  return 'ok';
};

const readKey = (path: string, shown: string): string => {
  const text = readTextIfExists(path);
  if (text === undefined) {
    throw new PatchPilotError('LEDGER_KEY_INVALID', `${shown}: no such file`, {
      hint: 'give an Ed25519 private key in PKCS#8 PEM, e.g. made with `openssl genpkey -algorithm ed25519 -out key.pem`',
    });
  }
  return text;
};
