import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { binPath, type CliResult, projectRoot, tempDir } from '../helpers/cli.js';

/**
 * `db sync` against a local HTTP server serving a zip built from the bundled example's real
 * records. The CLI runs as a child process without waiting synchronously (runCli's spawnSync would
 * block the server living in this process). Nothing here touches the internet: the environment
 * given to the CLI is PATH and HOME plus what each test sets.
 */

interface OsvRecord {
  id: string;
  modified: string;
  [key: string]: unknown;
}

const records = (
  JSON.parse(readFileSync(join(projectRoot, 'examples/vulnerable-app/advisories.osv.json'), 'utf8')) as {
    vulns: OsvRecord[];
  }
).vulns;

const zipOf = (list: readonly OsvRecord[]): Buffer =>
  Buffer.from(zipSync(Object.fromEntries(list.map((r) => [`${r.id}.json`, strToU8(JSON.stringify(r))]))));

const runCliAsync = (args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
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

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

let handler: Handler;
const seen: IncomingMessage[] = [];
const server = createServer((req, res) => {
  seen.push(req);
  handler(req, res);
});
let base: string;
let url: string;

const serveZip =
  (zip: Buffer, etag: string): Handler =>
  (req, res) => {
    if (req.url !== '/npm/all.zip') {
      res.writeHead(404).end();
      return;
    }
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/zip',
      'content-length': zip.length,
      etag,
      'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
    });
    res.end(zip);
  };

beforeAll(async () => {
  base = `http://127.0.0.1:${await listen(server)}`;
  url = `${base}/npm/all.zip`;
});
afterAll(() => close(server));

let home: { path: string; remove: () => void };
let db: string;
beforeEach(() => {
  home = tempDir('patchpilot-sync-');
  db = join(home.path, 'store.db');
  seen.length = 0;
  handler = serveZip(zipOf(records), '"v1"');
});
afterEach(() => home.remove());

const sync = (...args: string[]) => runCliAsync(['db', 'sync', '--base', base, '--db', db, ...args]);
const syncJson = async (...args: string[]) => {
  const result = await sync('--json', ...args);
  expect(result.stderr).not.toContain('patchpilot:');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
};

interface Status {
  advisories: number;
  sources: { name: string; lastImportedAt: string; records: number }[];
  syncs: { name: string; url: string; syncedAt: string; changedAt: string; etag?: string; records: number }[];
}

const status = async (): Promise<Status> => {
  const result = await runCliAsync(['db', 'status', '--json', '--db', db]);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Status;
};

const hash = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Only the store is left in its folder: no download, no journal. */
const expectNoLeftovers = () => expect(readdirSync(home.path)).toEqual(existsSync(db) ? ['store.db'] : []);

