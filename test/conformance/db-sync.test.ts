import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binPath,
  type CliResult,
  projectRoot,
  requireSharedData,
  sharedData,
  tempDir,
} from '../helpers/cli.js';

/**
 * `db sync` of an export built from the real records in ../shared/data/advisories (GitHub-reviewed
 * advisories and malicious-package records), served from a local HTTP server as OSV's bucket
 * serves npm/all.zip: one `<id>.json` per record. The result must equal a `db import` of the same
 * records, and a truncated download of the full export must leave the store as it was.
 */

const hasData = requireSharedData();
const feeds = ['npm-osv.jsonl.gz', 'npm-osv-more.jsonl.gz', 'npm-malicious-sample.jsonl.gz'];

const runCliAsync = (args: readonly string[]): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });

describe.runIf(hasData)('db sync of the real records', () => {
  const home = tempDir('patchpilot-sync-conf-');
  let zip: Buffer;
  let respond: (req: IncomingMessage, res: ServerResponse) => void;
  const server = createServer((req, res) => respond(req, res));
  let base: string;

  beforeAll(async () => {
    const files: Record<string, Uint8Array> = {};
    for (const feed of feeds) {
      const text = gunzipSync(readFileSync(join(sharedData, 'advisories', feed))).toString('utf8');
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        const id = (JSON.parse(line) as { id: string }).id;
        files[`${id}.json`] = strToU8(line);
      }
    }
    zip = Buffer.from(zipSync(files));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    home.remove();
  });

  const serveFull = (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['if-none-match'] === '"full"') {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { 'content-length': zip.length, etag: '"full"' }).end(zip);
  };

  it('imports what `db import` imports, then answers a 304, and survives a truncated download', async () => {
    const synced = join(home.path, 'synced.db');
    const imported = join(home.path, 'imported.db');
    respond = serveFull;
    const sync = await runCliAsync(['db', 'sync', '--base', base, '--db', synced, '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    const result = JSON.parse(sync.stdout) as { read: number; added: number; skipped: unknown[] };
    expect(result.added + result.skipped.length).toBe(result.read);
    expect(result.read).toBeGreaterThan(8000);

    const direct = await runCliAsync([
      'db',
      'import',
      ...feeds.map((f) => join(sharedData, 'advisories', f)),
      '--db',
      imported,
      '--json',
    ]);
    expect(direct.code, direct.stderr).toBe(0);
    const status = async (db: string) => {
      const out = await runCliAsync(['db', 'status', '--json', '--db', db]);
      expect(out.code).toBe(0);
      const { advisories, withdrawn, malicious, packages, newestModified } = JSON.parse(out.stdout) as Record<
        string,
        unknown
      >;
      return { advisories, withdrawn, malicious, packages, newestModified };
    };
    expect(await status(synced)).toEqual(await status(imported));

    const again = await runCliAsync(['db', 'sync', '--base', base, '--db', synced, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'not-modified', bytes: 0 });

    const hash = () => createHash('sha256').update(readFileSync(synced)).digest('hex');
    const before = hash();
    respond = (_req, res) => {
      res.writeHead(200, { 'content-length': zip.length, etag: '"other"' });
      res.write(zip.subarray(0, Math.floor(zip.length / 2)));
      setTimeout(() => res.destroy(), 50);
    };
    const truncated = await runCliAsync(['db', 'sync', '--base', base, '--db', synced]);
    expect(truncated.code).toBe(3);
    expect(truncated.stderr).toMatch(/truncated: got \d+ of \d+ bytes/);
    expect(hash()).toBe(before);
  });
});
