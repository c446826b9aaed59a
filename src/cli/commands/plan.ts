import { setMaxListeners } from 'node:events';
import { dirname, relative, resolve, sep } from 'node:path';
import { parseSeverityLabel, type SeverityLabel } from '../../core/advisory.js';
import { isCalendarDate } from '../../core/date.js';
import { type PlanOptions, type StrategyName, strategyNames } from '../../core/plan.js';
import { AdvisoryStore } from '../../intel/store.js';
import { ledgerPath } from '../../ledger/location.js';
import { type QuarantinedVersion, quarantinedVersionsAt } from '../../ledger/quarantine.js';
import { type PlannedProject, planProjects, type VexDocumentRead } from '../../pipeline.js';
import { parseUpgradeConfig } from '../../plan/index.js';
import type { Registry, RegistrySource } from '../../registry/index.js';
import { statOrUndefined } from '../../util/fs.js';
import { advisoryDbPath } from '../../util/home.js';
import { parseCommandArgs, usage } from '../args.js';
import type { Io, Outcome } from '../io.js';
import { toolVersion } from '../version.js';

const help = `Usage: patchpilot plan [DIR] [options]

Plan the remediation of the project in DIR (default: the current folder): the patches to apply,
in order, the findings each one fixes, its risk facts (semver step, in range or not, release age,
deprecation, new install scripts), the findings no patch can fix and why, and the findings left
after the plan. Package metadata comes from the npm registry (npm's configuration, through a
disk cache) or, with --universe, from an OSV-Scanner universe file. Nothing in the project is
written. npm (package-lock.json, npm-shrinkwrap.json, v1 to v3), yarn classic, yarn berry,
pnpm and bun lockfiles are planned, workspaces included.

Strategies (osv-scanner fix's names where it has them):
  in-place        move a locked package to a fixed version every dependent's range accepts
                  (lockfile only)
  relax           raise a direct dependency's declared range so its new version's subtree is clean
  parent-upgrade  move a direct dependency to its first newer version whose subtree is clean
                  (lockfile only inside its range; past it only when relax is not enabled)
  override        last resort: an override entry forcing a fixed version (npm "overrides",
                  yarn "resolutions", pnpm "pnpm.overrides"), only for findings nothing else
                  fixes; annotated with the advisory ids it exists for
Existing overrides of package.json are honoured: a fix an override would undo is no fix. One
that pins an affected version is changed; one no vulnerability needs is reported for removal.

Options:
  -r, --recursive          plan every lockfile below DIR (never inside node_modules)
      --json               print the plans as JSON (schemaVersion 1, docs/planner.md)
      --format FORMAT      text (default), json or markdown
      --strategy NAME      in-place, relax, parent-upgrade, override; repeatable or a comma
                           list (default: all four)
      --max-depth N        plan only for findings at most N dependencies from the project
                           (default 0: any depth)
      --min-severity S     plan only for findings at or above S: low, moderate (or medium), high,
                           critical, or a CVSS score 0-10 (unscored findings and malware stay)
      --ignore-dev         leave findings in dev-only packages out, never raise devDependencies
      --upgrade-config P:L the largest step package P may take: major, minor, patch or none
                           (repeatable; *:L or a bare L for every package not named)
      --prefer WHICH       lowest (default: the smallest fixed version) or highest
      --node-version V     choose versions as npm on Node.js V would: one whose engines.node
                           excludes V only when no other fits (default: the running Node.js)
      --vex FILE           apply an OpenVEX or CycloneDX VEX document (repeatable); findings a
                           not_affected statement suppresses are not planned for (listed as
                           ignored: suppressed). Each project's .patchpilot/vex.json is applied
      --offline            answer from the registry cache only; a document not cached fails
                           (exit 3)
      --universe FILE      an OSV-Scanner universe file as the registry (offline, hermetic)
      --registry URL       the npm registry (default: npm's configuration)
      --cache-dir DIR      the registry cache (default: <cache home>/registry)
      --today DATE         count release ages to DATE (YYYY-MM-DD, UTC) instead of today
      --deterministic      leave out timestamps so two runs compare byte for byte
      --db FILE            advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
      --ledger FILE        the ledger whose quarantine applies (default: $PATCHPILOT_LEDGER, else
                           each project's own under <data home>/ledgers); only read, never created
      --debug              show stack traces on errors
  -h, --help               show this help

Quarantine: versions a rolled-back change brought in (\`patchpilot rollback\`) are never proposed
until \`patchpilot quarantine release\`; the plan lists them. A quarantined version the lockfile
has installed is still resolved (it is what the project runs), only never chosen as a target.

Exit codes: 0 a plan was made (even with findings left unfixable), 2 usage or input error,
3 the registry failed (unreachable, refused, or a document missing from the cache with
--offline), 70 internal error.

Examples:
  patchpilot plan
  patchpilot plan --strategy in-place --upgrade-config minor --json > plan.json
  patchpilot plan --universe universe.yaml --deterministic
  patchpilot plan --offline --format markdown > plan.md
`;

