import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { PatchPilotError } from '../../core/errors.js';
import { canonicalNpmPurl, parseNpmPurlLoose } from '../../core/purl.js';
import { isStrictVersion } from '../../core/version.js';
import {
  isVexJustification,
  isVexStatus,
  projectVexFile,
  type VexDocument,
  type VexStatus,
  vexJustifications,
  vexStatuses,
  withRecordedBy,
} from '../../core/vex.js';
import { parseVexDocument } from '../../intel/vex/read.js';
import { addOpenVexStatement, type OpenVexStatementJson, serializeOpenVex } from '../../intel/vex/write.js';
import {
  isInside,
  readConfinedText,
  realPathOrUndefined,
  statOrUndefined,
  writeFileAtomic,
} from '../../util/fs.js';
import { gitConfigValue } from '../../util/process.js';
import { dispatchSubcommand, parseCommandArgs, usage } from '../args.js';
import type { Io, Outcome } from '../io.js';

const help = `Usage: patchpilot vex <command> [options]

Record human judgement about findings in the project's own OpenVEX document,
DIR/.patchpilot/vex.json, which \`patchpilot scan\` applies to the project: a not_affected statement
suppresses the finding it names (still listed, marked suppressed, never counted for --fail-on).

Commands:
  add ID    record a statement about vulnerability ID in a package (or replace the one there is)
  list      show the statements of the project's document

Run \`patchpilot vex <command> --help\` for a command's options.
`;

const addHelp = `Usage: patchpilot vex add ID --package PURL --status STATUS [options]

Record that vulnerability ID (a GHSA, CVE or other id; any alias of a finding works) does or does
not affect the npm package PURL in the project, in DIR/.patchpilot/vex.json (OpenVEX 0.2.0,
created when missing, written atomically). A statement about the same ID and the same PURL is
replaced; every other statement is kept as it is. Each statement carries its author and the time.

Options:
      --package PURL         the package: pkg:npm/lodash@4.17.15 (that version) or pkg:npm/lodash
                             (every version); scoped: pkg:npm/%40scope/name@1.0.0
      --status STATUS        not_affected, affected, fixed or under_investigation
      --justification JUST   why not_affected, one of:
                               component_not_present, vulnerable_code_not_present,
                               vulnerable_code_not_in_execute_path,
                               vulnerable_code_cannot_be_controlled_by_adversary,
                               inline_mitigations_already_exist
      --reason TEXT          why, in words: the impact statement of not_affected (enough without
                             --justification), the status notes of the other statuses
      --action TEXT          what is being done about it; required for affected
      --author NAME          who decides (default: git config user.name <user.email>)
      --dir DIR              the project folder (default: the current folder)
      --ledger FILE          the project's ledger, where the statement is recorded too (default:
                             $PATCHPILOT_LEDGER, else the project's under <data home>/ledgers)
      --no-ledger            record it in the VEX document only
      --json                 print the statement recorded as JSON
  -h, --help                 show this help

Examples:
  patchpilot vex add GHSA-p6mc-m468-83gw --package pkg:npm/lodash@4.17.15 --status not_affected \\
    --justification vulnerable_code_not_in_execute_path --reason "zipObjectDeep is never called"
  patchpilot vex add CVE-2021-44906 --package pkg:npm/minimist --status affected \\
    --action "upgrading with the next release"
`;

const listHelp = `Usage: patchpilot vex list [options]

Show the statements of DIR/.patchpilot/vex.json: vulnerability, products, status, justification
or reason, author and time.

Options:
      --dir DIR   the project folder (default: the current folder)
      --json      print the statements as JSON
  -h, --help      show this help
`;

export const vexCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  return dispatchSubcommand('vex', help, { add: vexAdd, list: vexList }, args, io);
};

/** Vulnerability ids as advisory databases write them: `GHSA-…`, `CVE-…`, `MAL-…`, `PYSEC-…`. */
const idPattern = /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9._:-]*$/;

