import { dirname, resolve } from 'node:path';
import { branchCommit, createGit, isAncestor, repositoryTop } from '../../apply/git.js';
import { defaultConfig } from '../../config/normalize.js';
import { isCalendarDate } from '../../core/date.js';
import type { Finding } from '../../core/finding.js';
import type { LedgerEntry } from '../../core/ledger.js';
import {
  type FindingRef,
  findingRefKey,
  type IgnoredFinding,
  type Patch,
  type Plan,
  type StrategyName,
  type Unfixable,
} from '../../core/plan.js';
import type { Evidence, Reason, Verdict } from '../../core/verdict.js';
import { AdvisoryStore } from '../../intel/store.js';
import { readInventory } from '../../inventory/index.js';
import type { ChangeStory, CommitFacts } from '../../ledger/story.js';
import { type PlanResult, planProjects, type ScanResult, scanProjects } from '../../pipeline.js';
import {
  type EvidenceContext,
  evaluateSubject,
  findingSubjectKey,
  gatherEvidence,
  type PolicyConfig,
  patchEvidence,
  policyRules,
  preparePolicy,
  unfixableEvidence,
} from '../../policy/index.js';
import type { Registry } from '../../registry/index.js';
import { statOrUndefined } from '../../util/fs.js';
import { advisoryDbPath } from '../../util/home.js';
import { parseCommandArgs, usage } from '../args.js';
import { displayPath, type Io, type Outcome } from '../io.js';
import { packageChangeText } from '../render/text.js';
import { toolVersion } from '../version.js';
import { plannerFlags, planOptionsFrom } from './plan.js';

const help = `Usage: patchpilot explain PATCH-OR-FINDING [DIR] [options]
       patchpilot explain CHANGE [DIR] [--ledger FILE] [--json]

For a change \`fix\` made (its id, p-…, is in the project's ledger): its story, from the ledger and
the commit. The findings it was for, the advisories behind them, when they were detected and from
which advisory store snapshot; what the plan moved and the alternatives it weighed; the level
policy set, the rules that set it and their evidence; the tests that ran, their result and whether
they loaded the changed packages; the proof of fix; how it ended (merged, proposed, reported, held
back, …), by whom and when, with its commit and branch; and what happened after (rolled back,
released from quarantine). Every part names the ledger entry it was read from. A commit the
repository no longer has is said, not an error.

Otherwise (or with --plan), the whole reasoning behind one planned patch (p-…) or one finding (its
id or any alias: GHSA-…, CVE-…, MAL-…) of the project in DIR (default: the current folder). The
project is planned as \`patchpilot plan\` plans it, then the policy of its .patchpilot.yml is
applied.

Options (the planning ones are plan's; see \`patchpilot plan --help\`):
      --json               print the explanation (or the change's story) as JSON (schemaVersion 1)
      --ledger FILE        the ledger to read the change from (default: $PATCHPILOT_LEDGER, else
                           the project's own under <data home>/ledgers/); without a ledger file,
                           explain plans the project
      --plan               explain from a new plan even when the ledger has the change
      --strategy NAME      in-place, relax, parent-upgrade, override (repeatable or a comma list)
      --max-depth N        plan only for findings at most N dependencies from the project
      --min-severity S     plan only for findings at or above S (a severity or a CVSS score)
      --ignore-dev         leave findings in dev-only packages out
      --upgrade-config P:L the largest step package P may take: major, minor, patch or none
      --prefer WHICH       lowest (default) or highest fixed version
      --node-version V     choose versions as npm on Node.js V would (default: the running one)
      --vex FILE           apply an OpenVEX or CycloneDX VEX document (repeatable)
      --offline            answer from the registry cache only
      --universe FILE      an OSV-Scanner universe file as the registry (offline, hermetic)
      --registry URL       the npm registry (default: npm's configuration)
      --cache-dir DIR      the registry cache (default: <cache home>/registry)
      --today DATE         plan as of DATE (YYYY-MM-DD, UTC): release ages and exceptions
      --db FILE            advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
      --debug              show stack traces on errors
  -h, --help               show this help

Exit codes: 0 explained, 2 usage or input error (no such patch or finding in the plan, a ledger file
that is not a PatchPilot ledger), 3 external failure (registry), 70 internal error.

Examples:
  patchpilot explain p-5a9305ba83
  patchpilot explain p-5a9305ba83 --ledger ci-ledger.db --json
  patchpilot explain GHSA-p6mc-m468-83gw
  patchpilot explain p-5a9305ba83 path/to/app --universe universe.yaml --json
`;

