import type { Finding, FindingVex } from '../core/finding.js';
import { canonicalNpmPurl, parseNpmPurlLoose } from '../core/purl.js';
import { type VexStatement, withRecordedBy } from '../core/vex.js';

/**
 * Findings × VEX statements → findings carrying `vex`. Pure.
 *
 * A statement names a finding when
 * - its vulnerability name or one of its aliases equals the finding's id, one of its aliases or one
 *   of its records' ids (case-insensitive), and
 * - one of its products names the finding's package: a `pkg:npm/` purl with the same name
 *   (percent-decoded, so `%40scope` and `@scope` are one) and either the same version or no version
 *   (every version). A product with subcomponents names its subcomponents instead, and only when
 *   the products name every importer (the project or its workspaces, by package name) that leads to
 *   the package: a library's statement about its own dependency says nothing about the other paths
 *   to that dependency in the project.
 *
 * When several statements name a finding, the one with the latest timestamp wins; on equal (or
 * missing) timestamps the one read last wins (the project's `.patchpilot/vex.json` first, then each
 * `--vex` file in the order given, statements in document order).
 *
 * Only `not_affected` suppresses. `affected` and `under_investigation` keep the finding. `fixed`
 * keeps it too: PatchPilot matched the installed version against the advisory's ranges, and a
 * statement that this very version is fixed contradicts that data (a patched fork says
 * `not_affected` with `vulnerable_code_not_present` instead); the status is shown, the finding stays.
 */
export const applyVex = (findings: readonly Finding[], statements: readonly VexStatement[]): Finding[] => {
  if (statements.length === 0) return [...findings];
  return findings.map((finding) => {
    const ids = new Set(
      [finding.id, ...finding.aliases, ...finding.advisories].map((id) => id.toUpperCase()),
    );
    let chosen: VexStatement | undefined;
    for (const statement of statements) {
      if (!namesVulnerability(statement, ids) || !namesPackage(statement, finding)) continue;
      if (chosen === undefined || timeOf(statement) >= timeOf(chosen)) chosen = statement;
    }
    return chosen === undefined ? finding : { ...finding, vex: findingVex(chosen) };
  });
};

const timeOf = (statement: VexStatement): number =>
  statement.timestamp === undefined ? Number.NEGATIVE_INFINITY : Date.parse(statement.timestamp);

const namesVulnerability = (statement: VexStatement, ids: ReadonlySet<string>): boolean =>
  [statement.vulnerability, ...statement.aliases].some((id) => ids.has(id.toUpperCase()));

/** Whether `purl` is an npm purl for `name` at `version` (any version when the purl has none). */
export const purlNamesPackage = (purl: string, name: string, version: string): boolean => {
  const parsed = parseNpmPurlLoose(purl);
  return (
    parsed !== undefined &&
    parsed.name === name.toLowerCase() &&
    (parsed.version === undefined || parsed.version === version)
  );
};

const namesPackage = (statement: VexStatement, finding: Finding): boolean => {
  const { name, version } = finding.package;
  for (const product of statement.products) {
    if (product.subcomponents.length === 0) {
      if (product.purl !== undefined && purlNamesPackage(product.purl, name, version)) return true;
    } else if (
      product.subcomponents.some((purl) => purlNamesPackage(purl, name, version)) &&
      coversImporters(statement, finding)
    ) {
      return true;
    }
  }
  return false;
};

const coversImporters = (statement: VexStatement, finding: Finding): boolean => {
  const products = new Set<string>();
  for (const p of statement.products) {
    const parsed = p.subcomponents.length > 0 && p.purl !== undefined ? parseNpmPurlLoose(p.purl) : undefined;
    if (parsed) products.add(parsed.name);
  }
  return finding.workspaces.length > 0 && finding.workspaces.every((w) => products.has(w.toLowerCase()));
};

