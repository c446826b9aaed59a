import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  edgeRows,
  shownId as id,
  packageAt as pkg,
  packageRows as rows,
} from '../../../test/helpers/inventory.js';
import { type ErrorCode, PatchPilotError } from '../../core/errors.js';
import { type Inventory, registryPackageKeys } from '../../core/inventory.js';
import { dependencyPaths, indexPaths } from '../paths.js';
import { parseNpmLockfile } from './index.js';

/*
 * Fixtures are small lockfiles written by hand in the shape npm writes them (checked against npm 11
 * output and the real lockfiles in ../shared/data/projects). Inline strings cover one-fact cases;
 * test/fixtures/npm/<case>/ holds the realistic multi-file projects.
 */

const fixtures = fileURLToPath(new URL('../../../test/fixtures/npm/', import.meta.url));
const LOCK = '/work/app/package-lock.json';
const MANIFEST = '/work/app/package.json';

const readFixture = (name: string, options: { manifest?: boolean } = {}): Inventory => {
  const dir = join(fixtures, name);
  const path = join(dir, 'package-lock.json');
  const manifestPath = join(dir, 'package.json');
  const manifest =
    options.manifest === false
      ? undefined
      : { content: readFileSync(manifestPath, 'utf8'), path: manifestPath };
  return parseNpmLockfile(readFileSync(path, 'utf8'), path, { manifest });
};

/** Paths as id lists, checked to be shortest first, then sorted for an order-free comparison. */
const pathsTo = (inventory: Inventory, target: string, limit = 100): string[][] => {
  const result = dependencyPaths(indexPaths(inventory), target, { limit });
  const lengths = result.paths.map((p) => p.length);
  expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
  expect(result.count).toBe(result.paths.length);
  return result.paths
    .map((p) => [...p])
    .sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
};

const v3 = (packages: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify(
    { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages, ...extra },
    null,
    2,
  );

const v1 = (dependencies: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify(
    { name: 'app', version: '1.0.0', lockfileVersion: 1, requires: true, dependencies, ...extra },
    null,
    2,
  );

const manifest = (value: Record<string, unknown>) => ({
  manifest: { content: JSON.stringify({ name: 'app', version: '1.0.0', ...value }), path: MANIFEST },
});

const failure = (fn: () => unknown): PatchPilotError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PatchPilotError) return error;
    throw error;
  }
  throw new Error('expected a PatchPilotError, nothing was thrown');
};

describe('parseNpmLockfile: lockfileVersion 3 (test/fixtures/npm/v3-app)', () => {
  const path = join(fixtures, 'v3-app', 'package-lock.json');
  const inventory = readFixture('v3-app');

  it('names the project, the lockfile and its format', () => {
    expect(inventory.format).toBe('npm-v3');
    expect(inventory.lockfile).toBe(path);
    expect(inventory.root).toBe(join(fixtures, 'v3-app'));
    expect(inventory.importers).toEqual([{ id: '', name: 'shop-api', path: '' }]);
  });

  it('reads every installed package with its real name, version, scope and source', () => {
    expect(rows(inventory)).toEqual([
      '(root) shop-api@1.4.0 (prod, root)',
      'libs/local-utils local-utils@0.3.0 (prod, file)',
      'node_modules/@scope/pkg @scope/pkg@1.0.0 (prod, registry)',
      'node_modules/cookie cookie@0.5.0 (prod, registry)',
      'node_modules/debug debug@4.3.4 (prod, registry)',
      'node_modules/express-lite express-lite@2.1.0 (prod, registry)',
      'node_modules/express-lite/node_modules/debug debug@2.6.9 (prod, registry)',
      'node_modules/express-lite/node_modules/ms ms@2.0.0 (prod, registry)',
      'node_modules/helper helper@1.0.0 (devOptional, registry)',
      'node_modules/js-tokens js-tokens@4.0.0 (peer, registry)',
      'node_modules/left-pad @acme/left-pad@1.3.0 (prod, registry)',
      'node_modules/lodash-fork lodash-fork@4.17.21 (prod, git)',
      'node_modules/loose-envify loose-envify@1.4.0 (peer, registry)',
      'node_modules/ms ms@2.1.2 (prod, registry)',
      'node_modules/native-addon native-addon@1.0.0 (optional, registry)',
      'node_modules/pack-with-bundle pack-with-bundle@1.0.0 (prod, registry)',
      'node_modules/pack-with-bundle/node_modules/inner inner@1.0.0 (prod, registry)',
      'node_modules/react react@18.2.0 (peer, registry)',
      'node_modules/react-widget react-widget@2.0.0 (prod, registry)',
      'node_modules/remote-tarball remote-tarball@0.9.0 (prod, tarball)',
      'node_modules/test-runner test-runner@3.0.0 (dev, registry)',
      'node_modules/vendored vendored@1.0.0 (prod, file)',
    ]);
  });

  it('keeps link entries out of the packages (the link target is the package)', () => {
    expect(inventory.packages.has('node_modules/local-utils')).toBe(false);
    expect(inventory.packages.has('libs/local-utils')).toBe(true);
  });

  it('gives a purl to registry packages only, under the real (aliased) name', () => {
    const purls = [...inventory.packages.values()].map((p) => `${id(p.id)} ${p.purl ?? '-'}`).sort();
    expect(purls).toEqual([
      '(root) -',
      'libs/local-utils -',
      'node_modules/@scope/pkg pkg:npm/%40scope/pkg@1.0.0',
      'node_modules/cookie pkg:npm/cookie@0.5.0',
      'node_modules/debug pkg:npm/debug@4.3.4',
      'node_modules/express-lite pkg:npm/express-lite@2.1.0',
      'node_modules/express-lite/node_modules/debug pkg:npm/debug@2.6.9',
      'node_modules/express-lite/node_modules/ms pkg:npm/ms@2.0.0',
      'node_modules/helper pkg:npm/helper@1.0.0',
      'node_modules/js-tokens pkg:npm/js-tokens@4.0.0',
      'node_modules/left-pad pkg:npm/%40acme/left-pad@1.3.0',
      'node_modules/lodash-fork -',
      'node_modules/loose-envify pkg:npm/loose-envify@1.4.0',
      'node_modules/ms pkg:npm/ms@2.1.2',
      'node_modules/native-addon pkg:npm/native-addon@1.0.0',
      'node_modules/pack-with-bundle pkg:npm/pack-with-bundle@1.0.0',
      'node_modules/pack-with-bundle/node_modules/inner pkg:npm/inner@1.0.0',
      'node_modules/react pkg:npm/react@18.2.0',
      'node_modules/react-widget pkg:npm/react-widget@2.0.0',
      'node_modules/remote-tarball -',
      'node_modules/test-runner pkg:npm/test-runner@3.0.0',
      'node_modules/vendored -',
    ]);
  });

  it('marks the npm: alias and the bundled package', () => {
    const aliased = [...inventory.packages.values()].filter((p) => p.alias !== undefined);
    expect(aliased.map((p) => [p.id, p.name, p.alias])).toEqual([
      ['node_modules/left-pad', '@acme/left-pad', 'left-pad'],
    ]);
    const bundled = [...inventory.packages.values()].filter((p) => p.bundled).map((p) => p.id);
    expect(bundled).toEqual(['node_modules/pack-with-bundle/node_modules/inner']);
  });

  it('keeps resolved, integrity and license as written', () => {
    expect(pkg(inventory, 'node_modules/lodash-fork')).toMatchObject({
      resolved: 'git+ssh://git@github.com/acme/lodash-fork.git#2da024c3b4f9947a48517639de7560457cd4ec6c',
      integrity: undefined,
      license: 'MIT',
    });
    expect(pkg(inventory, 'node_modules/left-pad')).toMatchObject({
      resolved: 'https://registry.npmjs.org/@acme/left-pad/-/left-pad-1.3.0.tgz',
      integrity: 'sha512-bGVmdC1wYWQtMS4zLjA=',
      license: 'WTFPL',
    });
    expect(pkg(inventory, '').license).toBe('MIT');
  });

  it('links every dependency to the copy Node would load (nested copies shadow hoisted ones)', () => {
    expect(edgeRows(inventory)).toEqual(
      [
        '(root) -> node_modules/@scope/pkg [prod] ^1.0.0',
        '(root) -> node_modules/debug [prod] ^4.3.0',
        '(root) -> node_modules/express-lite [prod] ^2.0.0',
        '(root) -> node_modules/left-pad [prod] npm:@acme/left-pad@^1.3.0',
        '(root) -> libs/local-utils [prod] file:libs/local-utils',
        '(root) -> node_modules/lodash-fork [prod] github:acme/lodash-fork',
        '(root) -> node_modules/pack-with-bundle [prod] ^1.0.0',
        '(root) -> node_modules/react-widget [prod] ^2.0.0',
        '(root) -> node_modules/remote-tarball [prod] https://codeload.github.com/acme/remote-tarball/tar.gz/5d1a0f3e4e3c1a2b7f9e8d6c5b4a39281706f5e4',
        '(root) -> node_modules/vendored [prod] file:vendor/vendored-1.0.0.tgz',
        '(root) -> node_modules/test-runner [dev] ^3.0.0',
        '(root) -> node_modules/native-addon [optional] ^1.0.0',
        '(root) -> node_modules/react [peer] ^18.0.0',
        'libs/local-utils -> node_modules/ms [prod] ^2.1.0',
        'node_modules/debug -> node_modules/ms [prod] 2.1.2',
        'node_modules/express-lite -> node_modules/cookie [prod] 0.5.0',
        'node_modules/express-lite -> node_modules/express-lite/node_modules/debug [prod] 2.6.9',
        'node_modules/express-lite/node_modules/debug -> node_modules/express-lite/node_modules/ms [prod] 2.0.0',
        'node_modules/loose-envify -> node_modules/js-tokens [prod] ^3.0.0 || ^4.0.0',
        'node_modules/native-addon -> node_modules/helper [prod] ^1.0.0',
        'node_modules/pack-with-bundle -> node_modules/pack-with-bundle/node_modules/inner [prod] ^1.0.0',
        'node_modules/react -> node_modules/loose-envify [prod] ^1.1.0',
        'node_modules/react-widget -> node_modules/react [peer] ^18.0.0',
        'node_modules/test-runner -> node_modules/helper [prod] ^1.0.0',
      ].sort(),
    );
  });

  it('finds the paths through nested and hoisted copies', () => {
    expect(pathsTo(inventory, 'node_modules/express-lite/node_modules/ms')).toEqual([
      [
        '',
        'node_modules/express-lite',
        'node_modules/express-lite/node_modules/debug',
        'node_modules/express-lite/node_modules/ms',
      ],
    ]);
    expect(pathsTo(inventory, 'node_modules/ms')).toEqual([
      ['', 'libs/local-utils', 'node_modules/ms'],
      ['', 'node_modules/debug', 'node_modules/ms'],
    ]);
    expect(pathsTo(inventory, 'node_modules/js-tokens')).toEqual([
      ['', 'node_modules/react', 'node_modules/loose-envify', 'node_modules/js-tokens'],
      [
        '',
        'node_modules/react-widget',
        'node_modules/react',
        'node_modules/loose-envify',
        'node_modules/js-tokens',
      ],
    ]);
    expect(pathsTo(inventory, 'node_modules/helper')).toEqual([
      ['', 'node_modules/native-addon', 'node_modules/helper'],
      ['', 'node_modules/test-runner', 'node_modules/helper'],
    ]);
  });

  it('lists the registry packages by name@version, each copy once', () => {
    expect([...registryPackageKeys(inventory)].sort()).toEqual([
      '@acme/left-pad@1.3.0',
      '@scope/pkg@1.0.0',
      'cookie@0.5.0',
      'debug@2.6.9',
      'debug@4.3.4',
      'express-lite@2.1.0',
      'helper@1.0.0',
      'inner@1.0.0',
      'js-tokens@4.0.0',
      'loose-envify@1.4.0',
      'ms@2.0.0',
      'ms@2.1.2',
      'native-addon@1.0.0',
      'pack-with-bundle@1.0.0',
      'react-widget@2.0.0',
      'react@18.2.0',
      'test-runner@3.0.0',
    ]);
  });

  it('reads the same graph without the package.json beside it', () => {
    const bare = readFixture('v3-app', { manifest: false });
    expect(rows(bare)).toEqual(rows(inventory));
    expect(edgeRows(bare)).toEqual(edgeRows(inventory));
  });
});

