import { cveIds, type Finding, type FindingEpss, type FindingKev } from '../core/finding.js';

/** EPSS scores and KEV entries by CVE id, as looked up in the store for the findings' CVEs. */
export interface ExploitSignals {
  readonly epss: ReadonlyMap<string, FindingEpss>;
  readonly kev: ReadonlyMap<string, FindingKev>;
}

/**
 * Findings × exploitation signals → findings carrying `epss` (the highest score among their CVE
 * ids; ties go to the lowest id) and `kev` (the first of their CVE ids in the catalog). Pure.
 */
export const attachSignals = (findings: readonly Finding[], signals: ExploitSignals): Finding[] =>
  findings.map((finding) => {
    const cves = cveIds(finding).sort();
    let epss: FindingEpss | undefined;
    for (const cve of cves) {
      const found = signals.epss.get(cve);
      if (found && (!epss || found.score > epss.score)) epss = found;
    }
    const kevCve = cves.find((cve) => signals.kev.has(cve));
    const kev = kevCve === undefined ? undefined : signals.kev.get(kevCve);
    if (!epss && !kev) return finding;
    return { ...finding, ...(epss ? { epss } : {}), ...(kev ? { kev } : {}) };
  });
