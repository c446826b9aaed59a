import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { isExcepted } from '../../assess/exceptions.js';
import { priorityThresholds } from '../../assess/priority.js';
import { isSuppressed, patchPilotAuthor, vexStatementsOf } from '../../assess/vex.js';
import { parseSeverityLabel, type SeverityLabel, severityRank } from '../../core/advisory.js';
import type { Finding, PriorityLabel } from '../../core/finding.js';
import { AdvisoryStore } from '../../intel/store.js';
import {
  type InstalledPackage,
  type ScanResult,
  scanProjects,
  type VexDocumentRead,
} from '../../pipeline.js';
import { crypto } from '../../util/crypto.js';
import { ioError, linkTarget, lstatOrUndefined, statOrUndefined, writeOutputFile } from '../../util/fs.js';
import { advisoryDbPath } from '../../util/home.js';
import { printableText } from '../../util/printable.js';
import { parseCommandArgs, usage } from '../args.js';
import { displayPath, type Io, type Outcome, ownStreams } from '../io.js';
import { toolVersion } from '../version.js';

const help = `Usage: patchpilot scan [DIR] [options]
       patchpilot scan --sbom FILE [options]

Read the lockfile in DIR (default: the current folder), match every installed package against the
advisory store, and report one finding per vulnerability and installed package version, highest
priority first. Priority (0-100) combines severity or CVSS, CISA KEV, EPSS, scope and directness:
malicious packages are 100, known exploited vulnerabilities 80-99.9, the rest 0-79.9; labels are
critical (80+), high (60+), medium (40+) and low.
Lockfiles: package-lock.json, npm-shrinkwrap.json, yarn.lock (classic and berry), pnpm-lock.yaml,
bun.lock. The project's .patchpilot.yml is read: an exception there that has not expired marks
the finding excepted (still listed, never counted for --fail-on).

Options:
  -r, --recursive        scan every lockfile below DIR (never inside node_modules), each as a project
      --sbom FILE        scan the npm components of a CycloneDX or SPDX JSON document instead
      --list-packages    with --json: list every registry package and its scope per project
      --json             print the report as JSON (schemaVersion 1)
      --format FORMAT    table (default), json, sarif (SARIF 2.1.0) or markdown
      --fail-on SEVERITY exit 1 when a finding at or above SEVERITY exists:
                         low, moderate (or medium), high, critical (unknown counts as low)
      --min-priority P   report only findings whose priority is at least P: critical, high,
                         medium, low, or a number from 0 to 100 (--fail-on sees only those)
      --max-paths N      dependency paths shown per finding, shortest first (default 10)
      --vex FILE         apply the statements of an OpenVEX 0.2.0 or CycloneDX VEX JSON document
                         (repeatable); each project's own .patchpilot/vex.json is always applied.
                         A not_affected statement suppresses the finding it names: still listed,
                         marked suppressed, never counted for --fail-on
      --vex-out FILE     write every finding's current status as OpenVEX 0.2.0 (atomically,
                         whatever --min-priority shows): statements carried over, malicious
                         packages affected, the rest under_investigation; with no
                         finding nothing is written (OpenVEX needs a statement) and an
                         earlier document there is removed
      --deterministic    leave out timestamps so two runs compare byte for byte
      --db FILE          advisory store (default: $PATCHPILOT_DB, else <data home>/advisories.db)
      --debug            show stack traces on errors
  -h, --help             show this help

Exit codes: 0 no unsuppressed finding at or above --fail-on, 1 there is one, 2 usage or input
error, 3 external failure, 70 internal error.

Examples:
  patchpilot scan
  patchpilot scan ./services --recursive --fail-on high
  patchpilot scan --min-priority high
  patchpilot scan --format sarif > patchpilot.sarif
  patchpilot scan --sbom bom.cdx.json --json
  patchpilot scan --vex vendor.openvex.json --fail-on high --vex-out status.openvex.json
`;

type ScanFormat = 'table' | 'json' | 'sarif' | 'markdown';

/** The `--json` document: `schemaVersion` 1 is a contract; fields may be added, never removed. */
export interface ScanReport {
  readonly schemaVersion: 1;
  readonly tool: { readonly name: 'patchpilot'; readonly version: string };
  readonly generatedAt?: string;
  readonly store: { readonly path: string; readonly advisories: number };
  readonly projects: readonly {
    readonly path: string;
    readonly lockfile: string;
    readonly format: string;
    readonly packages: number;
    readonly workspaces: readonly string[];
    readonly findings: number;
    readonly inventory?: readonly InstalledPackage[];
    /** The project's own `.patchpilot/vex.json`, when it has one. */
    readonly vex?: string;
    /** The configuration file applied (`.patchpilot.yml`), when there is one. */
    readonly config?: string;
  }[];
  /**
   * Highest priority first within each project; each carries `priority` (score, label, reasons),
   * and its project's folder and lockfile (a folder may hold several lockfiles).
   */
  readonly findings: readonly (Finding & { readonly project: string; readonly lockfile: string })[];
  /**
   * Counts over every listed finding; `suppressed` says how many of them a `not_affected` VEX
   * statement suppresses, `excepted` how many an unexpired exception of the configuration
   * excepts (neither counts for `--fail-on`).
   */
  readonly summary: Readonly<Record<SeverityLabel, number>> & {
    readonly total: number;
    readonly suppressed: number;
    readonly excepted: number;
  };
  /** The VEX documents applied, when there were any. */
  readonly vex?: readonly VexDocumentRead[];
}

