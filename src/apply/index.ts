import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Change, ChangeProof, ChangeStage, ChangeTests, CommandEvidence } from '../core/change.js';
import { PatchPilotError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { type Inventory, resolveFrom } from '../core/inventory.js';
import type { LedgerKind } from '../core/ledger.js';
import type { LockChange, Patch, Plan } from '../core/plan.js';
import type { Level, ProofEvidence, TestEvidence, Verdict } from '../core/verdict.js';
import { plannedInventory } from '../plan/layout.js';
import { satisfiesSpec } from '../plan/versions.js';
import { changedPackages } from '../policy/evidence.js';
import { judgePlan, type PolicyConfig } from '../policy/index.js';
import type { PackageMetadata, RegistrySource } from '../registry/types.js';
import { message, readText, readTextIfExists, statOrUndefined, writeFileAtomic } from '../util/fs.js';
import type { Env } from '../util/home.js';
import { type CommandRun, runProcessAsync, runShellCommand } from '../util/process.js';
import { commitMessage } from './commit-message.js';
import { type ExerciseReport, exercisedPackages, makeCoverageFolder, readExercise } from './exercise.js';
import { branchCommit, branchIsOurs, commitIdentity, type Git } from './git.js';
import { editManifest } from './manifest.js';
import { type MergeResult, mergeInto as mergeBranch } from './merge.js';
import { dropNpmPackages, editNpmLockfile } from './npm-lockfile.js';
import {
  commandText,
  installCommand,
  type ManagerName,
  regenerateCommand,
  runnerOf,
} from './package-manager.js';
import { escapes } from './paths.js';
import { type PnpmMoves, pnpmMovesFor } from './pnpm-moves.js';
import { proveFix } from './proof.js';
import { projectCommands, runProjectCommands } from './run-commands.js';
import { branchFor, clearUnsettled, markUnsettled, WorktreeRegistry } from './worktree.js';
import { editYarnBerryLockfile } from './yarn-berry-lockfile.js';
import { editYarnClassicLockfile } from './yarn-lockfile.js';

/**
 * Plan → changes, at the edge: each patch (or group) is applied in its own git worktree off the
 * base branch, committed on `patchpilot/<id>`, installed with scripts disabled, tested, proved by
 * re-reading the new lockfile, judged again by policy with that evidence, and merged, proposed or
 * reported as its level allows. The user's working tree and index are never written; the base
 * branch moves only by git's own fast-forward.
 */

export interface ApplyOptions {
  /** Everything up to tests and proof, in detached worktrees: no branch, no commit kept, no merge. */
  readonly dryRun: boolean;
  /** Try every patch in one worktree and one test run; bisect when the tests fail. */
  readonly group: boolean;
  readonly mergeMode: 'fast-forward' | 'merge-commit';
  /** Let the install before the tests run dependency lifecycle scripts (regeneration never does). */
  readonly allowScripts: boolean;
  readonly timeoutMs: number;
  /** False: run no build or test command (a repository of lockfiles only); the evidence says nothing ran. */
  readonly runTests?: boolean;
}

/** One ledger-worthy event; the caller writes it (or not). */
export interface FixEvent {
  readonly kind: LedgerKind;
  readonly subject: string;
  readonly change?: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly outcome: Readonly<Record<string, unknown>>;
}

export interface ApplyInput {
  readonly git: Git;
  /** The project folder relative to the repository's top ('' at the top), `/`-separated. */
  readonly projectPath: string;
  /** The lockfile's name in the project folder. */
  readonly lockfile: string;
  readonly manager: ManagerName;
  /** The branch changes merge into (undefined when HEAD is detached: nothing merges). */
  readonly baseBranch: string | undefined;
  readonly baseCommit: string;
  readonly plan: Plan;
  /** The findings and tree the plan was made from (the base commit's). */
  readonly findings: readonly Finding[];
  readonly inventory: Inventory;
  readonly policy: PolicyConfig;
  /** Plan-time verdicts, by patch id: a patch policy caps at 1 is reported without being tried. */
  readonly verdicts: Readonly<Record<string, Verdict>>;
  readonly commands: { readonly install?: string; readonly build?: string; readonly test?: string };
  readonly registry: RegistrySource;
  /**
   * Re-reads the project in `folder` (its lockfile): its findings (the proof's "after") and the
   * quarantined versions (`name@version`) it installs.
   */
  readonly prove: (
    folder: string,
  ) => Promise<{ readonly findings: readonly Finding[]; readonly quarantined: readonly string[] }>;
  readonly env: Env;
  readonly tool: string;
  readonly options: ApplyOptions;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
  readonly record?: (event: FixEvent) => void;
}

interface AppliedPatch {
  readonly patch: Patch;
  readonly commit: string;
  readonly commands: CommandEvidence[];
}

interface PatchFailure {
  readonly stage: ChangeStage;
  readonly text: string;
  readonly commands: CommandEvidence[];
}

interface Attempt {
  readonly base: string;
  readonly branch: string | undefined;
  readonly applied: AppliedPatch[];
  readonly failed: Map<string, PatchFailure>;
  /** Set when the install, build or tests could not vouch for the applied patches. */
  readonly stop?: PatchFailure;
  readonly commands: CommandEvidence[];
  readonly tests?: Omit<ChangeTests, 'exercised' | 'notExercised'> & { readonly loaded: ReadonlySet<string> };
  readonly after?: readonly Finding[];
  /** The findings of `base` itself: the scan before the attempt's patches. */
  readonly before?: readonly Finding[];
  /** Quarantined versions (`name@version`) the new lockfile installs. */
  readonly quarantined?: readonly string[];
}

/** A scan's findings as the ledger keeps them: advisory, package, version and severity. */
const scanRefs = (findings: readonly Finding[]) =>
  findings.map((f) => ({ id: f.id, name: f.package.name, version: f.package.version, severity: f.severity }));

/** A patch refused because the lockfile no longer holds what the plan read in it. */
const staleLockfile = (detail: string): PatchFailure => ({
  stage: 'apply',
  text: `the lockfile is not what the plan expected: ${detail}`,
  commands: [],
});

const evidenceOf = (run: CommandRun): CommandEvidence => ({
  command: run.command,
  code: run.code,
  timedOut: run.timedOut,
  durationMs: run.durationMs,
  output: run.output,
});

/** npm asks its registry whether npm itself is outdated; nobody wants that in a worktree. */
const managerEnv: Env = {
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

/**
 * npm 7 and later refuse a tree whose peer dependencies conflict; a lockfile written by npm 6, or
 * with `--legacy-peer-deps` that the project does not record, may hold one already, and then
 * every change fails the same way.
 */
const peerConflict =
  ': npm cannot resolve the peer dependencies (ERESOLVE); a project that installs with legacy-peer-deps says so in its .npmrc (legacy-peer-deps=true), which fix runs npm with';

const ok = (run: CommandRun): boolean => run.code === 0 && !run.timedOut;

export const applyPlan = async (input: ApplyInput): Promise<Change[]> => {
  const { git, options } = input;
  const worktrees = new WorktreeRegistry();
  const identity = commitIdentity(git);
  const record = (event: FixEvent): void => input.record?.(event);
  const progress = (text: string): void => input.onProgress?.(text);
  const metadata = new Map<string, PackageMetadata | undefined>();
  const scansBefore = new Map<string, readonly Finding[] | undefined>([[input.baseCommit, input.findings]]);
  const scanBefore = async (at: string, folder: string): Promise<readonly Finding[] | undefined> => {
    if (!scansBefore.has(at)) {
      scansBefore.set(
        at,
        await input.prove(folder).then(
          (scanned) => scanned.findings,
          () => undefined,
        ),
      );
    }
    return scansBefore.get(at);
  };
  const changes: Change[] = [];
  let base = input.baseCommit;

  // The branches attempts reset and committed on that no settle has finalized yet, with their tips
  // before this run (undefined: the branch did not exist). A run that stops before settling them
  // (Ctrl-C, an error) puts them back: an untested commit on patchpilot/<id> looks like a proposal.
  const unfinished = new Map<string, string | undefined>();
  const putBack = (): void => {
    for (const [branch, tip] of unfinished) {
      if (tip === undefined) git.tryRun(['branch', '--quiet', '-D', branch]);
      else git.tryRun(['update-ref', `refs/heads/${branch}`, tip]);
      clearUnsettled(git, branch);
    }
  };
  const settleBranch = (branch: string): void => {
    unfinished.delete(branch);
    clearUnsettled(git, branch);
  };

  const checkInterrupted = (): void => {
    if (input.signal?.aborted) {
      throw new PatchPilotError(
        'INTERRUPTED',
        'interrupted: the worktrees were removed and the branches of unfinished changes put back; nothing was merged since',
        {
          hint: 'run fix again',
          cause: input.signal.reason,
        },
      );
    }
  };

  const lookUp = async (patch: Patch): Promise<void> => {
    for (const c of patch.changes) {
      if ((c.kind === 'lock' || c.kind === 'add') && !metadata.has(c.name)) {
        metadata.set(c.name, await input.registry.getPackage(c.name));
      }
    }
  };

  /**
   * Writes one patch's edits into the worktree's project folder: the lockfile edited, or the
   * manifests and then the package manager's regeneration (yarn also runs after a lockfile edit,
   * to lock what a moved package adds; pnpm moves packages by two regenerations).
   */
  const writePatch = async (
    folder: string,
    patch: Patch,
  ): Promise<{ files: string[]; commands: CommandEvidence[] } | PatchFailure> => {
    await lookUp(patch);
    const files: string[] = [];
    const problems: string[] = [];
    const manifestChanges = patch.changes.filter((c) => c.kind === 'manifest' || c.kind === 'override');
    const importers = new Set<string>();
    for (const c of manifestChanges)
      importers.add(
        c.kind === 'manifest' ? c.importer : posix.dirname(c.file) === '.' ? '' : posix.dirname(c.file),
      );
    for (const importer of importers) {
      const rel = importer === '' ? 'package.json' : `${importer}/package.json`;
      const path = join(folder, rel);
      const outside = escapes(folder, path);
      if (outside) return { stage: 'apply', text: `${rel} ${outside}: not edited`, commands: [] };
      const edited = editManifest(readText(path), importer, manifestChanges);
      problems.push(...edited.problems.map((p) => `${rel}: ${p}`));
      writeFileAtomic(path, edited.content);
      files.push(rel);
    }
    const lockPath = join(folder, input.lockfile);
    const lockOutside = escapes(folder, lockPath);
    if (lockOutside)
      return { stage: 'apply', text: `${input.lockfile} ${lockOutside}: not edited`, commands: [] };
    const lockChanges = patch.changes.filter(
      (c) => c.kind === 'lock' || c.kind === 'add' || c.kind === 'remove',
    );
    /** Commands that move locked pnpm packages (two `pnpm install` runs; see pnpmMoves). */
    let pnpmMoves: PnpmMoves | undefined;
    const yarn = input.manager === 'yarn-classic' || input.manager === 'yarn-berry';
    // With a manifest edit, yarn and pnpm rewrite the lockfile from the new ranges themselves:
    // the moves the plan predicts there are theirs to make (and the proof checks what they made).
    const regenerated = manifestChanges.length > 0 && (yarn || input.manager === 'pnpm');
    if (regenerated) {
      // Nothing to edit in the lockfile.
    } else if (lockChanges.length > 0 && yarn) {
      const moves = lockChanges.filter((c): c is LockChange => c.kind === 'lock');
      const edit = input.manager === 'yarn-classic' ? editYarnClassicLockfile : editYarnBerryLockfile;
      const edited = edit(
        readText(lockPath),
        moves,
        (name, version) => metadata.get(name)?.versions[version],
      );
      if (edited.problems.length > 0) {
        return staleLockfile(edited.problems.join('; '));
      }
      writeFileAtomic(lockPath, edited.content);
      files.push(input.lockfile);
    } else if (lockChanges.length > 0 && input.manager === 'pnpm') {
      const moves = lockChanges.filter((c): c is LockChange => c.kind === 'lock');
      const planned = await pnpmMovesFor(folder, lockPath, moves);
      if (typeof planned === 'string') {
        return staleLockfile(planned);
      }
      pnpmMoves = planned;
    } else if (lockChanges.length > 0) {
      if (input.manager !== 'npm') {
        return {
          stage: 'apply',
          text: `lockfile edits for ${input.manager} are not supported yet`,
          commands: [],
        };
      }
      const edited = editNpmLockfile(
        readText(lockPath),
        input.lockfile,
        lockChanges,
        (name, version) => metadata.get(name)?.versions[version],
      );
      // A stale lock edit is fatal only when nothing regenerates the lockfile afterwards.
      if (edited.problems.length > 0 && manifestChanges.length === 0) {
        return staleLockfile(edited.problems.join('; '));
      }
      writeFileAtomic(lockPath, edited.content);
      files.push(input.lockfile);
    }
    if (problems.length > 0) {
      return {
        stage: 'apply',
        text: `the manifest is not what the plan expected: ${problems.join('; ')}`,
        commands: [],
      };
    }
    const commands: CommandEvidence[] = [];
    // npm keeps a locked copy's version under a new override: the copies go, so npm resolves
    // them afresh under it.
    const overridden = manifestChanges.flatMap((c) =>
      c.kind === 'override' && c.action !== 'remove' ? [c.name] : [],
    );
    if (overridden.length > 0 && input.manager === 'npm' && statOrUndefined(lockPath)) {
      writeFileAtomic(lockPath, dropNpmPackages(readText(lockPath), input.lockfile, overridden));
    }
    const regenerate = async (): Promise<PatchFailure | undefined> => {
      const line = regenerateCommand(input.manager);
      progress(`  ${patch.id}: ${commandText(line)}`);
      const run = await runProcessAsync(line.file, line.args, {
        cwd: folder,
        env: { ...input.env, ...managerEnv, ...line.env },
        timeoutMs: options.timeoutMs,
        signal: input.signal,
      });
      const evidence = { ...evidenceOf(run), command: commandText(line) };
      commands.push(evidence);
      if (!ok(run)) {
        return {
          stage: 'regenerate',
          text: `${commandText(line)} ${run.timedOut ? 'timed out' : `failed (exit ${run.code ?? '?'})`}${input.manager === 'npm' && /\bERESOLVE\b|eresolve-report/.test(run.output) ? peerConflict : ''}`,
          commands,
        };
      }
      if (!files.includes(input.lockfile)) files.push(input.lockfile);
      return undefined;
    };
    if (pnpmMoves) {
      // pnpm keeps a version its lockfile holds when it still satisfies the range: the packages
      // are moved under temporary overrides scoped to their dependents (and exact ranges for
      // direct dependencies), then the manifests go back as they were and pnpm runs again.
      for (const [path, text] of pnpmMoves.during) writeFileAtomic(path, text);
      const failed = await regenerate();
      for (const [path, text] of pnpmMoves.after) writeFileAtomic(path, text);
      if (failed) return failed;
      const again = await regenerate();
      if (again) return again;
      return { files, commands };
    }
    if (manifestChanges.length > 0 || (lockChanges.length > 0 && yarn)) {
      // yarn locks the new dependencies of a moved package (and drops what nothing needs); yarn
      // berry also writes the checksum of the moved package back.
      const failed = await regenerate();
      if (failed) return failed;
    }
    return { files, commands };
  };

  /** Applies `patches` in a new worktree off `at`, one commit each, then installs, tests and re-reads. */
  const attempt = async (
    patches: readonly Patch[],
    at: string,
    branch: string | undefined,
  ): Promise<Attempt> => {
    checkInterrupted();
    if (branch && !branchIsOurs(git, branch, at)) {
      const text = `${branch} has commits PatchPilot did not make (no PatchPilot-Change trailer): left as it is`;
      return {
        base: at,
        branch: undefined,
        applied: [],
        failed: new Map(patches.map((p) => [p.id, { stage: 'apply', text, commands: [] }])),
        commands: [],
      };
    }
    let worktree: ReturnType<typeof worktrees.add>;
    const tracked = branch === undefined || unfinished.has(branch);
    const tip = tracked ? undefined : branchCommit(git, branch);
    try {
      // Noted before the branch moves: a crash from here on is put back by the next run.
      if (!tracked) markUnsettled(git, branch, tip, at);
      worktree = worktrees.add(git, at, branch);
      if (!tracked) unfinished.set(branch, tip);
    } catch (error) {
      if (!tracked && branch) clearUnsettled(git, branch);
      const text = `no worktree for ${branch ?? 'the patch'}: ${message(error)}`;
      return {
        base: at,
        branch: undefined,
        applied: [],
        failed: new Map(patches.map((p) => [p.id, { stage: 'apply', text, commands: [] }])),
        commands: [],
      };
    }
    const folder = input.projectPath === '' ? worktree.path : join(worktree.path, input.projectPath);
    const applied: AppliedPatch[] = [];
    const failed = new Map<string, PatchFailure>();
    const commands: CommandEvidence[] = [];
    try {
      // The scan before the patches, for the record: the base commit's findings are known; a later
      // base (after earlier merges) is read from its lockfile once, as the proof reads the one
      // after. A base that cannot be scanned leaves the record without it (the proof below is
      // what decides).
      const before = await scanBefore(at, folder);
      for (const patch of patches) {
        checkInterrupted();
        let result: Awaited<ReturnType<typeof writePatch>>;
        try {
          result = await writePatch(folder, patch);
        } catch (error) {
          result = { stage: 'apply', text: message(error), commands: [] };
        }
        if ('stage' in result) {
          failed.set(patch.id, result);
          git.run(['reset', '--quiet', '--hard', 'HEAD'], worktree.path);
          git.run(['clean', '-fdq'], worktree.path);
          continue;
        }
        const paths = result.files.map((f) => (input.projectPath === '' ? f : `${input.projectPath}/${f}`));
        git.run(['add', '--', ...paths], worktree.path);
        if (git.tryRun(['diff', '--cached', '--quiet'], worktree.path).code === 0) {
          failed.set(patch.id, {
            stage: 'apply',
            text: 'the patch changes nothing in the files (already applied?)',
            commands: result.commands,
          });
          continue;
        }
        git.run(
          [
            'commit',
            '--quiet',
            '--no-verify',
            '-m',
            `PatchPilot change ${patch.id}\n\nPatchPilot-Change: ${patch.id}\n`,
          ],
          worktree.path,
          identity,
        );
        applied.push({
          patch,
          commit: git.run(['rev-parse', 'HEAD'], worktree.path),
          commands: result.commands,
        });
      }
      if (applied.length === 0) return { base: at, branch, applied, failed, commands };
      // The proof reads the lockfile as committed, before an install or a test script could
      // rewrite it: what is proved is what merges.
      const { findings: after, quarantined } = await input.prove(folder);

      const manifest = JSON.parse(readTextIfExists(join(folder, 'package.json')) ?? '{}') as {
        scripts?: Record<string, string>;
      };
      const toRun =
        options.runTests === false ? {} : projectCommands(manifest, input.commands, runnerOf(input.manager));
      let tests: Attempt['tests'];
      let stop: PatchFailure | undefined;
      if (toRun.build === undefined && toRun.test === undefined) {
        tests = { ran: false, passed: false, durationMs: 0, commands: [], loaded: new Set() };
      } else {
        const install = input.commands.install;
        const line = installCommand(input.manager, options.allowScripts);
        progress(`  installing: ${install ?? commandText(line)}`);
        const run = install
          ? await runShellCommand(install, {
              cwd: folder,
              env: input.env,
              timeoutMs: options.timeoutMs,
              signal: input.signal,
            })
          : await runProcessAsync(line.file, line.args, {
              cwd: folder,
              env: { ...input.env, ...managerEnv, ...line.env },
              timeoutMs: options.timeoutMs,
              signal: input.signal,
            });
        const installed = { ...evidenceOf(run), command: install ?? commandText(line) };
        commands.push(installed);
        if (!ok(run)) {
          stop = {
            stage: 'install',
            text: `the install ${run.timedOut ? 'timed out' : `failed (exit ${run.code ?? '?'})`}`,
            commands: [installed],
          };
        } else {
          checkInterrupted();
          const coverage = makeCoverageFolder(tmpdir());
          try {
            progress(`  testing: ${[toRun.build, toRun.test].filter(Boolean).join(' && ')}`);
            const result = await runProjectCommands(toRun, {
              cwd: folder,
              env: input.env,
              timeoutMs: options.timeoutMs,
              coverageDir: coverage,
              signal: input.signal,
            });
            const report = readExercise(coverage, folder);
            const names = [...new Set(applied.flatMap((a) => changedPackages(a.patch)))];
            tests = {
              ran: result.ran,
              passed: result.passed,
              durationMs: result.durationMs,
              commands: result.commands.map(evidenceOf),
              loaded: new Set(
                exercisedChanges(
                  report,
                  applied.map((x) => x.patch),
                  names,
                  input.inventory.format.startsWith('npm') ? locateIn(input.inventory) : undefined,
                ),
              ),
            };
            if (!result.passed) {
              const last = result.commands[result.commands.length - 1];
              const stage: ChangeStage = last && last.command === toRun.build ? 'build' : 'test';
              stop = {
                stage,
                text: `${last?.command ?? 'the tests'} ${last?.timedOut ? 'timed out' : `failed (exit ${last?.code ?? '?'})`}`,
                commands: tests.commands.slice(),
              };
            }
          } finally {
            rmSync(coverage, { recursive: true, force: true });
          }
        }
      }
      checkInterrupted();
      return {
        base: at,
        branch,
        applied,
        failed,
        commands,
        tests,
        before,
        after,
        quarantined,
        ...(stop ? { stop } : {}),
      };
    } finally {
      worktrees.remove(worktree);
    }
  };

  const testEvidence = (a: Attempt, patch: Patch): ChangeTests | undefined => {
    if (!a.tests) return undefined;
    const names = changedPackages(patch);
    return {
      ran: a.tests.ran,
      passed: a.tests.passed,
      durationMs: a.tests.durationMs,
      commands: a.tests.commands,
      exercised: names.filter((n) => a.tests?.loaded.has(n)),
      notExercised: names.filter((n) => !a.tests?.loaded.has(n)),
    };
  };

  // The plan's changes name install locations of this inventory (the npm layout of a graph lockfile).
  const planned = plannedInventory(input.inventory);
  const judge = (patch: Patch, tests: ChangeTests | undefined, proof: ChangeProof | undefined): Verdict => {
    const t = new Map<string, TestEvidence>();
    const p = new Map<string, ProofEvidence>();
    if (tests) t.set(patch.id, { ran: tests.ran, passed: tests.passed, exercised: tests.exercised });
    if (proof) p.set(patch.id, proof);
    const verdicts = judgePlan(input.plan, {
      findings: input.findings,
      inventory: planned,
      policy: input.policy,
      tests: t,
      proofs: p,
    });
    const verdict = verdicts.patches[patch.id];
    if (!verdict) throw new PatchPilotError('INTERNAL', `no verdict for patch ${patch.id}`);
    return verdict;
  };

  /**
   * Rewrites the branch's provisional commits with their final messages (the evidence is known
   * only now). Each commit keeps its tree, so only a run of kept patches from the start can keep
   * its commits: a later one's tree holds the dropped one's edits.
   */
  const finalizeCommits = (a: Attempt, messages: ReadonlyMap<string, string>): Map<string, string> => {
    let parent = a.base;
    const out = new Map<string, string>();
    for (const applied of a.applied) {
      const text = messages.get(applied.patch.id);
      if (text === undefined) break;
      const tree = git.run(['rev-parse', `${applied.commit}^{tree}`]);
      const commit = git.run(['commit-tree', tree, '-p', parent, '-m', text], undefined, identity);
      out.set(applied.patch.id, commit);
      parent = commit;
    }
    if (a.branch) {
      if (out.size > 0) git.run(['update-ref', `refs/heads/${a.branch}`, parent]);
      else git.tryRun(['branch', '--quiet', '-D', a.branch]);
    }
    return out;
  };

  /** Moves the base branch to `tip` (a descendant of `from`) the safe way; or says why it did not. */
  const mergeInto = (branchTip: string, from: string, label: string): MergeResult =>
    mergeBranch(git, {
      target: input.baseBranch,
      branchTip,
      from,
      label,
      mode: options.mergeMode,
      identity,
      stillCheckedOut: true,
    });

  const proofOf = (a: Attempt, patch: Patch): ChangeProof | undefined => {
    if (!a.after) return undefined;
    const proof = proveFix(
      patch,
      input.findings,
      a.after,
      a.applied.map((x) => x.patch),
    );
    // A quarantined version of a package this patch moved is no fix, whatever the advisories say.
    const moved = new Set(patch.changes.flatMap((c) => ('name' in c ? [c.name] : [])));
    const back = (a.quarantined ?? []).filter((key) => moved.has(key.slice(0, key.lastIndexOf('@'))));
    if (back.length === 0) return proof;
    return {
      ...proof,
      proven: false,
      introduced: [...proof.introduced, ...back.map((key) => `quarantined ${key}`)],
    };
  };

  /** Settles the patches of one attempt: verdicts, commits, merge or proposal, and the changes. */
  const settle = (a: Attempt, group: readonly string[] | undefined, only?: ReadonlySet<string>): void => {
    const mine = (id: string): boolean => only === undefined || only.has(id);
    for (const [id, stated] of a.failed) {
      if (!mine(id)) continue;
      const patch = input.plan.patches.find((p) => p.id === id);
      if (!patch) continue;
      const verdict = judge(patch, undefined, undefined);
      // The plan states each patch after the ones before it: one of those not merged can leave
      // the lockfile other than this one expects.
      const earlier = input.plan.patches
        .slice(0, input.plan.patches.indexOf(patch))
        .filter((p) => !changes.some((c) => c.id === p.id && c.status === 'merged'))
        .map((p) => p.id);
      const failure =
        stated.stage === 'apply' && stated.text.startsWith('the lockfile is not what') && earlier.length > 0
          ? {
              ...stated,
              text: `${stated.text} (the plan states this patch after ${earlier.length <= 3 ? earlier.join(', ') : `${earlier.slice(0, 3).join(', ')} and ${earlier.length - 3} more`}, which are not merged: run fix again once they are)`,
            }
          : stated;
      changes.push({
        id,
        patch,
        status: 'failed',
        level: verdict.level,
        verdict,
        reason: failure.text,
        base: a.base,
        commands: failure.commands,
        failure: { stage: failure.stage, text: failure.text },
        ...(group ? { group } : {}),
      });
      record({
        kind: 'failed',
        subject: id,
        change: id,
        inputs: { stage: failure.stage },
        outcome: { text: failure.text },
      });
    }
    const messages = new Map<string, string>();
    const settled: {
      patch: Patch;
      verdict: Verdict;
      tests?: ChangeTests;
      proof?: ChangeProof;
      commands: CommandEvidence[];
    }[] = [];
    for (const applied of a.applied) {
      const { patch } = applied;
      if (!mine(patch.id)) continue;
      const tests = testEvidence(a, patch);
      const proof = proofOf(a, patch);
      const verdict = judge(patch, tests, proof);
      const commands = [...applied.commands, ...a.commands, ...(a.tests?.commands ?? [])];
      settled.push({ patch, verdict, tests, proof, commands });
      if (tests) {
        record({
          kind: 'tested',
          subject: patch.id,
          change: patch.id,
          inputs: { commands: tests.commands.map((c) => c.command) },
          outcome: {
            ran: tests.ran,
            passed: tests.passed,
            commands: tests.commands.map((c) => ({
              command: c.command,
              code: c.code ?? null,
              durationMs: c.durationMs,
            })),
            exercised: tests.exercised,
            notExercised: tests.notExercised,
          },
        });
      }
      if (proof) {
        record({
          kind: 'proved',
          subject: patch.id,
          change: patch.id,
          inputs: { lockfile: input.lockfile },
          outcome: {
            proven: proof.proven,
            fixed: proof.fixed,
            stillPresent: proof.stillPresent,
            introduced: proof.introduced,
            before: { findings: patch.fixes.map((f) => ({ id: f.id, name: f.name, version: f.version })) },
            after: {
              findings: (a.after ?? [])
                .filter((f) => patch.fixes.some((r) => r.name === f.package.name))
                .map((f) => ({ id: f.id, name: f.package.name, version: f.package.version })),
            },
            // The whole scans, of the commit the change was made on and of the change's own.
            scan: {
              ...(a.before ? { before: { findings: scanRefs(a.before) } } : {}),
              after: { findings: scanRefs(a.after ?? []) },
            },
          },
        });
      }
      record({
        kind: 'decided',
        subject: patch.id,
        change: patch.id,
        inputs: { rules: verdict.reasons.map((r) => r.rule), cappedBy: verdict.cappedBy },
        outcome: {
          level: verdict.level,
          reasons: verdict.reasons.map((r) => ({
            rule: r.rule,
            effect: r.effect,
            evidence: r.evidence,
            ...(r.level ? { level: r.level } : {}),
          })),
        },
      });
      const good = !a.stop && proof?.proven === true && (tests?.passed === true || tests?.ran === false);
      if (good && verdict.level >= 2 && !options.dryRun && only === undefined) {
        messages.set(
          patch.id,
          commitMessage({ patch, verdict, tests, proof, tool: input.tool, ...(group ? { group } : {}) }),
        );
      }
    }
    const commits =
      options.dryRun || only !== undefined ? new Map<string, string>() : finalizeCommits(a, messages);
    const branchTip = [...commits.values()].pop();
    const mergeable =
      settled.length > 0 && settled.every((s) => commits.has(s.patch.id) && s.verdict.level >= 3);
    // What keeps a group from merging when a patch of it earned level 3 itself.
    const holdingBack = settled
      .filter((s) => !(commits.has(s.patch.id) && s.verdict.level >= 3))
      .map((s) => s.patch.id);
    let merge: ReturnType<typeof mergeInto> | undefined;
    if (branchTip && mergeable && a.branch) merge = mergeInto(branchTip, a.base, a.branch);
    for (const s of settled) {
      const { patch, verdict, tests, proof } = s;
      const commit = commits.get(patch.id);
      const base = {
        id: patch.id,
        patch,
        level: verdict.level,
        verdict,
        base: a.base,
        commands: s.commands,
        ...(tests ? { tests } : {}),
        ...(proof ? { proof } : {}),
        ...(group ? { group } : {}),
      };
      let change: Change;
      if (a.stop) {
        change = {
          ...base,
          status: 'held-back',
          reason: a.stop.text,
          failure: { stage: a.stop.stage, text: a.stop.text },
        };
      } else if (!proof?.proven) {
        const text =
          proof && proof.stillPresent.length > 0
            ? `still present after the change: ${proof.stillPresent.join(', ')}`
            : `new findings after the change: ${proof?.introduced.join(', ') ?? 'unknown'}`;
        change = { ...base, status: 'unproven', reason: text, failure: { stage: 'proof', text } };
      } else if (options.dryRun) {
        change = {
          ...base,
          status: 'tested',
          reason: `dry run: level ${verdict.level} would ${verdict.level >= 3 ? 'merge' : verdict.level === 2 ? 'propose' : 'report'} it`,
        };
      } else if (verdict.level <= 1 || !commit) {
        change = { ...base, status: 'reported', reason: reasonText(verdict) };
      } else if (merge && 'commit' in merge) {
        change = {
          ...base,
          status: 'merged',
          reason: `merged into ${input.baseBranch} (${merge.mode})`,
          branch: a.branch,
          commit,
          merged: { branch: input.baseBranch ?? '', commit: merge.commit, mode: merge.mode },
        };
      } else {
        const why =
          merge && 'deferred' in merge
            ? `merge deferred: ${merge.deferred}`
            : mergeable
              ? 'left on its branch'
              : verdict.level >= 3 && holdingBack.length > 0
                ? `level ${verdict.level} (merge) for this patch, but a group merges only when every patch of it earns level 3, and ${holdingBack.join(', ')} ${holdingBack.length === 1 ? 'does' : 'do'} not; left on ${a.branch} for a human`
                : `${reasonText(verdict)}; left on ${a.branch} for a human`;
        change = { ...base, status: 'proposed', reason: why, branch: a.branch, commit };
      }
      changes.push(change);
      record({
        kind: 'applied',
        subject: patch.id,
        change: patch.id,
        inputs: { base: a.base, strategy: patch.strategy },
        outcome: {
          ...(commit ? { commit } : {}),
          ...(a.branch && commit ? { branch: a.branch } : {}),
          status: change.status,
        },
      });
      const kind: LedgerKind =
        change.status === 'merged'
          ? 'merged'
          : change.status === 'proposed'
            ? 'proposed'
            : change.status === 'reported' || change.status === 'tested'
              ? 'reported'
              : 'failed';
      record({
        kind,
        subject: patch.id,
        change: patch.id,
        inputs: { level: verdict.level },
        outcome: {
          status: change.status,
          reason: change.reason,
          ...(change.merged ? { merged: change.merged } : {}),
          ...(commit ? { commit } : {}),
          ...(change.branch ? { branch: change.branch } : {}),
        },
      });
    }
    if (merge && 'commit' in merge) base = merge.commit;
    // Finalized, merged or proposed, and in the ledger: the branch is what this run leaves.
    if (a.branch && !options.dryRun && only === undefined) settleBranch(a.branch);
  };

  let finished = false;
  try {
    const patches = input.plan.patches;
    const tryable: Patch[] = [];
    for (const patch of patches) {
      const planned = input.verdicts[patch.id];
      if (planned && planned.level <= 1) {
        changes.push({
          id: patch.id,
          patch,
          status: 'reported',
          level: planned.level,
          verdict: planned,
          reason: reasonText(planned),
          base,
          commands: [],
        });
        record({
          kind: 'reported',
          subject: patch.id,
          change: patch.id,
          inputs: { level: planned.level },
          outcome: { status: 'reported', reason: reasonText(planned) },
        });
      } else tryable.push(patch);
    }
    if (options.group && tryable.length > 1) {
      const ids = tryable.map((p) => p.id);
      const branch = options.dryRun ? undefined : branchFor(`group-${groupId(ids)}`);
      progress(`trying ${tryable.length} patches together`);
      let a: Attempt | undefined = await attempt(tryable, base, branch);
      if (a.stop && a.applied.length > 1) {
        progress('the tests failed with the patches together: bisecting');
        const culprits = await bisect(
          a.applied.map((x) => x.patch),
          base,
          attempt,
        );
        for (const run of new Set(culprits.map((c) => c.attempt))) {
          settle(run, ids, new Set(culprits.filter((c) => c.attempt === run).map((c) => c.patch.id)));
        }
        settle(a, ids, new Set(a.failed.keys()));
        const rest = a.applied.map((x) => x.patch).filter((p) => !culprits.some((c) => c.patch.id === p.id));
        a = rest.length > 0 ? await attempt(rest, base, branch) : undefined;
      }
      if (a && !a.stop) {
        // A patch the proof rejects cannot share a branch with the others: settle it, try the rest again.
        const current: Attempt = a;
        const bad = current.applied
          .filter((x) => proofOf(current, x.patch)?.proven !== true)
          .map((x) => x.patch.id);
        if (bad.length > 0 && bad.length < current.applied.length) {
          settle(current, ids, new Set([...bad, ...current.failed.keys()]));
          const good = current.applied.map((x) => x.patch).filter((p) => !bad.includes(p.id));
          a = await attempt(good, base, branch);
        }
      }
      if (a) settle(a, ids);
      else if (branch) {
        git.tryRun(['branch', '--quiet', '-D', branch]);
        settleBranch(branch);
      }
    } else {
      for (const [i, patch] of tryable.entries()) {
        progress(
          `[${i + 1}/${tryable.length}] ${patch.id} (${patch.strategy}): ${changedPackages(patch).join(', ') || 'overrides'}`,
        );
        const a = await attempt([patch], base, options.dryRun ? undefined : branchFor(patch.id));
        // Stopped while it ran (its commands were killed): nothing of it is settled as a failure.
        checkInterrupted();
        settle(a, undefined);
      }
    }
    finished = true;
  } finally {
    worktrees.close();
    if (!finished) putBack();
  }
  // In the plan's order, whatever order they were settled in (level 1 first, bisection culprits).
  const order = new Map(input.plan.patches.map((p, i) => [p.id, i]));
  return changes.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
};

/**
 * The changed packages the tests ran in the version the change gave them: the exact version for
 * a lockfile move; for a raised range (the package manager picks the version), any version but
 * the one it had. A test that only runs another copy (the top-level one when the change moved a
 * nested copy, or a copy of another version) does not count. In npm's layout a copy is its
 * install folder: a change counts when code ran from a folder it installs the new version in;
 * elsewhere (pnpm's store, yarn's archives) when code of the new version ran.
 */
export const exercisedChanges = (
  report: ExerciseReport,
  patches: readonly Patch[],
  names: readonly string[],
  /** npm's layout: where an importer finds a dependency before the change; undefined otherwise. */
  locate: ((importer: string, dependency: string) => string | undefined) | undefined,
): string[] => {
  const npmLayout = locate !== undefined;
  const ran = new Set(exercisedPackages(report, names));
  return names.filter((name) => {
    if (!ran.has(name)) return false;
    const loaded = report.loaded.get(name);
    const versions = loaded?.executedVersions ?? [];
    const folders = new Set(loaded?.executedFolders ?? []);
    const changes = patches.flatMap((p) => p.changes);
    // Where each version of the package is written: other copies (an old version kept nested for
    // another dependent) are not the change's.
    const writtenAt = (version: string): string[] =>
      changes.flatMap((c) =>
        (c.kind === 'lock' || c.kind === 'add') && c.name === name && c.to === version ? c.locations : [],
      );
    const touched = new Set(
      changes.flatMap((c) =>
        c.kind === 'remove' || ((c.kind === 'lock' || c.kind === 'add') && c.name === name)
          ? c.locations
          : [],
      ),
    );
    return changes.some((c) => {
      if ((c.kind !== 'lock' && c.kind !== 'manifest') || c.name !== name) return false;
      if (npmLayout && c.kind === 'lock') return c.locations.some((l) => folders.has(l));
      if (npmLayout && c.kind === 'manifest') {
        // Where the new version is written; for a range raised in place (which the plan's lock
        // changes leave out), the folder the importer finds it in. When the new version is
        // written elsewhere, the folder it was found in keeps the old one.
        const at = locate?.(c.importer, c.dependency);
        const written = writtenAt(c.to);
        const where = written.length > 0 ? written : at !== undefined && !touched.has(at) ? [at] : [];
        if (where.length > 0) return where.some((l) => folders.has(l));
      }
      if (c.kind === 'lock' || npmLayout) return versions.includes(c.to);
      // yarn and pnpm choose a raised range's version their own way: one in the new range.
      return versions.some((v) => v !== c.from && satisfiesSpec(v, c.toRange));
    });
  });
};

/** Where an importer of an npm inventory finds a dependency: its install folder, node's lookup. */
export const locateIn =
  (inventory: Inventory) =>
  (importer: string, dependency: string): string | undefined =>
    resolveFrom(importer, dependency, (key) => key !== '' && inventory.packages.has(key));

/** The reasons that set the level, as one sentence. */
const reasonText = (verdict: Verdict): string => {
  const binding = verdict.reasons.filter((r) => r.effect === 'cap' && r.level === verdict.level);
  const text = binding.map((r) => `${r.rule}: ${r.evidence}`).join('; ');
  return `level ${verdict.level}${text ? ` (${text})` : ''}`;
};

const groupId = (ids: readonly string[]): string => {
  let h = 0;
  for (const ch of [...ids].sort().join(',')) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(8, '0');
};

/**
 * The patches that break the tests, by halving: a half whose tests pass holds no culprit; a
 * single failing patch is one; when both halves pass but the whole fails, the patches break only
 * together and all of them are held back.
 */
const bisect = async (
  patches: readonly Patch[],
  base: string,
  attempt: (patches: readonly Patch[], at: string, branch: string | undefined) => Promise<Attempt>,
): Promise<{ patch: Patch; attempt: Attempt }[]> => {
  if (patches.length === 1) {
    const a = await attempt(patches, base, undefined);
    return a.stop ? [{ patch: patches[0] as Patch, attempt: a }] : [];
  }
  const middle = Math.ceil(patches.length / 2);
  const left = await bisect(patches.slice(0, middle), base, attempt);
  const right = await bisect(patches.slice(middle), base, attempt);
  if (left.length > 0 || right.length > 0) return [...left, ...right];
  const together = await attempt(patches, base, undefined);
  return together.stop ? patches.map((patch) => ({ patch, attempt: together })) : [];
};

export type { Level };