const findingVex = (s: VexStatement): FindingVex => ({
  status: s.status,
  vulnerability: s.vulnerability,
  ...(s.justification !== undefined ? { justification: s.justification } : {}),
  ...(s.impactStatement ? { impact: s.impactStatement } : {}),
  ...(s.actionStatement ? { action: s.actionStatement } : {}),
  ...(s.notes ? { notes: s.notes } : {}),
  author: s.author,
  timestamp: s.timestamp,
  source: s.source,
  suppressed: s.status === 'not_affected',
});

/** Whether a finding is suppressed by a VEX statement (and so never counts for `--fail-on`). */
export const isSuppressed = (finding: Finding): boolean => finding.vex?.suppressed === true;

/** The author `vexStatementsOf` gives statements PatchPilot makes itself. */
export const patchPilotAuthor = 'PatchPilot';

/**
 * Every finding's current status as VEX statements (`scan --vex-out`). Pure.
 * - A finding a statement speaks about keeps that statement's status, justification, impact and
 *   action statements, timestamp and author (in its notes: `recorded by NAME`).
 * - A malicious package is `affected`, its action the remedy: installing it is the compromise.
 * - Any other finding is `under_investigation`: PatchPilot knows that the installed version is in
 *   the advisory's affected range, not whether the project can be exploited through it; that is
 *   for a person to judge (`patchpilot vex add`).
 * Products are the installed packages' purls. Statements that differ only in their product are
 * merged; the result is sorted by vulnerability, then product.
 */
export const vexStatementsOf = (findings: readonly Finding[]): VexStatement[] => {
  const merged = new Map<string, { statement: VexStatement; purls: Set<string> }>();
  for (const finding of findings) {
    const purl = finding.package.purl ?? canonicalNpmPurl(finding.package.name, finding.package.version);
    const statement = statementOf(finding, purl);
    const key = JSON.stringify({ ...statement, products: [], source: '' });
    const entry = merged.get(key);
    if (entry) entry.purls.add(purl);
    else merged.set(key, { statement, purls: new Set([purl]) });
  }
  return [...merged.values()]
    .map(({ statement, purls }) => ({
      ...statement,
      products: [...purls].sort().map((purl) => ({ purl, subcomponents: [] })),
    }))
    .sort(
      (a, b) =>
        compareText(a.vulnerability, b.vulnerability) ||
        compareText(a.products[0]?.purl ?? '', b.products[0]?.purl ?? '') ||
        compareText(a.status, b.status),
    );
};

const statementOf = (finding: Finding, purl: string): VexStatement => {
  const base = {
    vulnerability: finding.id,
    aliases: [...finding.aliases],
    products: [{ purl, subcomponents: [] }],
    source: 'patchpilot scan',
  };
  const vex = finding.vex;
  if (vex) {
    return {
      ...base,
      status: vex.status,
      justification: vex.justification,
      impactStatement: vex.impact,
      actionStatement: vex.action ?? (vex.status === 'affected' ? actionOf(finding) : undefined),
      notes:
        vex.author === undefined || vex.author === patchPilotAuthor
          ? vex.notes
          : withRecordedBy(vex.notes, vex.author),
      author: patchPilotAuthor,
      timestamp: vex.timestamp,
    };
  }
  const malicious = finding.kind === 'malicious';
  return {
    ...base,
    status: malicious ? 'affected' : 'under_investigation',
    justification: undefined,
    impactStatement: undefined,
    actionStatement: malicious ? actionOf(finding) : undefined,
    notes: malicious
      ? undefined
      : `The installed version is in the advisory's affected range${
          finding.fixedIn.length > 0 ? ` (fixed in ${finding.fixedIn.join(', ')})` : ''
        }; exploitability has not been assessed.`,
    author: patchPilotAuthor,
    timestamp: undefined,
  };
};

const actionOf = (finding: Finding): string => {
  if (finding.remedy) return finding.remedy.text;
  if (finding.kind === 'malicious') return `Remove ${finding.package.name}: the package is malicious.`;
  return finding.fixedIn.length > 0
    ? `Upgrade ${finding.package.name} to ${finding.fixedIn[0]} or later.`
    : `No fixed version of ${finding.package.name} is known; remove or replace it, or mitigate.`;
};

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
