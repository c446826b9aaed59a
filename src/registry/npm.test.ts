import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { projectRoot, tempDir } from '../../test/helpers/cli.js';
import { cacheFile } from './cache.js';
import { createRegistry, type Registry, type RegistryOptions } from './index.js';
import { limiter, mayCarryCredential, retryAfterMs } from './npm.js';

/**
 * The npm registry client against local HTTP servers replaying recorded-shape documents from
 * test/fixtures/registry. Two servers stand for two hosts (a nerf dart includes the port). Retries
 * wait through a `sleep` that only records how long it was asked to wait.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Seen {
  readonly server: 'main' | 'other';
  readonly url: string;
  readonly accept: string | undefined;
  readonly authorization: string | undefined;
  readonly ifNoneMatch: string | undefined;
}

const fixtures = join(projectRoot, 'test/fixtures/registry');
const corgi = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

/** Serves `<name>.<form>.json` for `/<name>` (or `/npm/<name>`), with an ETag and 304s. */
const serveFixtures: Handler = (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/(npm\/)?/, ''));
  const full = req.headers.accept === 'application/json';
  const file = join(fixtures, `${path.replace('/', '__')}.${full ? 'full' : 'abbreviated'}.json`);
  if (!existsSync(file)) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    return;
  }
  const body = readFileSync(file);
  const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag }).end();
    return;
  }
  const type = full ? 'application/json' : 'application/vnd.npm.install-v1+json';
  res.writeHead(200, { 'content-type': type, etag }).end(body);
};

const seen: Seen[] = [];
let mainHandler: Handler;
let otherHandler: Handler;
const serverFor = (name: 'main' | 'other', handle: () => Handler): Server =>
  createServer((req, res) => {
    seen.push({
      server: name,
      url: req.url ?? '',
      accept: req.headers.accept,
      authorization: req.headers.authorization,
      ifNoneMatch: req.headers['if-none-match'] as string | undefined,
    });
    handle()(req, res);
  });
const main = serverFor('main', () => mainHandler);
const other = serverFor('other', () => otherHandler);
let base: string;
let otherBase: string;
let mainPort: number;
let otherPort: number;

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};
const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

beforeAll(async () => {
  mainPort = await listen(main);
  base = `http://127.0.0.1:${mainPort}`;
  otherPort = await listen(other);
  otherBase = `http://127.0.0.1:${otherPort}`;
});
afterAll(async () => {
  await close(main);
  await close(other);
});

let dir: { path: string; remove: () => void };
let project: string;
let cacheDir: string;
let sleeps: number[];
let opened: Registry[];
beforeEach(() => {
  dir = tempDir('patchpilot-registry-');
  project = join(dir.path, 'project');
  cacheDir = join(dir.path, 'cache');
  mkdirSync(project);
  mkdirSync(join(dir.path, 'home'));
  writeFileSync(join(project, 'package.json'), '{}');
  writeFileSync(join(project, '.npmrc'), `registry=${base}/\n`);
  seen.length = 0;
  sleeps = [];
  opened = [];
  mainHandler = serveFixtures;
  otherHandler = serveFixtures;
});
afterEach(async () => {
  for (const registry of opened) await registry.close();
  dir.remove();
});

const open = (options: Partial<RegistryOptions> = {}): Registry => {
  const registry = createRegistry({
    cwd: project,
    env: { HOME: join(dir.path, 'home') },
    cacheDir,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 60_000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    timeoutMs: 5000,
    ...options,
  });
  opened.push(registry);
  return registry;
};

const npmrc = (text: string): void => writeFileSync(join(project, '.npmrc'), text);

