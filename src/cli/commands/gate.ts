import { dirname, resolve } from 'node:path';
import { type ConfigException, defaultGate, type GateConfig } from '../../config/normalize.js';
import { isCalendarDate } from '../../core/date.js';
import { isPatchPilotError } from '../../core/errors.js';
import type { Finding, FindingException } from '../../core/finding.js';
import { compareVersions } from '../../core/version.js';
import { AdvisoryStore } from '../../intel/store.js';
import { type ScanResult, scanProjects, type VexDocumentRead } from '../../pipeline.js';
import {
  evaluateGate,
  type GateCheck,
  type GateCheckStatus,
  type GateRule,
  gateRules,
  type ReleaseDate,
  type ReleaseQuery,
  releaseKey,
  releaseQueries,
} from '../../policy/gate.js';
import type { Registry } from '../../registry/index.js';
import { statOrUndefined } from '../../util/fs.js';
import { advisoryDbPath } from '../../util/home.js';
import { parseCommandArgs, usage } from '../args.js';
import type { Io, Outcome } from '../io.js';
import { toolVersion } from '../version.js';

const help = `Usage: patchpilot gate [DIR] [options]

Check the project in DIR (default: the current folder) against its gate for CI, and exit 1 when it
fails. By default the gate fails on:
  - any malicious package (any scope);
  - any finding in CISA's Known Exploited Vulnerabilities catalog (any scope; after db import-kev);
  - a critical finding in prod scope whose fix has been available for more than 7 days, or a high
    one for more than 30 days: counted from the later of the advisory's publish date and the
    release date of the lowest fixed version (from the npm registry; when it cannot be had, the
    advisory's date alone counts and the evidence says so).
The project's .patchpilot.yml (gate:, exceptions:) changes these. Findings suppressed by a
not_affected VEX statement, or excepted by an unexpired exception, never fail the gate but are
listed; an expired exception no longer excepts, and the gate says it expired.

Options:
  -r, --recursive        gate every lockfile below DIR, each with its own configuration
      --json             print the result as JSON (schemaVersion 1)
      --format FORMAT    text (default), json, sarif (SARIF 2.1.0), junit (JUnit XML: one test
                         case per rule and finding, failed or skipped) or markdown (for a
                         pull-request comment)
      --config FILE      use this configuration file instead of each project's own
      --vex FILE         apply an OpenVEX or CycloneDX VEX document (repeatable); each project's
                         .patchpilot/vex.json is always applied
      --today DATE       evaluate as of DATE (YYYY-MM-DD, UTC) instead of today: SLAs and
                         exception expiry; for reproducible runs
      --offline          take release dates from the registry cache only (a miss falls back to
                         the advisory's date)
      --registry URL     the npm registry for release dates (default: npm's configuration)
      --deterministic    leave out timestamps so two runs compare byte for byte
      --db FILE          advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
      --debug            show stack traces on errors
  -h, --help             show this help

Exit codes: 0 the gate passes, 1 it fails, 2 usage, configuration or input error, 3 external
failure (file system), 70 internal error. An unreachable registry never fails the gate: the
advisory's date is used instead and a warning goes to stderr.

Examples:
  patchpilot gate
  patchpilot gate --format junit > patchpilot-gate.xml
  patchpilot gate --format markdown > gate-comment.md
  patchpilot gate --today 2025-01-31 --offline --json
`;

type GateFormat = 'text' | 'json' | 'sarif' | 'junit' | 'markdown';
const formats: readonly GateFormat[] = ['text', 'json', 'sarif', 'junit', 'markdown'];

/** A finding as a gate report shows it: what identifies it and what the rules looked at. */
export interface GateFinding {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly kind: Finding['kind'];
  readonly severity: Finding['severity'];
  readonly summary: string | undefined;
  readonly package: Finding['package'];
  readonly scope: Finding['scope'];
  readonly direct: boolean;
  readonly fixedIn: readonly string[];
  readonly published?: string;
  readonly priority?: Finding['priority'];
  readonly kev?: Finding['kev'];
  readonly epss?: Finding['epss'];
  readonly remedy?: Finding['remedy'];
  readonly vex?: Finding['vex'];
  readonly exception?: FindingException;
  /** The shortest dependency path. */
  readonly path: readonly string[];
}