const projectFolder = (command: string, dir: string | undefined, io: Io): string => {
  const folder = resolve(io.cwd, dir ?? '.');
  if (!statOrUndefined(folder)?.isDirectory()) throw usage(command, `--dir ${dir} is not a folder`);
  return folder;
};

const shown = (io: Io, path: string): string => {
  const rel = relative(io.cwd, path);
  return rel === '' || rel.startsWith('..') ? path : rel.split(sep).join('/');
};

/** The project's document as text, read as `scan` reads it (a regular file inside the project). */
const readOwnDocument = (folder: string, file: string, name: string): string | undefined => {
  const read = readConfinedText(file, realPathOrUndefined(folder) ?? folder, 16 * 1024 * 1024);
  if (read.kind === 'absent') return undefined;
  if (read.kind === 'text') return read.text;
  throw new PatchPilotError(
    'VEX_INVALID',
    `${name}: ${read.kind === 'outside' ? `leads outside the project (to ${read.realPath})` : read.kind === 'too-large' ? 'is too large' : 'is not a regular file'}`,
    { hint: `keep the project's VEX statements in a regular file ${projectVexFile} inside the project` },
  );
};

/**
 * The folder the document is written into must be inside the project, as `scan` reads it: a
 * `.patchpilot` that is a link to elsewhere would take the write outside the project.
 */
const checkOwnFolder = (folder: string, file: string, name: string): void => {
  const real = realPathOrUndefined(dirname(file));
  if (real === undefined || isInside(real, realPathOrUndefined(folder) ?? folder)) return;
  throw new PatchPilotError('VEX_INVALID', `${name}: leads outside the project (its folder is ${real})`, {
    hint: `keep the project's VEX statements in a regular file ${projectVexFile} inside the project`,
  });
};