/** A finding as an explanation shows it. */
export interface ExplainedFinding extends FindingRef {
  readonly aliases: readonly string[];
  readonly kind: Finding['kind'] | undefined;
  readonly severity: Finding['severity'] | undefined;
  readonly summary?: string;
  readonly scope?: Finding['scope'];
  readonly priority?: number;
  readonly kev?: Finding['kev'];
  readonly epss?: Finding['epss'];
  /** The shortest dependency path. */
  readonly path?: readonly string[];
}

/** Another candidate for the same findings, and why the plan did not take it. */
export interface ConsideredPatch {
  readonly id: string;
  readonly strategy: StrategyName;
  readonly chosen: boolean;
  readonly changes: readonly string[];
  /** The findings of the explained subject it fixes too. */
  readonly fixes: readonly string[];
  readonly score: Patch['score'];
  /** For a candidate not chosen: why. */
  readonly whyNot?: string;
  readonly verdict: Pick<Verdict, 'level' | 'cappedBy'>;
}

export interface RuleApplied {
  readonly id: string;
  readonly description: string;
  /** What the rule said; empty when it had nothing to say (no effect). */
  readonly reasons: readonly Omit<Reason, 'rule'>[];
}

export interface PatchExplanation {
  readonly kind: 'patch';
  readonly patch: Patch;
  /** Chosen patches are applied in plan order (1-based); an alternative was not chosen. */
  readonly chosen: boolean;
  readonly position?: number;
  readonly whyNot?: string;
  readonly changes: readonly string[];
  readonly findings: readonly ExplainedFinding[];
  readonly alternatives: readonly ConsideredPatch[];
  readonly evidence: Evidence;
  readonly rules: readonly RuleApplied[];
  readonly verdict: Verdict;
}

export interface FindingExplanation {
  readonly kind: 'finding';
  readonly finding: ExplainedFinding;
  /** `fixed`: a chosen patch fixes it; `unfixable`: targeted, nothing fixes it; `ignored`: the options leave it out. */
  readonly status: 'fixed' | 'unfixable' | 'ignored' | 'not-planned';
  readonly patches: readonly ConsideredPatch[];
  readonly unfixable?: Unfixable;
  readonly ignored?: IgnoredFinding['reason'];
  readonly rules?: readonly RuleApplied[];
  readonly verdict?: Verdict;
}

export type Explanation = PatchExplanation | FindingExplanation;

/** The `--json` document: `schemaVersion` 1 is a contract; fields may be added, never removed. */
export interface ExplainReport {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'patchpilot'; readonly version: string };
  readonly query: string;
  readonly project: {
    readonly path: string;
    readonly lockfile: string;
    readonly format: string;
    readonly config?: string;
  };
  /** The plan's clock (`--today`, else now). */
  readonly planned: string;
  readonly policy: PolicyConfig;
  readonly explanations: readonly Explanation[];
}

