import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessAsync } from '../../src/util/process.js';
import { tempDir } from '../helpers/cli.js';
import { type FakeRegistry, startFakeRegistry } from '../helpers/fake-registry.js';
import { gzipTar, tarArchive } from '../helpers/tar.js';

const marker = "node -e \"require('fs').writeFileSync('MARKER','x')\"";

let registry: FakeRegistry;
beforeAll(async () => {
  registry = await startFakeRegistry([
    {
      name: 'left-pad-fake',
      versions: {
        '1.0.0': { dependencies: { 'dep-fake': '^1.0.0' } },
        '1.1.0': {
          dependencies: { 'dep-fake': '^2.0.0', '@fake/scoped': '^1.0.0' },
          scripts: { postinstall: marker },
          bin: { 'left-pad-fake': 'bin/cli.js' },
          files: { 'index.js': "module.exports = (s) => ' ' + s;\n", 'lib/util.js': 'module.exports = 1;\n' },
          publishedAt: '2021-06-01T00:00:00.000Z',
        },
        '2.0.0': { deprecated: 'use something else' },
      },
      distTags: { latest: '1.1.0', next: '2.0.0' },
    },
    {
      name: 'dep-fake',
      versions: {
        '1.0.0': {},
        '2.0.0': {},
        '2.1.0': { files: { 'index.js': 'module.exports = 21;\n' } },
        '3.0.0-rc.1': {},
      },
    },
    { name: '@fake/scoped', versions: { '1.0.0': { peerDependencies: { 'dep-fake': '>=2' } } } },
  ]);
});
afterAll(async () => {
  await registry?.close();
});

const get = async (path: string, accept?: string) => {
  const response = await fetch(new URL(path, registry.url), accept ? { headers: { accept } } : {});
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: Buffer.from(await response.arrayBuffer()),
  };
};
interface VersionDocument {
  readonly [field: string]: unknown;
  readonly dist: { readonly tarball: string; readonly integrity: string; readonly shasum: string };
}
interface Packument {
  readonly [field: string]: unknown;
  readonly versions: Readonly<Record<string, VersionDocument>>;
}
const json = (body: Buffer): Packument => JSON.parse(body.toString('utf8')) as Packument;
const version = (doc: Packument, v: string): VersionDocument => {
  const found = doc.versions[v];
  if (!found) throw new Error(`no version ${v} in the document`);
  return found;
};
const corgi = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