export interface GateReportCheck extends Omit<GateCheck, 'finding'> {
  readonly finding: GateFinding;
}

export interface GateReportProject {
  readonly path: string;
  readonly lockfile: string;
  readonly format: string;
  /** The configuration file applied; absent when the defaults were. */
  readonly config?: string;
  /** The gate settings in force (the configuration's, else the defaults). */
  readonly gate: GateConfig;
  readonly passed: boolean;
  readonly counts: GateCounts;
  readonly checks: readonly GateReportCheck[];
  /** Exceptions that name a finding but expired: they except nothing. */
  readonly expiredExceptions: readonly {
    readonly finding: GateFinding;
    readonly exception: FindingException;
  }[];
  /** Exceptions that name no finding of the project; `expired` once `today` is past `expires`. */
  readonly unusedExceptions: readonly (ConfigException & { readonly expired: boolean })[];
}

export interface GateCounts {
  readonly failed: number;
  readonly passed: number;
  readonly suppressed: number;
  readonly excepted: number;
  /** Failed checks per rule. */
  readonly failedByRule: Readonly<Record<GateRule, number>>;
}

/** The `--json` document: `schemaVersion` 1 is a contract; fields may be added, never removed. */
export interface GateReport {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'patchpilot'; readonly version: string };
  readonly generatedAt?: string;
  /** The day the gate was evaluated as of (`--today`, else the current UTC date). */
  readonly today: string;
  readonly passed: boolean;
  readonly store: { readonly path: string; readonly advisories: number };
  readonly counts: GateCounts & { readonly expiredExceptions: number };
  readonly projects: readonly GateReportProject[];
  /** Release dates that could not be had; the advisory's date was used for them. */
  readonly releaseDates: {
    readonly looked: number;
    readonly unknown: readonly { readonly package: string; readonly reason: string }[];
  };
  readonly vex?: readonly VexDocumentRead[];
}

