import { describe, expect, it } from 'vitest';
import type { GateReport } from '../commands/gate.js';
import { renderGateSarif } from './gate-sarif.js';

const finding = {
  id: 'MAL-0000-0001',
  aliases: [],
  severity: 'critical',
  package: { name: 'evil', version: '1.0.0', purl: 'pkg:npm/evil@1.0.0' },
  scope: 'prod',
  fixedIn: [],
};

/** Gate results of `lockfiles`, each failing the malicious rule for the same package. */
const report = (lockfiles: { path: string; lockfile: string }[]): GateReport =>
  ({
    tool: { name: 'patchpilot', version: '0.0.0' },
    passed: false,
    today: '2026-01-01',
    projects: lockfiles.map((p) => ({
      ...p,
      checks: [{ rule: 'malicious', status: 'failed', evidence: 'malicious', finding }],
    })),
  }) as unknown as GateReport;

const fingerprints = (r: GateReport): string[] =>
  (
    JSON.parse(renderGateSarif(r, '/work')) as {
      runs: { results: { partialFingerprints: Record<string, string> }[] }[];
    }
  ).runs[0]?.results.map((x) => x.partialFingerprints['patchpilot/gate/v1'] as string) ?? [];

describe('renderGateSarif', () => {
  it('tells apart the results of two lockfiles in one folder, and keeps the folder alone otherwise', () => {
    expect(
      fingerprints(
        report([
          { path: 'app', lockfile: 'app/package-lock.json' },
          { path: 'app', lockfile: 'app/yarn.lock' },
        ]),
      ),
    ).toEqual([
      'malicious|MAL-0000-0001|evil@1.0.0|app|app/package-lock.json',
      'malicious|MAL-0000-0001|evil@1.0.0|app|app/yarn.lock',
    ]);
    expect(fingerprints(report([{ path: 'app', lockfile: 'app/package-lock.json' }]))).toEqual([
      'malicious|MAL-0000-0001|evil@1.0.0|app',
    ]);
  });
});
