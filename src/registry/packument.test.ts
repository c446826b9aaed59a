import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../test/helpers/cli.js';
import { readPackument } from './packument.js';
import type { PackageMetadata } from './types.js';

const fixture = (file: string): unknown =>
  JSON.parse(readFileSync(join(projectRoot, 'test/fixtures/registry', file), 'utf8'));

const read = (document: unknown, name: string, form: 'abbreviated' | 'full'): PackageMetadata => {
  const result = readPackument(document, name, form);
  if (!result.ok) throw new Error(result.reason);
  return result.metadata;
};

describe('readPackument', () => {
  it('reads an abbreviated document: install scripts from hasInstallScript, no publish times', () => {
    const esbuild = read(fixture('esbuild.abbreviated.json'), 'esbuild', 'abbreviated');
    expect(esbuild).toMatchObject({
      name: 'esbuild',
      form: 'abbreviated',
      distTags: { latest: '0.25.0' },
      modified: '2025-02-08T04:21:17.345Z',
      skipped: [],
    });
    expect(Object.keys(esbuild.versions)).toEqual(['0.24.2', '0.25.0']);
    expect(esbuild.versions['0.25.0']).toEqual({
      version: '0.25.0',
      dependencies: {},
      optionalDependencies: {
        '@esbuild/darwin-arm64': '0.25.0',
        '@esbuild/linux-x64': '0.25.0',
        '@esbuild/win32-x64': '0.25.0',
      },
      peerDependencies: {},
      peerDependenciesMeta: {},
      dist: {
        tarball: 'https://registry.npmjs.org/esbuild/-/esbuild-0.25.0.tgz',
        integrity:
          'sha512-BXq5mqc8ltbaN34cDqWuYKyNhX8D/Z0J1xdtdQ8UcIIIyJyz+ZMKUt58tF3SrZ85jcfN/PZYhjR5uDQAYNVbuw==',
        shasum: '0de1787a77206c5a79eeb634a623d39b5006ce92',
      },
      deprecated: undefined,
      hasInstallScript: true,
      publishedAt: undefined,
      nodeEngine: '>=18',
    });
    const linux = read(fixture('@esbuild__linux-x64.abbreviated.json'), '@esbuild/linux-x64', 'abbreviated');
    expect(linux.versions['0.25.0']?.hasInstallScript).toBe(false);
  });

  it('reads a full document: publish times from `time`, install scripts from `scripts`', () => {
    const esbuild = read(fixture('esbuild.full.json'), 'esbuild', 'full');
    expect(esbuild.form).toBe('full');
    expect(esbuild.versions['0.24.2']).toMatchObject({
      hasInstallScript: true,
      publishedAt: '2024-12-20T03:51:50.617Z',
    });
    const glob = read(fixture('glob.full.json'), 'glob', 'full');
    expect(glob.versions['10.4.5']).toMatchObject({
      hasInstallScript: false,
      publishedAt: '2024-07-14T19:34:05.842Z',
    });
  });

  it('keeps deprecation messages', () => {
    const glob = read(fixture('glob.abbreviated.json'), 'glob', 'abbreviated');
    expect(glob.versions['7.2.3']?.deprecated).toBe('Glob versions prior to v9 are no longer supported');
    expect(glob.versions['10.4.5']?.deprecated).toBeUndefined();
  });

  it('puts a name listed as dependency and optional peer among the dependencies, as npm does', () => {
    const ajvFormats = read(fixture('ajv-formats.abbreviated.json'), 'ajv-formats', 'abbreviated');
    expect(ajvFormats.versions['3.0.1']).toMatchObject({
      dependencies: { ajv: '^8.0.0' },
      peerDependencies: {},
      peerDependenciesMeta: {},
    });
  });

  it('separates optional, regular and peer dependencies', () => {
    const doc = {
      name: 'x',
      versions: {
        '1.0.0': {
          dependencies: { a: '^1', opt: '^2' },
          optionalDependencies: { opt: '^2' },
          peerDependencies: { p: '*', q: '^3', a: '^1' },
          peerDependenciesMeta: { q: { optional: true }, r: { optional: true }, p: 'garbage' },
        },
      },
    };
    expect(read(doc, 'x', 'abbreviated').versions['1.0.0']).toMatchObject({
      dependencies: { a: '^1' },
      optionalDependencies: { opt: '^2' },
      peerDependencies: { p: '*', q: '^3' },
      peerDependenciesMeta: { q: { optional: true } },
    });
  });

  it('skips a version it cannot read and keeps the others', () => {
    const doc = {
      name: 'x',
      'dist-tags': { latest: '2.0.0', broken: 42 },
      versions: {
        '1.0.0': { dependencies: { a: 1 } },
        'not-a-version': {},
        '1.5.0': 'garbage',
        '1.9.0': { dependencies: [] },
        '2.0.0': { dependencies: { a: '^1' }, deprecated: '' },
      },
    };
    const metadata = read(doc, 'x', 'abbreviated');
    expect(Object.keys(metadata.versions)).toEqual(['1.9.0', '2.0.0']);
    expect(metadata.versions['2.0.0']?.deprecated).toBeUndefined();
    expect(metadata.distTags).toEqual({ latest: '2.0.0' });
    expect(metadata.skipped).toEqual([
      { version: '1.0.0', reason: expect.stringContaining('dependencies.a') },
      { version: 'not-a-version', reason: 'not a semver version' },
      { version: '1.5.0', reason: expect.any(String) },
    ]);
  });

  it('takes a full document given for an abbreviated question as full', () => {
    expect(read(fixture('glob.full.json'), 'glob', 'abbreviated').form).toBe('full');
  });

  it.each([null, [], 'text', { name: 'x' }, { versions: [] }, { time: { modified: '2020-01-01' } }])(
    'refuses %j as a document',
    (doc) => {
      expect(readPackument(doc, 'x', 'abbreviated')).toMatchObject({ ok: false });
    },
  );

  it("refuses another package's document", () => {
    expect(readPackument(fixture('glob.abbreviated.json'), 'globby', 'abbreviated')).toEqual({
      ok: false,
      reason: 'the document is for "glob", not "globby"',
    });
  });

  it('reads an unpublished package as one without versions', () => {
    const doc = {
      name: 'gone',
      time: { created: '2020-01-01T00:00:00.000Z', unpublished: { time: '2021-01-01T00:00:00.000Z' } },
    };
    expect(read(doc, 'gone', 'abbreviated')).toMatchObject({ name: 'gone', versions: {}, distTags: {} });
  });

  it('drops __proto__ keys without touching any prototype', () => {
    const doc = JSON.parse(
      '{"name":"x","dist-tags":{"__proto__":"1.0.0"},"versions":{"1.0.0":{"dependencies":{"__proto__":"1","a":"^1"},"peerDependencies":{"__proto__":"*"},"peerDependenciesMeta":{"__proto__":{"optional":true}}}}}',
    );
    const version = read(doc, 'x', 'abbreviated').versions['1.0.0'];
    expect(Object.keys(version?.dependencies ?? {})).toEqual(['a']);
    expect(Object.getPrototypeOf(version?.dependencies)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(version?.peerDependenciesMeta)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).optional).toBeUndefined();
  });
});
