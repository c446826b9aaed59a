import type { Finding } from '../../core/finding.js';
import { levelAllows, upgradeLevelOf } from '../../core/plan.js';
import { compareVersions } from '../../core/version.js';
import type { PackageMetadata } from '../../registry/types.js';
import type { BlockedFix, Candidate, Strategy, StrategyContext } from '../context.js';
import { affectedByRecords, type Baseline, findingKey } from '../evaluate.js';
import { buildPatch } from '../patch.js';
import { effectiveSpec } from '../resolve.js';
import { parseSpec, satisfiesSpec, sortedVersions, stepBetween } from '../versions.js';

/**
 * in-place: move a locked package (direct or transitive) to another published version that every
 * dependent's declared range already accepts; the manifests do not change.
 *
 * Per vulnerable name@version (all its install locations move together), findings are taken in
 * id order; one that a candidate found so far already fixes is absorbed by it, otherwise the
 * versions are searched in order of preference for the first one that (1) every dependent's
 * range accepts, after the project's overrides (a dist-tag accepts any version), (2) the finding's
 * vulnerability does not affect, (3) `--upgrade-config` allows, (4) whose own dependencies can be
 * met (resolved as npm would, or with `dependencies: existing` by the current ones), and (5) by
 * default, introduces no finding; when every version that fixes a finding introduces one, the
 * first such is still returned, for the plan to explain why it was not taken.
 *
 * Order of preference: the lowest fixed version above the current one, then (only when no upgrade
 * qualifies) the nearest lower one; with `preferHighest`, every version highest first.
 */

export const versionOrder = (meta: PackageMetadata, current: string, preferHighest: boolean): string[] => {
  const all = sortedVersions(meta).filter((v) => v !== current);
  if (preferHighest) return [...all].reverse();
  const up = all.filter((v) => compareVersions(v, current) > 0);
  const down = all.filter((v) => compareVersions(v, current) < 0).reverse();
  return [...up, ...down];
};

/** The specs (after overrides) of every dependent of the given locations. */
export const dependentSpecs = (baseline: Baseline, locations: readonly string[]): string[] => {
  const specs: string[] = [];
  for (const location of locations) {
    for (const d of baseline.dependents.get(location) ?? []) {
      specs.push(effectiveSpec(baseline, baseline.tree, d.from, d.decl).spec);
    }
  }
  return specs;
};

interface Group {
  readonly name: string;
  readonly version: string;
  readonly findings: Finding[];
}

export const groupTargets = (targeted: readonly Finding[]): Group[] => {
  const groups = new Map<string, Group>();
  for (const f of targeted) {
    const key = `${f.package.name}@${f.package.version}`;
    const group = groups.get(key);
    if (group) group.findings.push(f);
    else groups.set(key, { name: f.package.name, version: f.package.version, findings: [f] });
  }
  return [...groups.values()];
};

export const inPlace: Strategy = async (ctx) => {
  const groups = groupTargets(ctx.targeted);
  await ctx.cache.fetch(groups.map((g) => g.name));
  const results = await Promise.all(groups.map((g) => planGroup(ctx, g)));
  return {
    candidates: results.flatMap((r) => r.candidates),
    blocked: results.flatMap((r) => r.blocked),
  };
};

const planGroup = async (
  ctx: StrategyContext,
  group: Group,
): Promise<{ candidates: Candidate[]; blocked: BlockedFix[] }> => {
  const { baseline, options } = ctx;
  const candidates: Candidate[] = [];
  const blocked: BlockedFix[] = [];
  const meta = ctx.cache.peek(group.name);
  if (!meta) return { candidates, blocked };
  const locations = [...baseline.reached].filter((at) => {
    const node = baseline.tree.nodes.get(at);
    return (
      node?.source === 'registry' &&
      node.name === group.name &&
      node.version === group.version &&
      !node.bundled
    );
  });
  if (locations.length === 0) return { candidates, blocked };
  const level = upgradeLevelOf(options.upgradeConfig, group.name);
  if (level === 'none') return { candidates, blocked };
  const specs = dependentSpecs(baseline, locations).map((s) => parseSpec(s));
  const accepted = (v: string): boolean => specs.every((s) => satisfiesSpec(v, s));
  const order = versionOrder(meta, group.version, options.preferHighest).filter(accepted);
  const intentFor = (to: string) => ({
    kind: 'lock' as const,
    name: group.name,
    from: group.version,
    to,
    locations: [...locations].sort(),
  });
  const findings = [...group.findings].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const finding of findings) {
    const key = findingKey(finding);
    const absorbed = candidates.some(
      (c) =>
        (!options.avoidIntroducing || c.evaluation.introduces.length === 0) &&
        c.evaluation.fixes.some((f) => findingKey(f) === key),
    );
    if (absorbed) continue;
    let fallback: Candidate | undefined;
    let found = false;
    let blockedOne = false;
    for (const to of order) {
      if (affectedByRecords(baseline, group.name, to, finding.advisories)) continue;
      const step = stepBetween(group.version, to);
      if (!levelAllows(level, step)) {
        if (!blockedOne) {
          blockedOne = true;
          blocked.push({
            strategy: 'in-place',
            findings: [key],
            name: group.name,
            from: group.version,
            to,
            step,
            level,
          });
        }
        continue;
      }
      const evaluation = await ctx.evaluate([intentFor(to)]);
      if (!evaluation.ok || !evaluation.fixes.some((f) => findingKey(f) === key)) continue;
      const candidate: Candidate = {
        strategy: 'in-place',
        intents: evaluation.intents,
        evaluation,
        patch: buildPatch('in-place', evaluation, baseline, ctx.cache.peek, ctx.now),
      };
      if (options.avoidIntroducing && evaluation.introduces.length > 0) {
        fallback ??= candidate;
        continue;
      }
      if (!candidates.some((c) => c.patch.id === candidate.patch.id)) candidates.push(candidate);
      found = true;
      break;
    }
    if (!found && fallback && !candidates.some((c) => c.patch.id === fallback.patch.id))
      candidates.push(fallback);
  }
  return { candidates, blocked };
};