describe('parseNpmLockfile: scope from the npm flags (v2/v3)', () => {
  // npm docs (package-lock.json): dev = only reachable through devDependencies; optional = only
  // through optionalDependencies; devOptional = a dev dependency AND an optional dependency of a
  // non-dev one (installed by `--omit=dev` unless optional is omitted too); "An optional dependency
  // of a dev dependency will have both dev and optional set": never installed without dev deps.
  it.each([
    { flags: {}, scope: 'prod' },
    { flags: { dev: true }, scope: 'dev' },
    { flags: { optional: true }, scope: 'optional' },
    { flags: { devOptional: true }, scope: 'devOptional' },
    { flags: { peer: true }, scope: 'peer' },
    { flags: { dev: true, peer: true }, scope: 'dev' },
    { flags: { optional: true, peer: true }, scope: 'optional' },
    { flags: { devOptional: true, peer: true }, scope: 'devOptional' },
    { flags: { dev: true, optional: true }, scope: 'dev' },
  ])('$flags → $scope', ({ flags, scope }) => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0', dependencies: { a: '^1.0.0' } },
        'node_modules/a': { version: '1.0.0', integrity: 'sha512-YQ==', ...flags },
      }),
      LOCK,
    );
    expect(pkg(inventory, 'node_modules/a').scope).toBe(scope);
  });
});

describe('parseNpmLockfile: source from `resolved` (v2/v3)', () => {
  const sha = '2da024c3b4f9947a48517639de7560457cd4ec6c';
  it.each([
    { name: 'foo', version: '1.0.0', resolved: undefined, source: 'registry' },
    { name: 'foo', version: '1.0.0-beta.1', resolved: undefined, source: 'registry' },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: 'https://registry.npmjs.org/foo/-/foo-1.0.0.tgz',
      source: 'registry',
    },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: 'http://registry.npmjs.org/foo/-/foo-1.0.0.tgz',
      source: 'registry',
    },
    {
      name: '@scope/foo',
      version: '1.0.0',
      resolved: 'https://registry.npmjs.org/@scope/foo/-/foo-1.0.0.tgz',
      source: 'registry',
    },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: 'https://artifactory.example/api/npm/npm-remote/foo/-/foo-1.0.0.tgz',
      source: 'registry',
    },
    // A query or a fragment after the file name does not change where it comes from.
    {
      name: 'foo',
      version: '1.0.0',
      resolved: 'https://r.example/foo/-/foo-1.0.0.tgz?token=x',
      source: 'registry',
    },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: 'https://r.example/foo/-/foo-1.0.0.tgz#abc?d',
      source: 'registry',
    },
    {
      name: '@s/foo',
      version: '1.0.0',
      resolved: 'https://r.example/@s/foo/-/foo-1.0.0.tgz?a#b',
      source: 'registry',
    },
    // Near misses: another version, another name, another file type, no `/-/`, too short.
    { name: 'foo', version: '1.0.0', resolved: 'https://r.example/foo/-/foo-1.0.01.tgz', source: 'tarball' },
    { name: 'foo', version: '1.0.0', resolved: 'https://r.example/foo/-/xfoo-1.0.0.tgz', source: 'tarball' },
    { name: 'foo', version: '1.0.0', resolved: 'https://r.example/foo/-/fo-1.0.0.tgz', source: 'tarball' },
    { name: 'foo', version: '1.0.0', resolved: 'https://r.example/foo/-/foo-1.0.0.zip', source: 'tarball' },
    { name: 'foo', version: '1.0.0', resolved: 'https://r.example/foo/x/foo-1.0.0.tgz', source: 'tarball' },
    { name: 'foo', version: '1.0.0', resolved: 'https://r.example/foo/-/foo_1.0.0.tgz', source: 'tarball' },
    { name: 'foo', version: '1.0.0', resolved: 'https:foo-1.0.0.tgz', source: 'tarball' },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: `git+ssh://git@github.com/acme/foo.git#${sha}`,
      source: 'git',
    },
    { name: 'foo', version: '1.0.0', resolved: `git+https://github.com/acme/foo.git#${sha}`, source: 'git' },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: `git+ssh://git@gitlab.com/acme/foo.git#${sha}`,
      source: 'git',
    },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: `https://codeload.github.com/acme/foo/tar.gz/${sha}`,
      source: 'tarball',
    },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: 'https://github.com/acme/foo/tarball/master',
      source: 'tarball',
    },
    {
      name: 'foo',
      version: '1.0.0',
      resolved: 'https://example.com/downloads/foo-1.0.0.tgz',
      source: 'tarball',
    },
    { name: 'foo', version: '1.0.0', resolved: 'file:vendor/foo-1.0.0.tgz', source: 'file' },
  ])('$name@$version from $resolved → $source', ({ name, version, resolved, source }) => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0', dependencies: { [name]: '*' } },
        [`node_modules/${name}`]: { version, resolved, integrity: 'sha512-YQ==' },
      }),
      LOCK,
    );
    const found = pkg(inventory, `node_modules/${name}`);
    expect(found.source).toBe(source);
    expect(found.purl).toBe(
      source === 'registry' ? `pkg:npm/${name.replace('@', '%40')}@${version}` : undefined,
    );
    expect(found.resolved).toBe(resolved);
    expect(registryPackageKeys(inventory)).toEqual(
      new Set(source === 'registry' ? [`${name}@${version}`] : []),
    );
  });
});