export const gateCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('gate', args, {
    recursive: { type: 'boolean', short: 'r' },
    json: { type: 'boolean' },
    format: { type: 'string' },
    config: { type: 'string' },
    vex: { type: 'string', multiple: true },
    today: { type: 'string' },
    offline: { type: 'boolean' },
    registry: { type: 'string' },
    deterministic: { type: 'boolean' },
    db: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 'ok';
  }
  if (positionals.length > 1) throw usage('gate', `expected one folder, got ${positionals.length}`);
  const format = (values.json ? 'json' : (values.format ?? 'text')) as GateFormat;
  if (!formats.includes(format)) {
    throw usage('gate', `unknown --format "${values.format}" (${formats.join(', ')})`);
  }
  if (values.json && values.format && values.format !== 'json') {
    throw usage('gate', '--json and --format disagree; give one of them');
  }
  if (values.today !== undefined && !isCalendarDate(values.today)) {
    throw usage('gate', `--today "${values.today}" is not a date written YYYY-MM-DD`);
  }
  for (const file of values.vex ?? []) if (file === '') throw usage('gate', '--vex needs a file name');
  if (values.config === '') throw usage('gate', '--config needs a file name');
  if (values.registry === '') throw usage('gate', '--registry needs a URL');
  const today = values.today ?? io.now().toISOString().slice(0, 10);
  const target = resolve(io.cwd, positionals[0] ?? '.');

  const store = AdvisoryStore.open(advisoryDbPath(values.db, io.env, io.cwd), { readonly: true });
  let result: ScanResult;
  try {
    result = await scanProjects(store, {
      target,
      recursive: values.recursive === true,
      cwd: io.cwd,
      vexFiles: (values.vex ?? []).map((file) => resolve(io.cwd, file)),
      today,
      ...(values.config !== undefined ? { configFile: resolve(io.cwd, values.config) } : {}),
      onProgress: (message) => io.stderr.write(`${message}\n`),
    });
  } finally {
    store.close();
  }

  const gates = result.projects.map((p) => p.config?.config.gate ?? defaultGate);
  const queries = uniqueQueries(
    result.projects.flatMap((p, i) => releaseQueries(p.findings, gates[i] as GateConfig, today)),
  );
  const releases = await lookUpReleaseDates(queries, {
    cwd: statOrUndefined(target)?.isDirectory() ? target : dirname(target),
    io,
    offline: values.offline === true,
    registry: values.registry,
  });

  const projects: GateReportProject[] = result.projects.map((project, i) => {
    const gate = gates[i] as GateConfig;
    const evaluation = evaluateGate(project.findings, gate, {
      today,
      releases,
      exceptions: project.config?.config.exceptions ?? [],
    });
    const checks = evaluation.checks.map(({ finding, ...rest }) => ({
      ...rest,
      finding: gateFinding(finding),
    }));
    return {
      path: project.path,
      lockfile: project.lockfile,
      format: project.format,
      ...(project.config ? { config: project.config.path } : {}),
      gate,
      passed: evaluation.passed,
      counts: countChecks(checks),
      checks,
      expiredExceptions: evaluation.expired.map((e) => ({
        finding: gateFinding(e.finding),
        exception: e.exception,
      })),
      unusedExceptions: evaluation.unused.map((e) => ({ ...e, expired: e.expires < today })),
    };
  });
  const unknown = [...releases.entries()].flatMap(([key, date]) =>
    'unknown' in date ? [{ package: key, reason: date.unknown }] : [],
  );
  const report: GateReport = {
    schemaVersion: 1,
    tool: { name: 'patchpilot', version: toolVersion() },
    ...(values.deterministic ? {} : { generatedAt: io.now().toISOString() }),
    today,
    passed: projects.every((p) => p.passed),
    store: result.store,
    counts: {
      ...countChecks(projects.flatMap((p) => p.checks)),
      // Exceptions, not the findings they named: one exception may name several, in several
      // projects (`--config` with `--recursive`), or none.
      expiredExceptions: new Set(
        projects.flatMap((p) => [
          ...p.expiredExceptions.map(({ exception: e }) =>
            JSON.stringify([e.source, e.id, e.package ?? null, e.expires, e.author, e.reason]),
          ),
          ...p.unusedExceptions
            .filter((e) => e.expired)
            .map((e) =>
              JSON.stringify([p.config ?? '', e.id, e.package ?? null, e.expires, e.author, e.reason]),
            ),
        ]),
      ).size,
    },
    projects,
    releaseDates: { looked: queries.length, unknown },
    ...(result.vex.length > 0 ? { vex: result.vex } : {}),
  };
  io.stdout.write(await render(format, report, io.cwd));
  return report.passed ? 'ok' : 'failed';
};

