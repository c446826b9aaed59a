import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';

/**
 * Malicious packages, on the real records of ../shared/data/advisories:
 * - every OSV malicious-packages record (MAL-) and every GitHub malware advisory (CWE-506) imports
 *   as malicious, and nothing else does;
 * - a project that installs a hijacked release (debug@4.4.2, GitHub's malware advisory), a package
 *   that is malicious in every version, and one malicious only in the versions a record lists gets
 *   those findings first, at priority 100, each with what can be done: move to the clean release,
 *   remove the package, or move outside the listed versions; in JSON, SARIF and Markdown.
 */
const hasData = requireSharedData();
const advisories = join(sharedData, 'advisories');
const files = ['npm-osv.jsonl.gz', 'npm-osv-more.jsonl.gz', 'npm-malicious-sample.jsonl.gz'];

interface RawRecord {
  id: string;
  withdrawn?: string;
  database_specific?: { cwe_ids?: string[]; 'malicious-packages-origins'?: unknown };
  affected?: {
    package?: { ecosystem?: string; name?: string };
    versions?: string[];
    ranges?: { type: string; events: Record<string, string>[] }[];
  }[];
}

const readRecords = (file: string): RawRecord[] =>
  gunzipSync(readFileSync(join(advisories, file)))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RawRecord);

const everyVersion = (record: RawRecord): boolean =>
  record.affected?.length === 1 &&
  record.affected[0]?.versions === undefined &&
  record.affected[0]?.ranges?.length === 1 &&
  JSON.stringify(record.affected[0].ranges[0]?.events) === '[{"introduced":"0"}]';

const listedOnly = (record: RawRecord): boolean =>
  record.affected?.length === 1 &&
  (record.affected[0]?.ranges ?? []).length === 0 &&
  (record.affected[0]?.versions ?? []).length === 1;

describe.skipIf(!hasData)('malicious packages on the real advisory records', () => {
  let work: ReturnType<typeof tempDir>;
  let db: string;
  let records: RawRecord[];

  beforeAll(() => {
    work = tempDir();
    db = join(work.path, 'advisories.db');
    records = files.flatMap(readRecords);
    const imported = runCli(['db', 'import', ...files.map((f) => join(advisories, f)), '--db', db]);
    expect(imported.code, imported.stderr).toBe(0);
  });
  afterAll(() => work?.remove());

  it('imports MAL- records and CWE-506 advisories as malicious, and only those', () => {
    const expected = new Set(
      records
        .filter(
          (r) =>
            r.id.startsWith('MAL-') ||
            r.database_specific?.['malicious-packages-origins'] !== undefined ||
            (r.database_specific?.cwe_ids ?? []).includes('CWE-506'),
        )
        .map((r) => r.id),
    );
    const ghsaMalware = [...expected].filter((id) => id.startsWith('GHSA-'));
    // GitHub's own malware advisories are part of the real data (hundreds of them).
    expect(ghsaMalware.length).toBeGreaterThan(300);
    const status = runCli(['db', 'status', '--db', db, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ advisories: records.length, malicious: expected.size });
  });

  it('ranks malicious findings first and says what can be done about each', () => {
    const debug = records.find((r) => r.id === 'GHSA-4x49-vf9v-38px');
    expect(debug?.affected?.[0]?.package?.name).toBe('debug');
    const removeRecord = records.find((r) => r.id.startsWith('MAL-') && !r.withdrawn && everyVersion(r));
    const listedRecord = records.find((r) => r.id.startsWith('MAL-') && !r.withdrawn && listedOnly(r));
    const removeName = removeRecord?.affected?.[0]?.package?.name as string;
    const listedName = listedRecord?.affected?.[0]?.package?.name as string;
    const listedVersion = listedRecord?.affected?.[0]?.versions?.[0] as string;
    expect(removeName && listedName && listedVersion).toBeTruthy();

    const installed: Record<string, string> = {
      debug: '4.4.2',
      [removeName]: '1.0.0',
      [listedName]: listedVersion,
      lodash: '4.17.15',
    };
    const project = join(work.path, 'app');
    const packages: Record<string, unknown> = {
      '': {
        name: 'app',
        version: '1.0.0',
        dependencies: Object.fromEntries(Object.keys(installed).map((n) => [n, '*'])),
      },
    };
    for (const [name, version] of Object.entries(installed)) {
      packages[`node_modules/${name}`] = {
        version,
        resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`,
      };
    }
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'app',
        version: '1.0.0',
        dependencies: (packages[''] as { dependencies: object }).dependencies,
      }),
    );
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }),
    );

    const scan = runCli(['scan', project, '--json', '--deterministic', '--db', db]);
    expect(scan.code, scan.stderr).toBe(0);
    const findings = (JSON.parse(scan.stdout) as { findings: FindingJson[] }).findings;
    const malicious = findings.filter((f) => f.kind === 'malicious');
    expect(new Set(malicious.map((f) => f.package.name))).toEqual(new Set(['debug', removeName, listedName]));
    // Malicious first, all at 100; the ordinary vulnerabilities of lodash after them.
    expect(findings.slice(0, malicious.length).every((f) => f.kind === 'malicious')).toBe(true);
    expect(malicious.every((f) => f.priority.score === 100)).toBe(true);
    expect(findings.some((f) => f.package.name === 'lodash' && f.kind === 'vulnerability')).toBe(true);
    expect(findings.filter((f) => f.kind === 'vulnerability').every((f) => f.remedy === undefined)).toBe(
      true,
    );

    const byName = (name: string) => malicious.find((f) => f.package.name === name);
    expect(byName('debug')?.remedy).toMatchObject({ action: 'upgrade', version: '4.4.3' });
    expect(byName(removeName)?.remedy).toMatchObject({ action: 'remove', affected: '>=0' });
    expect(byName(listedName)?.remedy).toMatchObject({ action: 'replace', affected: listedVersion });

    const sarif = runCli(['scan', project, '--format', 'sarif', '--deterministic', '--db', db]);
    const run = JSON.parse(sarif.stdout).runs[0];
    const results = run.results as {
      ruleId: string;
      message: { text: string };
      properties: { remedy?: { action: string } };
    }[];
    const debugResult = results.find((r) => r.message.text.startsWith('debug@4.4.2'));
    // Code scanning ranks a malicious package at the top, whatever severity its record states.
    const rules = run.tool.driver.rules as { id: string; properties: { 'security-severity'?: string } }[];
    expect(rules.find((r) => r.id === debugResult?.ruleId)?.properties['security-severity']).toBe('10.0');
    expect(debugResult?.message.text).toContain('What to do: debug@4.4.2 is malicious');
    expect(debugResult?.properties.remedy?.action).toBe('upgrade');

    const markdown = runCli(['scan', project, '--format', 'markdown', '--deterministic', '--db', db]);
    expect(markdown.stdout).toContain('| 4.4.3 or remove |');
    expect(markdown.stdout).toContain(`\`${removeName}@1.0.0\` | remove |`);
  });
});

interface FindingJson {
  kind: string;
  package: { name: string; version: string };
  priority: { score: number };
  remedy?: { action: string; version?: string; affected: string };
}
