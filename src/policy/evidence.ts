import type { Finding } from '../core/finding.js';
import { type EdgeType, type Inventory, type Scope, scopeOrder } from '../core/inventory.js';
import {
  type FindingRef,
  findingRefKey,
  type Patch,
  type Plan,
  type SemverStep,
  type Unfixable,
} from '../core/plan.js';
import type { Evidence, FindingFacts, PackageMove, ProofEvidence, TestEvidence } from '../core/verdict.js';

/**
 * Plan × what is known about its findings → `Evidence` per subject. Pure. At plan time the
 * evidence is the plan's risk facts, the installed scopes, and the findings' severity, KEV and
 * EPSS facts; `fix` adds the test runs and proofs later (`tests`, `proofs`, by patch id).
 */

export interface EvidenceContext {
  /** The project's findings (as scanned: KEV, EPSS, scope attached); unknown ones get plain facts. */
  readonly findings: readonly Finding[];
  /** The scanned tree, for the scopes of the packages a change moves. */
  readonly inventory?: Inventory;
  readonly tests?: ReadonlyMap<string, TestEvidence>;
  readonly proofs?: ReadonlyMap<string, ProofEvidence>;
}

/** Whether a patch writes an `overrides` / `resolutions` entry (removing a stale one does not count). */
export const usesOverride = (patch: Patch): boolean =>
  patch.strategy === 'override' || patch.changes.some((c) => c.kind === 'override' && c.action !== 'remove');

/** The key of a finding nothing fixes, in the evidence map and in `explain`: `ID name@version`. */
export const findingSubjectKey = (ref: FindingRef): string => `${ref.id} ${ref.name}@${ref.version}`;

const edgeScope: Readonly<Record<EdgeType, Scope>> = {
  prod: 'prod',
  dev: 'dev',
  optional: 'optional',
  peer: 'peer',
};

const sortScopes = (scopes: Iterable<Scope>): Scope[] =>
  [...new Set(scopes)].sort((a, b) => scopeOrder.indexOf(a) - scopeOrder.indexOf(b));

/** Every subject's evidence: chosen patches and alternatives by patch id, unfixable findings by `findingSubjectKey`. */
export const gatherEvidence = (plan: Plan, context: EvidenceContext): Map<string, Evidence> => {
  const byKey = new Map<string, Finding>();
  for (const f of context.findings) byKey.set(findingRefKey(refOf(f)), f);
  // Who can fix what: a finding a single viable candidate fixes has no other fix to wait for.
  const fixers = new Map<string, Set<string>>();
  for (const p of [...plan.patches, ...plan.alternatives]) {
    if (p.introduces.length > 0) continue;
    for (const ref of p.fixes) {
      const key = findingRefKey(ref);
      const set = fixers.get(key) ?? new Set<string>();
      set.add(p.id);
      fixers.set(key, set);
    }
  }
  const facts = (ref: FindingRef, patchId: string | undefined): FindingFacts => {
    const key = findingRefKey(ref);
    const f = byKey.get(key);
    const others = [...(fixers.get(key) ?? [])].filter((id) => id !== patchId);
    return {
      id: ref.id,
      name: ref.name,
      version: ref.version,
      severity: f?.severity ?? 'unknown',
      scope: f?.scope,
      kind: f?.kind,
      ...(f?.kev ? { kev: { cve: f.kev.cve, dateAdded: f.kev.dateAdded } } : {}),
      ...(f?.epss ? { epss: { cve: f.epss.cve, score: f.epss.score } } : {}),
      onlyFix: patchId !== undefined && others.length === 0,
    };
  };

  const out = new Map<string, Evidence>();
  for (const patch of [...plan.patches, ...plan.alternatives]) {
    if (out.has(patch.id)) continue;
    const findings = patch.fixes.map((ref) => facts(ref, patch.id));
    const tests = context.tests?.get(patch.id);
    const proof = context.proofs?.get(patch.id);
    out.set(patch.id, {
      risk: patch.risk,
      strategy: patch.strategy,
      override: usesOverride(patch),
      packages: changedPackages(patch),
      scopes: changedScopes(patch, context.inventory, findings),
      moves: packageMoves(patch, context.inventory),
      findings,
      ...(tests ? { tests } : {}),
      ...(proof ? { proof } : {}),
    });
  }
  for (const u of plan.unfixable)
    out.set(findingSubjectKey(u.finding), unfixableEvidence(u, facts(u.finding, undefined)));
  return out;
};

