import { join, relative, resolve, sep } from 'node:path';
import type { Git } from '../../apply/git.js';
import { PatchPilotError } from '../../core/errors.js';
import { realPathOrUndefined, statOrUndefined } from '../../util/fs.js';
import { parseCommandArgs, usage } from '../args.js';
import { displayPath, type Io, type Outcome } from '../io.js';
import { toolVersion } from '../version.js';

const help = `Usage: patchpilot rollback CHANGE [DIR] --reason TEXT [options]

Roll back a change \`patchpilot fix\` merged into the project in DIR (default: the current folder):
a new commit that reverts the change's commit (history is never rewritten), made in a worktree of
its own off the branch the change was merged into, with the trailers PatchPilot-Rollback and
PatchPilot-Reason. As far as the project's policy allows (policy.maxLevel of the configuration
HEAD holds, as fix reads it; default 3):
  level 3 and up   the revert lands on that branch by git's own fast-forward (never over
                   uncommitted changes: then it is left on its branch, as at level 2)
  level 1 or 2     the revert waits on the branch patchpilot/revert-CHANGE for a human to merge
The rollback is recorded in the project's ledger with its reason and author, and the versions the
change brought in are quarantined: \`plan\` and \`fix\` do not propose them again until
\`patchpilot quarantine release\`.

A change fix proposed (level 2) that someone then merged by hand is rolled back the same way,
on the branch checked out (or --base BRANCH), once its commit is on that branch.

A change that later commits built on (they changed a file it changed) is refused, never forced:
the later commits are named. Roll them back first, newest first (a later change and its rollback
cancel out), or revert by hand. A change merged again by a later fix can be rolled back again.

Options:
      --reason TEXT    why it is rolled back (required; recorded in the ledger and the commit)
      --author NAME    who decides (default: git config user.name <user.email>)
      --branch-only    leave the revert on patchpilot/revert-CHANGE whatever the policy allows
      --base BRANCH    the branch to revert it on (default: the one the change was merged into;
                       for a proposed change merged by hand, the branch checked out)
      --ledger FILE    the ledger (default: $PATCHPILOT_LEDGER, else the project's own under
                       <data home>/ledgers/)
      --json           print the result as JSON
      --debug          show stack traces on errors
  -h, --help           show this help

Exit codes: 0 rolled back (or left on its branch); 2 usage error, an unknown or unmerged change,
or a refused rollback (ROLLBACK_REFUSED: later commits changed the same files, or it was rolled
back already); 3 git failed; 70 internal error.

Examples:
  patchpilot rollback p-1a2b3c4d5e --reason "login page broken in staging"
  patchpilot rollback p-1a2b3c4d5e --reason "needs review" --branch-only --json
`;

/** The `--json` document: `schemaVersion` 1 is a contract; fields may be added, never removed. */
export interface RollbackReport {
  readonly schemaVersion: 1;
  readonly change: string;
  readonly commit: string;
  readonly reverted: string;
  readonly base: { readonly branch: string; readonly commit: string };
  readonly revert: string;
  readonly mode: 'merged' | 'branch';
  readonly branch: string;
  readonly deferred?: string;
  readonly files: readonly string[];
  readonly reason: string;
  readonly actor: string;
  readonly quarantine: readonly { readonly name: string; readonly version: string }[];
  readonly ledger: { readonly path: string; readonly seq: number };
}

