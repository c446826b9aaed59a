import type { ChangeProof } from '../core/change.js';
import type { Finding } from '../core/finding.js';
import type { Patch } from '../core/plan.js';
import { changedPackages } from '../policy/evidence.js';

/**
 * The proof of fix, pure: the findings of the tree before and of the re-resolved tree after. A
 * targeted finding is fixed only when its vulnerability is gone from that package at every
 * version and on every path; any finding the tree after has that the tree before did not makes
 * the change unproven too.
 */

export const findingKey = (f: Finding): string => `${f.id} ${f.package.name}@${f.package.version}`;

/** A finding a VEX statement or an exception set aside still counts as present: it is there. */
const keysOf = (findings: readonly Finding[]): Set<string> => new Set(findings.map(findingKey));

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
  for (const ref of patch.fixes) {
    const left = after.filter(
      (f) => f.package.name === ref.name && (f.id === ref.id || f.aliases.includes(ref.id)),
    );
    if (left.length > 0) stillPresent.push(...left.map(findingKey));
    else fixed.push(`${ref.id} ${ref.name}@${ref.version}`);
  }
  const old = keysOf(before);
  const mine = touched(patch);
  const anyoneMoved = (name: string): boolean => together.some((p) => touched(p).has(name));
  const introduced = after
    .filter((f) => !old.has(findingKey(f)))
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