const refOf = (f: Finding): FindingRef => ({ id: f.id, name: f.package.name, version: f.package.version });

/** The names a patch moves (lock and manifest changes), sorted: what tests must load, what caps match. */
export const changedPackages = (patch: Patch): string[] => {
  const names = new Set<string>();
  for (const c of patch.changes) {
    if (c.kind === 'lock' || c.kind === 'manifest' || (c.kind === 'override' && c.action !== 'remove')) {
      names.add(c.name);
    }
  }
  return [...names].sort();
};

const stepOrder: readonly SemverStep[] = ['none', 'patch', 'minor', 'major'];

/** Each package the patch moves, on its own (`Evidence.moves`), by name. */
const packageMoves = (patch: Patch, inventory: Inventory | undefined): PackageMove[] => {
  const moves = new Map<
    string,
    { step: SemverStep; downgrade: boolean; scopes: Scope[]; override: boolean }
  >();
  const of = (name: string) => {
    let move = moves.get(name);
    if (!move) {
      move = { step: 'none', downgrade: false, scopes: [], override: false };
      moves.set(name, move);
    }
    return move;
  };
  for (const c of patch.changes) {
    if (c.kind === 'override' && c.action !== 'remove') of(c.name).override = true;
    if (c.kind !== 'lock' && c.kind !== 'manifest') continue;
    const move = of(c.name);
    if (stepOrder.indexOf(c.step) > stepOrder.indexOf(move.step)) move.step = c.step;
    if (c.downgrade) move.downgrade = true;
    if (c.kind === 'manifest') move.scopes.push(edgeScope[c.type]);
    else
      for (const location of c.locations) {
        const scope = inventory?.packages.get(location)?.scope;
        if (scope) move.scopes.push(scope);
      }
  }
  return [...moves.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, m]) => ({ name, ...m, scopes: sortScopes(m.scopes) }));
};

/**
 * Where the moved packages are installed: the inventory's scope of each changed location, the
 * dependency type of each raised range. Without an inventory, the fixed findings' scopes.
 */
const changedScopes = (
  patch: Patch,
  inventory: Inventory | undefined,
  findings: readonly FindingFacts[],
): Scope[] => {
  const scopes: Scope[] = [];
  for (const c of patch.changes) {
    if (c.kind === 'manifest') scopes.push(edgeScope[c.type]);
    if (c.kind !== 'lock' || !inventory) continue;
    for (const location of c.locations) {
      const scope = inventory.packages.get(location)?.scope;
      if (scope) scopes.push(scope);
    }
  }
  if (scopes.length === 0) for (const f of findings) if (f.scope) scopes.push(f.scope);
  return sortScopes(scopes);
};

/** The evidence of a finding nothing fixes: the finding alone. */
export const unfixableEvidence = (u: Unfixable, facts?: FindingFacts): Evidence => {
  const finding: FindingFacts = facts ?? {
    id: u.finding.id,
    name: u.finding.name,
    version: u.finding.version,
    severity: 'unknown',
    scope: undefined,
    kind: undefined,
    onlyFix: false,
  };
  return {
    override: false,
    packages: [u.finding.name],
    scopes: finding.scope ? [finding.scope] : [],
    findings: [finding],
  };
};

/** The evidence of a patch from the patch alone, when no context was gathered for it. */
export const patchEvidence = (patch: Patch): Evidence => ({
  risk: patch.risk,
  strategy: patch.strategy,
  override: usesOverride(patch),
  packages: changedPackages(patch),
  scopes: [],
  findings: patch.fixes.map((ref) => ({
    id: ref.id,
    name: ref.name,
    version: ref.version,
    severity: 'unknown',
    scope: undefined,
    kind: undefined,
    onlyFix: false,
  })),
});
