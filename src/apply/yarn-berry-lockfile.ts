import { validRange } from 'semver';
import type { LockChange } from '../core/plan.js';
import type { PackageVersion } from '../registry/types.js';
import { rewriteEntries, sharedEntryProblem, sorted, type YarnEditResult } from './yarn-lockfile.js';

/**
 * Moves locked packages in a yarn berry (2, 3, 4) `yarn.lock`, as text in, text out: the entry
 * that resolves `name` to `name@npm:from` gets `to`'s version, resolution and dependencies, and
 * loses its `checksum`, which is a hash of yarn's own cache archive; `yarn install
 * --mode=update-lockfile` fetches the new version, writes the checksum back and locks the new
 * version's new dependencies (it keeps an entry's resolution while its descriptors still hold).
 * Other fields (`bin`, `conditions`, `languageName`, `linkType`) stay as they were.
 */

/** berry's syml quotes keys that start with `@` or hold characters YAML would read otherwise. */
const key = (name: string): string => (/^[a-zA-Z0-9][\w.-]*$/.test(name) ? name : JSON.stringify(name));

/** A dependency's range as berry locks it: npm ranges under the `npm:` protocol. */
const lockedRange = (range: string): string =>
  validRange(range) !== null && !range.includes(':') ? `npm:${range}` : range;

const fieldsReplaced = new Set([
  'version',
  'resolution',
  'dependencies',
  'dependenciesMeta',
  'peerDependencies',
  'peerDependenciesMeta',
  'checksum',
]);

export const editYarnBerryLockfile = (
  content: string,
  changes: readonly LockChange[],
  versionOf: (name: string, version: string) => PackageVersion | undefined,
): YarnEditResult => {
  const problems: string[] = [];
  const done = new Set<LockChange>();
  const rewritten = rewriteEntries(content, (line, body) => {
    const out: string[] = [];
    const resolution = body
      .find((l) => /^ {2}resolution: /.test(l))
      ?.replace(/^ {2}resolution:\s+"?([^"]*)"?\s*$/, '$1');
    // The resolution names the registry package (an alias's descriptor names the alias).
    const change = changes.find((c) => resolution === `${c.name}@npm:${c.from}`);
    if (!change) {
      return undefined;
    }
    const descriptors = line
      .replace(/:\s*$/, '')
      .replace(/^"|"$/g, '')
      .split(/,\s*/)
      .map((d) => d.trim());
    const target = versionOf(change.name, change.to);
    const problem =
      sharedEntryProblem(descriptors, change) ??
      (target ? undefined : `${change.name}@${change.to}: not in the registry's document`);
    if (problem || !target) {
      problems.push(problem ?? `${change.name}@${change.to}: not in the registry's document`);
      done.add(change);
      return undefined;
    }
    out.push(line, `  version: ${change.to}`, `  resolution: "${change.name}@npm:${change.to}"`);
    const deps = sorted(target.dependencies);
    if (deps.length > 0) {
      out.push('  dependencies:');
      for (const [dep, range] of deps) out.push(`    ${key(dep)}: ${JSON.stringify(lockedRange(range))}`);
    }
    const optional = sorted(target.optionalDependencies);
    if (optional.length > 0) {
      out.push('  dependenciesMeta:');
      for (const [dep] of optional) out.push(`    ${key(dep)}:`, '      optional: true');
    }
    const peers = sorted(target.peerDependencies);
    if (peers.length > 0) {
      out.push('  peerDependencies:');
      for (const [dep, range] of peers) out.push(`    ${key(dep)}: ${JSON.stringify(range)}`);
      const optionalPeers = peers.filter(([dep]) => target.peerDependenciesMeta[dep]?.optional === true);
      if (optionalPeers.length > 0) {
        out.push('  peerDependenciesMeta:');
        for (const [dep] of optionalPeers) out.push(`    ${key(dep)}:`, '      optional: true');
      }
    }
    // The fields kept, each with its nested lines.
    let keep = false;
    for (const l of body) {
      if (/^ {2}\S/.test(l)) keep = !fieldsReplaced.has(l.trim().replace(/:.*$/, ''));
      if (keep) out.push(l);
    }
    done.add(change);
    return out;
  });
  for (const change of changes) {
    if (!done.has(change))
      problems.push(`${change.name}@${change.from}: not locked from the npm registry in yarn.lock`);
  }
  return { content: rewritten, problems };
};