export const explainCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('explain', args, {
    json: { type: 'boolean' },
    ...plannerFlags,
    universe: { type: 'string' },
    ledger: { type: 'string' },
    plan: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 'ok';
  }
  const [given, dir, ...extra] = positionals;
  if (given === undefined || given.trim() === '')
    throw usage('explain', 'name a change or patch (p-…) or a finding id');
  // Patch and change ids are lower-case hex; one copied in capitals names the same.
  const query = /^p-[0-9a-f]+$/i.test(given.trim()) ? given.trim().toLowerCase() : given;
  if (extra.length > 0) {
    throw usage('explain', `expected a patch or finding and one folder, got ${positionals.length} arguments`);
  }
  if (values.ledger === '') throw usage('explain', '--ledger needs a file name');
  if (values.plan !== true) {
    const target = resolve(io.cwd, dir ?? '.');
    const folder = statOrUndefined(target)?.isDirectory() ? target : dirname(target);
    if (await tellChange(query.trim(), folder, { ledger: values.ledger, json: values.json === true }, io))
      return 'ok';
  }
  const options = planOptionsFrom(values, 'explain');
  if (values.today !== undefined && !isCalendarDate(values.today)) {
    throw usage('explain', `--today "${values.today}" is not a date written YYYY-MM-DD`);
  }
  for (const file of values.vex ?? []) if (file === '') throw usage('explain', '--vex needs a file name');
  if (values.universe === '') throw usage('explain', '--universe needs a file name');
  if (values.registry === '') throw usage('explain', '--registry needs a URL');
  if (values['cache-dir'] === '') throw usage('explain', '--cache-dir needs a folder name');
  if (values.universe !== undefined && (values.registry !== undefined || values['cache-dir'] !== undefined)) {
    throw usage(
      'explain',
      '--universe answers every package itself; give no --registry or --cache-dir with it',
    );
  }
  const now = values.today === undefined ? io.now() : new Date(`${values.today}T00:00:00Z`);
  const today = now.toISOString().slice(0, 10);
  const target = resolve(io.cwd, dir ?? '.');
  const folder = statOrUndefined(target)?.isDirectory() ? target : dirname(target);
  const vexFiles = (values.vex ?? []).map((file) => resolve(io.cwd, file));

  const { createRegistry } = await import('../../registry/index.js');
  const registry: Registry = createRegistry({
    cwd: folder,
    env: io.env,
    offline: values.offline === true,
    universe: values.universe === undefined ? undefined : resolve(io.cwd, values.universe),
    registry: values.registry,
    cacheDir: values['cache-dir'] === undefined ? undefined : resolve(io.cwd, values['cache-dir']),
    onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
    signal: io.interrupted,
  });
  const store = AdvisoryStore.open(advisoryDbPath(values.db, io.env, io.cwd), { readonly: true });
  let planned: PlanResult;
  let scanned: ScanResult;
  try {
    // The same plan `patchpilot plan` makes; the scan gives the findings' facts (KEV, EPSS,
    // scope) and each project's configuration, which the policy needs beside the plan.
    planned = await planProjects(store, {
      target,
      recursive: false,
      cwd: io.cwd,
      vexFiles,
      today,
      registry,
      now,
      options,
      onProgress: (message) => io.stderr.write(`${message}\n`),
    });
    scanned = await scanProjects(store, { target, recursive: false, cwd: io.cwd, vexFiles, today });
  } finally {
    store.close();
    await registry.close();
  }

  for (const project of planned.projects) {
    const scan = scanned.projects.find((p) => p.lockfile === project.lockfile);
    const findings = scan?.findings ?? [];
    const policy = scan?.config?.config.policy ?? defaultConfig.policy;
    const inventory = await readInventory(resolve(io.cwd, project.lockfile));
    const explanations = explain(query, { plan: project.plan, findings, inventory, policy });
    if (explanations.length === 0) continue;
    const report: ExplainReport = {
      schemaVersion: 1,
      tool: { name: 'patchpilot', version: toolVersion() },
      query,
      project: {
        path: project.path,
        lockfile: project.lockfile,
        format: project.format,
        ...(scan?.config ? { config: scan.config.path } : {}),
      },
      planned: now.toISOString(),
      policy,
      explanations,
    };
    if (values.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout.write((await import('../render/explain-text.js')).renderExplainText(report));
    return 'ok';
  }
  throw usage(
    'explain',
    `no patch or finding "${query}" in the plan of ${dir ?? '.'} (patch ids come from \`patchpilot plan\`, finding ids from \`patchpilot scan\`)`,
  );
};

/** `explain --json` of a change: its story, from the ledger named. `schemaVersion` 1 is a contract. */
export interface ChangeStoryReport extends ChangeStory {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'patchpilot'; readonly version: string };
  /** The ledger file, as the user would write it. */
  readonly ledger: string;
}

/**
 * Prints the story of change `id` when the project's ledger has it; false when there is no ledger
 * file or no entry of the change (explain then plans the project, as before).
 */
const tellChange = async (
  id: string,
  folder: string,
  options: { readonly ledger: string | undefined; readonly json: boolean },
  io: Io,
): Promise<boolean> => {
  if (!statOrUndefined(folder)?.isDirectory() && options.ledger === undefined) return false;
  const { ledgerPath } = await import('../../ledger/location.js');
  const path = ledgerPath({ flag: options.ledger, env: io.env, cwd: io.cwd, projectRoot: folder });
  if (!statOrUndefined(path)) {
    if (options.ledger !== undefined)
      io.stderr.write(`no ledger ${options.ledger}: explaining from a new plan\n`);
    return false;
  }
  const { Ledger } = await import('../../ledger/store.js');
  const ledger = Ledger.open(path, { readonly: true });
  let entries: LedgerEntry[];
  try {
    const own = ledger.entries({ change: id });
    if (own.length === 0) return false;
    // The findings' detections and releases from quarantine carry no change of their own.
    entries = [...own, ...ledger.entries({ kinds: ['detected', 'quarantine-released'] })];
  } finally {
    ledger.close();
  }
  const { changeStory } = await import('../../ledger/story.js');
  const told = changeStory(entries, id);
  if (!told) return false;
  const sha = told.commit?.sha;
  const branch = told.outcome?.merged?.branch ?? told.outcome?.branch;
  const story = (sha ? changeStory(entries, id, readCommit(folder, sha, branch, io)) : told) ?? told;
  if (options.json) {
    const report: ChangeStoryReport = {
      schemaVersion: 1,
      tool: { name: 'patchpilot', version: toolVersion() },
      ledger: displayPath(io, path),
      ...story,
    };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const { renderChangeStoryText } = await import('../render/explain-change-text.js');
    io.stdout.write(renderChangeStoryText({ ...story, ledger: displayPath(io, path) }));
  }
  return true;
};

