import { checkImportInputs, importAdvisories } from '../../intel/import.js';
import { AdvisoryStore } from '../../intel/store.js';
import { ensureParentDir } from '../../util/fs.js';
import { advisoryDbPath } from '../../util/home.js';
import { parseCommandArgs, usage } from '../args.js';
import type { Io, Outcome } from '../io.js';

const help = `Usage: patchpilot db <command> [options]

Manage the local advisory store (SQLite).

Commands:
  import PATH...   import OSV advisories from files or folders
  status           show what the store holds

Run \`patchpilot db <command> --help\` for a command's options.
`;

const importHelp = `Usage: patchpilot db import PATH... [options]

Import OSV advisories into the store. Each PATH may be:
  - an OSV record (.json), or a JSON document with a "vulns" array (OSV API answers)
  - a folder tree of OSV .json files (the GitHub advisory-database layout)
  - a .jsonl or .jsonl.gz file with one record per line
  - a .zip of OSV records (OSV's per-ecosystem export, e.g. npm/all.zip)

A stored record is replaced only by one with a newer "modified". Malformed records are reported
and skipped; everything else lands in one transaction, so a failed import changes nothing.

Options:
  --db FILE   advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
  --json      print the result as JSON
  -h, --help  show this help

Example:
  patchpilot db import advisories/npm-osv.jsonl.gz ./advisory-database/advisories
`;

const statusHelp = `Usage: patchpilot db status [options]

Show the advisory store: record counts, the newest "modified", and every imported source.

Options:
  --db FILE   advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
  --json      print the status as JSON
  -h, --help  show this help
`;

export const dbCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const [sub, ...rest] = args;
  if (sub === undefined) {
    io.stderr.write(help);
    return 'usage';
  }
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(help);
    return 'ok';
  }
  if (sub === 'import') return dbImport(rest, io);
  if (sub === 'status') return dbStatus(rest, io);
  throw usage('db', `unknown command "${sub}"`);
};

const dbImport = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('db import', args, {
    db: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(importHelp);
    return 'ok';
  }
  if (positionals.length === 0) throw usage('db import', 'give at least one file or folder to import');
  checkImportInputs(positionals, io.cwd);
  const path = advisoryDbPath(values.db, io.env, io.cwd);
  ensureParentDir(path);
  const store = AdvisoryStore.open(path, { readonly: false });
  try {
    const result = await importAdvisories(store, positionals, {
      cwd: io.cwd,
      now: io.now,
      onProgress: (read) => io.stderr.write(`read ${read} records…\n`),
    });
    for (const problem of result.skipped) {
      io.stderr.write(`skipped ${problem.id ?? '(no id)'} at ${problem.where}: ${problem.reason}\n`);
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ schemaVersion: 1, store: path, ...result }, null, 2)}\n`);
    } else {
      io.stdout.write(
        `read ${result.read} records into ${path}: ${result.added} added, ${result.updated} updated, ` +
          `${result.unchanged} unchanged, ${result.skipped.length} skipped\n`,
      );
    }
    return 'ok';
  } finally {
    store.close();
  }
};

const dbStatus = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('db status', args, {
    db: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(statusHelp);
    return 'ok';
  }
  if (positionals.length > 0) throw usage('db status', `unexpected argument "${positionals[0]}"`);
  const store = AdvisoryStore.open(advisoryDbPath(values.db, io.env, io.cwd), { readonly: true });
  try {
    const status = store.status();
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ schemaVersion: 1, ...status }, null, 2)}\n`);
      return 'ok';
    }
    const lines = [
      `store:           ${status.path}`,
      `advisories:      ${status.advisories} (${status.malicious} malicious, ${status.withdrawn} withdrawn)`,
      `packages named:  ${status.packages}`,
      `newest modified: ${status.newestModified ?? '-'}`,
      'sources:',
      ...(status.sources.length === 0
        ? ['  (none)']
        : status.sources.map((s) => `  ${s.name}  ${s.records} records, imported ${s.lastImportedAt}`)),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 'ok';
  } finally {
    store.close();
  }
};