describe('the fake registry', () => {
  it('serves the abbreviated document to installers', async () => {
    const { status, type, body } = await get('left-pad-fake', corgi);
    expect(status).toBe(200);
    expect(type).toContain('application/vnd.npm.install-v1+json');
    const doc = json(body);
    expect(doc.name).toBe('left-pad-fake');
    expect(doc.modified).toBe('2021-06-01T00:00:00.000Z');
    expect(doc['dist-tags']).toEqual({ latest: '1.1.0', next: '2.0.0' });
    expect(doc.time).toBeUndefined();
    const v = version(doc, '1.1.0');
    expect(Object.keys(v).sort()).toEqual([
      'bin',
      'dependencies',
      'dist',
      'hasInstallScript',
      'name',
      'version',
    ]);
    expect(v.dist.tarball).toBe(`${registry.url}left-pad-fake/-/left-pad-fake-1.1.0.tgz`);
    expect(version(doc, '1.0.0').hasInstallScript).toBeUndefined();
    expect(version(doc, '2.0.0').deprecated).toBe('use something else');
  });

  it('serves the full document otherwise, with times, scripts and ids', async () => {
    const doc = json((await get('left-pad-fake')).body);
    expect(doc._id).toBe('left-pad-fake');
    expect(doc.time).toEqual({
      created: '2020-01-01T00:00:00.000Z',
      modified: '2021-06-01T00:00:00.000Z',
      '1.0.0': '2020-01-01T00:00:00.000Z',
      '1.1.0': '2021-06-01T00:00:00.000Z',
      '2.0.0': '2020-01-01T00:00:00.000Z',
    });
    expect(version(doc, '1.1.0')).toMatchObject({
      _id: 'left-pad-fake@1.1.0',
      scripts: { postinstall: marker },
      main: 'index.js',
    });
  });

  it('makes the highest release latest by default', async () => {
    expect(json((await get('dep-fake')).body)['dist-tags']).toEqual({ latest: '2.1.0' });
  });

  it('serves scoped names escaped or not, and 404s unknown names', async () => {
    const escaped = json((await get('@fake%2fscoped', corgi)).body);
    const plain = json((await get('@fake/scoped', corgi)).body);
    expect(plain).toEqual(escaped);
    expect(version(escaped, '1.0.0').dist.tarball).toBe(`${registry.url}@fake/scoped/-/scoped-1.0.0.tgz`);
    expect(version(escaped, '1.0.0').peerDependencies).toEqual({ 'dep-fake': '>=2' });
    const missing = await get('no-such-package');
    expect(missing.status).toBe(404);
    expect(json(missing.body)).toEqual({ error: 'Not found' });
    expect((await get('left-pad-fake/-/left-pad-fake-9.9.9.tgz')).status).toBe(404);
    expect(registry.requests).toContain('/@fake%2fscoped');
    expect(registry.requests).toContain('/no-such-package');
  });

  it('serves tarballs that match their integrity and that tar can read', async () => {
    const doc = json((await get('left-pad-fake', corgi)).body);
    const dist = version(doc, '1.1.0').dist;
    const tgz = await get(new URL(dist.tarball).pathname.slice(1));
    expect(tgz.status).toBe(200);
    expect(`sha512-${createHash('sha512').update(tgz.body).digest('base64')}`).toBe(dist.integrity);
    expect(createHash('sha1').update(tgz.body).digest('hex')).toBe(dist.shasum);

    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'p.tgz'), tgz.body);
      const listed = spawnSync('tar', ['-tzf', 'p.tgz'], { cwd: dir.path, encoding: 'utf8' });
      expect(listed.stdout.trim().split('\n').sort()).toEqual([
        'package/bin/cli.js',
        'package/index.js',
        'package/lib/util.js',
        'package/package.json',
      ]);
      spawnSync('tar', ['-xzf', 'p.tgz'], { cwd: dir.path });
      expect(JSON.parse(readFileSync(join(dir.path, 'package/package.json'), 'utf8'))).toEqual({
        name: 'left-pad-fake',
        version: '1.1.0',
        main: 'index.js',
        dependencies: { 'dep-fake': '^2.0.0', '@fake/scoped': '^1.0.0' },
        scripts: { postinstall: marker },
        bin: { 'left-pad-fake': 'bin/cli.js' },
      });
      expect(readFileSync(join(dir.path, 'package/index.js'), 'utf8')).toBe(
        "module.exports = (s) => ' ' + s;\n",
      );
    } finally {
      dir.remove();
    }
  });
});

