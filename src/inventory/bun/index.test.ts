import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
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
import { type LockfileInput, memoryInput } from '../source.js';
import { lockfileNames, parseBunLockfile } from './index.js';
import { stripJsonc } from './jsonc.js';

/*
 * test/fixtures/bun/v{0,1,2}-workspaces are one project (a root with two workspaces, prod, dev,
 * optional and optional-peer dependencies, an npm alias, nested duplicates, a registry tarball URL
 * and a file: folder), locked by the real bun 1.1.40 (lockfileVersion 0), 1.2.0 (1) and 1.4.5 (2).
 * Only bun.lock and the package.json files were kept. Inline lockfiles cover one-fact cases.
 */

const fixtures = fileURLToPath(new URL('../../../test/fixtures/bun/', import.meta.url));

const filesOf = (dir: string): Record<string, string> => {
  const files: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const full = join(folder, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[relative(dir, full).split('\\').join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
};

const readFixture = (name: string): Inventory =>
  parseBunLockfile(memoryInput('bun.lock', filesOf(join(fixtures, name)), '/work/app'));

const parse = (doc: unknown, files: Record<string, string> = {}): Inventory =>
  parseBunLockfile(
    memoryInput('bun.lock', { 'bun.lock': typeof doc === 'string' ? doc : JSON.stringify(doc), ...files }),
  );

const lock = (packages: Record<string, unknown[]>, workspaces: Record<string, unknown> = {}, extra = {}) => ({
  lockfileVersion: 1,
  workspaces: { '': { name: 'app' }, ...workspaces },
  packages,
  ...extra,
});

const npm = (spec: string, info: Record<string, unknown> = {}, registry = ''): unknown[] => [
  spec,
  registry,
  info,
  `sha512-${spec}`,
];

const errorOf = (run: () => unknown): PatchPilotError => {
  try {
    run();
  } catch (error) {
    if (error instanceof PatchPilotError) return error;
    throw error;
  }
  throw new Error('expected a PatchPilotError');
};

const expectCode = (run: () => unknown, code: ErrorCode, message?: RegExp): void => {
  const error = errorOf(run);
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
};

/** What `bun install --ignore-scripts` (bun 1.4.5) put in node_modules for the fixture project. */
const installedByBun = [
  'debug@2.6.9',
  'humanize-ms@1.2.1',
  'inherits@2.0.4',
  'is-number@6.0.0',
  'is-number@7.0.0',
  'is-odd@3.0.1',
  'js-tokens@4.0.0',
  'left-pad@1.3.0',
  'local-thing@0.0.3',
  'lodash.once@4.1.1',
  'loose-envify@1.4.0',
  'ms@2.0.0',
  'ms@2.1.3',
  'react@18.2.0',
  'use-sync-external-store@1.2.0',
  'wrappy@1.0.2',
];

/** The folders `bun install --linker hoisted` (bun 1.4.5) created, with the package in each. */
const hoistedByBun = [
  'node_modules/debug debug@2.6.9',
  'node_modules/debug/node_modules/ms ms@2.0.0',
  'node_modules/humanize-ms humanize-ms@1.2.1',
  'node_modules/inherits inherits@2.0.4',
  'node_modules/is-number is-number@7.0.0',
  'node_modules/is-odd is-odd@3.0.1',
  'node_modules/is-odd/node_modules/is-number is-number@6.0.0',
  'node_modules/js-tokens js-tokens@4.0.0',
  'node_modules/left-pad left-pad@1.3.0',
  'node_modules/local-thing local-thing@0.0.3',
  'node_modules/loose-envify loose-envify@1.4.0',
  'node_modules/ms ms@2.1.3',
  'node_modules/my-once lodash.once@4.1.1',
  'node_modules/react react@18.2.0',
  'node_modules/use-sync-external-store use-sync-external-store@1.2.0',
  'node_modules/wrappy wrappy@1.0.2',
  'packages/a/node_modules/ms ms@2.0.0',
];

const expectedRows = [
  '(root) bun-app@1.0.0 (prod, root)',
  './packages/a @app/a@0.2.0 (prod, workspace)',
  './packages/b b-tool@0.0.1 (prod, workspace)',
  '@app/a/ms ms@2.0.0 (prod, registry)',
  'debug debug@2.6.9 (prod, registry)',
  'debug/ms ms@2.0.0 (prod, registry)',
  'humanize-ms humanize-ms@1.2.1 (dev, registry)',
  'inherits inherits@2.0.4 (prod, registry)',
  'is-number is-number@7.0.0 (dev, registry)',
  'is-odd is-odd@3.0.1 (dev, registry)',
  'is-odd/is-number is-number@6.0.0 (dev, registry)',
  'js-tokens js-tokens@4.0.0 (prod, registry)',
  'left-pad left-pad@1.3.0 (prod, registry)',
  'local-thing local-thing@0.0.3 (prod, file)',
  'loose-envify loose-envify@1.4.0 (prod, registry)',
  'ms ms@2.1.3 (prod, registry)',
  'my-once lodash.once@4.1.1 (prod, registry)',
  'react react@18.2.0 (prod, registry)',
  'use-sync-external-store use-sync-external-store@1.2.0 (prod, registry)',
  'wrappy wrappy@1.0.2 (optional, registry)',
];

const expectedEdges = (workspaceSpec: string): string[] =>
  [
    `(root) -> ./packages/a [prod] ${workspaceSpec}`,
    '(root) -> debug [prod] 2.6.9',
    '(root) -> humanize-ms [dev] 1.2.1',
    '(root) -> is-number [dev] 7.0.0',
    '(root) -> is-odd [dev] 3.0.1',
    '(root) -> left-pad [prod] https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz',
    '(root) -> local-thing [prod] file:./local-thing',
    '(root) -> ms [prod] 2.1.3',
    '(root) -> my-once [prod] npm:lodash.once@4.1.1',
    '(root) -> wrappy [optional] 1.0.2',
    'debug -> debug/ms [prod] 2.0.0',
    'humanize-ms -> ms [prod] ^2.0.0',
    'is-odd -> is-odd/is-number [prod] ^6.0.0',
    'local-thing -> inherits [prod] 2.0.4',
    'loose-envify -> js-tokens [prod] ^3.0.0 || ^4.0.0',
    './packages/a -> @app/a/ms [prod] 2.0.0',
    './packages/a -> react [prod] 18.2.0',
    './packages/a -> use-sync-external-store [prod] 1.2.0',
    './packages/b -> is-number [dev] 7.0.0',
    'react -> loose-envify [prod] ^1.1.0',
    'use-sync-external-store -> react [peer] ^16.8.0 || ^17.0.0 || ^18.0.0',
  ].sort();

describe('parseBunLockfile: real lockfiles', () => {
  it('exports the lockfile name', () => {
    expect(lockfileNames).toEqual(['bun.lock']);
  });

  for (const [fixture, version, workspaceSpec] of [
    ['v2-workspaces', 2, 'workspace:*'],
    ['v1-workspaces', 1, 'workspace:*'],
    ['v0-workspaces', 0, 'packages/a'],
  ] as const) {
    describe(`${fixture} (lockfileVersion ${version})`, () => {
      const inventory = readFixture(fixture);

      it('reads the format, root and importers', () => {
        expect(inventory.format).toBe(`bun-v${version}`);
        expect(inventory.root).toBe('/work/app');
        expect(inventory.lockfile).toBe('/work/app/bun.lock');
        expect(inventory.importers).toEqual([
          { id: '', name: 'bun-app', path: '' },
          { id: './packages/a', name: '@app/a', path: 'packages/a' },
          { id: './packages/b', name: 'b-tool', path: 'packages/b' },
        ]);
      });

      it('reads every package with its scope and source', () => {
        expect(rows(inventory)).toEqual(expectedRows);
      });

      it('resolves the edges as bun does', () => {
        expect(edgeRows(inventory)).toEqual(expectedEdges(workspaceSpec));
      });

      it('holds exactly the packages bun installed', () => {
        const installed = [...inventory.packages.values()]
          .filter((p) => p.source !== 'root' && p.source !== 'workspace')
          .map((p) => `${p.name}@${p.version}`);
        expect([...new Set(installed)].sort()).toEqual(installedByBun);
        expect([...registryPackageKeys(inventory)].sort()).toEqual(
          installedByBun.filter((k) => !k.startsWith('local-thing@')),
        );
      });

      it('has keys that are the folders of the hoisted layout', () => {
        const workspaceFolders = new Map(inventory.importers.map((i) => [i.name, i.path]));
        const folders = [...inventory.packages.values()]
          .filter((p) => p.source !== 'root' && p.source !== 'workspace')
          .map((p) => {
            const parts = p.id.split('/');
            const segments: string[] = [];
            for (let i = 0; i < parts.length; i++) {
              const part = parts[i] as string;
              segments.push(part.startsWith('@') ? `${part}/${parts[++i]}` : part);
            }
            const [first, ...rest] = segments as [string, ...string[]];
            const base = workspaceFolders.has(first)
              ? `${workspaceFolders.get(first)}`
              : `node_modules/${first}`;
            return `${[base, ...rest].join('/node_modules/')} ${p.name}@${p.version}`;
          });
        expect(folders.sort()).toEqual(hoistedByBun);
      });
    });
  }

  it('reads the registry facts of an npm entry', () => {
    const inventory = readFixture('v2-workspaces');
    expect(pkg(inventory, 'debug/ms')).toEqual({
      id: 'debug/ms',
      name: 'ms',
      version: '2.0.0',
      purl: 'pkg:npm/ms@2.0.0',
      integrity:
        'sha512-Tpp60P6IUJDTuOq/5Z8cdskzJujfwqfOTkrwIwj7IRISpnkJnT6SyJ4PCPnGMoFjC9ddhal5KVIYtAt97ix05A==',
      resolved: 'https://registry.npmjs.org/ms/-/ms-2.0.0.tgz',
      source: 'registry',
      scope: 'prod',
      bundled: false,
      alias: undefined,
      license: undefined,
    });
  });

  it('gives an alias the real name and keeps the folder name', () => {
    const alias = pkg(readFixture('v2-workspaces'), 'my-once');
    expect([alias.name, alias.alias, alias.purl]).toEqual([
      'lodash.once',
      'my-once',
      'pkg:npm/lodash.once@4.1.1',
    ]);
  });

  it('reads a registry tarball URL as the registry package it is', () => {
    const v2 = pkg(readFixture('v2-workspaces'), 'left-pad');
    expect(v2).toMatchObject({
      version: '1.3.0',
      source: 'registry',
      purl: 'pkg:npm/left-pad@1.3.0',
      resolved: 'https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz',
    });
    expect(v2.integrity).toMatch(/^sha512-/);
    // bun 1.1 wrote no integrity for tarballs.
    expect(pkg(readFixture('v0-workspaces'), 'left-pad').integrity).toBeUndefined();
  });

  it('reads a file: folder, with the version from its package.json', () => {
    expect(pkg(readFixture('v2-workspaces'), 'local-thing')).toMatchObject({
      source: 'file',
      version: '0.0.3',
      resolved: 'file:local-thing',
      purl: undefined,
    });
  });
});

describe('parseBunLockfile: versions and syntax', () => {
  it.each([0, 1, 2, 3])('accepts lockfileVersion %s', (version) => {
    expect(parse({ ...lock({}), lockfileVersion: version }).format).toBe(`bun-v${version}`);
  });

  it.each([
    [4, /lockfileVersion 4 is not supported \(known: 0, 1, 2, 3\)/],
    [-1, /lockfileVersion -1 is not supported/],
    ['1', /lockfileVersion "1" is not supported/],
    [1.5, /lockfileVersion 1.5 is not supported/],
    [undefined, /lockfileVersion is missing \(known: 0, 1, 2, 3\)/],
  ])('refuses lockfileVersion %j', (version, message) => {
    expectCode(
      () => parse({ ...lock({}), lockfileVersion: version }),
      'LOCKFILE_UNSUPPORTED_VERSION',
      message,
    );
  });

  it('reads trailing commas and comments, as bun writes and reads them', () => {
    const text = [
      '{',
      '  // written by bun',
      '  "lockfileVersion": 1,',
      '  "workspaces": { "": { "name": "app", "dependencies": { "ms": "^2", }, }, },',
      '  /* the packages */',
      '  "packages": {',
      '    "ms": ["ms@2.1.3", "", {}, "sha512-x"],',
      '  },',
      '}',
    ].join('\n');
    expect(rows(parse(text))).toEqual(['(root) app@0.0.0 (prod, root)', 'ms ms@2.1.3 (prod, registry)']);
  });

  it('keeps commas and slashes inside strings', () => {
    expect(stripJsonc('{"a": "x,}", "b": "//", "c": "/*",}')).toBe('{"a": "x,}", "b": "//", "c": "/*" }');
    const commented = '[1, /* c */ ]';
    expect(stripJsonc(commented)).toBe(`[1${' '.repeat(commented.length - 3)}]`);
    // A lone comma is no trailing comma: the strict parser still refuses it.
    expect(stripJsonc('[,]')).toBe('[,]');
  });

  it('names the line and column of a syntax error', () => {
    const text = '{\n  "lockfileVersion": 1,\n  "workspaces": { "": {} }\n  "packages": {}\n}\n';
    expectCode(() => parse(text), 'LOCKFILE_INVALID_JSON', /bun\.lock: invalid JSON at line 4, column 3/);
  });

  it('reports a truncated lockfile', () => {
    const text = readFileSync(join(fixtures, 'v2-workspaces/bun.lock'), 'utf8');
    expectCode(() => parse(text.slice(0, 400)), 'LOCKFILE_INVALID_JSON', /truncated/);
  });

  it.each([
    ['[]', /not a JSON object/],
    [JSON.stringify({ lockfileVersion: 1 }), /"workspaces": expected an object/],
    [JSON.stringify({ lockfileVersion: 1, workspaces: {} }), /root workspace "" is missing/],
    [JSON.stringify(lock({ ms: [] })), /"packages" → "ms": expected a non-empty array/],
    [JSON.stringify(lock({ ms: ['ms@2.1.3', '', {}] })), /"ms" → 3: expected the integrity/],
    [JSON.stringify(lock({ ms: ['ms@2.1.3', {}, 'x'] })), /"ms" → 1: expected the registry/],
    [JSON.stringify(lock({ ms: ['ms@latest', '', {}, 'x'] })), /unexpected resolution "latest"/],
    [JSON.stringify(lock({ ms: ['ms', '', {}, 'x'] })), /expected "name@resolution"/],
    [
      JSON.stringify(lock({ ms: npm('ms@2.1.3', { dependencies: { a: 1 } }) })),
      /"dependencies" → "a": expected/,
    ],
    [JSON.stringify(lock({ a: ['a@workspace:packages/a'] })), /unknown workspace "packages\/a"/],
    [JSON.stringify(lock({}, { 'packages/a': {} })), /"packages\/a": no name/],
    [JSON.stringify(lock({ 'a//b': npm('b@1.0.0') })), /"a\/\/b": invalid key/],
    [JSON.stringify(lock({ 'a/@s': npm('b@1.0.0') })), /"a\/@s": invalid key/],
  ])('refuses a malformed lockfile: %s', (text, message) => {
    expectCode(() => parse(text), 'LOCKFILE_INVALID', message);
  });
});

describe('parseBunLockfile: keys that leave the project', () => {
  /** A memory input that records every path the parser asks for. */
  const spied = (doc: unknown): { input: LockfileInput; asked: string[] } => {
    const asked: string[] = [];
    const base = memoryInput('bun.lock', { 'bun.lock': JSON.stringify(doc) });
    return {
      asked,
      input: {
        ...base,
        readFile: (p) => {
          asked.push(p);
          return base.readFile(p);
        },
      },
    };
  };

  it.each([
    ['a package key', lock({ '../evil': npm('evil@1.0.0') })],
    ['a nested package key', lock({ 'a/../../evil': npm('evil@1.0.0') })],
    ['an absolute key', lock({ '/etc/passwd': npm('x@1.0.0') })],
    ['a backslash key', lock({ '..\\evil': npm('x@1.0.0') })],
    ['a workspace folder', lock({}, { '../outside': { name: 'outside' } })],
    ['an absolute workspace folder', lock({}, { '/outside': { name: 'outside' } })],
    ['a workspace: resolution', lock({ w: ['w@workspace:../w'] }, { w: { name: 'w' } })],
  ])('refuses %s before reading anything with it', (_, doc) => {
    const { input, asked } = spied(doc);
    expectCode(() => parseBunLockfile(input), 'LOCKFILE_KEY_ESCAPES', /points outside the project/);
    expect(asked.filter((p) => p.includes('..') || p.startsWith('/'))).toEqual([]);
  });

  it('keeps a file: folder outside the project but does not read it', () => {
    const { input, asked } = spied(
      lock(
        { sib: ['sib@file:../sibling', {}] },
        { '': { name: 'app', dependencies: { sib: 'file:../sibling' } } },
      ),
    );
    expect(pkg(parseBunLockfile(input), 'sib')).toMatchObject({
      source: 'file',
      version: '0.0.0',
      resolved: 'file:../sibling',
    });
    expect(asked).toEqual(['package.json']);
  });
});

describe('parseBunLockfile: resolution', () => {
  it('walks up the install path, scoped segments included, then the hoisted key', () => {
    const packages = {
      a: npm('a@1.0.0', { dependencies: { b: '1' } }),
      d: npm('d@1.0.0'),
      z: npm('z@1.0.0'),
      'a/b': npm('b@1.0.0', { dependencies: { c: '1' } }),
      'a/d': npm('d@2.0.0'),
      'a/b/c': npm('c@1.0.0', { dependencies: { d: '2', z: '1' } }),
      '@s/x': npm('@s/x@1.0.0', { dependencies: { '@t/y': '1' } }),
      '@s/x/@t/y': npm('@t/y@1.0.0', { dependencies: { z: '2', d: '1' } }),
      '@s/x/z': npm('z@2.0.0'),
    };
    const inventory = parse(
      lock(packages, { '': { name: 'app', dependencies: { a: '1', '@s/x': '1', z: '1', d: '1' } } }),
    );
    expect(edgeRows(inventory)).toEqual(
      [
        '(root) -> a [prod] 1',
        '(root) -> @s/x [prod] 1',
        '(root) -> z [prod] 1',
        '(root) -> d [prod] 1',
        'a -> a/b [prod] 1',
        'a/b -> a/b/c [prod] 1',
        'a/b/c -> a/d [prod] 2',
        'a/b/c -> z [prod] 1',
        '@s/x -> @s/x/@t/y [prod] 1',
        '@s/x/@t/y -> @s/x/z [prod] 2',
        '@s/x/@t/y -> d [prod] 1',
      ].sort(),
    );
    expect(pkg(inventory, '@s/x/@t/y')).toMatchObject({ name: '@t/y', alias: undefined });
  });

  it('leaves out the packages no importer reaches', () => {
    const inventory = parse(lock({ a: npm('a@1.0.0', { dependencies: { b: '1' } }), b: npm('b@1.0.0') }));
    expect([...inventory.packages.keys()]).toEqual(['']);
    expect(inventory.edges).toEqual([]);
  });

  it('resolves a workspace dependency in the workspace first, by the workspace name', () => {
    const inventory = parse(
      lock(
        {
          w: ['w@workspace:libs/w'],
          ms: npm('ms@2.1.3'),
          'w/ms': npm('ms@2.0.0'),
          'ms/ms': npm('ms@1.0.0'),
        },
        { 'libs/w': { name: 'w', dependencies: { ms: '2.0.0' } } },
      ),
    );
    expect(edgeRows(inventory)).toEqual(['./libs/w -> w/ms [prod] 2.0.0']);
  });

  it('resolves a dependency on a workspace to the workspace importer', () => {
    const inventory = parse(
      lock(
        {
          w: ['w@workspace:libs/w'],
          'other-w': ['w@workspace:libs/w'],
          a: npm('a@1.0.0', { dependencies: { w: '*' } }),
        },
        {
          '': { name: 'app', dependencies: { a: '1', 'other-w': 'workspace:*' } },
          'libs/w': { name: 'w', version: '3.0.0' },
        },
      ),
    );
    expect(edgeRows(inventory)).toEqual([
      '(root) -> ./libs/w [prod] workspace:*',
      '(root) -> a [prod] 1',
      'a -> ./libs/w [prod] *',
    ]);
    expect(rows(inventory)).toContain('./libs/w w@3.0.0 (prod, workspace)');
    expect(inventory.packages.has('w')).toBe(false);
  });

  it('takes a workspace version from its package.json when the lockfile has none', () => {
    const inventory = parse(lock({}, { 'libs/w': { name: 'w' } }), {
      'package.json': '{ "name": "app", "version": "4.5.6", }',
      'libs/w/package.json': JSON.stringify({ name: 'w', version: '1.2.3' }),
    });
    expect(rows(inventory)).toEqual(['(root) app@4.5.6 (prod, root)', './libs/w w@1.2.3 (prod, workspace)']);
  });

  it('keeps the group bun keeps when a name is declared twice: dev, optional, prod, peer', () => {
    const inventory = parse(
      lock(
        { a: npm('a@1.0.0'), b: npm('b@1.0.0'), c: npm('c@1.0.0') },
        {
          '': {
            name: 'app',
            dependencies: { a: '1', b: '1', c: '1' },
            devDependencies: { a: '1' },
            optionalDependencies: { b: '1' },
            peerDependencies: { c: '1' },
          },
        },
      ),
    );
    expect(edgeRows(inventory)).toEqual([
      '(root) -> a [dev] 1',
      '(root) -> b [optional] 1',
      '(root) -> c [prod] 1',
    ]);
  });

  it('adds no edge for an unresolved optional dependency or peer', () => {
    const inventory = parse(
      lock(
        { a: npm('a@1.0.0', { optionalDependencies: { fsevents: '2' }, peerDependencies: { react: '*' } }) },
        { '': { name: 'app', dependencies: { a: '1' }, optionalDependencies: { gone: '1' } } },
      ),
    );
    expect(edgeRows(inventory)).toEqual(['(root) -> a [prod] 1']);
  });

  it('binds a required peer by version, an optional peer by path', () => {
    const inventory = parse(
      lock(
        {
          react: npm('react@18.2.0'),
          lib: npm('lib@1.0.0', { peerDependencies: { react: '^17.0.0' } }),
          opt: npm('opt@1.0.0', { peerDependencies: { react: '^17.0.0' }, optionalPeers: ['react'] }),
          any: npm('any@1.0.0', { peerDependencies: { react: '*' } }),
          old: npm('old@1.0.0', { dependencies: { react: '17' } }),
          'old/react': npm('react@17.0.2'),
        },
        { '': { name: 'app', dependencies: { react: '18', lib: '1', opt: '1', any: '1', old: '1' } } },
      ),
    );
    expect(edgeRows(inventory).filter((e) => !e.startsWith('(root)'))).toEqual([
      'any -> react [peer] *',
      'lib -> old/react [peer] ^17.0.0',
      'old -> old/react [prod] 17',
      'opt -> react [optional] ^17.0.0',
    ]);
  });

  it('keeps the path walk for an overridden peer', () => {
    const inventory = parse(
      lock(
        {
          react: npm('react@18.2.0'),
          lib: npm('lib@1.0.0', { peerDependencies: { react: '^17.0.0' } }),
          old: npm('old@1.0.0', { dependencies: { react: '17' } }),
          'old/react': npm('react@17.0.2'),
        },
        { '': { name: 'app', dependencies: { react: '18', lib: '1', old: '1' } } },
        { overrides: { react: '18.2.0' } },
      ),
    );
    expect(edgeRows(inventory)).toContain('lib -> react [peer] ^17.0.0');
  });
});

describe('parseBunLockfile: scopes', () => {
  const scoped = (workspaces: Record<string, unknown>, packages: Record<string, unknown[]>) =>
    Object.fromEntries(
      [...parse(lock(packages, workspaces)).packages.values()].map((p) => [id(p.id), p.scope]),
    );

  it('derives prod, dev, optional and devOptional from the graph', () => {
    expect(
      scoped(
        {
          '': {
            name: 'app',
            dependencies: { p: '1' },
            devDependencies: { d: '1', both: '1' },
            optionalDependencies: { o: '1' },
          },
        },
        {
          p: npm('p@1.0.0', { dependencies: { both: '1' } }),
          d: npm('d@1.0.0', { dependencies: { shared: '1', dd: '1' } }),
          o: npm('o@1.0.0', { dependencies: { shared: '1' } }),
          both: npm('both@1.0.0'),
          dd: npm('dd@1.0.0'),
          shared: npm('shared@1.0.0'),
          orphan: npm('orphan@1.0.0'),
        },
      ),
    ).toEqual({
      '(root)': 'prod',
      p: 'prod',
      both: 'prod',
      d: 'dev',
      dd: 'dev',
      o: 'optional',
      shared: 'devOptional',
    });
  });

  it('counts a workspace as a root: its dependencies are prod', () => {
    expect(
      scoped(
        { 'libs/w': { name: 'w', dependencies: { a: '1' }, devDependencies: { b: '1' } } },
        {
          a: npm('a@1.0.0'),
          b: npm('b@1.0.0'),
        },
      ),
    ).toEqual({ '(root)': 'prod', './libs/w': 'prod', a: 'prod', b: 'dev' });
  });
});

describe('parseBunLockfile: sources', () => {
  const sources = parse(
    lock(
      {
        custom: npm('custom@1.0.0', {}, 'https://npm.example.com/custom/-/custom-1.0.0.tgz'),
        gh: ['gh@github:user/gh#abc1234', {}, 'user-gh-abc1234'],
        gitpkg: [
          'gitpkg@git+https://example.com/repo.git#v1',
          { dependencies: { dep: '1' } },
          'deadbeef',
          'sha512-g',
        ],
        tar: ['tar@https://example.com/files/tar.tgz', {}, 'sha512-t'],
        localtar: ['localtar@./vendor/localtar-1.0.0.tgz', {}],
        linked: ['linked@link:linked', {}],
        folder: ['folder@file:vendor/folder', {}],
        dep: npm('dep@1.0.0'),
        bundled: npm('bundled@1.0.0', { bundled: true }),
        self: ['app@root:', {}],
      },
      {
        '': {
          name: 'app',
          dependencies: {
            custom: '1',
            gh: 'github:user/gh',
            gitpkg: 'git+https://example.com/repo.git#v1',
            tar: 'https://example.com/files/tar.tgz',
            localtar: './vendor/localtar-1.0.0.tgz',
            linked: 'link:linked',
            folder: 'file:vendor/folder',
            bundled: '1',
            self: '*',
          },
        },
      },
    ),
    { 'vendor/folder/package.json': JSON.stringify({ name: 'folder', version: '7.0.0' }) },
  );

  it('classifies each resolution', () => {
    const summary = (key: string) => {
      const p = pkg(sources, key);
      return [p.source, p.version, p.resolved, p.integrity, p.purl];
    };
    expect(summary('custom')).toEqual([
      'registry',
      '1.0.0',
      'https://npm.example.com/custom/-/custom-1.0.0.tgz',
      'sha512-custom@1.0.0',
      'pkg:npm/custom@1.0.0',
    ]);
    expect(summary('gh')).toEqual(['git', '0.0.0', 'github:user/gh#user-gh-abc1234', undefined, undefined]);
    expect(summary('gitpkg')).toEqual([
      'git',
      '0.0.0',
      'git+https://example.com/repo.git#deadbeef',
      'sha512-g',
      undefined,
    ]);
    expect(summary('tar')).toEqual([
      'tarball',
      '0.0.0',
      'https://example.com/files/tar.tgz',
      'sha512-t',
      undefined,
    ]);
    expect(summary('localtar')).toEqual([
      'file',
      '0.0.0',
      './vendor/localtar-1.0.0.tgz',
      undefined,
      undefined,
    ]);
    expect(summary('linked')).toEqual(['link', '0.0.0', 'link:linked', undefined, undefined]);
    expect(summary('folder')).toEqual(['file', '7.0.0', 'file:vendor/folder', undefined, undefined]);
    expect(pkg(sources, 'bundled').bundled).toBe(true);
    expect([...registryPackageKeys(sources)].sort()).toEqual(['bundled@1.0.0', 'custom@1.0.0', 'dep@1.0.0']);
  });

  it('resolves the dependencies of non-registry packages and a dependency on the root', () => {
    expect(edgeRows(sources)).toContain('gitpkg -> dep [prod] 1');
    expect(edgeRows(sources)).not.toContain('(root) -> (root) [prod] *');
    expect(sources.packages.has('self')).toBe(false);
  });
});

describe('parseBunLockfile: workspace ids', () => {
  it('keeps a workspace apart from a package whose key is the workspace folder', () => {
    // The workspace in folder `config` is @acme/config; `config` is also the registry package.
    const inventory = parse(
      lock(
        {
          '@acme/config': ['@acme/config@workspace:config'],
          config: npm('config@3.3.0', { dependencies: { json5: '^2.1.1' } }),
          json5: npm('json5@2.2.0'),
          lodash: npm('lodash@4.17.20'),
        },
        {
          '': {
            name: 'app',
            devDependencies: { config: '3.3.0' },
            dependencies: { '@acme/config': 'workspace:*' },
          },
          config: { name: '@acme/config', version: '1.0.0', dependencies: { lodash: '4.17.20' } },
        },
      ),
    );
    expect(inventory.importers).toEqual([
      { id: '', name: 'app', path: '' },
      { id: './config', name: '@acme/config', path: 'config' },
    ]);
    expect(rows(inventory)).toEqual([
      '(root) app@0.0.0 (prod, root)',
      './config @acme/config@1.0.0 (prod, workspace)',
      'config config@3.3.0 (dev, registry)',
      'json5 json5@2.2.0 (dev, registry)',
      'lodash lodash@4.17.20 (prod, registry)',
    ]);
    expect(edgeRows(inventory)).toEqual([
      '(root) -> ./config [prod] workspace:*',
      '(root) -> config [dev] 3.3.0',
      './config -> lodash [prod] 4.17.20',
      'config -> json5 [prod] ^2.1.1',
    ]);
  });

  it('reads the root under its aliases (`./`, `.`) as the root, not as another importer', () => {
    for (const alias of ['./', '.']) {
      const inventory = parse(
        lock(
          { a: npm('a@1.0.0'), b: npm('b@1.0.0'), app: ['app@workspace:./'], w: ['w@workspace:libs/w/'] },
          {
            '': { name: 'app', dependencies: { a: '1' } },
            [alias]: { name: 'app', dependencies: { a: '1', b: '1', app: 'workspace:*' } },
            'libs/w/': { name: 'w', dependencies: { app: 'workspace:*' } },
          },
        ),
      );
      expect(inventory.importers).toEqual([
        { id: '', name: 'app', path: '' },
        { id: './libs/w', name: 'w', path: 'libs/w' },
      ]);
      expect(edgeRows(inventory)).toEqual([
        '(root) -> a [prod] 1',
        '(root) -> b [prod] 1',
        './libs/w -> (root) [prod] workspace:*',
      ]);
    }
  });

  it('normalises workspace folders and refuses two keys for one folder', () => {
    const inventory = parse(lock({}, { './libs//w/': { name: 'w' } }));
    expect(inventory.importers[1]).toEqual({ id: './libs/w', name: 'w', path: 'libs/w' });
    expectCode(
      () => parse(lock({}, { 'libs/w': { name: 'w' }, 'libs/w/': { name: 'w' } })),
      'LOCKFILE_INVALID',
      /"workspaces" → "libs\/w\/": the same folder as "libs\/w"/,
    );
  });
});

describe('parseBunLockfile: large inputs', () => {
  // Each test would take minutes with a quadratic algorithm; vitest's timeout is the guard.

  it('resolves from deeply nested keys by walking each ancestor once per dependency', () => {
    // The deepest package is at 999, its own dependency at 1000: the most that is read.
    const depth = 999;
    const chain = (n: number): string => Array.from({ length: n }, () => 'p').join('/');
    const packages: Record<string, unknown[]> = { hoisted: npm('hoisted@1.0.0') };
    const optional: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) optional[`missing${i}`] = '1';
    for (let n = 1; n < depth; n++) packages[chain(n)] = npm('p@1.0.0', { dependencies: { p: '1' } });
    packages[chain(depth)] = npm('p@1.0.0', {
      dependencies: { hoisted: '1', mid: '1', near: '1' },
      optionalDependencies: optional,
    });
    packages[`${chain(500)}/mid`] = npm('mid@1.0.0');
    packages[`${chain(depth)}/near`] = npm('near@1.0.0');
    const inventory = parse(lock(packages, { '': { name: 'app', dependencies: { p: '1' } } }));
    const deepest = inventory.edges.filter((e) => e.from === chain(depth)).map((e) => e.to);
    expect(deepest).toEqual(['hoisted', `${chain(500)}/mid`, `${chain(depth)}/near`]);
    expect(inventory.packages.size).toBe(1 + depth + 3);
    expect([...inventory.packages.values()].every((p) => p.scope === 'prod')).toBe(true);
  });

  it('refuses a key nested more than 1000 packages deep, naming it', () => {
    const key = Array.from({ length: 1001 }, () => 'p').join('/');
    expectCode(
      () => parse(lock({ [key]: npm('p@1.0.0') })),
      'LOCKFILE_INVALID',
      /"packages" → "p\/p\/p[p/]*"…: the key nests 1001 packages \(at most 1000 are read\)/,
    );
  });

  it('strips many unterminated block comments in one pass', () => {
    const text = `{"a": 1 ${'/* a'.repeat(200_000)}}`;
    expect(stripJsonc(text)).toBe(text);
    expect(stripJsonc('[1 /* x /* y */, 2 /* z')).toBe(`[1${' '.repeat(13)}, 2 /* z`);
  });
});