describe('parseNpmLockfile: npm: aliases (v2/v3)', () => {
  it('names an aliased package by the package it installs, at any depth and under a scoped folder', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': {
          name: 'app',
          version: '1.0.0',
          dependencies: { cliui: '^8.0.0', '@my/lodash': 'npm:lodash@^4.17.21' },
        },
        'node_modules/@my/lodash': { name: 'lodash', version: '4.17.21', integrity: 'sha512-YQ==' },
        'node_modules/cliui': {
          version: '8.0.2',
          dependencies: { 'string-width': '^5.1.2', 'string-width-cjs': 'npm:string-width@^4.2.0' },
        },
        'node_modules/cliui/node_modules/string-width-cjs': { name: 'string-width', version: '4.2.3' },
        'node_modules/string-width': { version: '5.1.2' },
      }),
      LOCK,
    );
    const aliases = [...inventory.packages.values()].map(
      (p) => `${id(p.id)} ${p.name}@${p.version} ${p.alias ?? '-'} ${p.purl ?? '-'}`,
    );
    expect(aliases.sort()).toEqual([
      '(root) app@1.0.0 - -',
      'node_modules/@my/lodash lodash@4.17.21 @my/lodash pkg:npm/lodash@4.17.21',
      'node_modules/cliui cliui@8.0.2 - pkg:npm/cliui@8.0.2',
      'node_modules/cliui/node_modules/string-width-cjs string-width@4.2.3 string-width-cjs pkg:npm/string-width@4.2.3',
      'node_modules/string-width string-width@5.1.2 - pkg:npm/string-width@5.1.2',
    ]);
    expect(edgeRows(inventory)).toEqual([
      '(root) -> node_modules/@my/lodash [prod] npm:lodash@^4.17.21',
      '(root) -> node_modules/cliui [prod] ^8.0.0',
      'node_modules/cliui -> node_modules/cliui/node_modules/string-width-cjs [prod] npm:string-width@^4.2.0',
      'node_modules/cliui -> node_modules/string-width [prod] ^5.1.2',
    ]);
    expect([...registryPackageKeys(inventory)].sort()).toEqual([
      'cliui@8.0.2',
      'lodash@4.17.21',
      'string-width@4.2.3',
      'string-width@5.1.2',
    ]);
  });
});

describe('parseNpmLockfile: edges (v2/v3)', () => {
  it('adds no edge for what is not installed (optional peers, missing optional platform packages)', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0', dependencies: { debug: '^4.3.4', chokidar: '^3.0.0' } },
        'node_modules/chokidar': { version: '3.6.0', optionalDependencies: { fsevents: '~2.3.2' } },
        'node_modules/debug': {
          version: '4.3.4',
          dependencies: { ms: '2.1.2' },
          peerDependencies: { 'supports-color': '*' },
          peerDependenciesMeta: { 'supports-color': { optional: true } },
        },
        'node_modules/ms': { version: '2.1.2' },
      }),
      LOCK,
    );
    expect(edgeRows(inventory)).toEqual([
      '(root) -> node_modules/chokidar [prod] ^3.0.0',
      '(root) -> node_modules/debug [prod] ^4.3.4',
      'node_modules/debug -> node_modules/ms [prod] 2.1.2',
    ]);
    // Nothing the root or a workspace declares is missing: optional and peer ones do not count.
    expect(inventory.missing).toBeUndefined();
  });

  it("names the root's and workspaces' declared dependencies the lockfile installs nothing for (stale)", () => {
    const inventory = parseNpmLockfile(
      v3({
        '': {
          name: 'app',
          version: '1.0.0',
          workspaces: ['packages/*'],
          dependencies: { lodash: '^4.17.0', ms: '^2.0.0' },
          devDependencies: { jest: '^29.0.0' },
          optionalDependencies: { fsevents: '^2.0.0' },
          peerDependencies: { react: '*' },
        },
        'packages/w': { name: 'w', version: '1.0.0', dependencies: { left: '^1.0.0', ms: '^2.0.0' } },
        'node_modules/w': { resolved: 'packages/w', link: true },
        'node_modules/ms': { version: '2.1.2' },
      }),
      LOCK,
    );
    expect(inventory.missing).toEqual([
      { from: '', name: 'jest', spec: '^29.0.0' },
      { from: '', name: 'lodash', spec: '^4.17.0' },
      { from: 'packages/w', name: 'left', spec: '^1.0.0' },
    ]);
  });

  it('reads package.json too: a dependency added there since the last install is in neither the lockfile nor its root entry', () => {
    const lock = v3({
      '': { name: 'app', version: '1.0.0', dependencies: { ms: '^2.0.0' } },
      'node_modules/ms': { version: '2.1.2' },
    });
    const added = parseNpmLockfile(lock, LOCK, {
      ...manifest({ dependencies: { ms: '^2.0.0', lodash: '^4.17.0' }, peerDependencies: { react: '*' } }),
    });
    expect(added.missing).toEqual([{ from: '', name: 'lodash', spec: '^4.17.0' }]);
    expect(
      parseNpmLockfile(lock, LOCK, manifest({ dependencies: { ms: '^2.0.0' } })).missing,
    ).toBeUndefined();
  });

  it('takes an optional dependency listed in both dependencies and optionalDependencies as optional, once', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0' },
        'node_modules/a': {
          version: '1.0.0',
          dependencies: { b: '^1.0.0' },
          optionalDependencies: { b: '^1.0.0' },
        },
        'node_modules/b': { version: '1.0.0', optional: true },
      }),
      LOCK,
    );
    expect(edgeRows(inventory)).toEqual(['node_modules/a -> node_modules/b [optional] ^1.0.0']);
  });

  it('walks up from a deeply nested package to the nearest copy, skipping sibling subtrees', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0', dependencies: { a: '1', c: '1' } },
        'node_modules/a': { version: '1.0.0', dependencies: { b: '2', '@s/d': '1' } },
        'node_modules/a/node_modules/b': { version: '2.0.0' },
        'node_modules/a/node_modules/@s/d': { version: '1.0.0', dependencies: { b: '2', e: '1' } },
        'node_modules/b': { version: '1.0.0' },
        'node_modules/c': { version: '1.0.0', dependencies: { b: '1', e: '1' } },
        'node_modules/c/node_modules/e': { version: '1.0.0' },
        'node_modules/e': { version: '2.0.0' },
      }),
      LOCK,
    );
    expect(edgeRows(inventory)).toEqual([
      '(root) -> node_modules/a [prod] 1',
      '(root) -> node_modules/c [prod] 1',
      'node_modules/a -> node_modules/a/node_modules/@s/d [prod] 1',
      'node_modules/a -> node_modules/a/node_modules/b [prod] 2',
      'node_modules/a/node_modules/@s/d -> node_modules/a/node_modules/b [prod] 2',
      'node_modules/a/node_modules/@s/d -> node_modules/e [prod] 1',
      'node_modules/c -> node_modules/b [prod] 1',
      'node_modules/c -> node_modules/c/node_modules/e [prod] 1',
    ]);
  });

  // npm keeps one edge per dependency name (arborist Node#loadDeps: peer, then prod, then optional,
  // then dev for top-level folders, each later type replacing the earlier). Real lockfiles list a
  // name twice: ajv-formats has ajv in dependencies and (optional) peerDependencies; a library root
  // has react in peerDependencies and devDependencies.
  it('keeps one edge per dependency name, the type npm gives it', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': {
          name: 'lib',
          version: '1.0.0',
          dependencies: { 'ajv-formats': '^2.1.1' },
          devDependencies: { react: '^18.2.0' },
          peerDependencies: { react: '>=17' },
        },
        'node_modules/ajv': { version: '8.12.0' },
        'node_modules/ajv-formats': {
          version: '2.1.1',
          dependencies: { ajv: '^8.0.0' },
          peerDependencies: { ajv: '^8.0.0' },
          peerDependenciesMeta: { ajv: { optional: true } },
        },
        'node_modules/react': { version: '18.2.0', dev: true },
      }),
      LOCK,
    );
    expect(edgeRows(inventory)).toEqual([
      '(root) -> node_modules/ajv-formats [prod] ^2.1.1',
      '(root) -> node_modules/react [dev] ^18.2.0',
      'node_modules/ajv-formats -> node_modules/ajv [prod] ^8.0.0',
    ]);
    const index = indexPaths(inventory);
    expect(dependencyPaths(index, 'node_modules/ajv', { limit: 10 })).toMatchObject({
      paths: [['', 'node_modules/ajv-formats', 'node_modules/ajv']],
      count: 1,
    });
    expect(dependencyPaths(index, 'node_modules/react', { limit: 10 })).toMatchObject({
      paths: [['', 'node_modules/react']],
      count: 1,
    });
  });
});