const vexAdd = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('vex add', args, {
    package: { type: 'string' },
    status: { type: 'string' },
    justification: { type: 'string' },
    reason: { type: 'string' },
    action: { type: 'string' },
    author: { type: 'string' },
    dir: { type: 'string' },
    ledger: { type: 'string' },
    'no-ledger': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(addHelp);
    return 'ok';
  }
  if (positionals.length !== 1) {
    throw usage('vex add', `give exactly one vulnerability id, got ${positionals.length}`);
  }
  const id = (positionals[0] as string).trim();
  if (!idPattern.test(id)) {
    throw usage('vex add', `"${id}" is not a vulnerability id (GHSA-…, CVE-…, MAL-…)`);
  }
  if (values.package === undefined)
    throw usage('vex add', 'give the package: --package pkg:npm/NAME[@VERSION]');
  const pkg = parseNpmPurlLoose(values.package);
  if (!pkg) {
    throw usage(
      'vex add',
      `--package "${values.package}" is not an npm package URL (pkg:npm/lodash@4.17.15, pkg:npm/%40scope/name)`,
    );
  }
  // An npm version is a semver version: any other would name no package `scan` ever finds.
  if (pkg.version !== undefined && !isStrictVersion(pkg.version)) {
    throw usage(
      'vex add',
      `--package "${values.package}": "${pkg.version}" is not a version (pkg:npm/NAME@1.2.3, or no version for every one)`,
    );
  }
  const purl = canonicalNpmPurl(pkg.name, pkg.version);
  if (values.status === undefined) throw usage('vex add', `give --status (${vexStatuses.join(', ')})`);
  if (!isVexStatus(values.status)) {
    throw usage('vex add', `unknown --status "${values.status}" (${vexStatuses.join(', ')})`);
  }
  const status: VexStatus = values.status;
  const justification = values.justification;
  if (justification !== undefined) {
    if (status !== 'not_affected')
      throw usage('vex add', '--justification is for --status not_affected only');
    if (!isVexJustification(justification)) {
      throw usage('vex add', `unknown --justification "${justification}" (${vexJustifications.join(', ')})`);
    }
  }
  const reason = nonEmpty(values.reason);
  const action = nonEmpty(values.action);
  if (status === 'not_affected' && justification === undefined && reason === undefined) {
    throw usage('vex add', 'not_affected needs --justification or --reason (OpenVEX requires one of them)');
  }
  if (status === 'affected' && action === undefined) {
    throw usage('vex add', 'affected needs --action TEXT (OpenVEX requires an action statement)');
  }
  const folder = projectFolder('vex add', values.dir, io);
  const author = authorOf(values.author, folder, io);

  const file = join(folder, projectVexFile);
  const name = shown(io, file);
  const text = readOwnDocument(folder, file, name);
  let existing: Record<string, unknown> | undefined;
  if (text !== undefined) {
    const document = parseVexDocument(text, name);
    if (document.format !== 'openvex') {
      throw new PatchPilotError('VEX_INVALID', `${name}: a CycloneDX document; vex add writes OpenVEX`, {
        hint: `move the CycloneDX document elsewhere and pass it to scan with --vex; ${projectVexFile} then holds OpenVEX`,
      });
    }
    existing = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Record<string, unknown>;
  }
  const now = io.now().toISOString();
  const statement: OpenVexStatementJson = {
    vulnerability: { name: id },
    timestamp: now,
    products: [{ '@id': purl }],
    status,
    status_notes: withRecordedBy(status === 'not_affected' ? undefined : reason, author),
    ...(justification !== undefined ? { justification } : {}),
    ...(status === 'not_affected' && reason !== undefined ? { impact_statement: reason } : {}),
    ...(action !== undefined ? { action_statement: action } : {}),
  };
  const { document, replaced } = addOpenVexStatement(existing, statement, {
    author,
    now,
    id: `urn:uuid:${randomUUID()}`,
  });
  const out = serializeOpenVex(document);
  // What is written must read back: the same checks `scan` makes.
  const check = parseVexDocument(out, name);
  checkOwnFolder(folder, file, name);
  // The decision goes to the project's ledger too, with its author: who judged what, and when.
  // The ledger is opened first: a ledger that cannot take the entry leaves the document as it was.
  let ledger: import('../../ledger/store.js').Ledger | undefined;
  if (!values['no-ledger']) {
    if (values.ledger === '') throw usage('vex add', '--ledger needs a file name');
    const { Ledger } = await import('../../ledger/store.js');
    const { ledgerPath, ledgerProject } = await import('../../ledger/location.js');
    ledger = Ledger.open(ledgerPath({ flag: values.ledger, env: io.env, cwd: io.cwd, projectRoot: folder }), {
      project: ledgerProject(folder, io.env),
    });
  }
  try {
    writeFileAtomic(file, out);
  } catch (error) {
    ledger?.close();
    throw error;
  }
  if (ledger) {
    try {
      ledger.append({
        kind: 'vex-recorded',
        subject: `${id} ${purl}`,
        actor: author,
        inputs: { file: name, replaced },
        outcome: {
          status,
          ...(justification ? { justification } : {}),
          ...(reason ? { reason } : {}),
          ...(action ? { action } : {}),
        },
        time: now,
      });
    } catch (error) {
      // No statement without its ledger entry: the document goes back to what it was.
      if (text === undefined) rmSync(file, { force: true });
      else writeFileAtomic(file, text);
      throw error;
    } finally {
      ledger.close();
    }
  }

  const unmatched = await installedNowhere(folder, pkg.name, pkg.version);
  if (unmatched !== undefined) io.stderr.write(`warning: ${unmatched}\n`);
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, file: name, replaced, author, statements: check.statements.length, statement }, null, 2)}\n`,
    );
    return 'ok';
  }
  const why = [justification, reason].filter(Boolean).join(': ');
  io.stdout.write(
    `${replaced ? 'replaced' : 'recorded'} ${id} in ${purl}: ${status}${why ? ` (${why})` : ''}, by ${author}, in ${name}\n`,
  );
  return 'ok';
};

/**
 * Why a statement about `name` (at `version`) matches nothing the project's lockfile installs, if
 * it does not: scan matches statements by a package's real name, so one written for an `npm:`
 * alias's folder name never applies. undefined when it matches, or there is no lockfile to read.
 */
const installedNowhere = async (
  folder: string,
  name: string,
  version: string | undefined,
): Promise<string | undefined> => {
  const { findLockfiles, readInventory } = await import('../../inventory/index.js');
  let packages: import('../../core/inventory.js').InventoryPackage[];
  try {
    const lockfile = findLockfiles(folder, false)[0];
    if (lockfile === undefined) return undefined;
    packages = [...(await readInventory(lockfile)).packages.values()];
  } catch {
    // A lockfile scan cannot read says so when scan reads it.
    return undefined;
  }
  const registry = packages.filter((p) => p.source === 'registry');
  if (registry.some((p) => p.name === name && (version === undefined || p.version === version)))
    return undefined;
  const aliased = registry.find((p) => p.alias === name && (version === undefined || p.version === version));
  if (aliased !== undefined) {
    return `${name} is installed as an npm: alias of ${aliased.name}; scan matches statements by the real name, so this one applies to nothing: record it for pkg:npm/${aliased.name}${version === undefined ? '' : `@${version}`}`;
  }
  const versions = [...new Set(registry.filter((p) => p.name === name).map((p) => p.version))];
  return versions.length > 0
    ? `the project installs ${name} ${versions.join(', ')}, not ${version}: the statement applies to nothing until it does`
    : `the project's lockfile installs no ${name}: the statement applies to nothing until it does`;
};

