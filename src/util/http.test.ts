import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createHttpClient,
  downloadToFile,
  proxyFor,
  proxySettings,
  redact,
  redirectRefusal,
} from './http.js';

describe('proxySettings and proxyFor', () => {
  it('prefers the lower-case variable, as curl does', () => {
    expect(proxySettings({ http_proxy: 'http://a:1', HTTP_PROXY: 'http://b:1', NO_PROXY: 'x' })).toEqual({
      httpProxy: 'http://a:1',
      httpsProxy: undefined,
      noProxy: 'x',
    });
  });

  it.each([
    ['http://example.org/a', { HTTP_PROXY: 'http://p:3128' }, 'http://p:3128'],
    ['https://example.org/a', { HTTP_PROXY: 'http://p:3128' }, 'http://p:3128'],
    ['https://example.org/a', { HTTP_PROXY: 'http://p:1', https_proxy: 'http://s:2' }, 'http://s:2'],
    ['http://example.org/a', { https_proxy: 'http://s:2' }, undefined],
    ['https://osv.example.org/a', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.org' }, undefined],
    ['https://osv.example.org/a', { HTTPS_PROXY: 'http://p:1', no_proxy: '.example.org' }, undefined],
    ['https://example.org:8443/a', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.org:443' }, 'http://p:1'],
    ['https://badexample.org/a', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.org' }, 'http://p:1'],
    ['http://127.0.0.1:8080/a', { HTTP_PROXY: 'http://p:1', NO_PROXY: 'localhost, 127.0.0.1' }, undefined],
    ['http://any.host/a', { HTTP_PROXY: 'http://p:1', NO_PROXY: '*' }, undefined],
    ['http://any.host/a', { HTTP_PROXY: '  ' }, undefined],
  ])('%s with %j goes via %s', (url, env, expected) => {
    expect(proxyFor(new URL(url), proxySettings(env))).toBe(expected);
  });

  it('hides proxy credentials', () => {
    expect(redact('http://user:secret@proxy:3128/')).toBe('http://***@proxy:3128');
    expect(redact('http://proxy:3128')).toBe('http://proxy:3128');
  });
});

describe('downloadToFile', () => {
  let respond: (req: IncomingMessage, res: ServerResponse) => void;
  const server = createServer((req, res) => respond(req, res));
  let base: string;
  let dir: string;
  let target: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'patchpilot-http-'));
    target = join(dir, 'out.bin');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const options = { env: {}, timeoutMs: 5000, stallTimeoutMs: 5000 };
  const body = Buffer.alloc(300_000, 7);

  it('streams the body to the file and reports progress', async () => {
    respond = (_req, res) => res.writeHead(200, { 'content-length': body.length, etag: '"e"' }).end(body);
    const progress: [number, number | undefined][] = [];
    const result = await downloadToFile(`${base}/x`, target, {
      ...options,
      progressEveryBytes: 10_000,
      onProgress: (received, total) => progress.push([received, total]),
    });
    expect(result).toEqual({
      kind: 'downloaded',
      bytes: body.length,
      etag: '"e"',
      lastModified: undefined,
      proxy: undefined,
    });
    expect(readFileSync(target).equals(body)).toBe(true);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every(([, total]) => total === body.length)).toBe(true);
  });

  it('follows redirects over http(s), and refuses the ones that downgrade, leave http or loop', async () => {
    respond = (req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/x' }).end();
      else if (req.url === '/ftp') res.writeHead(301, { location: 'ftp://example.org/all.zip' }).end();
      else if (req.url === '/loop') res.writeHead(307, { location: '/loop' }).end();
      else if (req.url === '/nowhere') res.writeHead(302).end();
      else res.writeHead(200, { 'content-length': body.length }).end(body);
    };
    expect(await downloadToFile(`${base}/moved`, target, options)).toMatchObject({ kind: 'downloaded' });
    expect(readFileSync(target).equals(body)).toBe(true);
    for (const [path, reason] of [
      ['/ftp', 'redirect to a ftp: URL refused'],
      ['/loop', 'more than 10 redirects'],
      ['/nowhere', 'HTTP 302 redirect without a Location'],
    ] as const) {
      const other = join(dir, `out${path.slice(1)}.bin`);
      expect(await downloadToFile(`${base}${path}`, other, options)).toEqual({ kind: 'failed', reason });
      expect(existsSync(other)).toBe(false);
    }
  });

  it('names the proxy of the URL that answered: a redirect to a NO_PROXY host goes direct', async () => {
    respond = (_req, res) => res.writeHead(200, { 'content-length': body.length }).end(body);
    // A plain-http proxy gets the absolute URL; this one answers every request with a redirect to
    // the local server, which NO_PROXY sends direct.
    const proxy = createServer((_req, res) => res.writeHead(302, { location: `${base}/x` }).end());
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const result = await downloadToFile('http://mirror.invalid/npm/all.zip', target, {
        ...options,
        env: { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' },
      });
      expect(result).toMatchObject({ kind: 'downloaded', bytes: body.length, proxy: undefined });
      // A failure after the redirect names no proxy either: the answer came direct.
      respond = (_req, res) => res.writeHead(500).end();
      const failed = await downloadToFile('http://mirror.invalid/npm/all.zip', join(dir, 'failed.bin'), {
        ...options,
        env: { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' },
      });
      expect(failed).toEqual({ kind: 'failed', reason: 'HTTP 500 Internal Server Error' });
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('judges a redirect by where it leads: never down to http, to another scheme or to credentials', () => {
    const from = 'https://osv.example.org/npm/all.zip';
    expect(redirectRefusal(from, 'https://storage.example.com/b/all.zip?sig=secret')).toBeUndefined();
    expect(redirectRefusal(from, '/elsewhere/all.zip')).toBeUndefined();
    expect(redirectRefusal('http://127.0.0.1:8080/all.zip', 'http://127.0.0.1:8080/b')).toBeUndefined();
    expect(redirectRefusal(from, 'http://mirror.example.com/all.zip?sig=secret')).toBe(
      'redirect from https to plain http refused (http://mirror.example.com/all.zip)',
    );
    expect(redirectRefusal(from, 'file:///etc/passwd')).toBe('redirect to a file: URL refused');
    expect(redirectRefusal(from, 'https://user:pw@example.com/a')).toBe(
      'redirect to a URL with credentials refused (example.com)',
    );
    expect(redirectRefusal(from, 'http://[bad')).toBe('redirect to an invalid URL');
  });

  it('sends the conditional headers and reports a 304 without a file', async () => {
    let seen: IncomingMessage | undefined;
    respond = (req, res) => {
      seen = req;
      res.writeHead(304, { etag: '"e"' }).end();
    };
    const result = await downloadToFile(`${base}/x`, target, {
      ...options,
      headers: { 'if-none-match': '"e"' },
    });
    expect(result).toEqual({ kind: 'not-modified', etag: '"e"', lastModified: undefined });
    expect(seen?.headers['if-none-match']).toBe('"e"');
    expect(seen?.headers['accept-encoding']).toBe('identity');
    expect(existsSync(target)).toBe(false);
  });

  it.each([
    [
      'a truncated body',
      (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 1234));
        setTimeout(() => res.destroy(), 20);
      },
      /^truncated: got 1234 of 300000 bytes, connection failed: .*other side closed/,
    ],
    [
      'an HTTP error',
      (_req: IncomingMessage, res: ServerResponse) => res.writeHead(503).end(),
      /^HTTP 503 Service Unavailable$/,
    ],
    [
      'a stalled body',
      (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 10));
      },
      /^truncated: got 10 of 300000 bytes, no data for 0.2 s \(stalled\)$/,
    ],
  ])('%s fails and leaves no file', async (_name, handler, reason) => {
    respond = handler;
    const result = await downloadToFile(`${base}/x`, target, { ...options, stallTimeoutMs: 200 });
    expect(result.kind).toBe('failed');
    expect(result.kind === 'failed' && result.reason).toMatch(reason);
    expect(existsSync(target)).toBe(false);
  });

  it('gives up after the total timeout even while bytes trickle in', async () => {
    respond = (_req, res) => {
      res.writeHead(200);
      const tick = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(tick));
    };
    const result = await downloadToFile(`${base}/x`, target, {
      ...options,
      timeoutMs: 300,
      stallTimeoutMs: 200,
    });
    expect(result).toMatchObject({ kind: 'failed', reason: 'timed out after 0.3 s' });
    expect(existsSync(target)).toBe(false);
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await downloadToFile(`http://127.0.0.1:${port}/x`, target, options);
    expect(result.kind === 'failed' && result.reason).toMatch(/^request failed: .*ECONNREFUSED/);
  });
});