type PlanFormat = 'text' | 'json' | 'markdown';
const formats: readonly PlanFormat[] = ['text', 'json', 'markdown'];

/** The `--json` document: `schemaVersion` 1 is a contract; fields may be added, never removed. */
export interface PlanReport {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'patchpilot'; readonly version: string };
  readonly generatedAt?: string;
  /** The day release ages are counted to (`--today`, else the current UTC date). */
  readonly today: string;
  readonly store: { readonly path: string; readonly advisories: number };
  /** Where package metadata came from. */
  readonly registry: {
    readonly source: 'npm' | 'universe';
    readonly offline: boolean;
    /** The universe file, relative to the working folder. */
    readonly universe?: string;
  };
  readonly projects: readonly PlannedProject[];
  /** Totals over the projects. */
  readonly summary: {
    readonly findings: number;
    readonly targeted: number;
    readonly fixed: number;
    /** Findings not planned for that the patches fix along the way. */
    readonly alsoFixed: number;
    readonly remaining: number;
    readonly unfixable: number;
    readonly patches: number;
  };
  readonly vex?: readonly VexDocumentRead[];
}

const levelNames = ['major', 'minor', 'patch', 'none'];

export const planCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('plan', args, {
    recursive: { type: 'boolean', short: 'r' },
    json: { type: 'boolean' },
    format: { type: 'string' },
    ...plannerFlags,
    universe: { type: 'string' },
    deterministic: { type: 'boolean' },
    ledger: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 'ok';
  }
  if (positionals.length > 1) throw usage('plan', `expected one folder, got ${positionals.length}`);
  const format = (values.json ? 'json' : (values.format ?? 'text')) as PlanFormat;
  if (!formats.includes(format)) {
    throw usage('plan', `unknown --format "${values.format}" (${formats.join(', ')})`);
  }
  if (values.json && values.format && values.format !== 'json') {
    throw usage('plan', '--json and --format disagree; give one of them');
  }
  const options = planOptionsFrom(values);
  if (values.today !== undefined && !isCalendarDate(values.today)) {
    throw usage('plan', `--today "${values.today}" is not a date written YYYY-MM-DD`);
  }
  for (const file of values.vex ?? []) if (file === '') throw usage('plan', '--vex needs a file name');
  if (values.universe === '') throw usage('plan', '--universe needs a file name');
  if (values.registry === '') throw usage('plan', '--registry needs a URL');
  if (values['cache-dir'] === '') throw usage('plan', '--cache-dir needs a folder name');
  if (values.ledger === '') throw usage('plan', '--ledger needs a file name');
  if (values.universe !== undefined && (values.registry !== undefined || values['cache-dir'] !== undefined)) {
    throw usage('plan', '--universe answers every package itself; give no --registry or --cache-dir with it');
  }
  const now = values.today === undefined ? io.now() : new Date(`${values.today}T00:00:00Z`);
  const today = now.toISOString().slice(0, 10);
  const target = resolve(io.cwd, positionals[0] ?? '.');
  const folder = statOrUndefined(target)?.isDirectory() ? target : dirname(target);

  // Each request in flight listens on the interrupt signal; the registry client keeps up to a dozen
  // in flight per project, past Node's default warning threshold of 10.
  if (io.interrupted) setMaxListeners(100, io.interrupted);
  // A universe file needs none of the npm client (its HTTP stack costs a quarter of a second to
  // load): it is imported on its own. Paths on the command line are the user's, relative to
  // where they run it.
  const registry: Registry =
    values.universe !== undefined
      ? (await import('../../registry/universe.js')).createUniverseRegistry(resolve(io.cwd, values.universe))
      : (await import('../../registry/index.js')).createRegistry({
          cwd: folder,
          env: io.env,
          offline: values.offline === true,
          registry: values.registry,
          cacheDir: values['cache-dir'] === undefined ? undefined : resolve(io.cwd, values['cache-dir']),
          onWarning: (message) => io.stderr.write(`warning: ${message}\n`),
          signal: io.interrupted,
        });
  const store = AdvisoryStore.open(advisoryDbPath(values.db, io.env, io.cwd), { readonly: true });
  const progress = fetchProgress(registry, io);
  let report: PlanReport;
  try {
    const result = await planProjects(store, {
      target,
      recursive: values.recursive === true,
      cwd: io.cwd,
      vexFiles: (values.vex ?? []).map((file) => resolve(io.cwd, file)),
      today,
      registry: progress.source,
      now,
      options,
      quarantined: quarantineReader(values.ledger, io),
      onProgress: (message) => io.stderr.write(`${message}\n`),
    });
    const plans = result.projects.map((p) => p.plan);
    const sum = (pick: (summary: (typeof plans)[number]['summary']) => number): number =>
      plans.reduce((n, p) => n + pick(p.summary), 0);
    report = {
      schemaVersion: 1,
      tool: { name: 'patchpilot', version: toolVersion() },
      ...(values.deterministic ? {} : { generatedAt: io.now().toISOString() }),
      today,
      store: result.store,
      registry: {
        source: registry.kind,
        offline: registry.kind === 'universe' || values.offline === true,
        ...(values.universe === undefined
          ? {}
          : { universe: displayPath(io.cwd, resolve(io.cwd, values.universe)) }),
      },
      projects: result.projects,
      summary: {
        findings: sum((s) => s.findings),
        targeted: sum((s) => s.targeted),
        fixed: sum((s) => s.fixed),
        alsoFixed: sum((s) => s.alsoFixed),
        remaining: sum((s) => s.remaining),
        unfixable: sum((s) => s.unfixable),
        patches: plans.reduce((n, p) => n + p.patches.length, 0),
      },
      ...(result.vex.length > 0 ? { vex: result.vex } : {}),
    };
  } finally {
    progress.stop();
    store.close();
    await registry.close();
  }
  io.stdout.write(await render(format, report));
  return 'ok';
};

