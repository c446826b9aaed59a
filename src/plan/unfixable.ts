import type { Finding } from '../core/finding.js';
import {
  type Alternative,
  type OverrideManager,
  type OverrideNote,
  overrideField,
  type PlanOptions,
  type Unfixable,
  type UnfixableReason,
  upgradeLevelOf,
} from '../core/plan.js';
import { compareVersions } from '../core/version.js';
import type { BlockedFix, Candidate } from './context.js';
import { affectedByRecords, type Baseline, findingKey, refOf } from './evaluate.js';
import { overrideKeyShown } from './overrides.js';
import type { PeekMetadata } from './patch.js';
import { effectiveSpec } from './resolve.js';
import { parseSpec, satisfiesSpec, sortedVersions } from './versions.js';

/**
 * Why a targeted finding stays, in words a human can act on, and what would fix it anyway.
 * Reasons are checked from the most to the least fundamental: a candidate that fixes it exists
 * but introduces a finding or conflicts; a fix exists that `--upgrade-config` forbids; the registry
 * does not know the package; no fixed version is published; the package may not change, ships
 * inside another tarball, or an override pins it; a fixed version fits every range but its
 * dependencies cannot be met; the dependents' ranges exclude every fixed version.
 */

export interface UnfixableContext {
  readonly baseline: Baseline;
  readonly options: PlanOptions;
  readonly peek: PeekMetadata;
  readonly candidates: readonly Candidate[];
  readonly blocked: readonly BlockedFix[];
  /** The candidates the plan took. */
  readonly chosen: readonly Candidate[];
}

const label = (baseline: Baseline, location: string): string => {
  const node = baseline.tree.nodes.get(location);
  if (!node) return location;
  if (node.importer) return node.location === '' ? 'the root package.json' : `workspace ${node.location}`;
  return `${node.name}@${node.version}`;
};

/** `an npm "overrides" entry`, `a yarn "resolutions" entry`, `a pnpm "pnpm.overrides" entry`. */
const overrideEntry = (manager: OverrideManager): string =>
  `${manager === 'npm' ? 'an' : 'a'} ${manager} "${overrideField(manager)}" entry`;

const describeCandidate = (c: Candidate): string =>
  c.patch.changes
    .flatMap((x) => {
      if (x.kind === 'manifest') return [`${x.dependency} ${x.fromRange} → ${x.toRange}`];
      if (x.kind === 'lock') return [`${x.name} ${x.from} → ${x.to}`];
      if (x.kind === 'override')
        return [
          x.to === undefined
            ? `remove ${overrideField(x.manager)} "${x.key}"`
            : `${overrideField(x.manager)} "${x.key}": "${x.to}"${x.from === undefined ? '' : ` (was "${x.from}")`}`,
        ];
      return [];
    })
    .join(', ');

const result = (
  f: Finding,
  reason: UnfixableReason,
  text: string,
  alternatives: Alternative[] = [],
): Unfixable => ({ finding: refOf(f), reason, text, alternatives });