export const rollbackCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('rollback', args, {
    reason: { type: 'string' },
    author: { type: 'string' },
    'branch-only': { type: 'boolean' },
    base: { type: 'string' },
    ledger: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 'ok';
  }
  const [change, dir, extra] = positionals;
  if (change === undefined || change.trim() === '') {
    throw usage('rollback', 'give the change to roll back (its id, p-…, as `fix` and `ledger show` name it)');
  }
  if (extra !== undefined) throw usage('rollback', `unexpected argument "${extra}"`);
  const reason = values.reason?.trim();
  if (!reason) throw usage('rollback', '--reason TEXT is required: say why the change is rolled back');
  if (values.author !== undefined && values.author.trim() === '')
    throw usage('rollback', '--author needs a name');
  if (values.base === '') throw usage('rollback', '--base needs a branch name');
  if (values.ledger === '') throw usage('rollback', '--ledger needs a file name');
  const folder = resolve(io.cwd, dir ?? '.');
  if (!statOrUndefined(folder)?.isDirectory()) throw usage('rollback', `${dir} is not a folder`);

  const { createGit, repositoryTop } = await import('../../apply/git.js');
  const git = createGit(folder, io.env);
  if (repositoryTop(git) === undefined) {
    throw new PatchPilotError(
      'NOT_A_GIT_REPOSITORY',
      `${displayPath(io, folder)} is not inside a git repository`,
      {
        hint: 'rollback reverts a commit `fix` merged: run it in the repository the change was merged in',
      },
    );
  }
  const { ledgerPath, ledgerProject } = await import('../../ledger/location.js');
  const { Ledger, ledgerNotFound } = await import('../../ledger/store.js');
  const { humanActor } = await import('../../ledger/actor.js');
  const path = ledgerPath({ flag: values.ledger, env: io.env, cwd: io.cwd, projectRoot: folder });
  // A change of another project of the repository is in that project's ledger: say where.
  const notHere = (id: string, what: string): PatchPilotError | undefined => {
    if (values.ledger !== undefined || io.env.PATCHPILOT_LEDGER) return undefined;
    const top = repositoryTop(git);
    const elsewhere =
      top === undefined ? undefined : projectOfChange(git, realPathOrUndefined(top) ?? top, folder, id);
    if (elsewhere === undefined) return undefined;
    return new PatchPilotError(
      'LEDGER_CHANGE_UNKNOWN',
      `${what} has no entry for change ${id}; its commit changed the project in ${elsewhere.shown}`,
      {
        hint: `each project of a repository has a ledger of its own: run \`patchpilot rollback ${id} ${elsewhere.shown}\``,
      },
    );
  };
  if (!statOrUndefined(path)) {
    throw (
      notHere(change.trim(), `${displayPath(io, folder)} has no ledger yet, so it`) ?? ledgerNotFound(path)
    );
  }
  const level = values['branch-only'] ? 2 : await policyLevel(git, folder);

  const { rollbackChange } = await import('../../apply/rollback.js');
  // The repository's lock, as fix takes it: a fix running now would otherwise see this
  // rollback's worktree, or move the same branch.
  const { lockRepository } = await import('../../apply/lock.js');
  const lock = lockRepository(git, 'rollback');
  const ledger = (() => {
    try {
      return Ledger.open(path, { project: ledgerProject(folder, io.env) });
    } catch (error) {
      lock.release();
      throw error;
    }
  })();
  let report: RollbackReport;
  try {
    const id = change.trim();
    const entries = ledger.entries({ change: id });
    if (entries.length === 0) {
      const elsewhere = notHere(id, `the ledger of ${displayPath(io, folder)}`);
      if (elsewhere) throw elsewhere;
    }
    const result = rollbackChange({
      git,
      change: id,
      entries,
      ...(values.base === undefined ? {} : { baseBranch: values.base }),
      level,
      reason,
      tool: `patchpilot@${toolVersion()}`,
    });
    const actor = humanActor({
      ...(values.author === undefined ? {} : { author: values.author }),
      cwd: folder,
      env: io.env,
    });
    const entry = ledger.append({
      kind: result.event.kind,
      subject: result.event.subject,
      change: id,
      actor,
      inputs: result.event.inputs,
      outcome: result.event.outcome,
      time: io.now().toISOString(),
    });
    report = {
      schemaVersion: 1,
      change: id,
      commit: result.commit,
      reverted: result.reverted,
      base: { branch: result.base, commit: result.baseCommit },
      revert: result.revert,
      mode: result.mode,
      branch: result.branch,
      ...(result.deferred ? { deferred: result.deferred } : {}),
      files: result.files,
      reason,
      actor,
      quarantine: result.quarantine,
      ledger: { path: displayPath(io, path), seq: entry.seq },
    };
  } finally {
    ledger.close();
    lock.release();
  }
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderRollback(report));
  return 'ok';
};

