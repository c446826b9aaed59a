import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PatchPilotError } from '../../core/errors.js';
import { type Inventory, registryPackageKeys, type Scope } from '../../core/inventory.js';
import { memoryInput } from '../source.js';
import { lockfileNames, parsePnpmLockfile } from './index.js';

const fixtureRoot = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'pnpm');

/** Every file of a fixture folder, keyed by its path relative to the folder. */
const fixtureFiles = (name: string): Record<string, string> => {
  const dir = join(fixtureRoot, name);
  const files: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder)) {
      const full = join(folder, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(dir, full).split('\\').join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
};

const parseFixture = (name: string): Inventory =>
  parsePnpmLockfile(memoryInput('pnpm-lock.yaml', fixtureFiles(name)));

const parseText = (content: string, files: Record<string, string> = {}): Inventory =>
  parsePnpmLockfile(memoryInput('pnpm-lock.yaml', { 'pnpm-lock.yaml': content, ...files }));

const errorOf = (fn: () => unknown): PatchPilotError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PatchPilotError) return error;
    throw error;
  }
  throw new Error('expected a PatchPilotError');
};

/** name@version → scope, the widest over peer variants (prod > devOptional > optional > dev). */
const registryScopes = (inventory: Inventory): Record<string, Scope> => {
  const rank: Record<Scope, number> = { dev: 0, optional: 1, devOptional: 2, prod: 3, peer: -1 };
  const out: Record<string, Scope> = {};
  for (const pkg of inventory.packages.values()) {
    if (pkg.source !== 'registry') continue;
    const key = `${pkg.name}@${pkg.version}`;
    const seen = out[key];
    if (seen === undefined || rank[pkg.scope] > rank[seen]) out[key] = pkg.scope;
  }
  return Object.fromEntries(Object.entries(out).sort());
};

/** The scopes of the workspace fixture, the same project locked by pnpm 7, 8, 9 and 10. */
const workspaceScopes: Record<string, Scope> = {
  'debug@4.3.7': 'prod',
  'has-flag@4.0.0': 'prod', // dev of packages/a, prod through supports-color and file-dep
  'is-buffer@1.1.5': 'devOptional', // through kind-of, a dev dependency and an optional one
  'is-even@1.0.0': 'optional',
  'is-number@3.0.0': 'optional',
  'is-number@6.0.0': 'dev',
  'is-number@7.0.0': 'prod', // the `my-alias` alias, and `js-tokens` overridden to it
  'is-odd@0.1.2': 'optional',
  'is-odd@3.0.1': 'dev',
  'kind-of@3.2.2': 'devOptional',
  'loose-envify@1.4.0': 'prod',
  'ms@2.1.3': 'prod', // a devDependency of the root and a dependency of debug; patched
  'react-dom@18.2.0': 'prod',
  'react@18.2.0': 'prod',
  'react@18.3.1': 'prod',
  'scheduler@0.23.2': 'prod',
  'supports-color@7.2.0': 'prod',
};