const uniqueQueries = (queries: readonly ReleaseQuery[]): ReleaseQuery[] => {
  const byKey = new Map<string, ReleaseQuery>();
  for (const q of queries) byKey.set(releaseKey(q.name, q.version), q);
  return [...byKey.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
};

const gateFinding = (f: Finding): GateFinding => ({
  id: f.id,
  aliases: f.aliases,
  kind: f.kind,
  severity: f.severity,
  summary: f.summary,
  package: f.package,
  scope: f.scope,
  direct: f.direct,
  fixedIn: f.fixedIn,
  ...(f.published !== undefined ? { published: f.published } : {}),
  ...(f.priority ? { priority: f.priority } : {}),
  ...(f.kev ? { kev: f.kev } : {}),
  ...(f.epss ? { epss: f.epss } : {}),
  ...(f.remedy ? { remedy: f.remedy } : {}),
  ...(f.vex ? { vex: f.vex } : {}),
  ...(f.exception ? { exception: f.exception } : {}),
  path: f.paths[0] ?? [],
});

const countChecks = (checks: readonly { rule: GateRule; status: GateCheckStatus }[]): GateCounts => {
  const failedByRule = Object.fromEntries(gateRules.map((r) => [r, 0])) as Record<GateRule, number>;
  const counts = { failed: 0, passed: 0, suppressed: 0, excepted: 0 };
  for (const c of checks) {
    counts[c.status]++;
    if (c.status === 'failed') failedByRule[c.rule]++;
  }
  return { ...counts, failedByRule };
};

/** Lookups in flight at once; the registry client bounds its own requests too. */
const lookupWorkers = 8;

/**
 * Release dates of the fixed versions, from the registry's full documents (through its cache;
 * `offline` reads only the cache). The gate never fails for the registry: a document that cannot
 * be had, or a version it does not list, gives an `unknown` date with the reason, and the SLA is
 * counted from the advisory's date. The first document is asked for alone; after a network or
 * authorisation failure no further request is made (one unreachable registry should not cost a
 * timeout per package). A bad registry setting
 * (`--registry`, `.npmrc`) is a configuration error (exit 2).
 */
const lookUpReleaseDates = async (
  queries: readonly ReleaseQuery[],
  options: { cwd: string; io: Io; offline: boolean; registry: string | undefined },
): Promise<Map<string, ReleaseDate>> => {
  const dates = new Map<string, ReleaseDate>();
  if (queries.length === 0) return dates;
  const { createRegistry } = await import('../../registry/index.js');
  const registry: Registry = createRegistry({
    cwd: options.cwd,
    env: options.io.env,
    offline: options.offline,
    registry: options.registry,
    onWarning: (message) => options.io.stderr.write(`warning: ${message}\n`),
    signal: options.io.interrupted,
  });
  let unreachable: string | undefined;
  let firstError: string | undefined;
  const queue = [...queries];
  const worker = async (): Promise<void> => {
    for (let q = queue.shift(); q !== undefined; q = queue.shift()) {
      const key = releaseKey(q.name, q.version);
      if (unreachable !== undefined) {
        dates.set(key, { unknown: unreachable });
        continue;
      }
      try {
        const metadata = await registry.getPackage(q.name, { full: true });
        const version =
          metadata?.versions[q.version] ??
          Object.values(metadata?.versions ?? {}).find((v) => compareVersions(v.version, q.version) === 0);
        if (!metadata) dates.set(key, { unknown: `${q.name} is not in the registry` });
        else if (!version) dates.set(key, { unknown: `the registry does not list ${q.version}` });
        else if (!version.publishedAt)
          dates.set(key, { unknown: `the registry states no publish time for ${q.version}` });
        else dates.set(key, { released: version.publishedAt });
      } catch (error) {
        if (!isPatchPilotError(error) || error.category !== 'external') throw error;
        const reason =
          error.code === 'REGISTRY_OFFLINE_MISS'
            ? 'not in the registry cache (--offline)'
            : error.code === 'REGISTRY_AUTH'
              ? 'the registry refused access'
              : 'the registry could not be reached';
        dates.set(key, { unknown: reason });
        if (!firstError) firstError = error.message;
        if (error.code === 'REGISTRY_FAILED' || error.code === 'REGISTRY_AUTH') unreachable = reason;
      }
    }
  };
  try {
    // The first document alone: when the registry cannot be reached, nothing else is asked.
    const rest = queue.splice(1);
    await worker();
    queue.push(...rest);
    await Promise.all(Array.from({ length: Math.min(lookupWorkers, queue.length) }, worker));
  } finally {
    await registry.close();
  }
  const misses = [...dates.values()].filter((d) => 'unknown' in d).length;
  if (misses > 0) {
    const first =
      firstError ?? [...dates.values()].find((d): d is { unknown: string } => 'unknown' in d)?.unknown;
    options.io.stderr.write(
      `warning: ${misses} of ${queries.length} fix release dates unknown (${first}); ` +
        `their SLAs count from the advisory's publish date\n`,
    );
  }
  return dates;
};

const render = async (format: GateFormat, report: GateReport, cwd: string): Promise<string> => {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'sarif':
      return (await import('../render/gate-sarif.js')).renderGateSarif(report, cwd);
    case 'junit':
      return (await import('../render/gate-junit.js')).renderGateJunit(report);
    case 'markdown':
      return (await import('../render/gate-markdown.js')).renderGateMarkdown(report);
    default:
      return (await import('../render/gate-text.js')).renderGateText(report);
  }
};