describe('fetching documents', () => {
  it("asks for the abbreviated document with npm's Accept header", async () => {
    const esbuild = await open().getPackage('esbuild');
    expect(esbuild).toMatchObject({ name: 'esbuild', form: 'abbreviated', distTags: { latest: '0.25.0' } });
    expect(esbuild?.versions['0.25.0']?.hasInstallScript).toBe(true);
    expect(seen).toEqual([
      expect.objectContaining({ url: '/esbuild', accept: corgi, authorization: undefined }),
    ]);
  });

  it('asks for the full document when publish times are wanted', async () => {
    const glob = await open().getPackage('glob', { full: true });
    expect(glob?.form).toBe('full');
    expect(glob?.versions['7.2.3']?.publishedAt).toBe('2022-05-15T17:25:27.101Z');
    expect(seen.map((s) => s.accept)).toEqual(['application/json']);
  });

  it('writes the slash of a scoped name as %2f, below the registry path', async () => {
    npmrc(`registry=${base}/npm/\n`);
    const linux = await open().getPackage('@esbuild/linux-x64');
    expect(linux?.versions['0.24.2']?.dist?.tarball).toBe(
      'https://registry.npmjs.org/@esbuild/linux-x64/-/linux-x64-0.24.2.tgz',
    );
    expect(seen.map((s) => s.url)).toEqual(['/npm/@esbuild%2flinux-x64']);
  });

  it('answers a missing package with undefined', async () => {
    expect(await open().getPackage('no-such-package')).toBeUndefined();
  });

  it('fetches a document once however often and however concurrently it is asked for', async () => {
    const registry = open();
    const [a, b] = await Promise.all([registry.getPackage('esbuild'), registry.getPackage('esbuild')]);
    expect(a).toBe(b);
    await registry.getPackage('esbuild');
    expect(seen).toHaveLength(1);
  });

  it('refuses an answer that is not JSON', async () => {
    mainHandler = (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>');
    await expect(open().getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_FAILED',
      message: expect.stringContaining('is not JSON'),
    });
  });

  it('refuses a document that names another package', async () => {
    mainHandler = (_req, res) => res.writeHead(200).end(JSON.stringify({ name: 'evil', versions: {} }));
    await expect(open().getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_FAILED',
      message: `GET ${base}/esbuild: the document is for "evil", not "esbuild"`,
    });
  });

  it('asks nothing for a name no registry can hold', async () => {
    const registry = open();
    for (const name of ['../../etc/passwd', '%2e%2e', '@scope/../x', '@acme/a/b', 'a b', '.npmrc']) {
      expect(await registry.getPackage(name)).toBeUndefined();
    }
    expect(await open({ offline: true }).getPackage('../x')).toBeUndefined();
    expect(seen).toEqual([]);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('shares a pending full request with an abbreviated question for the same package', async () => {
    const registry = open();
    const [full, abbreviated] = await Promise.all([
      registry.getPackage('glob', { full: true }),
      registry.getPackage('glob'),
    ]);
    expect(abbreviated).toBe(full);
    expect(seen.map((s) => s.accept)).toEqual(['application/json']);
  });

  it('keeps the versions it understands when one entry is malformed', async () => {
    mainHandler = (_req, res) =>
      res.writeHead(200).end(
        JSON.stringify({
          name: 'x',
          'dist-tags': { latest: '1.0.1' },
          versions: { '1.0.0': { dist: 'nope' }, '1.0.1': { dependencies: { y: '^1' } } },
        }),
      );
    const x = await open().getPackage('x');
    expect(Object.keys(x?.versions ?? {})).toEqual(['1.0.1']);
    expect(x?.skipped).toEqual([{ version: '1.0.0', reason: expect.stringContaining('dist') }]);
  });
});

describe('retries, timeouts and failures', () => {
  it('retries a 503 and then succeeds', async () => {
    let calls = 0;
    mainHandler = (req, res) => {
      if (calls++ === 0) res.writeHead(503).end();
      else serveFixtures(req, res);
    };
    expect((await open().getPackage('esbuild'))?.name).toBe('esbuild');
    expect(seen).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    let calls = 0;
    mainHandler = (req, res) => {
      if (calls++ === 0) res.writeHead(429, { 'retry-after': '2' }).end();
      else serveFixtures(req, res);
    };
    await open().getPackage('esbuild');
    expect(sleeps).toEqual([2000]);
  });

  it('shows control characters of a reason phrase escaped', async () => {
    // Node's server refuses to write such a phrase; the raw socket does not.
    mainHandler = (req) =>
      req.socket.end('HTTP/1.1 418 Tea\u001b[2Jpot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    await expect(open().getPackage('esbuild')).rejects.toMatchObject({
      message: `GET ${base}/esbuild: HTTP 418 Tea\\u001b[2Jpot`,
    });
  });

  it('gives up after the last retry with the status and the number of attempts', async () => {
    mainHandler = (_req, res) => res.writeHead(502, 'Bad Gateway').end();
    await expect(open().getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_FAILED',
      message: `GET ${base}/esbuild: HTTP 502 Bad Gateway (3 attempts)`,
    });
    expect(seen).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it('retries a dropped connection', async () => {
    mainHandler = (req) => req.socket.destroy();
    await expect(open().getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_FAILED',
      message: expect.stringMatching(/request failed: .* \(3 attempts\)$/),
    });
    expect(seen).toHaveLength(3);
  });

  it('stops a request that takes longer than the timeout', async () => {
    mainHandler = () => undefined;
    await expect(open({ timeoutMs: 50, retry: { retries: 0 } }).getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_FAILED',
      message: `GET ${base}/esbuild: timed out after 0.05 s`,
    });
  });

  it('never has more requests in flight than the bound', async () => {
    let inFlight = 0;
    let most = 0;
    mainHandler = (_req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(404).end();
      }, 20);
    };
    const registry = open({ concurrency: 3 });
    const names = Array.from({ length: 10 }, (_, i) => `package-${i}`);
    expect(await Promise.all(names.map((n) => registry.getPackage(n)))).toEqual(names.map(() => undefined));
    expect(seen).toHaveLength(10);
    expect(most).toBe(3);
  });

  it('limiter hands a finished slot to the next waiting task', async () => {
    const limit = limiter(2);
    let active = 0;
    let most = 0;
    const task = async () => {
      active++;
      most = Math.max(most, active);
      await new Promise((resolve) => setImmediate(resolve));
      active--;
    };
    await Promise.all(Array.from({ length: 7 }, () => limit(task)));
    expect(most).toBe(2);
  });

  it('caps a Retry-After, in seconds or as an HTTP date, at the longest wait', async () => {
    let calls = 0;
    const later = new Date(Date.now() + 3_600_000).toUTCString();
    mainHandler = (req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': later }).end();
      else if (calls === 2) res.writeHead(503, { 'retry-after': '86400' }).end();
      else serveFixtures(req, res);
    };
    expect((await open().getPackage('esbuild'))?.name).toBe('esbuild');
    expect(sleeps).toEqual([60_000, 60_000]);
  });

  it('refuses an answer larger than the bound without retrying it, compressed or not', async () => {
    mainHandler = (_req, res) => res.writeHead(200).end(`{"name":"esbuild","x":"${'a'.repeat(5000)}"}`);
    await expect(open({ maxDocumentBytes: 4096 }).getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_FAILED',
      message: `GET ${base}/esbuild: the answer is larger than 4096 bytes`,
    });
    expect(seen).toHaveLength(1);
    // A few kilobytes on the wire that inflate to 8 MiB.
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    mainHandler = (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb);
    await expect(open({ maxDocumentBytes: 1024 * 1024 }).getPackage('glob')).rejects.toMatchObject({
      code: 'REGISTRY_FAILED',
      message: expect.stringContaining('larger than 1048576 bytes'),
    });
    expect(seen).toHaveLength(2);
  });

  it('stops waiting for a retry when interrupted', async () => {
    const controller = new AbortController();
    mainHandler = (_req, res) => res.writeHead(503).end();
    const registry = open({
      signal: controller.signal,
      // A wait that only an interruption ends.
      sleep: () => {
        controller.abort();
        return new Promise<void>(() => undefined);
      },
    });
    await expect(registry.getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_FAILED',
      message: `GET ${base}/esbuild: interrupted`,
    });
    expect(seen).toHaveLength(1);
    await expect(registry.getPackage('glob')).rejects.toMatchObject({
      message: expect.stringContaining('interrupted'),
    });
    expect(seen).toHaveLength(1);
  });

  it('limiter frees the slot of a task that failed', async () => {
    const limit = limiter(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      limit(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    expect(await limit(async () => 'ran')).toBe('ran');
  });

  it.each([0, -1, Number.NaN])('limiter admits one task at a time when asked for %s', async (max) => {
    expect(await Promise.all([limiter(max)(async () => 1), limiter(max)(async () => 2)])).toEqual([1, 2]);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs('1.5', 0)).toBeUndefined();
    expect(retryAfterMs('-1', 0)).toBeUndefined();
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
  });
});