/** The change's commit as git tells it, or undefined when the folder's repository does not have it. */
const readCommit = (
  folder: string,
  sha: string,
  branch: string | undefined,
  io: Io,
): CommitFacts | undefined => {
  if (!statOrUndefined(folder)?.isDirectory()) return undefined;
  const git = createGit(folder, io.env);
  if (repositoryTop(git) === undefined) return undefined;
  const shown = git.tryRun(['show', '-s', '--format=%H%x00%an <%ae>%x00%aI%x00%B', `${sha}^{commit}`]);
  if (shown.code !== 0) return undefined;
  const [full = sha, author = '', date = '', ...message] = shown.stdout.split('\0');
  const files = git.tryRun(['show', '--name-only', '--format=', '--no-renames', '-z', full]);
  const onBranch =
    branch !== undefined && branchCommit(git, branch) !== undefined
      ? { branch, contains: isAncestor(git, full, `refs/heads/${branch}`) }
      : undefined;
  return {
    sha: full.trim(),
    author,
    date,
    message: message.join('\0'),
    files:
      files.code === 0
        ? files.stdout
            .split('\0')
            .map((f) => f.trim())
            .filter((f) => f !== '')
        : [],
    ...(onBranch ? { onBranch } : {}),
  };
};

export interface ExplainInput extends EvidenceContext {
  readonly plan: Plan;
  readonly policy: PolicyConfig;
}

/**
 * What a query names in a plan: the patch with that id (chosen or alternative), or every finding
 * whose id or alias it is (any case). Pure; empty when the plan has neither.
 */
export const explain = (query: string, input: ExplainInput): Explanation[] => {
  const { plan } = input;
  const evidence = gatherEvidence(plan, input);
  const prepared = preparePolicy(input.policy);
  const verdicts = new Map<string, Verdict>();
  const verdictOf = (patch: Patch): Verdict => {
    let v = verdicts.get(patch.id);
    if (!v) {
      v = evaluateSubject({ kind: 'patch', patch }, evidence.get(patch.id) ?? patchEvidence(patch), prepared);
      verdicts.set(patch.id, v);
    }
    return v;
  };
  const rulesApplied = (verdict: Verdict): RuleApplied[] =>
    policyRules.map((rule) => ({
      id: rule.id,
      description: rule.description,
      reasons: verdict.reasons.filter((r) => r.rule === rule.id).map(({ rule: _rule, ...rest }) => rest),
    }));
  const byKey = new Map(input.findings.map((f) => [findingRefKey(refOf(f)), f]));
  const candidates = [...plan.patches, ...plan.alternatives];
  const considered = (p: Patch, keys: ReadonlySet<string>): ConsideredPatch => {
    const chosen = plan.patches.some((c) => c.id === p.id);
    const v = verdictOf(p);
    const whyNot = chosen ? undefined : whyNotChosen(p, plan);
    return {
      id: p.id,
      strategy: p.strategy,
      chosen,
      changes: describeChanges(p),
      fixes: p.fixes.filter((f) => keys.has(findingRefKey(f))).map((f) => `${f.id} ${f.name}@${f.version}`),
      score: p.score,
      ...(whyNot === undefined ? {} : { whyNot }),
      verdict: { level: v.level, cappedBy: v.cappedBy },
    };
  };

  const q = query.trim();
  const patch = candidates.find((p) => p.id === q);
  if (patch) {
    const keys = new Set(patch.fixes.map(findingRefKey));
    const position = plan.patches.findIndex((p) => p.id === patch.id);
    const verdict = verdictOf(patch);
    const whyNot = position === -1 ? whyNotChosen(patch, plan) : undefined;
    return [
      {
        kind: 'patch',
        patch,
        chosen: position !== -1,
        ...(position === -1 ? {} : { position: position + 1 }),
        ...(whyNot === undefined ? {} : { whyNot }),
        changes: describeChanges(patch),
        findings: patch.fixes.map((ref) => explainedFinding(ref, byKey.get(findingRefKey(ref)))),
        alternatives: candidates
          .filter((c) => c.id !== patch.id && c.fixes.some((f) => keys.has(findingRefKey(f))))
          .map((c) => considered(c, keys)),
        evidence: evidence.get(patch.id) ?? patchEvidence(patch),
        rules: rulesApplied(verdict),
        verdict,
      },
    ];
  }

  const wanted = q.toLowerCase();
  const matches = input.findings.filter(
    (f) => f.id.toLowerCase() === wanted || f.aliases.some((a) => a.toLowerCase() === wanted),
  );
  return matches.map((f): FindingExplanation => {
    const ref = refOf(f);
    const key = findingRefKey(ref);
    const keys = new Set([key]);
    const finding = explainedFinding(ref, f);
    const patches = candidates
      .filter((p) => p.fixes.some((x) => findingRefKey(x) === key))
      .map((p) => considered(p, keys));
    const unfixable = plan.unfixable.find((u) => findingRefKey(u.finding) === key);
    const ignored = plan.ignored.find((i) => findingRefKey(i.finding) === key);
    if (unfixable) {
      const verdict = evaluateSubject(
        { kind: 'unfixable', unfixable },
        evidence.get(findingSubjectKey(unfixable.finding)) ?? unfixableEvidence(unfixable),
        prepared,
      );
      return {
        kind: 'finding',
        finding,
        status: 'unfixable',
        patches,
        unfixable,
        rules: rulesApplied(verdict),
        verdict,
      };
    }
    if (ignored) return { kind: 'finding', finding, status: 'ignored', patches, ignored: ignored.reason };
    const status = patches.some((p) => p.chosen) ? 'fixed' : 'not-planned';
    return { kind: 'finding', finding, status, patches };
  });
};

