import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import semver from 'semver';
import { gzipTar, type TarEntry } from './tar.js';

/**
 * A hermetic npm registry for end-to-end tests: packuments (abbreviated and full, as
 * registry.npmjs.org serves them) and real tarballs built in memory, on 127.0.0.1. Point a
 * package manager at it with `--registry <url>` (and a temporary cache).
 */

export interface FakePackageVersion {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly scripts?: Record<string, string>;
  /**
   * Path in the package → content. Default: `index.js` with `module.exports = {}`. A
   * `package.json` here replaces the generated one in the tarball (not in the packument).
   */
  readonly files?: Record<string, string>;
  readonly deprecated?: string;
  /** ISO time; default 2020-01-01T00:00:00.000Z. */
  readonly publishedAt?: string;
  /** Command → path in the package; a path missing from `files` gets a small node script. */
  readonly bin?: Record<string, string>;
}

export interface FakePackage {
  readonly name: string;
  readonly versions: Record<string, FakePackageVersion>;
  /** Default: `latest` is the highest release (the highest version when all are prereleases). */
  readonly distTags?: Record<string, string>;
}

export interface FakeRegistry {
  /** `http://127.0.0.1:PORT/`, with the trailing slash. */
  readonly url: string;
  /** The path (and query) of every request received, in order. */
  readonly requests: readonly string[];
  /** Serves `pkg` from now on in place of its earlier document: a release published meanwhile. */
  publish(pkg: FakePackage): void;
  close(): Promise<void>;
}

const defaultTime = '2020-01-01T00:00:00.000Z';
const installScripts = ['preinstall', 'install', 'postinstall'];
const abbreviatedType = 'application/vnd.npm.install-v1+json';

/** `@scope/name` → `name`: the tarball's file name uses the bare name. */
const basenameOf = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

const defined = <T extends Record<string, unknown>>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

interface Built {
  readonly abbreviated: string;
  readonly full: string;
}

const latestOf = (versions: readonly string[]): string | undefined => {
  const valid = versions.filter((v) => semver.valid(v) !== null);
  const releases = valid.filter((v) => semver.prerelease(v) === null);
  return semver.rsort([...(releases.length > 0 ? releases : valid)])[0];
};

const build = (pkg: FakePackage, base: string, tarballs: Map<string, Buffer>): Built => {
  const versions = Object.keys(pkg.versions);
  const latest = latestOf(versions);
  const distTags = pkg.distTags ?? (latest === undefined ? {} : { latest });
  const times = versions.map((v) => pkg.versions[v]?.publishedAt ?? defaultTime);
  const created = [...times].sort()[0] ?? defaultTime;
  const modified = [...times].sort().pop() ?? defaultTime;

  const abbreviatedVersions: Record<string, unknown> = {};
  const fullVersions: Record<string, unknown> = {};
  const time: Record<string, string> = { created, modified };
  for (const version of versions) {
    const spec = pkg.versions[version] ?? {};
    const manifest = defined({
      name: pkg.name,
      version,
      main: 'index.js',
      dependencies: spec.dependencies,
      optionalDependencies: spec.optionalDependencies,
      peerDependencies: spec.peerDependencies,
      scripts: spec.scripts,
      bin: spec.bin,
    });
    const files: Record<string, string> = { ...(spec.files ?? { 'index.js': 'module.exports = {};\n' }) };
    for (const target of Object.values(spec.bin ?? {})) {
      const path = target.replace(/^\.\//, '');
      files[path] ??= `#!/usr/bin/env node\nconsole.log(${JSON.stringify(`${pkg.name}@${version}`)});\n`;
    }
    const entries: TarEntry[] = [
      {
        path: 'package/package.json',
        content: files['package.json'] ?? `${JSON.stringify(manifest, null, 2)}\n`,
      },
      ...Object.entries(files)
        .filter(([path]) => path !== 'package.json')
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([path, content]) => ({ path: `package/${path.replace(/^\.\//, '')}`, content })),
    ];
    const tgz = gzipTar(entries);
    const file = `${pkg.name}/-/${basenameOf(pkg.name)}-${version}.tgz`;
    tarballs.set(`/${file}`, tgz);
    const dist = {
      tarball: `${base}${file}`,
      integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
      shasum: createHash('sha1').update(tgz).digest('hex'),
    };
    const hasInstallScript = installScripts.some((s) => spec.scripts?.[s] !== undefined) ? true : undefined;
    abbreviatedVersions[version] = defined({
      name: pkg.name,
      version,
      dependencies: spec.dependencies,
      optionalDependencies: spec.optionalDependencies,
      peerDependencies: spec.peerDependencies,
      bin: spec.bin,
      dist,
      hasInstallScript,
      deprecated: spec.deprecated,
    });
    fullVersions[version] = defined({
      ...manifest,
      _id: `${pkg.name}@${version}`,
      deprecated: spec.deprecated,
      _hasShrinkwrap: false,
      dist,
    });
    time[version] = spec.publishedAt ?? defaultTime;
  }
  return {
    abbreviated: JSON.stringify({
      name: pkg.name,
      modified,
      'dist-tags': distTags,
      versions: abbreviatedVersions,
    }),
    full: JSON.stringify({
      _id: pkg.name,
      name: pkg.name,
      'dist-tags': distTags,
      versions: fullVersions,
      time,
    }),
  };
};

const send = (
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  head: boolean,
): void => {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
};

export const startFakeRegistry = async (packages: readonly FakePackage[]): Promise<FakeRegistry> => {
  const requests: string[] = [];
  const documents = new Map<string, Built>();
  const tarballs = new Map<string, Buffer>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const raw = req.url ?? '/';
    requests.push(raw);
    const head = req.method === 'HEAD';
    const notFound = () => send(res, 404, 'application/json', '{"error":"Not found"}', head);
    if (req.method !== 'GET' && !head) {
      send(res, 405, 'application/json', '{"error":"Method not allowed"}', false);
      return;
    }
    let path: string;
    try {
      // `/@scope%2fname` and `/@scope/name` are the same package.
      path = decodeURIComponent(raw.split('?')[0] ?? '/');
    } catch {
      notFound();
      return;
    }
    const tarball = tarballs.get(path);
    if (tarball) {
      send(res, 200, 'application/octet-stream', tarball, head);
      return;
    }
    const document = documents.get(path.slice(1));
    if (!document) {
      notFound();
      return;
    }
    if ((req.headers.accept ?? '').includes(abbreviatedType)) {
      send(res, 200, `${abbreviatedType}; charset=utf-8`, document.abbreviated, head);
    } else {
      send(res, 200, 'application/json; charset=utf-8', document.full, head);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  // Built after listening: the tarball URLs carry the port.
  for (const pkg of packages) documents.set(pkg.name, build(pkg, url, tarballs));
  return {
    url,
    requests,
    publish: (pkg) => {
      documents.set(pkg.name, build(pkg, url, tarballs));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
