import { isPatchPilotError, PatchPilotError } from '../core/errors.js';
import { closestName } from '../util/did-you-mean.js';
import { printableText } from '../util/printable.js';
import type { Command, Io } from './io.js';
import { toolVersion } from './version.js';

/**
 * The CLI entry point: parses the verb, runs its command and maps every outcome to an exit code.
 * Exit codes: 0 ok, 1 findings or gate failed, 2 usage or input error, 3 external failure
 * (registry, git, package manager, file system), 70 internal error. Only this file sets them.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, external: 3, internal: 70 } as const;

const help = `Usage: patchpilot <command> [options]

PatchPilot finds the vulnerable dependencies of npm, yarn, pnpm and bun projects, plans the
smallest safe fix, applies it in a git worktree with the project's tests (npm, yarn and pnpm),
proves the vulnerability is gone, and takes it as far as the project's policy allows.

Commands:
  scan [DIR]          report known vulnerabilities in the lockfile(s) of DIR
  plan [DIR]          plan the smallest safe fix of DIR's findings: patches in order (in-place,
                      relax, parent-upgrade, override), risk facts, what stays and why; writes
                      nothing (text, JSON, Markdown)
  explain ID [DIR]    the story of one change fix made (p-…, from the ledger and its commit), or
                      the whole reasoning for one patch or finding of DIR's plan: findings,
                      alternatives considered, evidence, every policy rule and the level it grants
  fix [DIR]           apply the plan: each patch in a git worktree, tested, proved, then merged,
                      proposed on a branch or reported as the policy level allows
  gate [DIR]          fail (exit 1) when DIR breaks its gate: malicious packages, known exploited
                      vulnerabilities, fixes left unapplied past their SLA (text, JSON, SARIF,
                      JUnit XML, Markdown)
  init [DIR]          write a commented default configuration (.patchpilot.yml)
  sbom [DIR]          write a CycloneDX or SPDX bill of materials from the lockfile of DIR
  db import PATH...   import OSV advisories into the local store
  db sync             download OSV's npm export and update the store (atomic, incremental)
  db import-epss FILE import FIRST's EPSS scores (CSV, .csv.gz); findings then carry them
  db import-kev FILE  import CISA's Known Exploited Vulnerabilities catalog (JSON)
  db status           show what the advisory store holds
  vex add ID          record that a vulnerability does or does not affect a package (OpenVEX,
                      .patchpilot/vex.json); scan applies it
  vex list            show the project's VEX statements
  ledger verify [DIR] check the project's decision ledger (hash chain): exit 1 when an entry was
                      edited, removed or reordered
  ledger show [DIR]   list the ledger's entries (--change, --since, --kind)
  ledger export CHANGE in-toto attestations of one change (tests, scans before and after),
                      signed with --key
  rollback CHANGE     revert a merged change (a new commit, or a branch at level 2), record why
                      in the ledger and quarantine the versions it brought in
  quarantine list     show the package versions that rolled-back changes quarantined
  quarantine release NAME[@VERSION] --reason TEXT
                      let fix choose a quarantined version again (recorded in the ledger)
  help [COMMAND]      show help for a command

Global options:
  -h, --help      show help
  -v, --version   print the version
      --debug     show stack traces on errors

Environment:
  PATCHPILOT_DB     advisory store file (overridden by --db)
  PATCHPILOT_HOME   folder for all PatchPilot state (default: XDG data and cache folders)
  PATCHPILOT_LEDGER the project's ledger file (overridden by --ledger)
  PATCHPILOT_OSV_BASE  base URL of the OSV export for db sync (overridden by --base)
  HTTPS_PROXY, HTTP_PROXY, NO_PROXY  proxies for db sync

Run \`patchpilot <command> --help\` for a command's options.
`;

const commands: Record<string, () => Promise<Command>> = {
  scan: async () => (await import('./commands/scan.js')).scanCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  fix: async () => (await import('./commands/fix.js')).fixCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
  gate: async () => (await import('./commands/gate.js')).gateCommand,
  init: async () => (await import('./commands/init.js')).initCommand,
  sbom: async () => (await import('./commands/sbom.js')).sbomCommand,
  db: async () => (await import('./commands/db.js')).dbCommand,
  vex: async () => (await import('./commands/vex.js')).vexCommand,
  ledger: async () => (await import('./commands/ledger.js')).ledgerCommand,
  quarantine: async () => (await import('./commands/quarantine.js')).quarantineCommand,
  rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
};

export const main = async (argv: readonly string[], given: Io): Promise<number> => {
  // Everything printed quotes input somewhere (names, paths, advisories, messages): no control
  // character in it reaches the terminal or the log unescaped.
  const io: Io = {
    ...given,
    stdout: { write: (text: string) => given.stdout.write(printableText(text)) },
    stderr: {
      write: (text: string) => given.stderr.write(printableText(text)),
      ...(given.stderr.isTTY === undefined ? {} : { isTTY: given.stderr.isTTY }),
    },
  };
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const [verb, ...rest] = args;
  try {
    if (verb === undefined) {
      io.stderr.write(help);
      return EXIT.usage;
    }
    if (verb === '--help' || verb === '-h') {
      io.stdout.write(help);
      return EXIT.ok;
    }
    if (verb === '--version' || verb === '-v') {
      io.stdout.write(`${toolVersion()}\n`);
      return EXIT.ok;
    }
    if (verb === 'help') {
      const topic = rest[0];
      if (topic === undefined) {
        io.stdout.write(help);
        return EXIT.ok;
      }
      return EXIT[await (await commandFor(topic))([...rest.slice(1), '--help'], io)];
    }
    return EXIT[await (await commandFor(verb))(rest, io)];
  } catch (error) {
    return reportError(error, io, debug);
  }
};

/** The command named `verb`; an unknown one (`toString` too) is a usage error. */
const commandFor = (verb: string): Promise<Command> => {
  const load = Object.hasOwn(commands, verb) ? commands[verb] : undefined;
  if (load) return load();
  const near = closestName(verb, [...Object.keys(commands), 'help']);
  throw new PatchPilotError(
    'USAGE',
    `unknown command "${verb}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`,
    { hint: 'see `patchpilot --help`' },
  );
};

const reportError = (error: unknown, io: Io, debug: boolean): number => {
  if (isPatchPilotError(error)) {
    io.stderr.write(`patchpilot: ${error.message} [${error.code}]\n`);
    if (error.hint) io.stderr.write(`  hint: ${error.hint}\n`);
    if (debug)
      io.stderr.write(
        `${error.stack ?? ''}\n${error.cause instanceof Error ? `cause: ${error.cause.stack}\n` : ''}`,
      );
    switch (error.category) {
      case 'usage':
      case 'input':
        return EXIT.usage;
      case 'external':
        return EXIT.external;
      default:
        return EXIT.internal;
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`patchpilot: internal error: ${message} [INTERNAL]\n`);
  io.stderr.write(
    debug && error instanceof Error
      ? `${error.stack}\n`
      : '  hint: rerun with --debug and report the stack trace\n',
  );
  return EXIT.internal;
};