export const explainUnfixable = (ctx: UnfixableContext, f: Finding): Unfixable => {
  const { baseline, options } = ctx;
  const key = findingKey(f);
  const name = f.package.name;
  const at = `${name}@${f.package.version}`;

  const fixers = ctx.candidates.filter((c) => c.evaluation.fixes.some((x) => findingKey(x) === key));
  if (fixers.length > 0) {
    const clean = fixers.filter((c) => c.evaluation.introduces.length === 0);
    if (clean.length === 0) {
      const first = fixers[0] as Candidate;
      const added = first.evaluation.introduces.map(
        (i) => `${i.id} (${i.name}@${i.version}${i.kind === 'malicious' ? ', malicious' : ''})`,
      );
      return result(
        f,
        'would-introduce',
        `every fix found introduces a new finding: ${describeCandidate(first)} would add ${added.join(', ')}`,
        fixers.map((c) => ({
          kind: 'patch' as const,
          patch: c.patch.id,
          text: `${describeCandidate(c)} (introduces ${c.patch.introduces.map((i) => i.id).join(', ')})`,
        })),
      );
    }
    const first = clean[0] as Candidate;
    const blocking = ctx.chosen.filter((c) =>
      [...c.evaluation.footprint].some((x) => first.evaluation.footprint.has(x)),
    );
    return result(
      f,
      'conflict',
      blocking.length > 0
        ? `${describeCandidate(first)} would fix it, but it changes the same packages as the chosen ${blocking.map(describeCandidate).join('; ')}`
        : `${describeCandidate(first)} would fix it, but not together with the patches chosen before it`,
      clean.map((c) => ({ kind: 'patch' as const, patch: c.patch.id, text: describeCandidate(c) })),
    );
  }

  const blocked = ctx.blocked.filter((b) => b.findings.includes(key));
  if (blocked.length > 0) {
    const b = blocked[0] as BlockedFix;
    const what =
      b.dependency === undefined
        ? `${b.name} ${b.from} → ${b.to}`
        : `${b.dependency} → ${b.range} (${b.name} ${b.from} → ${b.to})`;
    return result(
      f,
      b.step === 'major' ? 'major-forbidden' : 'upgrade-forbidden',
      `the fix needs a ${b.step} upgrade, ${what}, which --upgrade-config ${b.name}:${b.level} forbids`,
      blocked.map((x) => ({
        kind: x.step === 'major' ? ('major-upgrade' as const) : ('upgrade' as const),
        name: x.name,
        version: x.to,
        text:
          x.dependency === undefined
            ? `${x.step} upgrade of ${x.name} to ${x.to}`
            : `${x.step} upgrade of ${x.dependency} to ${x.to} (range ${x.range})`,
      })),
    );
  }

  // A lockfile entry nothing installs (npm keeps such entries until a prune): no change to what is
  // installed moves it, and dropping the entry removes the finding.
  if (f.locations.length > 0 && f.locations.every((l) => !baseline.reached.has(l))) {
    const fresh = baseline.manager === 'npm' ? 'npm prune' : `a fresh ${baseline.manager} install`;
    return result(
      f,
      'extraneous',
      `${at} is in the lockfile, but no dependency of the project installs it; ${fresh} drops the entry`,
      [{ kind: 'remove', name, text: `drop the extraneous ${at} from the lockfile (${fresh})` }],
    );
  }

  const meta = ctx.peek(name);
  if (!meta)
    return result(f, 'not-in-registry', `${name} is not in the registry, so no other version can be found`);
  const versions = sortedVersions(meta);
  const fixed = versions.filter((v) => !affectedByRecords(baseline, name, v, f.advisories));
  const upgrades = fixed.filter((v) => compareVersions(v, f.package.version) > 0);
  if (upgrades.length === 0) {
    const alternatives: Alternative[] = [];
    const lower = fixed.filter((v) => compareVersions(v, f.package.version) < 0).at(-1);
    if (lower !== undefined) {
      alternatives.push({ kind: 'downgrade', name, version: lower, text: `downgrade ${name} to ${lower}` });
    }
    if (f.remedy)
      alternatives.push({
        kind: f.remedy.action === 'upgrade' ? 'upgrade' : 'remove',
        name,
        text: f.remedy.text,
      });
    else if (lower === undefined)
      alternatives.push({ kind: 'remove', name, text: `remove or replace ${name}` });
    const highest = versions.at(-1);
    return result(
      f,
      'no-fix-published',
      `no published version of ${name} above ${f.package.version} is free of ${f.id}${highest === undefined ? '' : ` (highest: ${highest})`}`,
      alternatives,
    );
  }
  const target = options.preferHighest ? (upgrades.at(-1) as string) : (upgrades[0] as string);
  const override: Alternative = {
    kind: 'override',
    name,
    version: target,
    text: `${overrideEntry(baseline.manager)} "${name}": "${target}" (forces it past the dependents' ranges; test it)`,
  };

  if (upgradeLevelOf(options.upgradeConfig, name) === 'none') {
    return result(f, 'upgrade-forbidden', `--upgrade-config ${name}:none forbids changing ${name}`, [
      override,
    ]);
  }
  const locations = f.locations.filter((l) => baseline.reached.has(l));
  const nodes = locations.map((l) => baseline.tree.nodes.get(l));
  if (nodes.length > 0 && nodes.every((n) => n?.bundled)) {
    const parents = [
      ...new Set(
        locations.flatMap((l) => (baseline.dependents.get(l) ?? []).map((d) => label(baseline, d.from))),
      ),
    ];
    return result(
      f,
      'bundled',
      `${at} ships inside the tarball of ${parents.join(', ') || 'its parent'}; only a new version of that package changes it`,
    );
  }

  const dependents = locations.flatMap((l) => baseline.dependents.get(l) ?? []);
  const pins = dependents
    .map((d) => ({ d, eff: effectiveSpec(baseline, baseline.tree, d.from, d.decl) }))
    .filter(({ eff }) => eff.rule !== undefined && !upgrades.some((v) => satisfiesSpec(v, eff.spec)));
  if (pins.length > 0) {
    const rule = pins[0]?.eff.rule;
    return result(
      f,
      'override-pins',
      `the project's ${overrideField(baseline.manager)} entry "${rule ? overrideKeyShown(rule, baseline.manager) : ''}": "${rule?.value}" keeps ${name} at an affected version; raise it to ${target} or remove it`,
      [override],
    );
  }

  const specs = dependents.map((d) => ({
    d,
    spec: parseSpec(effectiveSpec(baseline, baseline.tree, d.from, d.decl).spec),
  }));
  const accepted = upgrades.filter((v) => specs.every((s) => satisfiesSpec(v, s.spec)));
  if (accepted.length > 0 && !options.strategies.includes('in-place')) {
    return result(
      f,
      'strategy-disabled',
      `${name}@${accepted[0]} is accepted by every dependent: the in-place strategy (not enabled) would move it there`,
      [override],
    );
  }
  if (accepted.length > 0) {
    const how = options.dependencies === 'existing' ? 'by the dependencies it has now' : 'by resolving them';
    return result(
      f,
      'dependencies-unresolvable',
      `${name}@${accepted[0]} is accepted by every dependent, but its own dependencies cannot be met ${how}`,
      [override],
    );
  }
  const excluding = specs
    .filter((s) => !upgrades.some((v) => satisfiesSpec(v, s.spec)))
    .map((s) => `${label(baseline, s.d.from)} requires ${s.d.decl.spec}`);
  const alternatives: Alternative[] = [override];
  if (!options.strategies.includes('relax')) {
    alternatives.push({
      kind: 'upgrade',
      text: 'the relax strategy (not enabled) may fix it by raising a direct dependency',
    });
  }
  return result(
    f,
    'ranges-exclude-fixes',
    `${[...new Set(excluding)].slice(0, 3).join('; ') || 'its dependents'}, excluding every fixed version (${upgrades[0]} and later), and raising no direct dependency's range removes it`,
    alternatives,
  );
};