describe('parseNpmLockfile: local folders and links (v2/v3)', () => {
  it('reads a `file:` folder dependency as its link target, with source file', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0', dependencies: { helpers: 'file:libs/helpers' } },
        'libs/helpers': { version: '2.0.0', license: 'ISC', dependencies: { ms: '^2.1.0' } },
        'node_modules/helpers': { resolved: 'libs/helpers', link: true },
        'node_modules/ms': { version: '2.1.3', license: 'MIT' },
      }),
      LOCK,
    );
    expect(rows(inventory)).toEqual([
      '(root) app@1.0.0 (prod, root)',
      'libs/helpers helpers@2.0.0 (prod, file)',
      'node_modules/ms ms@2.1.3 (prod, registry)',
    ]);
    expect(edgeRows(inventory)).toEqual([
      '(root) -> libs/helpers [prod] file:libs/helpers',
      'libs/helpers -> node_modules/ms [prod] ^2.1.0',
    ]);
    expect(inventory.importers.map((i) => i.id)).toEqual(['']);
  });

  it('takes the name of a linked folder from its own entry when npm writes one', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0', dependencies: { '@acme/helpers': 'file:libs/helpers' } },
        'libs/helpers': { name: '@acme/helpers', version: '2.0.0' },
        'node_modules/@acme/helpers': { resolved: 'libs/helpers', link: true },
      }),
      LOCK,
    );
    expect(rows(inventory)).toEqual([
      '(root) app@1.0.0 (prod, root)',
      'libs/helpers @acme/helpers@2.0.0 (prod, file)',
    ]);
  });

  // npm 11 output for `"dependencies": { "local": "file:libs/local" }` where libs/local has
  // devDependencies: npm treats a linked folder as a top and installs its devDependencies
  // (node_modules/isarray below, flagged dev), so the installed package has a path.
  it('follows the devDependencies of a linked `file:` folder, which npm installs', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'exp4', version: '1.0.0', dependencies: { local: 'file:libs/local' } },
        'libs/local': { version: '1.0.0', devDependencies: { isarray: '2.0.5' } },
        'node_modules/isarray': { version: '2.0.5', integrity: 'sha512-YQ==', dev: true, license: 'MIT' },
        'node_modules/local': { resolved: 'libs/local', link: true },
      }),
      LOCK,
    );
    expect(edgeRows(inventory)).toEqual([
      '(root) -> libs/local [prod] file:libs/local',
      'libs/local -> node_modules/isarray [dev] 2.0.5',
    ]);
    expect(pathsTo(inventory, 'node_modules/isarray')).toEqual([['', 'libs/local', 'node_modules/isarray']]);
  });

  it('adds no edge through a link whose target has no entry', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0', dependencies: { gone: 'file:libs/gone' } },
        'node_modules/gone': { resolved: 'libs/gone', link: true },
      }),
      LOCK,
    );
    expect(rows(inventory)).toEqual(['(root) app@1.0.0 (prod, root)']);
    expect(inventory.edges).toEqual([]);
  });
});

describe('parseNpmLockfile: npm workspaces, lockfileVersion 3 (test/fixtures/npm/v3-workspaces)', () => {
  const inventory = readFixture('v3-workspaces');

  it('lists the root and every workspace as importers, named from the link when the entry has no name', () => {
    expect(inventory.importers).toEqual([
      { id: '', name: 'acme-monorepo', path: '' },
      { id: 'packages/api', name: 'api', path: 'packages/api' },
      { id: 'packages/shared', name: '@acme/shared', path: 'packages/shared' },
      { id: 'packages/web', name: 'web', path: 'packages/web' },
    ]);
  });

  it('reads workspaces, workspace-local copies and a non-workspace folder (registry without `resolved`)', () => {
    expect(rows(inventory)).toEqual([
      '(root) acme-monorepo@0.0.0 (prod, root)',
      'node_modules/jest-lite jest-lite@29.0.0 (dev, registry)',
      'node_modules/lint-kit lint-kit@1.2.0 (dev, registry)',
      'node_modules/lodash lodash@4.17.21 (prod, registry)',
      'node_modules/pretty pretty@1.0.0 (dev, registry)',
      'node_modules/qs qs@6.11.2 (prod, registry)',
      'node_modules/side-channel side-channel@1.0.4 (prod, registry)',
      'packages/api api@1.0.0 (prod, workspace)',
      'packages/api/node_modules/qs qs@6.5.0 (prod, registry)',
      'packages/shared @acme/shared@0.2.0 (prod, workspace)',
      'packages/web web@1.1.0 (prod, workspace)',
      'tools/codegen codegen@0.0.1 (dev, file)',
    ]);
    expect(pkg(inventory, 'packages/api/node_modules/qs').purl).toBe('pkg:npm/qs@6.5.0');
    expect(pkg(inventory, 'packages/api').purl).toBeUndefined();
  });

  it('resolves a workspace’s dependencies from its own node_modules first, and workspace devDependencies', () => {
    expect(edgeRows(inventory)).toEqual(
      [
        '(root) -> node_modules/lint-kit [dev] ^1.0.0',
        '(root) -> tools/codegen [dev] file:tools/codegen',
        'node_modules/jest-lite -> node_modules/lodash [prod] ^4.17.0',
        'node_modules/jest-lite -> node_modules/pretty [prod] ^1.0.0',
        'node_modules/qs -> node_modules/side-channel [prod] ^1.0.4',
        'packages/api -> packages/shared [prod] ^0.2.0',
        'packages/api -> node_modules/lodash [prod] ^4.17.21',
        'packages/api -> packages/api/node_modules/qs [prod] 6.5.0',
        'packages/api -> node_modules/jest-lite [dev] ^29.0.0',
        'packages/shared -> node_modules/qs [prod] ^6.11.0',
        'packages/web -> node_modules/lodash [prod] ^4.17.21',
        'packages/web -> packages/shared [dev] ^0.2.0',
        'tools/codegen -> node_modules/qs [prod] ^6.0.0',
      ].sort(),
    );
  });

  it('finds paths from the workspace that needs a package, stopping at the first workspace', () => {
    expect(pathsTo(inventory, 'packages/api/node_modules/qs')).toEqual([
      ['packages/api', 'packages/api/node_modules/qs'],
    ]);
    expect(pathsTo(inventory, 'node_modules/qs')).toEqual([
      ['packages/shared', 'node_modules/qs'],
      ['', 'tools/codegen', 'node_modules/qs'],
    ]);
    expect(pathsTo(inventory, 'node_modules/lodash')).toEqual([
      ['packages/api', 'node_modules/lodash'],
      ['packages/web', 'node_modules/lodash'],
      ['packages/api', 'node_modules/jest-lite', 'node_modules/lodash'],
    ]);
    expect(pathsTo(inventory, 'node_modules/side-channel')).toEqual([
      ['packages/shared', 'node_modules/qs', 'node_modules/side-channel'],
      ['', 'tools/codegen', 'node_modules/qs', 'node_modules/side-channel'],
    ]);
    const index = indexPaths(inventory);
    expect([...dependencyPaths(index, 'node_modules/lodash', { limit: 10 }).importers].sort()).toEqual([
      'packages/api',
      'packages/web',
    ]);
  });

  it('lists the registry packages of every workspace', () => {
    expect([...registryPackageKeys(inventory)].sort()).toEqual([
      'jest-lite@29.0.0',
      'lint-kit@1.2.0',
      'lodash@4.17.21',
      'pretty@1.0.0',
      'qs@6.11.2',
      'qs@6.5.0',
      'side-channel@1.0.4',
    ]);
  });
});

describe('parseNpmLockfile: lockfileVersion 2', () => {
  it('reads `packages` and ignores the legacy `dependencies` (test/fixtures/npm/v2-workspaces)', () => {
    const v2 = readFixture('v2-workspaces');
    const v3inventory = readFixture('v3-workspaces');
    expect(v2.format).toBe('npm-v2');
    expect(v2.importers).toEqual(v3inventory.importers);
    expect(v2.packages).toEqual(v3inventory.packages);
    expect(edgeRows(v2)).toEqual(edgeRows(v3inventory));
  });

  it('believes `packages` when the two sections disagree', () => {
    const inventory = parseNpmLockfile(
      JSON.stringify({
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 2,
        requires: true,
        packages: {
          '': { name: 'app', version: '1.0.0', dependencies: { a: '^1.0.0' } },
          'node_modules/a': { version: '1.0.1', resolved: 'https://registry.npmjs.org/a/-/a-1.0.1.tgz' },
        },
        dependencies: {
          a: { version: '1.0.0', resolved: 'https://registry.npmjs.org/a/-/a-1.0.0.tgz' },
          stale: { version: '9.9.9' },
        },
      }),
      LOCK,
    );
    expect(rows(inventory)).toEqual([
      '(root) app@1.0.0 (prod, root)',
      'node_modules/a a@1.0.1 (prod, registry)',
    ]);
    expect(edgeRows(inventory)).toEqual(['(root) -> node_modules/a [prod] ^1.0.0']);
  });
});