describe('createHttpClient', () => {
  let respond: (req: IncomingMessage, res: ServerResponse) => void;
  const server = createServer((req, res) => respond(req, res));
  const client = createHttpClient({ httpProxy: undefined, httpsProxy: undefined, noProxy: undefined });
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await client.close();
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  });

  it('returns a redirect instead of following it', async () => {
    respond = (_req, res) => res.writeHead(302, { location: '/elsewhere' }).end();
    expect(await client.get(`${base}/x`, { timeoutMs: 5000 })).toMatchObject({
      kind: 'response',
      status: 302,
      headers: { location: '/elsewhere' },
    });
  });

  it('reads a body up to maxBytes, decompressed', async () => {
    const text = `{"a":"${'é'.repeat(1000)}"}`;
    respond = (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(text));
    const size = Buffer.byteLength(text);
    expect(await client.get(`${base}/x`, { timeoutMs: 5000, maxBytes: size })).toMatchObject({ body: text });
  });

  it.each([
    ['with a Content-Length', (res: ServerResponse) => res.writeHead(200).end(Buffer.alloc(10_000, 0x61))],
    [
      'streamed without one',
      (res: ServerResponse) => {
        res.writeHead(200);
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000, 0x61));
        res.end();
      },
    ],
    [
      'compressed (a few bytes that inflate past the bound)',
      (res: ServerResponse) =>
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x61))),
    ],
  ])('refuses a body longer than maxBytes %s', async (_what, send) => {
    respond = (_req, res) => send(res);
    expect(await client.get(`${base}/x`, { timeoutMs: 5000, maxBytes: 4096 })).toEqual({
      kind: 'failed',
      reason: 'the answer is larger than 4096 bytes',
      timedOut: false,
      tooLarge: true,
    });
    // The connection pool still works afterwards.
    respond = (_req, res) => res.writeHead(200).end('ok');
    expect(await client.get(`${base}/y`, { timeoutMs: 5000, maxBytes: 4096 })).toMatchObject({ body: 'ok' });
  });

  it('says whether a failure was a timeout or an interruption', async () => {
    respond = () => undefined;
    expect(await client.get(`${base}/x`, { timeoutMs: 50 })).toMatchObject({
      kind: 'failed',
      reason: 'timed out after 0.05 s',
      timedOut: true,
    });
    const controller = new AbortController();
    controller.abort();
    expect(await client.get(`${base}/x`, { timeoutMs: 5000, signal: controller.signal })).toMatchObject({
      kind: 'failed',
      reason: 'interrupted',
      timedOut: false,
    });
  });
});