/**
 * Each project's quarantine, from its ledger (the one --ledger or PATCHPILOT_LEDGER names, else
 * the project's own), read only: `plan` never creates a ledger.
 */
const quarantineReader = (
  flag: string | undefined,
  io: Io,
): ((projectRoot: string) => QuarantinedVersion[]) => {
  const read = new Map<string, QuarantinedVersion[]>();
  return (projectRoot) => {
    const path = ledgerPath({ flag, env: io.env, cwd: io.cwd, projectRoot });
    let list = read.get(path);
    if (!list) {
      list = quarantinedVersionsAt(path);
      read.set(path, list);
    }
    return list;
  };
};

const displayPath = (cwd: string, path: string): string => {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.split(sep).join('/');
};

/**
 * The flags of every command that plans (plan, explain, fix): what to plan for and how
 * (`planOptionsFrom` reads the first six), and where findings and package data come from.
 */
export const plannerFlags = {
  strategy: { type: 'string', multiple: true },
  'max-depth': { type: 'string' },
  'min-severity': { type: 'string' },
  'ignore-dev': { type: 'boolean' },
  'upgrade-config': { type: 'string', multiple: true },
  prefer: { type: 'string' },
  'node-version': { type: 'string' },
  vex: { type: 'string', multiple: true },
  offline: { type: 'boolean' },
  registry: { type: 'string' },
  'cache-dir': { type: 'string' },
  today: { type: 'string' },
  db: { type: 'string' },
} as const;

interface ParsedValues {
  strategy?: string[] | undefined;
  'max-depth'?: string | undefined;
  'min-severity'?: string | undefined;
  'ignore-dev'?: boolean | undefined;
  'upgrade-config'?: string[] | undefined;
  prefer?: string | undefined;
  'node-version'?: string | undefined;
}