describe('parseNpmLockfile: workspace declarations', () => {
  const workspaceLock = (rootExtra: Record<string, unknown>, folder = 'packages/a'): string =>
    v3({
      '': { name: 'mono', version: '1.0.0', ...rootExtra },
      [folder]: { version: '1.0.0', dependencies: { ms: '^2.0.0' } },
      'node_modules/a': { resolved: folder, link: true },
      'node_modules/ms': { version: '2.1.3' },
    });

  it.each([
    { case: 'a glob', workspaces: ['packages/*'], folder: 'packages/a' },
    { case: 'a ./ glob', workspaces: ['./packages/*'], folder: 'packages/a' },
    { case: 'a glob with a trailing slash', workspaces: ['packages/*/'], folder: 'packages/a' },
    { case: 'an explicit folder', workspaces: ['packages/a'], folder: 'packages/a' },
    { case: 'a ** glob', workspaces: ['apps/**'], folder: 'apps/group/a' },
    { case: 'the { packages } object form', workspaces: { packages: ['packages/*'] }, folder: 'packages/a' },
  ])('recognises $case', ({ workspaces, folder }) => {
    const inventory = parseNpmLockfile(workspaceLock({ workspaces }, folder), LOCK);
    expect(inventory.importers).toEqual([
      { id: '', name: 'mono', path: '' },
      { id: folder, name: 'a', path: folder },
    ]);
    expect(pkg(inventory, folder).source).toBe('workspace');
    expect(pathsTo(inventory, 'node_modules/ms')).toEqual([[folder, 'node_modules/ms']]);
  });

  it('falls back to the package.json workspaces when the root entry has none', () => {
    const inventory = parseNpmLockfile(workspaceLock({}), LOCK, manifest({ workspaces: ['packages/*'] }));
    expect(inventory.importers.map((i) => i.id)).toEqual(['', 'packages/a']);
  });

  it('treats a folder outside the workspace globs as a file dependency, not an importer', () => {
    const inventory = parseNpmLockfile(workspaceLock({ workspaces: ['apps/*'] }), LOCK);
    expect(inventory.importers.map((i) => i.id)).toEqual(['']);
    expect(pkg(inventory, 'packages/a').source).toBe('file');
  });

  it('names a workspace whose entry has no name from the link that points at it', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'mono', version: '1.0.0', workspaces: ['packages/*'] },
        'node_modules/@acme/util': { resolved: 'packages/util', link: true },
        'packages/util': { version: '0.1.0' },
      }),
      LOCK,
    );
    expect(inventory.importers).toEqual([
      { id: '', name: 'mono', path: '' },
      { id: 'packages/util', name: '@acme/util', path: 'packages/util' },
    ]);
    expect(pkg(inventory, 'packages/util').name).toBe('@acme/util');
  });
});

describe('parseNpmLockfile: lockfileVersion 1 (test/fixtures/npm/v1-app)', () => {
  const inventory = readFixture('v1-app');

  it('names the project from package.json and reports format npm-v1', () => {
    expect(inventory.format).toBe('npm-v1');
    expect(inventory.importers).toEqual([{ id: '', name: 'legacy-app', path: '' }]);
    expect(pkg(inventory, '')).toMatchObject({ name: 'legacy-app', version: '2.0.0', source: 'root' });
  });

  it('rebuilds install folders from the nested tree, with real names, versions, scopes and sources', () => {
    expect(rows(inventory)).toEqual([
      '(root) legacy-app@2.0.0 (prod, root)',
      'node_modules/@babel/code-frame @babel/code-frame@7.0.0 (dev, registry)',
      'node_modules/@babel/highlight @babel/highlight@7.0.0 (dev, registry)',
      'node_modules/@types/node @types/node@10.17.60 (prod, registry)',
      'node_modules/chalk chalk@2.4.2 (dev, registry)',
      'node_modules/debug debug@2.6.9 (prod, registry)',
      'node_modules/express express@4.16.0 (prod, registry)',
      'node_modules/express/node_modules/qs qs@6.5.1 (prod, registry)',
      'node_modules/forked forked@github:acme/forked#0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c (prod, git)',
      'node_modules/fsevents fsevents@1.2.9 (optional, registry)',
      'node_modules/fsevents/node_modules/abbrev abbrev@1.1.1 (optional, registry)',
      'node_modules/fsevents/node_modules/node-pre-gyp node-pre-gyp@0.12.0 (optional, registry)',
      'node_modules/grunt-if grunt-if@https://github.com/binarymist/grunt-if/tarball/master (dev, tarball)',
      'node_modules/grunt-if/node_modules/lodash lodash@4.17.4 (dev, registry)',
      'node_modules/js-tokens js-tokens@4.0.0 (dev, registry)',
      'node_modules/ms ms@2.0.0 (prod, registry)',
      'node_modules/my-lodash lodash@4.17.21 (prod, registry)',
      'node_modules/nan nan@2.14.0 (optional, registry)',
      'node_modules/other-git other-git@git+https://github.com/acme/other-git.git#a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 (prod, git)',
      'node_modules/qs qs@6.11.0 (prod, registry)',
      'node_modules/shared-lib shared-lib@file:libs/shared-lib (prod, file)',
    ]);
  });

  it('marks aliases, bundled packages, purls and `resolved: false`', () => {
    expect(pkg(inventory, 'node_modules/my-lodash')).toMatchObject({
      name: 'lodash',
      version: '4.17.21',
      alias: 'my-lodash',
      purl: 'pkg:npm/lodash@4.17.21',
      resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz',
    });
    expect([...inventory.packages.values()].filter((p) => p.bundled).map((p) => p.id)).toEqual([
      'node_modules/fsevents/node_modules/abbrev',
      'node_modules/fsevents/node_modules/node-pre-gyp',
    ]);
    expect([...inventory.packages.values()].filter((p) => p.alias).map((p) => p.id)).toEqual([
      'node_modules/my-lodash',
    ]);
    expect(pkg(inventory, 'node_modules/chalk')).toMatchObject({
      resolved: undefined,
      integrity: 'sha512-Y2hhbGstMi40LjI=',
      purl: 'pkg:npm/chalk@2.4.2',
    });
    expect(pkg(inventory, 'node_modules/forked')).toMatchObject({ purl: undefined });
    expect(pkg(inventory, 'node_modules/@types/node').purl).toBe('pkg:npm/%40types/node@10.17.60');
  });

  it('takes the root’s direct dependencies from package.json and the rest from `requires`', () => {
    expect(edgeRows(inventory)).toEqual(
      [
        '(root) -> node_modules/@types/node [prod] ^10.0.0',
        '(root) -> node_modules/express [prod] ^4.16.0',
        '(root) -> node_modules/forked [prod] github:acme/forked',
        '(root) -> node_modules/my-lodash [prod] npm:lodash@^4.17.21',
        '(root) -> node_modules/other-git [prod] git+https://github.com/acme/other-git.git',
        '(root) -> node_modules/qs [prod] ^6.11.0',
        '(root) -> node_modules/shared-lib [prod] file:libs/shared-lib',
        '(root) -> node_modules/@babel/code-frame [dev] ^7.0.0',
        '(root) -> node_modules/grunt-if [dev] https://github.com/binarymist/grunt-if/tarball/master',
        '(root) -> node_modules/fsevents [optional] ^1.2.9',
        'node_modules/@babel/code-frame -> node_modules/@babel/highlight [prod] ^7.0.0',
        'node_modules/@babel/highlight -> node_modules/chalk [prod] ^2.0.0',
        'node_modules/@babel/highlight -> node_modules/js-tokens [prod] ^4.0.0',
        'node_modules/debug -> node_modules/ms [prod] 2.0.0',
        'node_modules/express -> node_modules/debug [prod] 2.6.9',
        'node_modules/express -> node_modules/express/node_modules/qs [prod] 6.5.1',
        'node_modules/fsevents -> node_modules/nan [prod] ^2.12.1',
        'node_modules/fsevents -> node_modules/fsevents/node_modules/node-pre-gyp [prod] ^0.12.0',
        'node_modules/fsevents/node_modules/node-pre-gyp -> node_modules/fsevents/node_modules/abbrev [prod] 1',
        'node_modules/grunt-if -> node_modules/grunt-if/node_modules/lodash [prod] ^4.17.0',
        'node_modules/shared-lib -> node_modules/ms [prod] ^2.0.0',
      ].sort(),
    );
  });

  it('finds paths through the rebuilt tree', () => {
    expect(pathsTo(inventory, 'node_modules/ms')).toEqual([
      ['', 'node_modules/shared-lib', 'node_modules/ms'],
      ['', 'node_modules/express', 'node_modules/debug', 'node_modules/ms'],
    ]);
    expect(pathsTo(inventory, 'node_modules/express/node_modules/qs')).toEqual([
      ['', 'node_modules/express', 'node_modules/express/node_modules/qs'],
    ]);
    expect(pathsTo(inventory, 'node_modules/qs')).toEqual([['', 'node_modules/qs']]);
  });

  it('lists the registry packages (git, tarball and file sources excluded)', () => {
    expect([...registryPackageKeys(inventory)].sort()).toEqual([
      '@babel/code-frame@7.0.0',
      '@babel/highlight@7.0.0',
      '@types/node@10.17.60',
      'abbrev@1.1.1',
      'chalk@2.4.2',
      'debug@2.6.9',
      'express@4.16.0',
      'fsevents@1.2.9',
      'js-tokens@4.0.0',
      'lodash@4.17.21',
      'lodash@4.17.4',
      'ms@2.0.0',
      'nan@2.14.0',
      'node-pre-gyp@0.12.0',
      'qs@6.11.0',
      'qs@6.5.1',
    ]);
  });

  it('without package.json, counts every top-level entry as a direct dependency', () => {
    const bare = readFixture('v1-app', { manifest: false });
    expect(pkg(bare, '').name).toBe('legacy-app');
    expect(rows(bare)).toEqual(rows(inventory));
    const rootEdges = bare.edges.filter((e) => e.from === '');
    expect(rootEdges.map((e) => e.to).sort()).toEqual([
      'node_modules/@babel/code-frame',
      'node_modules/@babel/highlight',
      'node_modules/@types/node',
      'node_modules/chalk',
      'node_modules/debug',
      'node_modules/express',
      'node_modules/forked',
      'node_modules/fsevents',
      'node_modules/grunt-if',
      'node_modules/js-tokens',
      'node_modules/ms',
      'node_modules/my-lodash',
      'node_modules/nan',
      'node_modules/other-git',
      'node_modules/qs',
      'node_modules/shared-lib',
    ]);
    const byType = (type: string) =>
      rootEdges
        .filter((e) => e.type === type)
        .map((e) => e.to)
        .sort();
    expect(byType('dev')).toEqual([
      'node_modules/@babel/code-frame',
      'node_modules/@babel/highlight',
      'node_modules/chalk',
      'node_modules/grunt-if',
      'node_modules/js-tokens',
    ]);
    const nonRoot = (inv: Inventory) => edgeRows(inv).filter((row) => !row.startsWith('(root)'));
    expect(nonRoot(bare)).toEqual(nonRoot(inventory));
    expect(pathsTo(bare, 'node_modules/ms')).toEqual([
      ['', 'node_modules/ms'],
      ['', 'node_modules/debug', 'node_modules/ms'],
      ['', 'node_modules/shared-lib', 'node_modules/ms'],
      ['', 'node_modules/express', 'node_modules/debug', 'node_modules/ms'],
    ]);
  });

  it('without package.json, gives a top-level optional entry an optional edge, as it gives dev entries a dev edge', () => {
    const bare = readFixture('v1-app', { manifest: false });
    const rootEdges = bare.edges.filter((e) => e.from === '');
    expect(
      rootEdges
        .filter((e) => e.type === 'optional')
        .map((e) => e.to)
        .sort(),
    ).toEqual(['node_modules/fsevents', 'node_modules/nan']);
  });
});