describe('tarArchive', () => {
  it('writes ustar that tar reads back: long paths, sizes on block boundaries, binary content', () => {
    const long = `package/${'deep/'.repeat(30)}file.js`;
    const binary = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    const entries = [
      { path: 'package/exact.txt', content: 'x'.repeat(512) },
      { path: 'package/empty.txt', content: '' },
      { path: long, content: 'long\n' },
      { path: 'package/bin.dat', content: binary },
      { path: 'package/ünï.txt', content: 'ü' },
    ];
    const archive = tarArchive(entries);
    expect(archive.length % 512).toBe(0);
    expect(archive.subarray(-1024).every((b) => b === 0)).toBe(true);
    expect(gzipTar(entries).equals(gzipTar(entries))).toBe(true);

    const dir = tempDir();
    try {
      writeFileSync(join(dir.path, 'a.tar'), archive);
      const result = spawnSync('tar', ['-xf', 'a.tar'], { cwd: dir.path, encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(readFileSync(join(dir.path, 'package/exact.txt'), 'utf8')).toBe('x'.repeat(512));
      expect(readFileSync(join(dir.path, 'package/empty.txt'), 'utf8')).toBe('');
      expect(readFileSync(join(dir.path, long), 'utf8')).toBe('long\n');
      expect(Uint8Array.from(readFileSync(join(dir.path, 'package/bin.dat')))).toEqual(binary);
      expect(readFileSync(join(dir.path, 'package/ünï.txt'), 'utf8')).toBe('ü');
    } finally {
      dir.remove();
    }
  });
});

describe('npm against the fake registry', () => {
  it('installs from it, records it in the lockfile and runs no scripts with --ignore-scripts', async () => {
    const dir = tempDir();
    try {
      const project = join(dir.path, 'project');
      mkdirSync(project);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({
          name: 'app',
          version: '1.0.0',
          private: true,
          dependencies: { 'left-pad-fake': '^1.0.0' },
        }),
      );
      const before = registry.requests.length;
      // Asynchronously: the registry answers from this process's event loop.
      const result = await runProcessAsync(
        'npm',
        ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--registry', registry.url],
        {
          cwd: project,
          env: {
            PATH: process.env.PATH,
            HOME: dir.path,
            npm_config_cache: join(dir.path, 'npm-cache'),
            npm_config_userconfig: join(dir.path, 'npmrc'),
            npm_config_update_notifier: 'false',
            npm_config_loglevel: 'error',
          },
          timeoutMs: 30_000,
        },
      );
      expect(result.output.trim()).toMatch(/^added 3 packages in \d+m?s$/);
      expect(result.code).toBe(0);

      const installed = (name: string) =>
        JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')).version;
      expect(installed('left-pad-fake')).toBe('1.1.0');
      expect(installed('dep-fake')).toBe('2.1.0');
      expect(installed('@fake/scoped')).toBe('1.0.0');
      expect(readFileSync(join(project, 'node_modules/dep-fake/index.js'), 'utf8')).toBe(
        'module.exports = 21;\n',
      );
      expect(existsSync(join(project, 'node_modules/left-pad-fake/lib/util.js'))).toBe(true);
      expect(existsSync(join(project, 'node_modules/.bin/left-pad-fake'))).toBe(true);
      expect(existsSync(join(project, 'MARKER'))).toBe(false);
      expect(existsSync(join(project, 'node_modules/left-pad-fake/MARKER'))).toBe(false);

      const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
      const integrity = async (name: string, v: string) =>
        version(json((await get(name, corgi)).body), v).dist.integrity;
      const entry = lock.packages['node_modules/left-pad-fake'];
      expect(entry).toMatchObject({
        version: '1.1.0',
        resolved: `${registry.url}left-pad-fake/-/left-pad-fake-1.1.0.tgz`,
        integrity: await integrity('left-pad-fake', '1.1.0'),
        hasInstallScript: true,
        bin: { 'left-pad-fake': 'bin/cli.js' },
      });
      expect(lock.packages['node_modules/@fake/scoped'].resolved).toBe(
        `${registry.url}@fake/scoped/-/scoped-1.0.0.tgz`,
      );
      expect(lock.packages['node_modules/dep-fake']).toMatchObject({
        version: '2.1.0',
        resolved: `${registry.url}dep-fake/-/dep-fake-2.1.0.tgz`,
        integrity: await integrity('dep-fake', '2.1.0'),
      });
      // The marker is the script's, not a broken one: `npm rebuild` runs it.
      const rebuild = await runProcessAsync('npm', ['rebuild', '--registry', registry.url], {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          HOME: dir.path,
          npm_config_cache: join(dir.path, 'npm-cache'),
          npm_config_update_notifier: 'false',
        },
        timeoutMs: 30_000,
      });
      expect(rebuild.code).toBe(0);
      expect(existsSync(join(project, 'node_modules/left-pad-fake/MARKER'))).toBe(true);
      expect(registry.requests.slice(before)).toEqual(
        expect.arrayContaining([
          '/left-pad-fake',
          '/dep-fake',
          '/@fake%2fscoped',
          '/left-pad-fake/-/left-pad-fake-1.1.0.tgz',
        ]),
      );
      // With the update notifier off, npm asks for nothing else (it would ask for `/npm`).
      expect(registry.requests.slice(before).every((r) => !r.startsWith('/npm'))).toBe(true);
    } finally {
      dir.remove();
    }
  });
});