/** The planner options the flags give; every default filled in by the planner. Errors name `command`. */
export const planOptionsFrom = (values: ParsedValues, command = 'plan'): Partial<PlanOptions> => {
  const options: { -readonly [K in keyof PlanOptions]?: PlanOptions[K] } = {};
  if (values.strategy !== undefined) {
    const names = values.strategy.flatMap((s) => s.split(',')).map((s) => s.trim());
    const unknown = names.filter((n) => !strategyNames.includes(n as StrategyName));
    if (unknown.length > 0 || names.length === 0) {
      throw usage(command, `unknown --strategy "${unknown[0] ?? ''}" (${strategyNames.join(', ')})`);
    }
    options.strategies = strategyNames.filter((n) => names.includes(n));
  }
  if (values['max-depth'] !== undefined) {
    const depth = Number(values['max-depth']);
    if (values['max-depth'].trim() === '' || !Number.isInteger(depth) || depth < 0) {
      throw usage(command, `--max-depth takes a whole number (0: any depth), got "${values['max-depth']}"`);
    }
    options.maxDepth = depth;
  }
  if (values['min-severity'] !== undefined) {
    const text = values['min-severity'];
    const label = parseSeverityLabel(text);
    const score = Number(text);
    if (label !== undefined && label !== 'unknown') options.minSeverity = label as SeverityLabel;
    else if (text.trim() !== '' && Number.isFinite(score) && score >= 0 && score <= 10)
      options.minSeverity = score;
    else {
      throw usage(
        command,
        `unknown --min-severity "${text}" (low, moderate, high, critical, or a CVSS score from 0 to 10)`,
      );
    }
  }
  if (values['ignore-dev']) options.ignoreDev = true;
  if (values['upgrade-config'] !== undefined) {
    const entries = values['upgrade-config'].map((entry) => {
      // `*:LEVEL` names the default, as a bare LEVEL does.
      if (entry.startsWith('*:')) return entry.slice(2);
      if (entry.trim() === '' || (!entry.includes(':') && !levelNames.includes(entry))) {
        throw usage(
          command,
          `--upgrade-config "${entry}": write PKG:LEVEL or LEVEL, LEVEL being ${levelNames.join(', ')}`,
        );
      }
      return entry;
    });
    try {
      options.upgradeConfig = parseUpgradeConfig(entries);
    } catch (error) {
      throw usage(command, (error as Error).message);
    }
  }
  if (values.prefer !== undefined) {
    if (values.prefer !== 'lowest' && values.prefer !== 'highest') {
      throw usage(command, `unknown --prefer "${values.prefer}" (lowest, highest)`);
    }
    options.preferHighest = values.prefer === 'highest';
  }
  // npm picks versions whose engines.node admits the Node.js it runs on; so does the plan, for the
  // running one unless told another.
  const node = values['node-version'] ?? process.versions.node;
  const match = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(node.trim());
  if (!match) throw usage(command, `--node-version takes a Node.js version such as 22.11.0, got "${node}"`);
  options.nodeVersion = match[1] as string;
  return options;
};

/** Progress pause: a line on stderr at most this often while package documents are fetched. */
const progressEveryMs = 2_000;

/**
 * The registry, counting the documents asked for and answered, with a progress line on stderr
 * every few seconds while a fetch is slow (a universe answers at once and never shows one).
 */
const fetchProgress = (registry: Registry, io: Io): { source: RegistrySource; stop: () => void } => {
  let asked = 0;
  let answered = 0;
  let shown = -1;
  const timer =
    registry.kind === 'npm'
      ? setInterval(() => {
          if (answered === shown || asked === answered) return;
          shown = answered;
          io.stderr.write(`fetched ${answered} of ${asked} package documents…\n`);
        }, progressEveryMs)
      : undefined;
  timer?.unref();
  return {
    source: {
      kind: registry.kind,
      getPackage: async (name, options) => {
        asked++;
        try {
          return await registry.getPackage(name, options);
        } finally {
          answered++;
        }
      },
    },
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
};

const render = async (format: PlanFormat, report: PlanReport): Promise<string> => {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return (await import('../render/plan-markdown.js')).renderPlanMarkdown(report);
    default:
      return (await import('../render/plan-text.js')).renderPlanText(report);
  }
};