/**
 * The project folder a change's commit (`PatchPilot-Change: <id>`, on any branch) changed, when
 * that is not `folder`: where its ledger is. The folder of the lockfile it touched (else of the
 * first package.json), relative to the working folder's repository top.
 */
export const projectOfChange = (
  git: Git,
  top: string,
  folder: string,
  id: string,
): { shown: string } | undefined => {
  if (!/^p-[0-9a-f]{6,}$/.test(id)) return undefined;
  const log = git.tryRun(
    [
      'log',
      '--all',
      '--format=',
      '--name-only',
      '--fixed-strings',
      `--grep=PatchPilot-Change: ${id}`,
      '-n',
      '1',
    ],
    folder,
  );
  if (log.code !== 0) return undefined;
  const files = log.stdout.split('\n').map((line) => line.trim());
  // The lockfile's folder is the project (a workspace's package.json may sort before it).
  const file =
    files.find((line) =>
      /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?)$/.test(line),
    ) ?? files.find((line) => /(^|\/)package\.json$/.test(line));
  if (file === undefined) return undefined;
  const project = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
  const real = realPathOrUndefined(folder) ?? folder;
  const here = relative(top, real).split(sep).join('/') || '.';
  if (project === here) return undefined;
  const shown = relative(real, join(top, project)) || '.';
  return { shown };
};

/**
 * The project's policy cap, default 3: its configuration file as HEAD has it, as `fix` reads it;
 * an edited or untracked file in the working tree does not count.
 */
const policyLevel = async (git: Git, folder: string): Promise<number> => {
  const { loadCommittedConfig } = await import('../../config/load.js');
  const { configFileNames } = await import('../../config/files.js');
  const { repositoryTop } = await import('../../apply/git.js');
  const top = repositoryTop(git) as string;
  // The folder as git names it in the tree (its own case, links resolved).
  const prefix = git.run(['rev-parse', '--show-prefix'], folder);
  const rel = prefix.replace(/\/$/, '');
  const listed = git.tryRun(
    [
      '--literal-pathspecs',
      'ls-tree',
      '-z',
      'HEAD',
      '--',
      ...configFileNames.map((name) => `${prefix}${name}`),
    ],
    top,
  );
  // A repository without a commit yet has no configuration to read.
  if (listed.code !== 0) return 3;
  const files = new Map<string, { regular: boolean; text: () => string }>();
  for (const line of listed.stdout.split('\0')) {
    const match = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(line);
    if (!match) continue;
    const [, mode, type, object, path] = match as unknown as [string, string, string, string, string];
    files.set(path.slice(prefix.length), {
      regular: type === 'blob' && (mode === '100644' || mode === '100755'),
      // As committed, byte for byte (run() would trim it).
      text: () => {
        const read = git.tryRun(['cat-file', 'blob', object], top);
        if (read.code !== 0) git.run(['cat-file', 'blob', object], top);
        return read.stdout;
      },
    });
  }
  return loadCommittedConfig(rel, files)?.config.policy.maxLevel ?? 3;
};

const renderRollback = (r: RollbackReport): string => {
  const lines = [
    r.mode === 'merged'
      ? `rolled back ${r.change}: ${r.revert.slice(0, 12)} reverts ${r.reverted.slice(0, 12)} on ${r.base.branch}`
      : `rollback of ${r.change} prepared on ${r.branch}: ${r.revert.slice(0, 12)} reverts ${r.reverted.slice(0, 12)}; ${r.base.branch} is unchanged${r.deferred ? ` (${r.deferred})` : ''}`,
    `  restores: ${r.files.join(', ')}`,
    `  reason: ${r.reason} (${r.actor})`,
    r.quarantine.length > 0
      ? `  quarantined: ${r.quarantine.map((q) => `${q.name}@${q.version}`).join(', ')} (until \`patchpilot quarantine release\`)`
      : '  quarantined: nothing (the change named no version)',
    `  ledger: entry ${r.ledger.seq} in ${r.ledger.path}`,
  ];
  if (r.mode === 'branch') lines.push(`  to land it: git merge --ff-only ${r.branch} (on ${r.base.branch})`);
  return `${lines.join('\n')}\n`;
};