describe('db sync', () => {
  it('downloads the export, imports every record and records the sync', async () => {
    const before = Date.now();
    const result = await syncJson();
    expect(result).toMatchObject({
      url,
      outcome: 'imported',
      read: records.length,
      added: records.length,
      updated: 0,
      unchanged: 0,
      skipped: [],
    });
    const after = await status();
    expect(after.advisories).toBe(records.length);
    expect(after.sources).toEqual([expect.objectContaining({ name: url, records: records.length })]);
    expect(after.syncs).toEqual([
      expect.objectContaining({ name: 'osv-bucket/npm', url, etag: '"v1"', records: records.length }),
    ]);
    const syncedAt = Date.parse(after.syncs[0]?.syncedAt ?? '');
    expect(syncedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(syncedAt).toBeLessThanOrEqual(Date.now());
    const text = await runCliAsync(['db', 'status', '--db', db]);
    expect(text.stdout).toContain(`osv-bucket/npm  from ${url}, last synced ${after.syncs[0]?.syncedAt}`);
    expectNoLeftovers();
  });

  it('asks with the last ETag; a 304 downloads and rewrites nothing', async () => {
    await syncJson();
    const first = await status();
    const result = await syncJson();
    expect(result).toMatchObject({ outcome: 'not-modified', bytes: 0, added: 0, updated: 0 });
    expect(seen[1]?.headers['if-none-match']).toBe('"v1"');
    expect(seen[1]?.headers['if-modified-since']).toBe('Wed, 01 Jan 2025 00:00:00 GMT');
    const second = await status();
    expect(second.sources).toEqual(first.sources);
    expect(second.syncs[0]?.changedAt).toBe(first.syncs[0]?.changedAt);
    expect(second.syncs[0]?.syncedAt).not.toBe(first.syncs[0]?.syncedAt);
    const text = await sync();
    expect(text.stdout).toContain('is unchanged since the last sync; nothing was downloaded');
  });

  it('rewrites only the record whose modified is newer', async () => {
    await syncJson();
    const bumped = records.map((r, i) => (i === 3 ? { ...r, modified: '2099-01-01T00:00:00Z' } : r));
    handler = serveZip(zipOf(bumped), '"v2"');
    const result = await syncJson();
    expect(result).toMatchObject({
      outcome: 'imported',
      added: 0,
      updated: 1,
      unchanged: records.length - 1,
    });
    expect((await status()).syncs[0]?.etag).toBe('"v2"');
  });

  describe('a failed download leaves the store as it was (exit 3)', () => {
    const failures: [string, Handler, string[], RegExp][] = [
      [
        'a truncated body',
        (_req, res) => {
          const zip = zipOf(records);
          res.writeHead(200, { 'content-length': zip.length });
          res.write(zip.subarray(0, 1000));
          setTimeout(() => res.destroy(), 20);
        },
        [],
        /truncated: got 1000 of \d+ bytes/,
      ],
      [
        'an HTTP 500',
        (_req, res) => {
          res.writeHead(500).end('boom');
        },
        [],
        /HTTP 500 Internal Server Error/,
      ],
      ['a server that never answers', () => {}, ['--timeout', '1'], /timed out after 1 s/],
      [
        'a body that is not a zip',
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        },
        [],
        /not a readable zip archive \(24 bytes\)/,
      ],
      [
        'an archive in which no entry is an OSV record',
        (_req, res) => {
          const junk = Buffer.from(zipSync({ 'a.json': strToU8('<html>nope</html>') }));
          res.writeHead(200, { 'content-length': junk.length }).end(junk);
        },
        [],
        /failed: the archive holds no OSV record: none of its 1 entries is one; /,
      ],
      [
        'an entry that inflates past the limit (a zip bomb)',
        (_req, res) => {
          const bomb = Buffer.from(zipSync({ 'huge.json': new Uint8Array(65 * 1024 * 1024) }, { level: 9 }));
          res.writeHead(200, { 'content-length': bomb.length }).end(bomb);
        },
        [],
        /huge\.json inflates to 68157440 bytes \(limit 67108864\)/,
      ],
    ];

    it.each(failures)('%s, over a filled store', async (_name, failing, args, reason) => {
      await syncJson();
      const before = hash(db);
      handler = failing;
      const result = await sync(...args);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(reason);
      expect(result.stderr).toContain(`sync from ${url} failed`);
      expect(result.stderr).toContain(`the store ${db} is unchanged [SYNC_FAILED]`);
      // The fault is the download's, never the local store's.
      expect(result.stderr).not.toContain('cannot read the advisory store');
      expect(hash(db)).toBe(before);
      expectNoLeftovers();
      expect((await status()).advisories).toBe(records.length);
    });

    it.each(failures)('%s, with no store yet: none is created', async (_name, failing, args, reason) => {
      handler = failing;
      const result = await sync(...args);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(reason);
      expect(result.stderr).toContain(`no store was created at ${db}`);
      expect(existsSync(db)).toBe(false);
      expectNoLeftovers();
    });
  });

  it('Ctrl-C stops the download, removes it and leaves the store as it was', async () => {
    await syncJson();
    const before = hash(db);
    handler = (_req, res) => {
      const zip = zipOf(records);
      res.writeHead(200, { 'content-length': zip.length });
      res.write(zip.subarray(0, 1000)); // and nothing more: the download hangs here
    };
    const child = spawn(process.execPath, [binPath, 'db', 'sync', '--base', base, '--db', db], {
      cwd: projectRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (text.includes('downloading')) setTimeout(() => child.kill('SIGINT'), 200);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(3);
    expect(stderr).toMatch(/interrupted; the store .* is unchanged \[SYNC_FAILED\]/);
    expect(hash(db)).toBe(before);
    expectNoLeftovers();
  });

  describe('proxies from the environment', () => {
    const proxied: string[] = [];
    const proxy = createServer((req, res) => {
      proxied.push(`${req.method} ${req.url}`);
      const target = new URL(req.url ?? '');
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    // https targets would be tunnelled: accept CONNECT too, so any request shows up here.
    proxy.on('connect', (req, socket, head) => {
      proxied.push(`CONNECT ${req.url}`);
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
    });
    let proxyUrl: string;
    beforeAll(async () => {
      proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
    });
    afterAll(() => close(proxy));
    beforeEach(() => {
      proxied.length = 0;
    });

    it.each(['HTTP_PROXY', 'http_proxy'])('%s routes the download through the proxy', async (name) => {
      const result = await runCliAsync(['db', 'sync', '--base', base, '--db', db], { [name]: proxyUrl });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`via proxy ${proxyUrl}`);
      expect(proxied).toEqual([`GET ${url}`]);
      expect(seen).toHaveLength(1);
    });

    it('NO_PROXY sends matching hosts direct', async () => {
      const result = await runCliAsync(['db', 'sync', '--base', base, '--db', db], {
        HTTP_PROXY: proxyUrl,
        NO_PROXY: 'example.org,127.0.0.1',
      });
      expect(result.code, result.stderr).toBe(0);
      expect(proxied).toEqual([]);
      expect(seen).toHaveLength(1);
    });

    it('a proxy that refuses is a sync failure naming the proxy', async () => {
      const result = await runCliAsync(['db', 'sync', '--base', base, '--db', db, '--timeout', '5'], {
        http_proxy: 'http://user:secret@127.0.0.1:9',
      });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('via proxy http://***@127.0.0.1:9');
      expect(result.stderr).not.toContain('secret');
      expect(existsSync(db)).toBe(false);
    });
  });

  describe('usage', () => {
    it.each([
      [['--base', 'ftp://example.org'], /--base "ftp:\/\/example.org" is not an http/],
      [['--base', 'not a url'], /is not an http/],
      [['--timeout', '0'], /--timeout "0" is not a number of seconds from 0.001 to 2147483/],
      [['--timeout', '2147484'], /--timeout "2147484" is not a number of seconds/],
      [['--base', 'http://bob:hunter2@127.0.0.1:9/'], /--base must not carry credentials/],
      [['--timeout', 'soon'], /--timeout "soon"/],
      [['extra'], /unexpected argument "extra"/],
    ])('%j is a usage error', async (args, reason) => {
      const result = await runCliAsync(['db', 'sync', '--db', db, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(reason);
      expect(result.stderr).not.toContain('hunter2');
      expect(seen).toEqual([]);
      expect(existsSync(db)).toBe(false);
    });

    it('reads PATCHPILOT_OSV_BASE when --base is absent', async () => {
      const result = await runCliAsync(['db', 'sync', '--db', db, '--json'], {
        PATCHPILOT_OSV_BASE: `${base}/`,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ url, added: records.length });
    });

    it('prints help', async () => {
      const result = await runCliAsync(['db', 'sync', '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: patchpilot db sync/);
      expect(result.stdout).toContain('https://osv-vulnerabilities.storage.googleapis.com');
    });
  });

  it('reads a store written before syncs were recorded, and upgrades it on the next sync', async () => {
    const imported = await runCliAsync([
      'db',
      'import',
      join(projectRoot, 'examples/vulnerable-app/advisories.osv.json'),
      '--db',
      db,
    ]);
    expect(imported.code).toBe(0);
    const dropped = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '-e',
          `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(db)}); d.exec('DROP TABLE syncs'); d.close();`,
        ],
        { cwd: projectRoot, stdio: 'inherit' },
      );
      child.on('close', (code) => resolve(code ?? -1));
    });
    expect(dropped).toBe(0);
    expect((await status()).syncs).toEqual([]);
    expect(await syncJson()).toMatchObject({ added: 0, unchanged: records.length });
    expect((await status()).syncs).toHaveLength(1);
  });
});