describe('parseNpmLockfile: lockfileVersion 1 entries', () => {
  it('refuses dependencies nested deeper than npm ever writes, with a clear error, not a stack overflow', () => {
    // Written as text: JSON.stringify itself would run out of stack on the deep one.
    const nested = (n: number): string =>
      `{"lockfileVersion":1,"dependencies":${'{"a":{"version":"1.0.0","dependencies":'.repeat(n)}{"a":{"version":"1.0.0"}}${'}}'.repeat(n)}}`;
    const error = failure(() => parseNpmLockfile(nested(5000), LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID');
    expect(error.message).toContain('nests more than 200 levels of dependencies');
    expect(parseNpmLockfile(nested(50), LOCK).packages.size).toBe(52);
  });

  const sha = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
  it.each([
    {
      entry: { version: '1.2.3', resolved: 'https://registry.npmjs.org/foo/-/foo-1.2.3.tgz' },
      expected: 'foo@1.2.3 registry alias=- purl=pkg:npm/foo@1.2.3',
    },
    { entry: { version: '1.2.3' }, expected: 'foo@1.2.3 registry alias=- purl=pkg:npm/foo@1.2.3' },
    {
      entry: { version: '1.2.3', resolved: false, integrity: false },
      expected: 'foo@1.2.3 registry alias=- purl=pkg:npm/foo@1.2.3',
    },
    {
      entry: { version: 'npm:bar@1.2.3', resolved: 'https://registry.npmjs.org/bar/-/bar-1.2.3.tgz' },
      expected: 'bar@1.2.3 registry alias=foo purl=pkg:npm/bar@1.2.3',
    },
    {
      entry: { version: 'npm:@scope/bar@1.2.3' },
      expected: '@scope/bar@1.2.3 registry alias=foo purl=pkg:npm/%40scope/bar@1.2.3',
    },
    {
      entry: { version: `github:acme/foo#${sha}`, from: 'github:acme/foo' },
      expected: `foo@github:acme/foo#${sha} git alias=- purl=-`,
    },
    {
      entry: {
        version: `git+https://github.com/acme/foo.git#${sha}`,
        from: 'git+https://github.com/acme/foo.git',
      },
      expected: `foo@git+https://github.com/acme/foo.git#${sha} git alias=- purl=-`,
    },
    {
      entry: { version: `git+ssh://git@github.com/acme/foo.git#${sha}` },
      expected: `foo@git+ssh://git@github.com/acme/foo.git#${sha} git alias=- purl=-`,
    },
    {
      entry: { version: 'https://github.com/acme/foo/tarball/master' },
      expected: 'foo@https://github.com/acme/foo/tarball/master tarball alias=- purl=-',
    },
    {
      entry: { version: 'https://example.com/example-1.3.0.tgz' },
      expected: 'foo@https://example.com/example-1.3.0.tgz tarball alias=- purl=-',
    },
    { entry: { version: 'file:libs/foo' }, expected: 'foo@file:libs/foo file alias=- purl=-' },
    // A v1 key is a package name; a version pointing outside the project is only a spec, never read.
    { entry: { version: 'file:../sibling' }, expected: 'foo@file:../sibling file alias=- purl=-' },
    {
      entry: { version: 'file:vendor/foo-1.0.0.tgz' },
      expected: 'foo@file:vendor/foo-1.0.0.tgz file alias=- purl=-',
    },
    {
      entry: { version: 'file:///opt/storage/example-1.3.0.tgz' },
      expected: 'foo@file:///opt/storage/example-1.3.0.tgz file alias=- purl=-',
    },
  ])('"foo": $entry.version → $expected', ({ entry, expected }) => {
    const inventory = parseNpmLockfile(v1({ foo: entry }), LOCK);
    const found = pkg(inventory, 'node_modules/foo');
    expect(
      `${found.name}@${found.version} ${found.source} alias=${found.alias ?? '-'} purl=${found.purl ?? '-'}`,
    ).toBe(expected);
  });

  it.each([
    { flags: {}, scope: 'prod' },
    { flags: { dev: true }, scope: 'dev' },
    { flags: { optional: true }, scope: 'optional' },
    // npm 6: "dev" = only reachable through devDependencies, so an optional dependency of a dev
    // dependency (fsevents under a dev tool in juice-shop's lockfile) is dev, not devOptional.
    { flags: { dev: true, optional: true }, scope: 'dev' },
  ])('flags $flags → $scope', ({ flags, scope }) => {
    const inventory = parseNpmLockfile(v1({ foo: { version: '1.0.0', ...flags } }), LOCK);
    expect(pkg(inventory, 'node_modules/foo').scope).toBe(scope);
  });

  it('resolves `requires` like Node: own nested copy first, then upwards', () => {
    const inventory = parseNpmLockfile(
      v1({
        a: {
          version: '1.0.0',
          requires: { b: '^2.0.0', c: '^1.0.0' },
          dependencies: {
            b: { version: '2.0.0', requires: { c: '^1.0.0' } },
          },
        },
        b: { version: '1.0.0' },
        c: { version: '1.0.0', requires: { b: '^1.0.0' } },
      }),
      LOCK,
      manifest({ dependencies: { a: '^1.0.0', b: '^1.0.0' } }),
    );
    expect(edgeRows(inventory)).toEqual([
      '(root) -> node_modules/a [prod] ^1.0.0',
      '(root) -> node_modules/b [prod] ^1.0.0',
      'node_modules/a -> node_modules/a/node_modules/b [prod] ^2.0.0',
      'node_modules/a -> node_modules/c [prod] ^1.0.0',
      'node_modules/a/node_modules/b -> node_modules/c [prod] ^1.0.0',
      'node_modules/c -> node_modules/b [prod] ^1.0.0',
    ]);
  });

  it('accepts `requires: true` at the top and on entries (npm 5)', () => {
    const inventory = parseNpmLockfile(v1({ a: { version: '1.0.0', requires: true } }), LOCK);
    expect(rows(inventory)).toEqual([
      '(root) app@1.0.0 (prod, root)',
      'node_modules/a a@1.0.0 (prod, registry)',
    ]);
  });

  it('names the root from the lockfile when there is no package.json', () => {
    const inventory = parseNpmLockfile(v1({}, { name: 'from-lock', version: '3.0.0' }), LOCK);
    expect(inventory.importers).toEqual([{ id: '', name: 'from-lock', path: '' }]);
    expect(pkg(inventory, '')).toMatchObject({ name: 'from-lock', version: '3.0.0' });
  });
});

describe('parseNpmLockfile: bad input', () => {
  const code = (fn: () => unknown): ErrorCode => failure(fn).code;

  it('reports truncated JSON with the file and the line and column where it ends', () => {
    const content = '{\n  "name": "app",\n  "lockfileVersion": 3,\n  "packages": {\n    "": {\n';
    const error = failure(() => parseNpmLockfile(content, LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID_JSON');
    expect(error.message).toBe(
      `${LOCK}: invalid JSON at line 6, column 1: the document ends early (truncated?)`,
    );
    expect(error.category).toBe('input');
  });

  it.each([
    {
      case: 'cut inside a string',
      content: '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": {\n      "vers',
    },
    { case: 'cut after a key', content: '{\n  "lockfileVersion": 3,\n  "packages"' },
    { case: 'cut after a comma', content: '{\n  "lockfileVersion": 3,\n' },
    { case: 'empty', content: '' },
  ])('reports truncated JSON ($case) with the file and a line', ({ content }) => {
    const error = failure(() => parseNpmLockfile(content, LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID_JSON');
    expect(error.message).toMatch(/^\/work\/app\/package-lock\.json: invalid JSON at line \d+, column \d+: /);
  });

  it('reports a merge conflict marker with the line it is on', () => {
    const content = '{\n  "name": "app",\n<<<<<<< HEAD\n  "lockfileVersion": 3\n}\n';
    const error = failure(() => parseNpmLockfile(content, LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID_JSON');
    expect(error.message).toMatch(/^\/work\/app\/package-lock\.json: invalid JSON at line 3, column 1: /);
  });

  it.each([
    { case: 'plain text', content: 'Not a lockfile\n', at: 'line 1, column 1' },
    {
      case: 'a conflict marker on the first line',
      content: '<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> main\n',
      at: 'line 1, column 1',
    },
    { case: 'an HTML error page', content: '<!DOCTYPE html>\n<html></html>\n', at: 'line 1, column 1' },
    {
      case: 'a stray character on line 4',
      content: '{\n  "name": "app",\n  "lockfileVersion": 3,\n  @\n}\n',
      at: 'line 4, column 3',
    },
  ])('reports non-JSON ($case) with the file and the place', ({ content, at }) => {
    const error = failure(() => parseNpmLockfile(content, LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID_JSON');
    expect(error.message).toContain(`${LOCK}: invalid JSON at ${at}: `);
  });

  it('reports a misspelt literal on the line it is on', () => {
    // The column is where parsing fails inside the word; only the line is pinned here.
    const error = failure(() => parseNpmLockfile('{\n  "lockfileVersion": 3,\n  "requires": tru\n}\n', LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID_JSON');
    expect(error.message).toMatch(/^\/work\/app\/package-lock\.json: invalid JSON at line 3, column \d+: /);
  });

  it.each([
    { case: 'an array', content: '[]' },
    { case: 'null', content: 'null' },
    { case: 'a string', content: '"package-lock"' },
  ])('refuses a document that is $case', ({ content }) => {
    const error = failure(() => parseNpmLockfile(content, LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID');
    expect(error.message).toBe(`${LOCK}: the document is not a JSON object`);
  });

  it.each([
    { case: 'lockfileVersion 4', doc: { lockfileVersion: 4, packages: {} }, named: 'lockfileVersion 4' },
    { case: 'lockfileVersion 0', doc: { lockfileVersion: 0, dependencies: {} }, named: 'lockfileVersion 0' },
    {
      case: 'a string lockfileVersion',
      doc: { lockfileVersion: '3', packages: {} },
      named: 'lockfileVersion "3"',
    },
  ])('refuses $case, naming the version', ({ doc, named }) => {
    const error = failure(() => parseNpmLockfile(JSON.stringify(doc), LOCK));
    expect(error.code).toBe('LOCKFILE_UNSUPPORTED_VERSION');
    expect(error.message).toContain(`${LOCK}: ${named} is not supported`);
  });

  it('refuses a lockfile without lockfileVersion (npm 4 shrinkwrap), saying which field', () => {
    const error = failure(() => parseNpmLockfile(JSON.stringify({ name: 'app', dependencies: {} }), LOCK));
    expect(error.code).toBe('LOCKFILE_UNSUPPORTED_VERSION');
    expect(error.message).toBe('/work/app/package-lock.json: lockfileVersion is missing (known: 1, 2, 3)');
  });

  it.each([
    '../outside/node_modules/x',
    '/etc/node_modules/x',
    'node_modules/../../x',
    'node_modules/a/node_modules/../../../x',
    'node_modules\\..\\..\\x',
    'C:\\evil\\node_modules\\x',
    '..',
  ])('refuses the key %j, naming it', (key) => {
    const error = failure(() =>
      parseNpmLockfile(
        v3({ '': { name: 'app', version: '1.0.0' }, [key]: { version: '1.0.0', license: 'MIT' } }),
        LOCK,
      ),
    );
    expect(error.code).toBe('LOCKFILE_KEY_ESCAPES');
    expect(error.message).toBe(`${LOCK}: key ${JSON.stringify(key)} points outside the project`);
  });

  it.each([
    ['node_modules/./lodash', 'node_modules/lodash'],
    ['node_modules//lodash', 'node_modules/lodash'],
    ['./node_modules/lodash', 'node_modules/lodash'],
    ['node_modules/lodash/', 'node_modules/lodash'],
  ])('refuses the key %j, not in the form npm writes (it would hide the package)', (key, canonical) => {
    const error = failure(() =>
      parseNpmLockfile(
        v3({
          '': { name: 'app', version: '1.0.0', dependencies: { lodash: '^4.17.0' } },
          [key]: { version: '4.17.15' },
        }),
        LOCK,
      ),
    );
    expect(error.code).toBe('LOCKFILE_INVALID');
    expect(error.message).toBe(
      `${LOCK}: key ${JSON.stringify(key)} is not a folder as npm writes it (${JSON.stringify(canonical)})`,
    );
  });

  it('refuses an entry whose registry tarball URL names another version or package (npm installs the URL)', () => {
    const entry = (resolved: string) =>
      v3({
        '': { name: 'app', version: '1.0.0', dependencies: { lodash: '^4.17.0' } },
        'node_modules/lodash': { version: '4.17.21', resolved },
      });
    const error = failure(() =>
      parseNpmLockfile(entry('https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz'), LOCK),
    );
    expect(error.code).toBe('LOCKFILE_INVALID');
    expect(error.message).toBe(
      `${LOCK}: "node_modules/lodash": its resolved URL names lodash@4.17.15 but the entry says lodash@4.17.21; npm installs what resolved names`,
    );
    expect(
      failure(() =>
        parseNpmLockfile(
          entry('https://npm.example.com/api/npm/r/underscore/-/underscore-1.13.6.tgz?t=1'),
          LOCK,
        ),
      ).message,
    ).toContain('its resolved URL names underscore@1.13.6');
    // A tarball elsewhere, in no registry layout, stays a tarball (not matched, not refused).
    const other = parseNpmLockfile(entry('https://example.com/builds/lodash-custom.tgz'), LOCK);
    expect(other.packages.get('node_modules/lodash')?.source).toBe('tarball');
    // The URL of the entry's own name and version is the registry's.
    const same = parseNpmLockfile(entry('https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz'), LOCK);
    expect(same.packages.get('node_modules/lodash')?.source).toBe('registry');
  });

  it('reads a workspace folder whose name starts with a dot', () => {
    const inventory = parseNpmLockfile(
      v3({
        '': { name: 'app', version: '1.0.0', workspaces: ['.tools/*'] },
        '.tools/lint': { name: 'lint', version: '1.0.0' },
        'node_modules/lint': { resolved: '.tools/lint', link: true },
      }),
      LOCK,
    );
    expect(inventory.importers.map((i) => i.path)).toContain('.tools/lint');
  });

  it('refuses a link whose target leaves the project', () => {
    const error = failure(() =>
      parseNpmLockfile(
        v3({
          '': { name: 'app', version: '1.0.0', dependencies: { evil: 'file:../../etc' } },
          'node_modules/evil': { resolved: '../../etc', link: true },
        }),
        LOCK,
      ),
    );
    expect(error.code).toBe('LOCKFILE_KEY_ESCAPES');
    expect(error.message).toContain('"../../etc"');
  });

  it.each([
    { case: 'at the top', tree: { '../../evil': { version: '1.0.0' } }, named: 'node_modules/../../evil' },
    {
      case: 'nested',
      tree: { a: { version: '1.0.0', dependencies: { '../../../../evil': { version: '1.0.0' } } } },
      named: 'node_modules/a/node_modules/../../../../evil',
    },
  ])('refuses a v1 dependency name that escapes ($case), naming it', ({ tree, named }) => {
    const error = failure(() => parseNpmLockfile(v1(tree), LOCK));
    expect(error.code).toBe('LOCKFILE_KEY_ESCAPES');
    expect(error.message).toContain(JSON.stringify(named));
    expect(error.message).toContain(LOCK);
  });

  it.each([
    {
      case: 'a numeric version',
      packages: { 'node_modules/a': { version: 1 } },
      where: '"node_modules/a" → "version"',
    },
    { case: 'a non-object entry', packages: { 'node_modules/a': '1.0.0' }, where: '"node_modules/a"' },
    {
      case: 'dependencies as an array',
      packages: { 'node_modules/a': { version: '1.0.0', dependencies: ['b'] } },
      where: '"node_modules/a" → "dependencies"',
    },
    {
      case: 'a string link flag',
      packages: { 'node_modules/a': { link: 'true' } },
      where: '"node_modules/a" → "link"',
    },
  ])('refuses a `packages` entry with $case, naming the entry', ({ packages, where }) => {
    const error = failure(() =>
      parseNpmLockfile(v3({ '': { name: 'app', version: '1.0.0' }, ...packages }), LOCK),
    );
    expect(error.code).toBe('LOCKFILE_INVALID');
    expect(error.message).toContain(`${LOCK}: "packages" → ${where}`);
  });

  it('refuses a v1 entry without a version, naming it', () => {
    const error = failure(() => parseNpmLockfile(v1({ a: { resolved: 'x' } }), LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID');
    expect(error.message).toContain('"dependencies" → "a" → "version"');
  });

  it.each([
    { case: 'truncated', content: '{\n  "name": "app",\n  "dependencies": {\n', pattern: /line 4, column 1/ },
    { case: 'not JSON at all', content: 'name: app\n', pattern: /invalid JSON/ },
  ])('refuses an invalid package.json ($case), naming that file', ({ content, pattern }) => {
    for (const lock of [v1({}), v3({ '': { name: 'app', version: '1.0.0' } })]) {
      const error = failure(() => parseNpmLockfile(lock, LOCK, { manifest: { content, path: MANIFEST } }));
      expect(error.code).toBe('MANIFEST_INVALID');
      expect(error.message).toMatch(new RegExp(`^${MANIFEST}: `));
      expect(error.message).toMatch(pattern);
    }
  });

  it('refuses a package.json whose dependencies are not a name → range map', () => {
    const error = failure(() =>
      parseNpmLockfile(v1({}), LOCK, { manifest: { content: '{"dependencies": ["a"]}', path: MANIFEST } }),
    );
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toBe(`${MANIFEST}: "dependencies": expected object, received array`);
  });

  it('never throws anything but a PatchPilotError on garbage', () => {
    const inputs = [
      '{',
      '{}',
      '{"lockfileVersion": 3}',
      '{"lockfileVersion": 3, "packages": []}',
      '{"lockfileVersion": 1, "dependencies": {"a": null}}',
    ];
    const codes = inputs.map((content) => {
      try {
        parseNpmLockfile(content, LOCK);
        return 'ok';
      } catch (error) {
        return error instanceof PatchPilotError ? error.code : `not a PatchPilotError: ${String(error)}`;
      }
    });
    expect(codes).toEqual([
      'LOCKFILE_INVALID_JSON',
      'LOCKFILE_UNSUPPORTED_VERSION',
      'LOCKFILE_INVALID',
      'LOCKFILE_INVALID',
      'LOCKFILE_INVALID',
    ]);
    expect(code(() => parseNpmLockfile('{', LOCK))).toBe('LOCKFILE_INVALID_JSON');
  });

  it('refuses lockfileVersion 3 without `packages`, and labels a v2 read from its legacy tree as v2', () => {
    expect(failure(() => parseNpmLockfile('{"lockfileVersion": 3}', LOCK)).message).toBe(
      `${LOCK}: "packages": lockfileVersion 3 requires it`,
    );
    const v2 = parseNpmLockfile('{"lockfileVersion": 2, "dependencies": {"a": {"version": "1.0.0"}}}', LOCK);
    expect(v2.format).toBe('npm-v2');
    expect(registryPackageKeys(v2)).toEqual(new Set(['a@1.0.0']));
  });

  it('refuses an installed entry without a version instead of inventing one', () => {
    const error = failure(() => parseNpmLockfile(v3({ '': {}, 'node_modules/minimist': {} }), LOCK));
    expect(error.code).toBe('LOCKFILE_INVALID');
    expect(error.message).toBe(`${LOCK}: "packages" → "node_modules/minimist" → "version": missing`);
    // A workspace folder may have no version, as its package.json may have none.
    const ok = parseNpmLockfile(
      v3({
        '': { workspaces: ['ws'] },
        ws: { name: 'ws' },
        'node_modules/ws': { link: true, resolved: 'ws' },
      }),
      LOCK,
    );
    expect(ok.importers.map((i) => i.id)).toEqual(['', 'ws']);
  });

  it('reads a copy from outside the registry that npm could not fetch, and wrote without a version', () => {
    // As npm 11 writes a GitHub tarball it cannot reach: its source stands for its version, as in
    // lockfileVersion 1.
    const url = 'https://github.com/binarymist/grunt-if/tarball/master';
    const lock = parseNpmLockfile(
      v3({
        '': { devDependencies: { 'grunt-if': url } },
        'node_modules/grunt-if': { resolved: url, dev: true, dependencies: { q: '^1.4.1' } },
        'node_modules/q': { version: '1.5.1', dev: true },
      }),
      LOCK,
    );
    expect(lock.packages.get('node_modules/grunt-if')).toMatchObject({
      name: 'grunt-if',
      version: url,
      source: 'tarball',
      purl: undefined,
    });
    expect(registryPackageKeys(lock)).toEqual(new Set(['q@1.5.1']));
    // A registry tarball still needs its version, and so does an entry that says nothing of its source.
    for (const entry of [{ resolved: 'https://registry.npmjs.org/q/-/q-1.5.1.tgz' }, { resolved: '' }]) {
      const error = failure(() => parseNpmLockfile(v3({ '': {}, 'node_modules/q': entry }), LOCK));
      expect(error.message).toBe(`${LOCK}: "packages" → "node_modules/q" → "version": missing`);
    }
  });

  it('refuses a link that points outside the project even when nothing depends on it', () => {
    const error = failure(() =>
      parseNpmLockfile(v3({ '': {}, 'node_modules/evil': { link: true, resolved: '../../etc' } }), LOCK),
    );
    expect(error.code).toBe('LOCKFILE_KEY_ESCAPES');
    expect(error.message).toContain('key "../../etc" points outside the project');
  });

  it('accepts a byte-order mark, and names the place of an error in a deeply nested document', () => {
    const inventory = parseNpmLockfile(
      `\ufeff${v3({ '': {}, 'node_modules/a': { version: '1.0.0' } })}`,
      LOCK,
    );
    expect(registryPackageKeys(inventory)).toEqual(new Set(['a@1.0.0']));
    const deep = failure(() => parseNpmLockfile('['.repeat(200_000), LOCK));
    expect(deep.code).toBe('LOCKFILE_INVALID_JSON');
    expect(deep.message).toMatch(/invalid JSON at line 1, column \d+/);
  });
});

describe('parseNpmLockfile: paths and names of the file', () => {
  it('takes the project folder from the lockfile path, whatever its name', () => {
    const inventory = parseNpmLockfile(
      v3({ '': { name: 'app', version: '1.0.0' } }),
      '/srv/app/npm-shrinkwrap.json',
    );
    expect(inventory).toMatchObject({
      root: '/srv/app',
      lockfile: '/srv/app/npm-shrinkwrap.json',
      format: 'npm-v3',
    });
  });

  it('names the root after its folder when nothing else names it', () => {
    const inventory = parseNpmLockfile(
      JSON.stringify({ lockfileVersion: 3, packages: {} }),
      '/srv/my-app/package-lock.json',
    );
    expect(inventory.importers).toEqual([{ id: '', name: 'my-app', path: '' }]);
    expect(pkg(inventory, '')).toMatchObject({
      name: 'my-app',
      version: '0.0.0',
      source: 'root',
      scope: 'prod',
    });
  });
});