export const scanCommand = async (args: readonly string[], io: Io): Promise<Outcome> => {
  const { values, positionals } = parseCommandArgs('scan', args, {
    recursive: { type: 'boolean', short: 'r' },
    sbom: { type: 'string' },
    'list-packages': { type: 'boolean' },
    json: { type: 'boolean' },
    format: { type: 'string' },
    'fail-on': { type: 'string' },
    'min-priority': { type: 'string' },
    'max-paths': { type: 'string' },
    vex: { type: 'string', multiple: true },
    'vex-out': { type: 'string' },
    deterministic: { type: 'boolean' },
    db: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 'ok';
  }
  if (positionals.length > 1) throw usage('scan', `expected one folder, got ${positionals.length}`);
  if (values.sbom !== undefined && (positionals.length > 0 || values.recursive)) {
    throw usage('scan', '--sbom scans one SBOM file; give no folder and no --recursive with it');
  }
  const format = (values.json ? 'json' : (values.format ?? 'table')) as ScanFormat;
  if (!['table', 'json', 'sarif', 'markdown'].includes(format)) {
    throw usage('scan', `unknown --format "${values.format}" (table, json, sarif, markdown)`);
  }
  if (values.json && values.format && values.format !== 'json') {
    throw usage('scan', '--json and --format disagree; give one of them');
  }
  if (values['list-packages'] && format !== 'json') {
    throw usage('scan', '--list-packages adds to the JSON report; give --json with it');
  }
  let failOn: SeverityLabel | undefined;
  if (values['fail-on'] !== undefined) {
    failOn = parseSeverityLabel(values['fail-on']);
    if (!failOn || failOn === 'unknown') {
      throw usage('scan', `unknown --fail-on "${values['fail-on']}" (low, moderate, high, critical)`);
    }
  }
  const minPriority =
    values['min-priority'] === undefined ? undefined : parseMinPriority(values['min-priority']);
  let maxPaths = 10;
  if (values['max-paths'] !== undefined) {
    maxPaths = Number(values['max-paths']);
    if (!Number.isInteger(maxPaths) || maxPaths < 0) throw usage('scan', '--max-paths takes a whole number');
  }
  for (const file of values.vex ?? []) if (file === '') throw usage('scan', '--vex needs a file name');
  const vexFiles = (values.vex ?? []).map((file) => resolve(io.cwd, file));
  const vexOut = values['vex-out'] === undefined ? undefined : resolve(io.cwd, values['vex-out']);
  if (values['vex-out'] === '') throw usage('scan', '--vex-out needs a file name');
  if (vexOut !== undefined && statOrUndefined(vexOut)?.isDirectory()) {
    throw usage('scan', `--vex-out ${values['vex-out']} is a folder; give a file name`);
  }

  const store = AdvisoryStore.open(advisoryDbPath(values.db, io.env, io.cwd), { readonly: true });
  let report: ScanReport;
  let result: ScanResult;
  try {
    result = await scanProjects(store, {
      target: resolve(io.cwd, values.sbom ?? positionals[0] ?? '.'),
      recursive: values.recursive === true,
      sbom: values.sbom !== undefined,
      listPackages: values['list-packages'] === true,
      cwd: io.cwd,
      maxPaths,
      vexFiles,
      today: io.now().toISOString().slice(0, 10),
      onProgress: (message) => io.stderr.write(`${message}\n`),
    });
    report = toReport(result, values.deterministic ? undefined : io.now(), minPriority);
  } finally {
    store.close();
  }

  if (vexOut !== undefined) {
    const text = await vexDocumentText(result, values.deterministic ? undefined : io.now());
    const shown = displayPath(io, vexOut);
    if (text.statements === 0) {
      // OpenVEX requires at least one statement: with no finding there is nothing to state, and an
      // empty document would not validate. An earlier document at that path would state statuses
      // that no longer hold, so it goes, as it would have been replaced.
      // A document this scan read its statements from is never removed: hand-written triage
      // outlives the findings it was about.
      const read = new Set([
        ...vexFiles,
        ...result.vex.map((d) => resolve(io.cwd, d.path)),
        ...result.projects.flatMap((p) => (p.vex === undefined ? [] : [resolve(io.cwd, p.vex)])),
      ]);
      // The earlier document is the regular file the path names (through a link, as a write
      // would go), never a stream such as /dev/stdout.
      const target = linkTarget(vexOut);
      const earlier = lstatOrUndefined(target)?.isFile() === true && !read.has(vexOut) && !read.has(target);
      if (earlier) {
        try {
          rmSync(target, { force: true });
        } catch (cause) {
          throw ioError(vexOut, cause);
        }
      }
      io.stderr.write(
        `not written: ${shown}: no findings, so no VEX statement to make (an OpenVEX document needs at least one)${earlier ? '; the earlier document there was removed' : read.has(vexOut) ? '; it is a VEX input of this scan and stays' : ''}\n`,
      );
    } else {
      writeOutputFile(vexOut, printableText(text.text), ownStreams(io));
      io.stderr.write(`wrote ${shown}: OpenVEX 0.2.0, ${text.statements} statements\n`);
    }
  }
  io.stdout.write(await render(format, report, io.cwd));
  if (failOn === undefined) return 'ok';
  const threshold = severityRank[failOn];
  // A finding a not_affected VEX statement suppresses, or an exception excepts, is listed but never
  // fails the build. One of unknown severity counts as low, as its priority ranks it above low:
  // a gate never lets it through unseen.
  const rank = (s: SeverityLabel): number => (s === 'unknown' ? severityRank.low : severityRank[s]);
  return report.findings.some((f) => !isSuppressed(f) && !isExcepted(f) && rank(f.severity) >= threshold)
    ? 'failed'
    : 'ok';
};

/**
 * `--vex-out`: every finding of the scan (whatever `--min-priority` shows) as OpenVEX. Without a
 * clock (`--deterministic`) the document's time is its latest statement's (or 1970-01-01) and its
 * `@id` is derived from the content.
 */
/** The OpenVEX document of `--vex-out`; its writer loads only when one is asked for. */
const vexDocumentText = async (
  result: ScanResult,
  now: Date | undefined,
): Promise<{ text: string; statements: number }> => {
  const { buildOpenVexDocument, serializeOpenVex, toOpenVexStatement } = await import(
    '../../intel/vex/write.js'
  );
  const statements = vexStatementsOf(result.projects.flatMap((p) => p.findings)).flatMap(
    (s) => toOpenVexStatement(s) ?? [],
  );
  const latest = statements.reduce<string | undefined>(
    (at, s) => (s.timestamp !== undefined && (at === undefined || s.timestamp > at) ? s.timestamp : at),
    undefined,
  );
  const document = buildOpenVexDocument(statements, {
    author: patchPilotAuthor,
    timestamp: now ? now.toISOString() : (latest ?? new Date(0).toISOString()),
    ...(now ? { id: `urn:uuid:${crypto().randomUUID()}` } : {}),
    tooling: `PatchPilot ${toolVersion()}`,
  });
  return { text: serializeOpenVex(document), statements: statements.length };
};

/** `--min-priority`: a label's lowest score, or a number from 0 to 100. */
const parseMinPriority = (text: string): number => {
  const lower = text.toLowerCase();
  if (Object.hasOwn(priorityThresholds, lower)) return priorityThresholds[lower as PriorityLabel];
  const score = Number(text);
  if (text.trim() === '' || !Number.isFinite(score) || score < 0 || score > 100) {
    throw usage(
      'scan',
      `unknown --min-priority "${text}" (critical, high, medium, low, or a number from 0 to 100)`,
    );
  }
  return score;
};

const toReport = (result: ScanResult, now: Date | undefined, minPriority: number | undefined): ScanReport => {
  const kept = (f: Finding): boolean => minPriority === undefined || (f.priority?.score ?? 0) >= minPriority;
  const projects = result.projects.map((p) => ({ ...p, findings: p.findings.filter(kept) }));
  const findings = projects.flatMap((p) =>
    p.findings.map((f) => ({ project: p.path, lockfile: p.lockfile, ...f })),
  );
  const summary = {
    critical: 0,
    high: 0,
    moderate: 0,
    low: 0,
    unknown: 0,
    total: findings.length,
    suppressed: 0,
    excepted: 0,
  };
  for (const f of findings) {
    summary[f.severity]++;
    if (isSuppressed(f)) summary.suppressed++;
    if (isExcepted(f)) summary.excepted++;
  }
  return {
    schemaVersion: 1,
    tool: { name: 'patchpilot', version: toolVersion() },
    ...(now ? { generatedAt: now.toISOString() } : {}),
    store: result.store,
    projects: projects.map(({ findings: list, config, ...rest }) => ({
      ...rest,
      ...(config ? { config: config.path } : {}),
      findings: list.length,
    })),
    findings,
    summary,
    ...(result.vex.length > 0 ? { vex: result.vex } : {}),
  };
};

const render = async (format: ScanFormat, report: ScanReport, cwd: string): Promise<string> => {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'sarif':
      return (await import('../render/sarif.js')).renderSarif(report, cwd);
    case 'markdown':
      return (await import('../render/markdown.js')).renderMarkdown(report);
    default:
      return (await import('../render/table.js')).renderTable(report);
  }
};
