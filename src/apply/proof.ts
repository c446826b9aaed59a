import type { ChangeProof } from '../core/change.js';
import type { Finding } from '../core/finding.js';
import type { Patch } from '../core/plan.js';
import { changedPackages } from '../policy/evidence.js';

/**
 * The proof of fix, pure: the findings of the tree before and of the re-resolved tree after. A
 * targeted finding (a vulnerability at a name@version) is fixed only when no path of the new tree
 * still installs that version, or a version the patch moved it to, with that vulnerability. A
 * vulnerability the new tree has on a package it did not affect before makes the change
 * unproven too.
 */

export const findingKey = (f: Finding): string => `${f.id} ${f.package.name}@${f.package.version}`;

/** The packages a patch moves or adds. */
const touched = (patch: Patch): Set<string> =>
  new Set([...changedPackages(patch), ...patch.changes.flatMap((c) => (c.kind === 'add' ? [c.name] : []))]);

export const proveFix = (
  patch: Patch,
  before: readonly Finding[],
  after: readonly Finding[],
  /** The other patches tried in the same tree (group mode): new findings are laid at the door of the one that moved the package. */
  together: readonly Patch[] = [patch],
): ChangeProof => {
  const stillPresent: string[] = [];
  const fixed: string[] = [];
  // The versions each name is at after this patch, as the patch states them: a targeted
  // vulnerability still affecting a version the patch installs is not fixed.
  const installs = (name: string): Set<string> =>
    new Set(
      patch.changes.flatMap((c) =>
        (c.kind === 'lock' || c.kind === 'manifest' || c.kind === 'add') && c.name === name ? [c.to] : [],
      ),
    );
  for (const ref of patch.fixes) {
    // The finding is the vulnerability at that version: the same version left on any path keeps
    // it, and so does a version the patch moved the package to that it still affects.
    const versions = installs(ref.name).add(ref.version);
    const same = (f: Finding): boolean =>
      f.package.name === ref.name && (f.id === ref.id || f.aliases.includes(ref.id));
    // Versions the vulnerability affected before: another copy there is another finding, another
    // patch's business. A version it affects now and did not before is where this one landed (the
    // package manager may pick another version than the plan said): not fixed either.
    const known = new Set(before.filter(same).map((f) => f.package.version));
    const left = after.filter(
      (f) => same(f) && (versions.has(f.package.version) || !known.has(f.package.version)),
    );
    if (left.length > 0) stillPresent.push(...left.map(findingKey));
    else fixed.push(`${ref.id} ${ref.name}@${ref.version}`);
  }
  // New: a vulnerability on a package that it did not affect anywhere before. One that affected
  // the package before and still affects its new version is a risk fact the plan stated
  // (`stillAffectedBy`), not a new finding.
  const old = new Set(before.map((f) => `${f.id} ${f.package.name}`));
  const mine = touched(patch);
  const anyoneMoved = (name: string): boolean => together.some((p) => touched(p).has(name));
  const introduced = after
    .filter((f) => !old.has(`${f.id} ${f.package.name}`))
    .filter((f) => mine.has(f.package.name) || !anyoneMoved(f.package.name))
    .map(findingKey);
  const unique = (list: string[]): string[] => [...new Set(list)].sort();
  const still = unique(stillPresent);
  const added = unique(introduced);
  return {
    proven: still.length === 0 && added.length === 0,
    stillPresent: still,
    introduced: added,
    fixed: unique(fixed),
  };
};