describe('parsePnpmLockfile', () => {
  it('names its lockfile', () => {
    expect(lockfileNames).toEqual(['pnpm-lock.yaml']);
  });

  describe('real lockfiles of one workspace, written by pnpm 7, 8, 9 and 10', () => {
    const cases = [
      ['v5-workspace', 'pnpm-v5.4'],
      ['v6-workspace', 'pnpm-v6.0'],
      ['v9-workspace', 'pnpm-v9.0'],
      ['v9-pnpm10-workspace', 'pnpm-v9.0'],
    ] as const;
    for (const [fixture, format] of cases) {
      it(`${fixture}: importers, packages and scopes`, () => {
        const inventory = parseFixture(fixture);
        expect(inventory.format).toBe(format);
        expect(inventory.root).toBe('/project');
        expect(inventory.lockfile).toBe('/project/pnpm-lock.yaml');
        expect(inventory.importers).toEqual([
          { id: '', name: 'fx-root', path: '' },
          { id: './packages/a', name: '@fx/a', path: 'packages/a' },
          { id: './packages/b', name: '@fx/b', path: 'packages/b' },
        ]);
        expect(inventory.packages.get('')).toMatchObject({
          source: 'root',
          version: '1.0.0',
          license: 'MIT',
        });
        expect(inventory.packages.get('./packages/a')).toMatchObject({
          source: 'workspace',
          version: '0.1.0',
        });
        const expected = { ...workspaceScopes };
        if (fixture.startsWith('v9')) {
          // The catalog entries exist only in the pnpm 9/10 fixtures.
          expected['nanoid@3.3.20'] = 'prod';
          expected['picocolors@1.1.1'] = 'prod';
        }
        // pnpm 10 recognises the registry's own tarball URL and locks it as the registry package.
        if (fixture === 'v9-pnpm10-workspace') expected['is-plain-obj@4.1.0'] = 'prod';
        expect(registryScopes(inventory)).toEqual(Object.fromEntries(Object.entries(expected).sort()));
        const registry = [...inventory.packages.values()].filter((p) => p.source === 'registry');
        for (const pkg of registry) {
          expect(pkg.purl).toBe(`pkg:npm/${pkg.name.replace('@', '%40')}@${pkg.version}`);
          expect(pkg.integrity).toMatch(/^sha512-/);
        }
      });

      it(`${fixture}: peer variants stay distinct packages`, () => {
        const inventory = parseFixture(fixture);
        const variants = [...inventory.packages.values()].filter((p) => p.name === 'react-dom');
        expect(variants).toHaveLength(2);
        expect(new Set(variants.map((v) => v.version))).toEqual(new Set(['18.2.0']));
        const reactOf = (id: string) =>
          inventory.edges
            .filter((e) => e.from === id && inventory.packages.get(e.to)?.name === 'react')
            .map((e) => inventory.packages.get(e.to)?.version);
        expect(variants.map((v) => reactOf(v.id)).sort()).toEqual([['18.2.0'], ['18.3.1']]);
      });

      it(`${fixture}: workspace links, other links, file: folders and tarballs`, () => {
        const inventory = parseFixture(fixture);
        expect(inventory.edges).toContainEqual({
          from: './packages/a',
          to: './packages/b',
          type: 'prod',
          spec: 'workspace:*',
        });
        expect(inventory.packages.get('link:libs/local')).toMatchObject({
          name: 'local-lib',
          version: '0.0.1',
          source: 'link',
          purl: undefined,
          scope: 'prod',
        });
        const file = [...inventory.packages.values()].find((p) => p.name === 'file-dep');
        expect(file).toMatchObject({ version: '0.0.2', source: 'file', resolved: 'file:libs/filedep' });
        expect(
          inventory.edges.some(
            (e) => e.from === file?.id && inventory.packages.get(e.to)?.id.includes('has-flag'),
          ),
        ).toBe(true);
        const tarball = [...inventory.packages.values()].find((p) => p.name === 'is-plain-obj');
        if (fixture === 'v9-pnpm10-workspace') {
          expect(tarball).toMatchObject({
            id: 'is-plain-obj@4.1.0',
            source: 'registry',
            alias: 'tarball-dep',
          });
          return;
        }
        expect(tarball).toMatchObject({
          version: '4.1.0',
          source: 'tarball',
          purl: undefined,
          alias: 'tarball-dep',
          resolved: 'https://registry.npmjs.org/is-plain-obj/-/is-plain-obj-4.1.0.tgz?download=1',
        });
        expect(registryPackageKeys(inventory).has('is-plain-obj@4.1.0')).toBe(false);
      });

      it(`${fixture}: overrides and patches read as the registry packages they resolve to`, () => {
        const inventory = parseFixture(fixture);
        const ms = [...inventory.packages.values()].filter((p) => p.name === 'ms');
        expect(ms).toHaveLength(1);
        expect(ms[0]).toMatchObject({ version: '2.1.3', source: 'registry', purl: 'pkg:npm/ms@2.1.3' });
        // js-tokens is overridden with `npm:is-number@7.0.0`.
        const looseEnvify = [...inventory.packages.values()].find((p) => p.name === 'loose-envify');
        const targets = inventory.edges
          .filter((e) => e.from === looseEnvify?.id)
          .map((e) => inventory.packages.get(e.to));
        expect(targets.map((t) => `${t?.name}@${t?.version}`)).toEqual(['is-number@7.0.0']);
        expect([...registryPackageKeys(inventory)].filter((k) => k.startsWith('js-tokens'))).toEqual([]);
        // The `my-alias` dependency of the root.
        expect(inventory.edges).toContainEqual(
          expect.objectContaining({ from: '', spec: 'npm:is-number@7.0.0', type: 'prod' }),
        );
      });

      it(`${fixture}: the edges of the root importer carry the declared specifiers`, () => {
        const inventory = parseFixture(fixture);
        const rootEdges = inventory.edges
          .filter((e) => e.from === '')
          .map((e) => `${e.type} ${inventory.packages.get(e.to)?.name} ${e.spec}`)
          .sort();
        expect(rootEdges).toEqual([
          'dev is-odd 3.0.1',
          'dev kind-of 3.2.2',
          'dev ms 2.1.3',
          'optional is-even 1.0.0',
          'prod debug 4.3.7',
          'prod is-number npm:is-number@7.0.0',
          'prod is-plain-obj https://registry.npmjs.org/is-plain-obj/-/is-plain-obj-4.1.0.tgz?download=1',
          'prod react 18.2.0',
          'prod react-dom 18.2.0',
        ]);
      });
    }

    it('the scopes agree with the dev/optional flags pnpm 7 and 8 wrote', () => {
      for (const fixture of ['v5-workspace', 'v6-workspace', 'v5-single', 'v6-single']) {
        const inventory = parseFixture(fixture);
        const lock = readFileSync(join(fixtureRoot, fixture, 'pnpm-lock.yaml'), 'utf8');
        // Each `packages` entry: its key, then `dev:` and `optional:` lines among its fields.
        const entries = lock.split('\npackages:\n')[1]?.split(/\n(?= {2}\S)/) ?? [];
        let checked = 0;
        for (const entry of entries) {
          const key = /^ {2}'?([^'\n]+?)'?:$/m.exec(entry)?.[1];
          if (!key) continue;
          const pkg = inventory.packages.get(key.replace(/^\//, ''));
          if (!pkg) throw new Error(`${fixture}: ${key} is missing`);
          const dev = /\n {4}dev: (true|false)/.exec(entry)?.[1];
          const optional = /\n {4}optional: true/.test(entry);
          // pnpm: dev true = only dev; dev false = never dev; no flag = both. optional = only optional.
          let allowed: Scope[];
          if (dev === 'true') allowed = ['dev'];
          else if (dev === 'false') allowed = optional ? ['optional'] : ['prod'];
          else allowed = optional ? ['optional'] : ['prod', 'devOptional'];
          expect(allowed, `${fixture}: ${key}`).toContain(pkg.scope);
          checked++;
        }
        expect(checked).toBeGreaterThan(10);
      }
    });
  });

  describe('single-project lockfiles (top-level dependencies in v5/v6)', () => {
    for (const [fixture, format, key] of [
      ['v5-single', 'pnpm-v5.4', 'ms/2.1.2'],
      ['v6-single', 'pnpm-v6.0', 'ms@2.1.2'],
      ['v9-single', 'pnpm-v9.0', 'ms@2.1.2'],
    ] as const) {
      it(fixture, () => {
        const inventory = parseFixture(fixture);
        expect(inventory.format).toBe(format);
        expect(inventory.importers).toEqual([{ id: '', name: 'fx-single', path: '' }]);
        expect(inventory.packages.get(key)).toMatchObject({
          name: 'ms',
          version: '2.1.2',
          alias: 'alias-ms',
          scope: 'prod',
          source: 'registry',
        });
        expect(registryScopes(inventory)).toEqual({
          'debug@4.3.7': 'dev',
          'is-buffer@1.1.6': 'optional',
          'is-even@1.0.0': 'optional',
          'is-number@3.0.0': 'optional',
          'is-odd@0.1.2': 'optional',
          'js-tokens@4.0.0': 'prod',
          'kind-of@3.2.2': 'optional',
          'loose-envify@1.4.0': 'prod',
          'ms@2.1.2': 'prod',
          'ms@2.1.3': 'dev',
          'react-dom@18.2.0': 'prod',
          'react@18.2.0': 'prod',
          'scheduler@0.23.2': 'prod',
        });
      });
    }
  });

  it('reads both documents of a pnpm 11+ lockfile: config dependencies count as dev tooling', () => {
    const inventory = parseFixture('v9-env-document');
    expect(inventory.format).toBe('pnpm-v9.0');
    expect(inventory.importers).toEqual([{ id: '', name: 'fx-env', path: '' }]);
    expect(registryScopes(inventory)).toEqual({
      'is-number@6.0.0': 'prod',
      'is-number@7.0.0': 'dev',
      'is-odd@3.0.1': 'prod',
    });
  });

  describe('catalogs', () => {
    it('resolves catalog: specifiers through the importer, keeping the declared specifier', () => {
      const inventory = parseFixture('v9-workspace');
      const edges = inventory.edges
        .filter((e) => e.from === './packages/b' && e.spec.startsWith('catalog:'))
        .map(
          (e) => `${e.spec} ${inventory.packages.get(e.to)?.name}@${inventory.packages.get(e.to)?.version}`,
        )
        .sort();
      expect(edges).toEqual(['catalog: picocolors@1.1.1', 'catalog:legacy nanoid@3.3.20']);
    });

    it('falls back to the top-level catalogs section when an importer leaves the version out', () => {
      const inventory = parseText(`lockfileVersion: '9.0'
catalogs:
  default:
    ms:
      specifier: ^2.1.0
      version: 2.1.3
importers:
  .:
    dependencies:
      ms:
        specifier: 'catalog:'
packages:
  ms@2.1.3:
    resolution: {integrity: sha512-x}
snapshots:
  ms@2.1.3: {}
`);
      expect(inventory.edges).toEqual([{ from: '', to: 'ms@2.1.3', type: 'prod', spec: 'catalog:' }]);
    });
  });

  describe('git, tarball and directory packages', () => {
    it('v9: git resolutions, hosted git tarballs, URL tarballs and local tarballs', () => {
      const inventory = parseText(`lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      a:
        specifier: git+https://example.com/a.git#abc
        version: git+https://example.com/a.git#abc1234
      b:
        specifier: github:user/b
        version: https://codeload.github.com/user/b/tar.gz/0123abc
      c:
        specifier: https://example.com/c-1.0.0.tgz
        version: https://example.com/c-1.0.0.tgz
      d:
        specifier: file:vendor/d-1.0.0.tgz
        version: file:vendor/d-1.0.0.tgz
      e:
        specifier: ^1.0.0
        version: 1.0.0
packages:
  a@git+https://example.com/a.git#abc1234:
    resolution: {commit: abc1234, repo: 'https://example.com/a.git', type: git}
    version: 1.2.0
  b@https://codeload.github.com/user/b/tar.gz/0123abc:
    resolution: {tarball: https://codeload.github.com/user/b/tar.gz/0123abc}
    version: 2.0.0
  c@https://example.com/c-1.0.0.tgz:
    resolution: {tarball: https://example.com/c-1.0.0.tgz}
    version: 1.0.0
  d@file:vendor/d-1.0.0.tgz:
    resolution: {integrity: sha512-d, tarball: file:vendor/d-1.0.0.tgz}
    version: 1.0.0
  e@1.0.0:
    resolution: {integrity: sha512-e, tarball: https://npm.example.com/e/-/e-1.0.0.tgz}
snapshots:
  a@git+https://example.com/a.git#abc1234: {}
  b@https://codeload.github.com/user/b/tar.gz/0123abc: {}
  c@https://example.com/c-1.0.0.tgz: {}
  d@file:vendor/d-1.0.0.tgz: {}
  e@1.0.0: {}
`);
      const summary = [...inventory.packages.values()]
        .filter((p) => p.source !== 'root')
        .map((p) => `${p.name} ${p.version} ${p.source} ${p.resolved} ${p.purl}`);
      expect(summary).toEqual([
        'a 1.2.0 git https://example.com/a.git#abc1234 undefined',
        'b 2.0.0 git https://codeload.github.com/user/b/tar.gz/0123abc undefined',
        'c 1.0.0 tarball https://example.com/c-1.0.0.tgz undefined',
        'd 1.0.0 file file:vendor/d-1.0.0.tgz undefined',
        'e 1.0.0 registry https://npm.example.com/e/-/e-1.0.0.tgz pkg:npm/e@1.0.0',
      ]);
    });

    it('v6: keys without a leading slash take name and version from the entry', () => {
      const inventory = parseText(`lockfileVersion: '6.0'
dependencies:
  b:
    specifier: github:user/b
    version: github.com/user/b/0123abc
  c:
    specifier: https://example.com/c-1.0.0.tgz
    version: '@example.com/c-1.0.0.tgz'
packages:
  github.com/user/b/0123abc:
    resolution: {tarball: https://codeload.github.com/user/b/tar.gz/0123abc}
    name: b
    version: 2.0.0
    dev: false
  '@example.com/c-1.0.0.tgz':
    resolution: {tarball: https://example.com/c-1.0.0.tgz}
    name: c
    version: 1.0.0
    dev: false
`);
      expect(inventory.packages.get('github.com/user/b/0123abc')).toMatchObject({
        name: 'b',
        version: '2.0.0',
        source: 'git',
      });
      expect(inventory.packages.get('@example.com/c-1.0.0.tgz')).toMatchObject({
        name: 'c',
        version: '1.0.0',
        source: 'tarball',
      });
    });

    it('v5: scoped names, peer suffixes with scoped peers, and aliases', () => {
      const inventory = parseText(`lockfileVersion: 5.3
specifiers:
  '@scope/x': ^1.0.0
  y: npm:@scope/x@^1.0.0
dependencies:
  '@scope/x': 1.0.0_@types+react@18.0.0
  y: /@scope/x/1.0.0
packages:
  /@scope/x/1.0.0_@types+react@18.0.0:
    resolution: {integrity: sha512-x}
    dependencies:
      '@types/react': 18.0.0
  /@scope/x/1.0.0:
    resolution: {integrity: sha512-x}
  /@types/react/18.0.0:
    resolution: {integrity: sha512-r}
`);
      expect(inventory.format).toBe('pnpm-v5.3');
      expect(inventory.packages.get('@scope/x/1.0.0_@types+react@18.0.0')).toMatchObject({
        name: '@scope/x',
        version: '1.0.0',
        purl: 'pkg:npm/%40scope/x@1.0.0',
      });
      expect(inventory.packages.get('@scope/x/1.0.0')).toMatchObject({ alias: 'y' });
      expect(inventory.edges).toContainEqual({
        from: '',
        to: '@scope/x/1.0.0',
        type: 'prod',
        spec: 'npm:@scope/x@^1.0.0',
        alias: 'y',
      });
      expect(registryPackageKeys(inventory)).toEqual(new Set(['@scope/x@1.0.0', '@types/react@18.0.0']));
    });
  });

  describe('lockfileVersion', () => {
    const minimal = (version: string): string => `lockfileVersion: ${version}\nimporters:\n  .: {}\n`;
    for (const version of [
      '5.0',
      '5.1',
      '5.2',
      '5.3',
      '5.4',
      "'5.4'",
      '5',
      "'6.0'",
      "'6.1'",
      "'9.0'",
      '6.0',
    ]) {
      it(`accepts ${version}`, () => {
        const inventory = parseText(minimal(version));
        expect(inventory.format).toMatch(/^pnpm-v[569]\.[0-4]$/);
        expect(inventory.packages.size).toBe(1);
      });
    }
    for (const [version, shown] of [
      ["'10.0'", '"10.0"'],
      ["'7.0'", '"7.0"'],
      ['5.5', '5.5'],
      ['4.0', '4'],
      ["'5.4-inlineSpecifiers'", '"5.4-inlineSpecifiers"'],
    ]) {
      it(`refuses ${version}, naming it`, () => {
        const error = errorOf(() => parseText(minimal(version as string)));
        expect(error.code).toBe('LOCKFILE_UNSUPPORTED_VERSION');
        expect(error.message).toBe(
          `/project/pnpm-lock.yaml: lockfileVersion ${shown} is not supported (supported: 5.0-5.4, 6.0, 6.1, 9.0)`,
        );
      });
    }
    it('refuses a lockfile without a version', () => {
      const error = errorOf(() => parseText('importers:\n  .: {}\n'));
      expect(error.code).toBe('LOCKFILE_UNSUPPORTED_VERSION');
      expect(error.message).toContain('lockfileVersion is missing');
    });
  });

  describe('invalid files', () => {
    it('names the line and column of a YAML error', () => {
      const error = errorOf(() => parseText("lockfileVersion: '9.0'\nimporters:\n  .: {}\n packages: {}\n"));
      expect(error.code).toBe('LOCKFILE_INVALID_YAML');
      expect(error.message).toBe(
        '/project/pnpm-lock.yaml: invalid YAML at line 4, column 1: All mapping items must start at the same column',
      );
    });

    it('names the place of an unclosed flow mapping', () => {
      const error = errorOf(() =>
        parseText("lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: {a: 'b'\n"),
      );
      expect(error.code).toBe('LOCKFILE_INVALID_YAML');
      expect(error.message).toMatch(
        /^\/project\/pnpm-lock\.yaml: invalid YAML at line \d+, column \d+: Flow map/,
      );
    });

    it('names the line of an unclosed quote', () => {
      const error = errorOf(() => parseText("lockfileVersion: '9.0'\nimporters:\n  '.:\n    {}\n"));
      expect(error.code).toBe('LOCKFILE_INVALID_YAML');
      expect(error.message).toMatch(/invalid YAML at line \d+, column \d+: .+/);
    });

    it('refuses duplicate keys', () => {
      const error = errorOf(() => parseText("lockfileVersion: '9.0'\nlockfileVersion: '9.0'\n"));
      expect(error.code).toBe('LOCKFILE_INVALID_YAML');
      expect(error.message).toContain('line 2');
    });

    it('refuses a document that is not a mapping, and an empty file', () => {
      expect(errorOf(() => parseText('- a\n- b\n')).code).toBe('LOCKFILE_INVALID');
      expect(errorOf(() => parseText('')).code).toBe('LOCKFILE_INVALID');
    });

    it('refuses a registry entry whose tarball URL names another package or version (v9, v6, v5)', () => {
      const v9 = (tarball: string) =>
        parseText(`lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      lodash:
        specifier: ^4.17.21
        version: 4.17.21
packages:
  lodash@4.17.21:
    resolution: {integrity: sha512-x, tarball: ${tarball}}
snapshots:
  lodash@4.17.21: {}
`);
      for (const [tarball, names] of [
        ['https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz', 'lodash@4.17.15'],
        ['https://registry.npmjs.org/underscore/-/underscore-4.17.21.tgz', 'underscore@4.17.21'],
      ] as const) {
        const error = errorOf(() => v9(tarball));
        expect(error.code).toBe('LOCKFILE_INVALID');
        expect(error.message).toContain(
          `"packages" → "lodash@4.17.21" → "resolution": its tarball URL names ${names} but the key says lodash@4.17.21; pnpm installs what the URL names`,
        );
      }
      // The URL of the key's own package and version, and one in no registry's layout, are read.
      expect(registryScopes(v9('https://npm.example.com/lodash/-/lodash-4.17.21.tgz?token=x'))).toEqual({
        'lodash@4.17.21': 'prod',
      });
      expect(registryScopes(v9('https://example.com/anything.tgz'))).toEqual({ 'lodash@4.17.21': 'prod' });
      const v6 = errorOf(() =>
        parseText(`lockfileVersion: '6.0'
dependencies:
  '@scope/x':
    specifier: ^1.0.1
    version: 1.0.1
packages:
  /@scope/x@1.0.1:
    resolution: {integrity: sha512-x, tarball: https://registry.npmjs.org/@scope/x/-/x-1.0.0.tgz}
    dev: false
`),
      );
      expect(v6.message).toContain('its tarball URL names @scope/x@1.0.0 but the key says @scope/x@1.0.1');
      const v5 = errorOf(() =>
        parseText(`lockfileVersion: 5.4
specifiers:
  a: ^2.0.0
dependencies:
  a: 2.0.0
packages:
  /a/2.0.0:
    resolution: {integrity: sha512-x, tarball: https://registry.npmjs.org/a/-/a-1.0.0.tgz}
    dev: false
`),
      );
      expect(v5.message).toContain('its tarball URL names a@1.0.0 but the key says a@2.0.0');
    });

    it('refuses a dependency that has no entry', () => {
      const error = errorOf(() =>
        parseText(
          "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n        version: 1.0.0\n",
        ),
      );
      expect(error.code).toBe('LOCKFILE_INVALID');
      expect(error.message).toContain('importer "."');
      expect(error.message).toContain('"a@1.0.0"');
    });

    it('refuses an importer manifest that is not JSON', () => {
      const error = errorOf(() =>
        parseText("lockfileVersion: '9.0'\nimporters:\n  .: {}\n", { 'package.json': '{ "name": ' }),
      );
      expect(error.code).toBe('MANIFEST_INVALID');
      expect(error.message).toContain('/project/package.json');
    });
  });

  describe('paths that leave the project', () => {
    for (const key of ['../outside', '/etc', 'packages/../../x', 'C:/x', 'a\\..\\..\\b']) {
      it(`refuses the importer ${JSON.stringify(key)}`, () => {
        const error = errorOf(() =>
          parseText(`lockfileVersion: '9.0'\nimporters:\n  .: {}\n  '${key}': {}\n`),
        );
        expect(error.code).toBe('LOCKFILE_KEY_ESCAPES');
        expect(error.message).toContain(JSON.stringify(key));
      });
    }

    it('records link: and file: dependencies outside the project without reading them', () => {
      const input = memoryInput('pnpm-lock.yaml', {
        'pnpm-lock.yaml': `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      out:
        specifier: link:../outside
        version: link:../outside
      abs:
        specifier: link:/abs/lib
        version: link:/abs/lib
      far:
        specifier: file:../far
        version: file:../far
packages:
  far@file:../far:
    resolution: {directory: ../far, type: directory}
snapshots:
  far@file:../far: {}
`,
      });
      const readFile = vi.spyOn(input, 'readFile');
      const inventory = parsePnpmLockfile(input);
      expect(readFile.mock.calls.map((c) => c[0])).toEqual(['package.json']);
      expect(inventory.packages.get('link:../outside')).toMatchObject({ name: 'out', source: 'link' });
      expect(inventory.packages.get('link:/abs/lib')).toMatchObject({ name: 'abs', source: 'link' });
      expect(inventory.packages.get('far@file:../far')).toMatchObject({
        name: 'far',
        version: '0.0.0',
        source: 'file',
        resolved: 'file:../far',
      });
    });
  });

  it('leaves out packages no importer reaches', () => {
    const inventory = parseText(`lockfileVersion: '9.0'
importers:
  .:
    devDependencies:
      a:
        specifier: ^1.0.0
        version: 1.0.0
packages:
  a@1.0.0:
    resolution: {integrity: sha512-a}
  orphan@1.0.0:
    resolution: {integrity: sha512-o}
snapshots:
  a@1.0.0: {}
  orphan@1.0.0: {}
`);
    expect([...inventory.packages.keys()]).toEqual(['', 'a@1.0.0']);
    expect(inventory.packages.get('a@1.0.0')?.scope).toBe('dev');
  });

  it("takes an overridden dependency's range from package.json: pnpm writes the override as its specifier", () => {
    // As pnpm 10 locks `"lodash": "^4.17.15"` and `"minimist": "^1.2.0"` under
    // `pnpm.overrides` {"lodash": "4.17.15", "minimist@<1.2.6": "1.2.5"}; `other` is not covered.
    const lockfile = `lockfileVersion: '9.0'
overrides:
  lodash: 4.17.15
  minimist@<1.2.6: 1.2.5
importers:
  .:
    dependencies:
      lodash:
        specifier: 4.17.15
        version: 4.17.15
      minimist:
        specifier: 1.2.5
        version: 1.2.5
    devDependencies:
      other:
        specifier: 1.2.5
        version: 1.2.5
packages:
  lodash@4.17.15:
    resolution: {integrity: sha512-l}
  minimist@1.2.5:
    resolution: {integrity: sha512-m}
  other@1.2.5:
    resolution: {integrity: sha512-o}
snapshots:
  lodash@4.17.15: {}
  minimist@1.2.5: {}
  other@1.2.5: {}
`;
    const manifest = JSON.stringify({
      dependencies: { lodash: '^4.17.15', minimist: '^1.2.0' },
      // A range changed since the last install: no override names `other`, so the lockfile's
      // specifier stands, though it equals an override's value.
      devDependencies: { other: '^1.2.0' },
    });
    const specs = (inventory: Inventory) =>
      Object.fromEntries(
        inventory.edges.filter((e) => e.from === '').map((e) => [e.to.slice(0, e.to.indexOf('@')), e.spec]),
      );
    expect(specs(parseText(lockfile, { 'package.json': manifest }))).toEqual({
      lodash: '^4.17.15',
      minimist: '^1.2.0',
      other: '1.2.5',
    });
    // Without a package.json, or without overrides, the lockfile's specifier stands.
    expect(specs(parseText(lockfile)).lodash).toBe('4.17.15');
    const plain = lockfile.replace(/^overrides:\n( {2}.*\n)+/m, '');
    expect(specs(parseText(plain, { 'package.json': manifest })).lodash).toBe('4.17.15');
  });

  it('names importers without a package.json after the link that points at them', () => {
    const inventory = parseText(`lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      '@x/lib':
        specifier: workspace:*
        version: link:libs/lib
  libs/lib: {}
`);
    expect(inventory.importers).toEqual([
      { id: '', name: 'project', path: '' },
      { id: './libs/lib', name: '@x/lib', path: 'libs/lib' },
    ]);
  });
});