/** Overrides of the project that keep an affected version installed. */
export const overrideNotes = (
  baseline: Baseline,
  peek: PeekMetadata,
  findings: readonly Finding[],
): OverrideNote[] => {
  const notes: OverrideNote[] = [];
  const seen = new Set<string>();
  if (baseline.overrides.length === 0) return notes;
  for (const f of findings) {
    const meta = peek(f.package.name);
    const fixed = meta
      ? sortedVersions(meta).filter((v) => !affectedByRecords(baseline, f.package.name, v, f.advisories))
      : [];
    for (const l of f.locations) {
      for (const d of baseline.dependents.get(l) ?? []) {
        const eff = effectiveSpec(baseline, baseline.tree, d.from, d.decl);
        if (!eff.rule) continue;
        const shown = overrideKeyShown(eff.rule, baseline.manager);
        const key = `${shown}\u0000${findingKey(f)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const allowsFix = fixed.some((v) => satisfiesSpec(v, eff.spec));
        notes.push({
          key: shown,
          value: eff.rule.value,
          finding: refOf(f),
          text: allowsFix
            ? `${overrideField(baseline.manager)} "${shown}": "${eff.rule.value}" covers ${f.package.name}@${f.package.version} (${f.id}); it allows a fixed version`
            : `${overrideField(baseline.manager)} "${shown}": "${eff.rule.value}" pins ${f.package.name} to versions affected by ${f.id}`,
        });
      }
    }
  }
  return notes;
};