describe('credentials', () => {
  it('sends a scoped registry its own token and the default registry nothing', async () => {
    npmrc(
      [
        `registry=${otherBase}/`,
        `@acme:registry=${base}/`,
        `//127.0.0.1:${mainPort}/:_authToken=\${ACME_TOKEN}`,
      ].join('\n'),
    );
    const registry = open({ env: { HOME: join(dir.path, 'home'), ACME_TOKEN: 's3cret' } });
    await registry.getPackage('@acme/widget');
    await registry.getPackage('esbuild');
    expect(seen.map((s) => [s.server, s.url, s.authorization])).toEqual([
      ['main', '/@acme%2fwidget', 'Bearer s3cret'],
      ['other', '/esbuild', undefined],
    ]);
  });

  it('does not carry a token through a redirect to another host', async () => {
    npmrc(`registry=${base}/\n//127.0.0.1:${mainPort}/:_authToken=s3cret\n`);
    mainHandler = (req, res) => res.writeHead(302, { location: `${otherBase}${req.url}` }).end();
    const glob = await open().getPackage('glob');
    expect(glob?.name).toBe('glob');
    expect(seen.map((s) => [s.server, s.authorization])).toEqual([
      ['main', 'Bearer s3cret'],
      ['other', undefined],
    ]);
  });

  it('never sends a token over plain http after a redirect from https', () => {
    const hop = (from: string, to: string) => mayCarryCredential(new URL(from), new URL(to));
    expect(hop('https://r.example/a', 'http://r.example/a')).toBe(false);
    expect(hop('https://r.example/a', 'https://r.example/b')).toBe(true);
    expect(hop('http://r.example/a', 'http://r.example/b')).toBe(true);
    expect(hop('http://r.example/a', 'https://r.example/b')).toBe(true);
  });

  it('refuses a redirect to credentials in a URL, or to something that is not http(s), without showing it', async () => {
    npmrc(`registry=${base}/\n//127.0.0.1:${mainPort}/:_authToken=s3cret\n`);
    for (const location of [
      `http://user:hunter2@127.0.0.1:${otherPort}/esbuild`,
      'data:application/json,{}',
    ]) {
      mainHandler = (_req, res) => res.writeHead(302, { location }).end();
      const failure = await open()
        .getPackage('esbuild')
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({
        code: 'REGISTRY_FAILED',
        message: `GET ${base}/esbuild: HTTP 302 to a location that is not an http(s) URL without credentials`,
      });
      expect(`${(failure as Error).message} ${JSON.stringify(failure)}`).not.toMatch(/hunter2|s3cret/);
    }
    expect(seen.map((s) => s.server)).toEqual(['main', 'main']);
  });

  it('leaves the query of a redirect target (a signed URL) out of messages', async () => {
    mainHandler = (_req, res) =>
      res.writeHead(302, { location: `${otherBase}/blob/esbuild.json?X-Signature=s3cret` }).end();
    otherHandler = (_req, res) => res.writeHead(502, 'Bad Gateway').end();
    await expect(open({ retry: { retries: 0 } }).getPackage('esbuild')).rejects.toMatchObject({
      message: `GET ${otherBase}/blob/esbuild.json: HTTP 502 Bad Gateway (1 attempts)`,
    });
  });

  it('writes no credential into the cache', async () => {
    npmrc(`registry=${base}/\n//127.0.0.1:${mainPort}/:_authToken=s3cret-token\n`);
    await open().getPackage('esbuild');
    await open().getPackage('glob', { full: true });
    const files = readdirSync(cacheDir);
    expect(files).toHaveLength(2);
    for (const file of files) expect(readFileSync(join(cacheDir, file), 'utf8')).not.toContain('s3cret');
  });

  it('reports a refused token as an authorisation error without showing it', async () => {
    npmrc(`registry=${base}/\n//127.0.0.1:${mainPort}/:_authToken=s3cret-value\n`);
    mainHandler = (_req, res) => res.writeHead(401, 'Unauthorized').end('{"error":"bad token s3cret-value"}');
    const failure = await open()
      .getPackage('esbuild')
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'REGISTRY_AUTH',
      message: `GET ${base}/esbuild: HTTP 401 Unauthorized: not authorised to read esbuild`,
      hint: expect.stringContaining(join(project, '.npmrc')),
    });
    expect(JSON.stringify({ ...(failure as object), message: (failure as Error).message })).not.toContain(
      's3cret',
    );
    expect(seen).toHaveLength(1);
  });

  it('says which line to add when no credential is configured', async () => {
    mainHandler = (_req, res) => res.writeHead(403).end();
    await expect(open().getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_AUTH',
      hint: expect.stringContaining(`//127.0.0.1:${mainPort}/:_authToken=`),
    });
  });
});