describe('importer ids', () => {
  const lodash = `packages:
  lodash@4.17.20:
    resolution: {integrity: sha512-l}
snapshots:
  lodash@4.17.20: {}
`;

  it('keeps an importer folder named like a package key apart from that package', () => {
    const inventory = parseText(
      `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      lodash:
        specifier: 4.17.20
        version: 4.17.20
  lodash@4.17.20: {}
${lodash}`,
      { 'lodash@4.17.20/package.json': '{"name":"odd","version":"9.9.9"}' },
    );
    expect(inventory.importers).toEqual([
      { id: '', name: 'project', path: '' },
      { id: './lodash@4.17.20', name: 'odd', path: 'lodash@4.17.20' },
    ]);
    expect(inventory.packages.get('lodash@4.17.20')).toMatchObject({
      name: 'lodash',
      version: '4.17.20',
      source: 'registry',
    });
    expect(inventory.packages.get('./lodash@4.17.20')).toMatchObject({
      name: 'odd',
      source: 'workspace',
    });
    expect(registryPackageKeys(inventory)).toEqual(new Set(['lodash@4.17.20']));
  });

  it('links to an importer by its id, and names the importer by its folder in errors', () => {
    const inventory = parseText(`lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      b:
        specifier: workspace:*
        version: link:packages/b
  packages/b: {}
`);
    expect(inventory.edges).toEqual([{ from: '', to: './packages/b', type: 'prod', spec: 'workspace:*' }]);
    const error = errorOf(() =>
      parseText(
        "lockfileVersion: '9.0'\nimporters:\n  .: {}\n  packages/b:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n        version: 1.0.0\n",
      ),
    );
    expect(error.code).toBe('LOCKFILE_INVALID');
    expect(error.message).toContain('importer "packages/b"');
  });

  for (const key of ['./a@1.0.0', 'link:a@1.0.0']) {
    it(`refuses the package key ${JSON.stringify(key)}, which would fall among importer or link ids`, () => {
      const error = errorOf(() =>
        parseText(
          `lockfileVersion: '9.0'\nimporters:\n  .: {}\npackages:\n  '${key}':\n    resolution: {integrity: sha512-x}\nsnapshots:\n  '${key}': {}\n`,
        ),
      );
      expect(error.code).toBe('LOCKFILE_INVALID');
      expect(error.message).toContain(`"snapshots" → ${JSON.stringify(key)}`);
    });
  }

  for (const [first, second] of [
    ['a', 'a/'],
    ['a', './a'],
    ['packages/a/', 'packages//a'],
    ['.', './'],
  ]) {
    it(`refuses importers ${JSON.stringify(first)} and ${JSON.stringify(second)}, one folder`, () => {
      const error = errorOf(() =>
        parseText(`lockfileVersion: '9.0'\nimporters:\n  '${first}': {}\n  '${second}': {}\n`),
      );
      expect(error.code).toBe('LOCKFILE_INVALID');
      expect(error.message).toContain(`importers ${JSON.stringify(first)} and ${JSON.stringify(second)}`);
    });
  }

  it('reads `./` alone as the root', () => {
    const inventory = parseText(`lockfileVersion: '9.0'\nimporters:\n  ./: {}\n  ./a/: {}\n`);
    expect(inventory.importers).toEqual([
      { id: '', name: 'project', path: '' },
      { id: './a', name: 'a', path: 'a' },
    ]);
  });
});

