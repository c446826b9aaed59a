import { resolve } from 'node:path';
import { checkImportInputs } from '../../intel/inputs.js';
import { DEFAULT_OSV_BASE, osvExportUrl } from '../../intel/sources/osv-bucket/url.js';
import { AdvisoryStore } from '../../intel/store.js';
import { ensureParentDir } from '../../util/fs.js';
import { advisoryDbPath } from '../../util/home.js';
import { dispatchSubcommand, parseCommandArgs, usage } from '../args.js';
import type { Io, Outcome } from '../io.js';

const help = `Usage: patchpilot db <command> [options]

Manage the local advisory store (SQLite).

Commands:
  import PATH...   import OSV advisories from files or folders
  import-epss FILE import FIRST's EPSS scores (.csv or .csv.gz), replacing the previous ones
  import-kev FILE  import CISA's KEV catalog (JSON), replacing the previous one
  sync             download OSV's npm export and import what changed
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
and skipped; everything else lands in one transaction, so a failed or interrupted (Ctrl-C) import
changes nothing, and a first one leaves no empty store behind. When the inputs hold no record at
all, or records were read and not one of them is OSV (the wrong file), the import is refused
(exit 2).

Options:
  --db FILE   advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
  --json      print the result as JSON
  -h, --help  show this help

Example:
  patchpilot db import advisories/npm-osv.jsonl.gz ./advisory-database/advisories
`;

const importEpssHelp = `Usage: patchpilot db import-epss FILE [options]

Import FIRST's EPSS scores (https://www.first.org/epss/data_stats): the daily CSV
epss_scores-YYYY-MM-DD.csv.gz, gzipped or not, with its "#model_version:…,score_date:…" comment
and a "cve,epss,percentile" header. The file is a snapshot: it replaces the previous scores whole,
in one transaction. Malformed rows are reported with their line and skipped. Findings whose CVE
aliases have a score carry "epss".

Options:
  --db FILE   advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
  --json      print the result as JSON
  -h, --help  show this help

Example:
  patchpilot db import-epss epss_scores-2025-01-01.csv.gz
`;

const importKevHelp = `Usage: patchpilot db import-kev FILE [options]

Import CISA's Known Exploited Vulnerabilities catalog (known_exploited_vulnerabilities.json,
https://www.cisa.gov/known-exploited-vulnerabilities-catalog). The catalog is a snapshot: it
replaces the previous one whole, in one transaction. Malformed entries are reported and skipped.
Findings whose CVE aliases are listed carry "kev".

Options:
  --db FILE   advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
  --json      print the result as JSON
  -h, --help  show this help

Example:
  patchpilot db import-kev known_exploited_vulnerabilities.json
`;

const DEFAULT_TIMEOUT_S = 900;
/** A download that receives nothing for this long is dead, whatever the total timeout says. */
const STALL_TIMEOUT_MS = 60_000;

const syncHelp = `Usage: patchpilot db sync [options]

Download OSV's npm export (<base>/npm/all.zip), verify it, and import it into the store in one
transaction. Only records whose "modified" is newer are rewritten, and an export unchanged since
the last sync (the server answers 304 to its ETag / Last-Modified) is not downloaded at all. A
failed, truncated or timed-out download leaves the store exactly as it was (exit 3).

Proxies are read from HTTPS_PROXY, HTTP_PROXY and NO_PROXY (lower case too).

Options:
  --base URL          where the export lives (default: $PATCHPILOT_OSV_BASE, else
                      ${DEFAULT_OSV_BASE})
  --db FILE           advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
  --timeout SECONDS   give up when the download takes longer (default: ${DEFAULT_TIMEOUT_S})
  --json              print the result as JSON
  -h, --help          show this help

Example:
  patchpilot db sync
  HTTPS_PROXY=http://proxy.corp:3128 patchpilot db sync --timeout 300
`;

const statusHelp = `Usage: patchpilot db status [options]

Show the advisory store: record counts, the newest "modified", every imported source, the
last sync of each remote source (when, from where) and the imported EPSS and KEV snapshots.

Options:
  --db FILE   advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
  --json      print the status as JSON
  -h, --help  show this help
`;

