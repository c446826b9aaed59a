import type { Patch } from './plan.js';
import type { Level, Verdict } from './verdict.js';

/**
 * `fix`'s nouns: a `Change` is a patch that was applied in a worktree, with what happened to it
 * (tests, proof, the level its evidence earned, and whether it was merged, proposed, reported or
 * dropped). Plain data; docs/fix.md documents the JSON form.
 */

/**
 * - `merged`: every check passed and policy allows level 3; the base branch has it.
 * - `proposed`: committed on its branch `patchpilot/<id>` for a human (level 2, or a merge that
 *   could not happen: a dirty working tree, a moved base branch).
 * - `reported`: level 1; no branch, the reasons say why.
 * - `held-back`: the project's tests (or build) failed with it; dropped, the output recorded.
 * - `unproven`: the re-resolved tree still has a finding it targets, or a new one: not a fix.
 * - `failed`: it could not be applied (a stale plan, the package manager failed, the install failed).
 * - `tested`: a dry run went through tests and proof; nothing was committed or merged.
 */
export type ChangeStatus =
  | 'merged'
  | 'proposed'
  | 'reported'
  | 'held-back'
  | 'unproven'
  | 'failed'
  | 'tested';

export type ChangeStage = 'apply' | 'regenerate' | 'install' | 'build' | 'test' | 'proof' | 'merge';

/** One command `fix` ran for the change: the package manager's, the build's, the tests'. */
export interface CommandEvidence {
  readonly command: string;
  readonly code: number | undefined;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** The end of its output (stdout and stderr interleaved). */
  readonly output: string;
}

export interface ChangeTests {
  /** False when the project has no build or test command (nothing ran). */
  readonly ran: boolean;
  readonly passed: boolean;
  readonly durationMs: number;
  readonly commands: readonly CommandEvidence[];
  /** The changed packages the tests loaded and executed (from V8 coverage), sorted. */
  readonly exercised: readonly string[];
  /** The changed packages they never loaded, sorted. */
  readonly notExercised: readonly string[];
}

export interface ChangeProof {
  readonly proven: boolean;
  /** Findings (`ID name@version`) the patch targets that the new lockfile still has. */
  readonly stillPresent: readonly string[];
  /** Findings the new lockfile has that the old one did not. */
  readonly introduced: readonly string[];
  /** The targeted findings (`ID name@version`) the new lockfile no longer has. */
  readonly fixed: readonly string[];
}

export interface Change {
  /** The patch id (`Patch.id`). */
  readonly id: string;
  readonly patch: Patch;
  readonly status: ChangeStatus;
  /** The level the evidence earned (the verdict's), whatever happened after. */
  readonly level: Level;
  readonly verdict: Verdict;
  /** One sentence: why it ended where it did. */
  readonly reason: string;
  /** The commit it was tried on. */
  readonly base: string;
  /** `patchpilot/<id>` (or the group's) when a branch holds it. */
  readonly branch?: string;
  /** The change's own commit (on its branch, and on the base branch once merged). */
  readonly commit?: string;
  /** The commit the base branch moved to (the change's commit, or a merge commit). */
  readonly merged?: {
    readonly branch: string;
    readonly commit: string;
    readonly mode: 'fast-forward' | 'merge-commit';
  };
  /** Which patches were tried together (group mode), including this one. */
  readonly group?: readonly string[];
  readonly commands: readonly CommandEvidence[];
  readonly tests?: ChangeTests;
  readonly proof?: ChangeProof;
  /** Where and why it stopped, for held-back, unproven and failed changes. */
  readonly failure?: { readonly stage: ChangeStage; readonly text: string };
}