describe('dependency fields that are no mapping', () => {
  const cases: [string, string, string][] = [
    [
      'a v9 snapshot',
      `lockfileVersion: '9.0'\nimporters:\n  .: {}\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-a}\nsnapshots:\n  a@1.0.0:\n    dependencies: x\n`,
      '"snapshots" → "a@1.0.0" → "dependencies": expected a mapping',
    ],
    [
      'a v9 snapshot (optional)',
      `lockfileVersion: '9.0'\nimporters:\n  .: {}\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-a}\nsnapshots:\n  a@1.0.0:\n    optionalDependencies: [b]\n`,
      '"snapshots" → "a@1.0.0" → "optionalDependencies": expected a mapping',
    ],
    [
      'a v6 package',
      `lockfileVersion: '6.0'\ndependencies: {}\npackages:\n  /a@1.0.0:\n    resolution: {integrity: sha512-a}\n    dependencies: x\n`,
      '"packages" → "/a@1.0.0" → "dependencies": expected a mapping',
    ],
    [
      'a v5 package',
      `lockfileVersion: 5.4\npackages:\n  /a/1.0.0:\n    resolution: {integrity: sha512-a}\n    dependencies: 1\n`,
      '"packages" → "/a/1.0.0" → "dependencies": expected a mapping',
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses one in ${what}, naming its key path`, () => {
      const error = errorOf(() => parseText(text));
      expect(error.code).toBe('LOCKFILE_INVALID');
      expect(error.message).toBe(`/project/pnpm-lock.yaml: ${message}`);
    });
  }

  it('accepts a null one, as in importers', () => {
    const inventory = parseText(
      `lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: null\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-a}\nsnapshots:\n  a@1.0.0:\n    dependencies: null\n`,
    );
    expect([...inventory.packages.keys()]).toEqual(['']);
  });
});

describe('NUL bytes in paths', () => {
  const cases: [string, string][] = [
    ['an importer key', `lockfileVersion: '9.0'\nimporters:\n  .: {}\n  "a\\0b": {}\n`],
    [
      'a link: dependency',
      `lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      l:\n        specifier: link:x\n        version: "link:x\\0y"\n`,
    ],
    [
      'a file: package key',
      `lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      f:\n        specifier: file:f\n        version: "file:f\\0g"\npackages:\n  "f@file:f\\0g":\n    resolution: {directory: "f\\0g", type: directory}\nsnapshots:\n  "f@file:f\\0g": {}\n`,
    ],
    [
      'a directory resolution',
      `lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      f:\n        specifier: file:f\n        version: file:f\npackages:\n  f@file:f:\n    resolution: {directory: "f\\0g", type: directory}\nsnapshots:\n  f@file:f: {}\n`,
    ],
    [
      'a v5 file: package key',
      `lockfileVersion: 5.4\ndependencies:\n  f: "file:f\\0g"\npackages:\n  "file:f\\0g":\n    resolution: {directory: "f\\0g", type: directory}\n    name: f\n`,
    ],
  ];
  for (const [what, text] of cases) {
    it(`refuses one in ${what} before reading any file for it`, () => {
      const input = memoryInput('pnpm-lock.yaml', { 'pnpm-lock.yaml': text });
      const readFile = vi.spyOn(input, 'readFile');
      const error = errorOf(() => parsePnpmLockfile(input));
      expect(error.code).toBe('LOCKFILE_INVALID');
      expect(error.message).toContain('NUL');
      expect(readFile.mock.calls.filter((c) => c[0].includes('\0'))).toEqual([]);
    });
  }
});
