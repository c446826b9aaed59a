import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { importAdvisories } from './import.js';
import { importEpss, importKev, readEpssFile, readKevFile } from './signals.js';
import { AdvisoryStore } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'patchpilot-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = resolve(import.meta.dirname, '../../examples/vulnerable-app/advisories.osv.json');
const now = () => new Date('2026-01-01T00:00:00Z');

const epssCsv = (date: string, rows: string[]): string =>
  [`#model_version:v2023.03.01,score_date:${date}T00:00:00+0000`, 'cve,epss,percentile', ...rows, ''].join(
    '\n',
  );

const kevJson = (cves: string[]): string =>
  JSON.stringify({
    title: 'CISA Catalog of Known Exploited Vulnerabilities',
    catalogVersion: '2025.01.02',
    dateReleased: '2025-01-02T15:00:00.0000Z',
    count: cves.length,
    vulnerabilities: cves.map((cveID) => ({
      cveID,
      vendorProject: 'x',
      product: 'y',
      vulnerabilityName: `${cveID} name`,
      dateAdded: '2024-12-01',
      shortDescription: 'd',
      requiredAction: 'a',
      dueDate: '2024-12-22',
      knownRansomwareCampaignUse: 'Unknown',
      notes: '',
      cwes: [],
    })),
  });

describe('EPSS and KEV in the store', () => {
  const path = join(dir, 'store.db');

  it('imports a gzipped EPSS snapshot and a KEV catalog, then replaces each whole', async () => {
    const gz = join(dir, 'epss_scores-2025-01-01.csv.gz');
    writeFileSync(
      gz,
      gzipSync(epssCsv('2025-01-01', ['CVE-2021-44906,0.01234,0.8', 'CVE-2020-8203,0.5,0.99'])),
    );
    const kev = join(dir, 'known_exploited_vulnerabilities.json');
    writeFileSync(kev, kevJson(['CVE-2021-44906']));

    const store = AdvisoryStore.open(path, { readonly: false });
    try {
      const epss = await importEpss(store, readEpssFile(gz), gz, now().toISOString());
      expect(epss.signal).toMatchObject({
        name: 'epss',
        records: 2,
        version: 'v2023.03.01',
        date: '2025-01-01T00:00:00+0000',
      });
      await importKev(store, readKevFile(kev), kev, now().toISOString());
      expect(store.epssFor(['CVE-2021-44906', 'CVE-2000-1'])).toEqual(
        new Map([['CVE-2021-44906', { cve: 'CVE-2021-44906', score: 0.01234, percentile: 0.8 }]]),
      );
      expect(store.kevFor(['CVE-2021-44906']).get('CVE-2021-44906')).toEqual({
        cve: 'CVE-2021-44906',
        dateAdded: '2024-12-01',
        dueDate: '2024-12-22',
        ransomware: 'Unknown',
        name: 'CVE-2021-44906 name',
      });

      // A newer snapshot replaces the old one: scores absent from it are gone.
      const plain = join(dir, 'epss_scores-2025-01-02.csv');
      writeFileSync(plain, epssCsv('2025-01-02', ['CVE-2020-8203,0.6,0.995']));
      await importEpss(store, readEpssFile(plain), plain, now().toISOString());
      expect([...store.epssFor(['CVE-2021-44906', 'CVE-2020-8203']).keys()]).toEqual(['CVE-2020-8203']);
      writeFileSync(kev, kevJson(['CVE-2020-8203']));
      await importKev(store, readKevFile(kev), kev, now().toISOString());
      expect([...store.kevFor(['CVE-2021-44906', 'CVE-2020-8203']).keys()]).toEqual(['CVE-2020-8203']);

      expect(store.status().signals).toEqual([
        {
          name: 'epss',
          source: plain,
          importedAt: '2026-01-01T00:00:00.000Z',
          date: '2025-01-02T00:00:00+0000',
          version: 'v2023.03.01',
          records: 1,
        },
        {
          name: 'kev',
          source: kev,
          importedAt: '2026-01-01T00:00:00.000Z',
          date: '2025-01-02T15:00:00.0000Z',
          version: '2025.01.02',
          records: 1,
        },
      ]);
    } finally {
      store.close();
    }
  });

  it('refuses a truncated gzip file and a .gz that is not gzip', () => {
    const whole = gzipSync(epssCsv('2025-01-01', ['CVE-2021-44906,0.01,0.8']));
    const cut = join(dir, 'cut.csv.gz');
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    expect(() => readEpssFile(cut)).toThrow(expect.objectContaining({ code: 'ADVISORY_INPUT_INVALID' }));
    const fake = join(dir, 'fake.csv.gz');
    writeFileSync(fake, 'cve,epss,percentile\n');
    expect(() => readEpssFile(fake)).toThrow(/not a gzip file/);
  });

  it('reads a store written before the signal tables existed', async () => {
    const old = join(dir, 'old.db');
    const store = AdvisoryStore.open(old, { readonly: false });
    await importAdvisories(store, [example], { cwd: dir, now });
    store.close();
    // The tables an older PatchPilot never created, dropped in another process.
    const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');
    const dropped = spawnSync(
      process.execPath,
      [
        '-e',
        `const Database = require(${JSON.stringify(betterSqlite3)});
         const db = new Database(${JSON.stringify(old)});
         db.exec('DROP TABLE epss; DROP TABLE kev; DROP TABLE signals;');
         db.close();`,
      ],
      { encoding: 'utf8' },
    );
    expect(dropped.status, dropped.stderr).toBe(0);
    const reader = AdvisoryStore.open(old, { readonly: true });
    try {
      expect(reader.status().signals).toEqual([]);
      expect(reader.epssFor(['CVE-2021-44906']).size).toBe(0);
      expect(reader.kevFor(['CVE-2021-44906']).size).toBe(0);
    } finally {
      reader.close();
    }
  });
});