const nonEmpty = (text: string | undefined): string | undefined => {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
};

/** `--author`, else git's `user.name <user.email>` as seen from the project folder. */
const authorOf = (given: string | undefined, folder: string, io: Io): string => {
  if (given !== undefined) {
    const author = given.trim();
    if (author === '') throw usage('vex add', '--author needs a name');
    return author;
  }
  const options = { cwd: folder, env: io.env };
  const name = gitConfigValue('user.name', options);
  const email = gitConfigValue('user.email', options);
  const author = name && email ? `${name} <${email}>` : (name ?? email);
  if (author === undefined) {
    throw usage('vex add', 'no author: pass --author NAME, or set git config user.name and user.email');
  }
  return author;
};

const vexList = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('vex list', args, {
    dir: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(listHelp);
    return 'ok';
  }
  if (positionals.length > 0) throw usage('vex list', `unexpected argument "${positionals[0]}"`);
  const folder = projectFolder('vex list', values.dir, io);
  const file = join(folder, projectVexFile);
  const name = shown(io, file);
  const text = readOwnDocument(folder, file, name);
  const document: VexDocument | undefined = text === undefined ? undefined : parseVexDocument(text, name);
  const statements = document?.statements ?? [];
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({ schemaVersion: 1, file: name, exists: document !== undefined, format: document?.format, statements }, null, 2)}\n`,
    );
    return 'ok';
  }
  if (document === undefined) {
    io.stdout.write(`${name}: no such file; \`patchpilot vex add\` creates it\n`);
    return 'ok';
  }
  const lines = [
    `${name} (${document.format}): ${statements.length} statement${statements.length === 1 ? '' : 's'}`,
  ];
  for (const s of statements) {
    const products = s.products.map((p) =>
      p.subcomponents.length > 0 ? `${p.purl ?? '?'} > ${p.subcomponents.join(', ')}` : (p.purl ?? '?'),
    );
    const why = [s.justification, s.impactStatement, s.actionStatement, s.notes].filter(Boolean).join('; ');
    lines.push(
      `  ${s.vulnerability}  ${products.join(', ')}  ${s.status}${why ? ` (${why})` : ''}  ` +
        `${s.author ?? '-'}, ${s.timestamp ?? '-'}`,
    );
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 'ok';
};