describe('the disk cache', () => {
  it('answers from a fresh entry without asking, and revalidates a stale one with its ETag', async () => {
    const first = await open().getPackage('esbuild');
    expect(seen).toHaveLength(1);
    expect(await open().getPackage('esbuild')).toEqual(first);
    expect(seen).toHaveLength(1);
    const revalidated = await open({ maxAgeMs: 0 }).getPackage('esbuild');
    expect(revalidated).toEqual(first);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.ifNoneMatch).toMatch(/^"[0-9a-f]{40}"$/);
  });

  it('offline: answers from the cache whatever its age, and names a miss', async () => {
    const online = await open().getPackage('esbuild');
    const offline = open({ offline: true, maxAgeMs: 0 });
    expect(await offline.getPackage('esbuild')).toEqual(online);
    await expect(offline.getPackage('glob')).rejects.toMatchObject({
      code: 'REGISTRY_OFFLINE_MISS',
      message: expect.stringContaining('no cached document for glob'),
    });
    expect(seen).toHaveLength(1);
  });

  it('records that a package does not exist, so that offline answers the same; online asks again', async () => {
    expect(await open().getPackage('no-such-package')).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(await open({ offline: true }).getPackage('no-such-package')).toBeUndefined();
    expect(seen).toHaveLength(1);
    // Online, a recorded absence is never trusted: the package may exist now, or the 404 may have
    // answered a credential that was missing.
    expect(await open().getPackage('no-such-package')).toBeUndefined();
    expect(seen).toHaveLength(2);
    // Its full document was never asked for: offline, that is still a miss.
    await expect(open({ offline: true }).getPackage('no-such-package', { full: true })).rejects.toMatchObject(
      {
        code: 'REGISTRY_OFFLINE_MISS',
      },
    );
  });

  it('answers an abbreviated question from a cached full document', async () => {
    await open().getPackage('glob', { full: true });
    expect((await open().getPackage('glob'))?.form).toBe('full');
    expect((await open({ offline: true }).getPackage('glob'))?.form).toBe('full');
    expect(seen).toHaveLength(1);
    await expect(open({ offline: true }).getPackage('esbuild', { full: true })).rejects.toMatchObject({
      code: 'REGISTRY_OFFLINE_MISS',
    });
  });

  it('ignores a corrupt entry and replaces it', async () => {
    const file = cacheFile(cacheDir, `${base}/esbuild`, 'abbreviated');
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(file, '{"format":1,"url":');
    await expect(open({ offline: true }).getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_OFFLINE_MISS',
    });
    expect((await open().getPackage('esbuild'))?.name).toBe('esbuild');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      url: `${base}/esbuild`,
      form: 'abbreviated',
    });
    expect((await open({ offline: true }).getPackage('esbuild'))?.name).toBe('esbuild');
  });

  it('never answers one registry from what another registry wrote', async () => {
    await open().getPackage('esbuild');
    npmrc(`registry=${otherBase}/\n`);
    await expect(open({ offline: true }).getPackage('esbuild')).rejects.toMatchObject({
      code: 'REGISTRY_OFFLINE_MISS',
    });
    await open().getPackage('esbuild');
    expect(seen.map((s) => s.server)).toEqual(['main', 'other']);
  });

  it.skipIf(process.platform === 'win32' || !existsSync('/dev/zero'))(
    'takes an entry that is not a regular file (a link to /dev/zero) as absent, and replaces it',
    async () => {
      const file = cacheFile(cacheDir, `${base}/esbuild`, 'abbreviated');
      mkdirSync(cacheDir, { recursive: true });
      symlinkSync('/dev/zero', file);
      await expect(open({ offline: true }).getPackage('esbuild')).rejects.toMatchObject({
        code: 'REGISTRY_OFFLINE_MISS',
      });
      expect((await open().getPackage('esbuild'))?.name).toBe('esbuild');
      expect(lstatSync(file).isFile()).toBe(true);
    },
  );

  it('goes on without a cache it cannot write, and says so once', async () => {
    writeFileSync(join(dir.path, 'not-a-folder'), '');
    const warnings: string[] = [];
    const registry = open({ cacheDir: join(dir.path, 'not-a-folder'), onWarning: (m) => warnings.push(m) });
    expect((await registry.getPackage('esbuild'))?.name).toBe('esbuild');
    expect((await registry.getPackage('glob'))?.name).toBe('glob');
    expect(warnings).toEqual([expect.stringContaining('cannot write the registry cache')]);
  });
});