export const dbCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  return dispatchSubcommand(
    'db',
    help,
    {
      import: dbImport,
      'import-epss': (rest, io) => dbImportSignal('epss', rest, io),
      'import-kev': (rest, io) => dbImportSignal('kev', rest, io),
      sync: dbSync,
      status: dbStatus,
    },
    args,
    io,
    { listKnown: false },
  );
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
  // Each subcommand loads what it needs: the OSV reader (zod, zip, CVSS) only where records are read.
  checkImportInputs(positionals, io.cwd);
  const { importAdvisories } = await import('../../intel/import.js');
  const path = advisoryDbPath(values.db, io.env, io.cwd);
  ensureParentDir(path);
  const result = await AdvisoryStore.write(path, (store) =>
    importAdvisories(store, positionals, {
      cwd: io.cwd,
      now: io.now,
      onProgress: (read) => io.stderr.write(`read ${read} records…\n`),
      onSkipped: (problem) =>
        io.stderr.write(`skipped ${problem.id ?? '(no id)'} at ${problem.where}: ${problem.reason}\n`),
      signal: io.interrupted,
    }),
  );
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ schemaVersion: 1, store: path, ...result }, null, 2)}\n`);
  } else {
    io.stdout.write(
      `read ${result.read} records into ${path}: ${result.added} added, ${result.updated} updated, ` +
        `${result.unchanged} unchanged, ${result.skipped.length} skipped\n`,
    );
  }
  return 'ok';
};

const dbImportSignal = async (kind: 'epss' | 'kev', args: readonly string[], io: Io): Promise<Outcome> => {
  const command = `db import-${kind}`;
  const { values, positionals } = parseCommandArgs(command, args, {
    db: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(kind === 'epss' ? importEpssHelp : importKevHelp);
    return 'ok';
  }
  if (positionals.length !== 1) throw usage(command, `give exactly one file, got ${positionals.length}`);
  checkImportInputs(positionals, io.cwd);
  const { importEpss, importKev, readEpssFile, readKevFile } = await import('../../intel/signals.js');
  const source = resolve(io.cwd, positionals[0] as string);
  // The whole file is read and checked before the store is opened for writing.
  const parsed = kind === 'epss' ? readEpssFile(source) : readKevFile(source);
  const path = advisoryDbPath(values.db, io.env, io.cwd);
  ensureParentDir(path);
  const importedAt = io.now().toISOString();
  const result = await AdvisoryStore.write(path, (store) =>
    'modelVersion' in parsed
      ? importEpss(store, parsed, source, importedAt)
      : importKev(store, parsed, source, importedAt),
  );
  for (const problem of result.skipped) io.stderr.write(`skipped at ${problem.where}: ${problem.reason}\n`);
  for (const warning of result.warnings ?? []) io.stderr.write(`warning: ${warning}\n`);
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, store: path, ...result.signal, skipped: result.skipped, ...(result.warnings?.length ? { warnings: result.warnings } : {}) }, null, 2)}\n`,
    );
  } else {
    const { signal } = result;
    const what = kind === 'epss' ? 'EPSS scores' : 'KEV entries';
    const about =
      kind === 'epss'
        ? `model ${signal.version ?? 'unknown'}, score date ${signal.date ?? 'unknown'}`
        : `catalog ${signal.version}, released ${signal.date}`;
    io.stdout.write(
      `imported ${signal.records} ${what} (${about}) into ${path}, replacing the previous ones; ` +
        `${result.skipped.length} skipped\n`,
    );
  }
  return 'ok';
};

const megabytes = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

const dbSync = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('db sync', args, {
    base: { type: 'string' },
    db: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(syncHelp);
    return 'ok';
  }
  if (positionals.length > 0) throw usage('db sync', `unexpected argument "${positionals[0]}"`);
  const base = values.base ?? (io.env.PATCHPILOT_OSV_BASE || DEFAULT_OSV_BASE);
  const url = osvExportUrl(base);
  const from = values.base === undefined ? 'PATCHPILOT_OSV_BASE' : '--base';
  if (!url) {
    throw usage('db sync', `${from} "${base}" is not an http:// or https:// URL without query or fragment`);
  }
  if (/^[a-z]+:\/\/[^/]*@/i.test(base)) {
    // Never echo it: the part before @ is a secret.
    throw usage('db sync', `${from} must not carry credentials; use a proxy or a mirror that needs none`);
  }
  let timeoutS = DEFAULT_TIMEOUT_S;
  if (values.timeout !== undefined) {
    timeoutS = Number(values.timeout);
    // setTimeout holds at most 2^31-1 ms; anything larger fires at once.
    if (!/^\d+(\.\d+)?$/.test(values.timeout) || !(timeoutS >= 0.001) || timeoutS > 2_147_483) {
      throw usage(
        'db sync',
        `--timeout "${values.timeout}" is not a number of seconds from 0.001 to 2147483`,
      );
    }
  }
  const timeoutMs = Math.round(timeoutS * 1000);
  const storePath = advisoryDbPath(values.db, io.env, io.cwd);
  const { syncOsvBucket } = await import('../../intel/sources/osv-bucket/index.js');
  const result = await syncOsvBucket({
    url,
    storePath,
    env: io.env,
    now: io.now,
    timeoutMs,
    stallTimeoutMs: Math.min(STALL_TIMEOUT_MS, timeoutMs),
    onDownloadStart: (proxy) => io.stderr.write(`downloading ${url}${proxy ? ` via proxy ${proxy}` : ''}…\n`),
    onDownloadProgress: (received, total) =>
      io.stderr.write(
        `downloaded ${megabytes(received)}${total === undefined ? '' : ` of ${megabytes(total)}`}…\n`,
      ),
    onImportProgress: (read) => io.stderr.write(`read ${read} records…\n`),
    signal: io.interrupted,
  });
  for (const problem of result.skipped) {
    io.stderr.write(`skipped ${problem.id ?? '(no id)'} at ${problem.where}: ${problem.reason}\n`);
  }
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ schemaVersion: 1, store: storePath, ...result }, null, 2)}\n`);
  } else if (result.outcome === 'not-modified') {
    io.stdout.write(`${url} is unchanged since the last sync; nothing was downloaded (${storePath})\n`);
  } else {
    io.stdout.write(
      `synced ${result.read} records from ${url} into ${storePath}: ${result.added} added, ` +
        `${result.updated} updated, ${result.unchanged} unchanged, ${result.skipped.length} skipped\n`,
    );
  }
  return 'ok';
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
      'syncs:',
      ...(status.syncs.length === 0
        ? ['  (none)']
        : status.syncs.map(
            (s) =>
              `  ${s.name}  from ${s.url}, last synced ${s.syncedAt}, last changed ${s.changedAt}, ${s.records} records`,
          )),
      'signals:',
      ...(status.signals.length === 0
        ? ['  (none)']
        : status.signals.map(
            (s) =>
              `  ${s.name}  ${s.source}, ${s.records} CVEs, ${s.name === 'epss' ? 'model' : 'catalog'} ` +
              `${s.version ?? '-'}, dated ${s.date ?? '-'}, imported ${s.importedAt}`,
          )),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 'ok';
  } finally {
    store.close();
  }
};