const refOf = (f: Finding): FindingRef => ({ id: f.id, name: f.package.name, version: f.package.version });

const explainedFinding = (ref: FindingRef, f: Finding | undefined): ExplainedFinding => ({
  id: ref.id,
  name: ref.name,
  version: ref.version,
  aliases: f?.aliases ?? [],
  kind: f?.kind,
  severity: f?.severity,
  ...(f?.summary === undefined ? {} : { summary: f.summary }),
  ...(f ? { scope: f.scope } : {}),
  ...(f?.priority ? { priority: f.priority.score } : {}),
  ...(f?.kev ? { kev: f.kev } : {}),
  ...(f?.epss ? { epss: f.epss } : {}),
  ...(f?.paths[0] ? { path: f.paths[0] } : {}),
});

/** `lib 1.0.0 → 1.0.1`, `dep ^1.0.0 → ^2.0.0 (installs 2.0.1)`, `+helper@1.1.0`, `-old@1.0.0`. */
export const describeChanges = (patch: Pick<Patch, 'changes'>): string[] =>
  patch.changes.map(packageChangeText);

const movedNames = (p: Patch): Set<string> => {
  const names = new Set<string>();
  for (const c of p.changes) if (c.kind !== 'add') names.add(c.name);
  return names;
};

/**
 * Why the planner left a candidate out, from what the plan states: it introduces a finding (never
 * chosen), the chosen patches already fix what it fixes, or it moves the same packages as a
 * chosen patch (the ranking took the one that fixes more priority, then the smaller change).
 */
export const whyNotChosen = (candidate: Patch, plan: Plan): string => {
  const reasons: string[] = [];
  if (candidate.introduces.length > 0) {
    const added = candidate.introduces.map((i) => `${i.id} (${i.name}@${i.version})`).join(', ');
    reasons.push(`it would introduce ${added}, and a patch that introduces a finding is never chosen`);
  }
  const fixedByChosen = new Map<string, string>();
  for (const p of plan.patches) for (const f of p.fixes) fixedByChosen.set(findingRefKey(f), p.id);
  const covering = new Set(candidate.fixes.map((f) => fixedByChosen.get(findingRefKey(f))));
  if (candidate.fixes.length > 0 && !covering.has(undefined)) {
    reasons.push(`every finding it fixes is fixed by the chosen ${[...covering].join(', ')}`);
  }
  const names = movedNames(candidate);
  const clashing = plan.patches.filter((p) => [...movedNames(p)].some((n) => names.has(n)));
  if (clashing.length > 0) {
    const shared = [
      ...new Set(clashing.flatMap((p) => [...movedNames(p)].filter((n) => names.has(n)))),
    ].sort();
    const listed =
      shared.length > 5
        ? `${shared.slice(0, 5).join(', ')} and ${shared.length - 5} more`
        : shared.join(', ');
    reasons.push(
      `it changes the same packages (${listed}) as the chosen ${clashing.map((p) => p.id).join(', ')}`,
    );
  }
  if (reasons.length === 0)
    reasons.push('the ranking preferred the chosen patches (priority fixed, then the least change)');
  return reasons.join('; ');
};
