import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireSharedData, sharedData } from '../../test/helpers/cli.js';
import { advisory, describeChanges, planInput, universe } from '../../test/helpers/plan.js';
import { type ErrorCode, PatchPilotError } from '../core/errors.js';
import type { Inventory } from '../core/inventory.js';
import type { AddedPackage, LockChange, PackageChange, RemovedPackage } from '../core/plan.js';
import { parseNpmLockfile } from '../inventory/npm/index.js';
import { assemblePlan } from '../plan/index.js';
import type { PackageVersion } from '../registry/types.js';
import { detectJsonFormat, formatJson, type JsonFormat } from './json-format.js';
import { dropNpmPackages, editNpmLockfile, type MetadataLookup } from './npm-lockfile.js';

/*
 * test/fixtures/apply/package-lock.v{1,2,3}.json are one small project written by hand in the
 * shape npm 6 (v1) and npm 7+ (v2, v3) write it: a scoped package, a nested copy
 * (mkdirp/node_modules/minimist), an `npm:` alias (lodash-old), a dev subtree and an optional one
 * with an install script.
 */

type Json = Record<string, unknown>;

const fixtures = fileURLToPath(new URL('../../test/fixtures/apply/', import.meta.url));
const LOCK = '/work/app/package-lock.json';
const MANIFEST = '/work/app/package.json';
const manifest = readFileSync(join(fixtures, 'package.json'), 'utf8');
const fixture = (version: 1 | 2 | 3): string =>
  readFileSync(join(fixtures, `package-lock.v${version}.json`), 'utf8');

const tarball = (name: string, version: string): string =>
  `https://registry.npmjs.org/${name}/-/${name.slice(name.indexOf('/') + 1)}-${version}.tgz`;
const sri = (text: string): string => `sha512-${createHash('sha512').update(text).digest('base64')}`;

const meta = (name: string, version: string, extra: Partial<PackageVersion> = {}): PackageVersion => ({
  version,
  dependencies: {},
  optionalDependencies: {},
  peerDependencies: {},
  peerDependenciesMeta: {},
  dist: { tarball: tarball(name, version), integrity: sri(`${name}@${version}`), shasum: undefined },
  deprecated: undefined,
  hasInstallScript: false,
  publishedAt: undefined,
  ...extra,
});

/** A registry of made-up versions: `name@version` → metadata. */
const registry = (...versions: [string, PackageVersion][]): MetadataLookup => {
  const map = new Map(versions.map(([name, v]) => [`${name}@${v.version}`, v]));
  return (name, version) => map.get(`${name}@${version}`);
};

const lock = (name: string, from: string, to: string, locations: string[]): LockChange => ({
  kind: 'lock',
  name,
  from,
  to,
  locations,
  step: 'patch',
  downgrade: false,
});
const add = (name: string, to: string, locations: string[]): AddedPackage => ({
  kind: 'add',
  name,
  to,
  locations,
});
const remove = (name: string, from: string, locations: string[]): RemovedPackage => ({
  kind: 'remove',
  name,
  from,
  locations,
});

const asJson = (value: unknown): Json => value as Json;

/** The `packages` entry at a key (v2, v3). */
const packageAt = (content: string, key: string): Json | undefined =>
  asJson(asJson(JSON.parse(content)).packages ?? {})[key] as Json | undefined;

/** The legacy tree's entry at an install location (v1, v2). */
const legacyAt = (content: string, key: string): Json | undefined => {
  let map = asJson(asJson(JSON.parse(content)).dependencies);
  let entry: Json | undefined;
  for (const folder of key.split(/(?:^|\/)node_modules\//).filter(Boolean)) {
    if (!map) return undefined;
    entry = map[folder] as Json | undefined;
    if (!entry) return undefined;
    map = entry.dependencies as Json;
  }
  return entry;
};

/** The entries at a location in every section the version has. */
const entriesAt = (version: 1 | 2 | 3, content: string, key: string): (Json | undefined)[] => [
  ...(version === 1 ? [] : [packageAt(content, key)]),
  ...(version === 3 ? [] : [legacyAt(content, key)]),
];

const inventoryOf = (content: string): Inventory =>
  parseNpmLockfile(content, LOCK, { manifest: { content: manifest, path: MANIFEST } });

const packageRow = (inventory: Inventory, key: string): string => {
  const p = inventory.packages.get(key);
  return p ? `${p.name}@${p.version} ${p.scope}${p.alias ? ` as ${p.alias}` : ''}` : 'absent';
};

const rows = (inventory: Inventory): Map<string, string> =>
  new Map([...inventory.packages.keys()].map((key) => [key, packageRow(inventory, key)]));

const versions = [1, 2, 3] as const;

/** Asserts the edit left every package but `keys` as it was (and the file re-parses). */
const expectOnlyChanged = (before: string, after: string, keys: readonly string[]): void => {
  const a = rows(inventoryOf(before));
  const b = rows(inventoryOf(after));
  for (const key of keys) {
    a.delete(key);
    b.delete(key);
  }
  expect(b).toEqual(a);
};

describe('editNpmLockfile: round trips', () => {
  it.each(versions)('v%i: the fixtures are written the way JSON.stringify writes them', (v) => {
    const content = fixture(v);
    expect(formatJson(JSON.parse(content), detectJsonFormat(content))).toBe(content);
  });

  it.each(versions)('v%i: no lock-level change returns the content untouched', (v) => {
    const content = fixture(v);
    const manifestOnly: PackageChange[] = [
      {
        kind: 'override',
        action: 'add',
        manager: 'npm',
        file: 'package.json',
        path: ['minimist'],
        key: 'minimist',
        name: 'minimist',
        to: '1.2.8',
        advisories: [],
        outOfRange: false,
      },
    ];
    expect(editNpmLockfile(content, LOCK, [], registry())).toEqual({ content, problems: [] });
    expect(editNpmLockfile(content, LOCK, manifestOnly, registry())).toEqual({ content, problems: [] });
  });

  it.each(versions)('v%i: a change whose every location is stale returns the content untouched', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('debug', '2.6.7', '2.6.9', ['node_modules/debug'])],
      registry(['debug', meta('debug', '2.6.9')]),
    );
    expect(result.content).toBe(content);
    expect(result.problems).toEqual(['node_modules/debug: expected 2.6.7, found 2.6.8']);
  });

  it.each(versions)('v%i: keeps a tab indent, CRLF line breaks and a missing final newline', (v) => {
    const format: JsonFormat = { indent: '\t', newline: '\r\n', finalNewline: false };
    const restyle = (text: string): string => formatJson(JSON.parse(text), format);
    const changes = [lock('debug', '2.6.8', '2.6.9', ['node_modules/debug'])];
    const lookup = registry(['debug', meta('debug', '2.6.9', { dependencies: { ms: '2.0.0' } })]);
    const plain = editNpmLockfile(fixture(v), LOCK, changes, lookup);
    const styled = editNpmLockfile(restyle(fixture(v)), LOCK, changes, lookup);
    expect(styled.problems).toEqual([]);
    expect(styled.content).toBe(restyle(plain.content));
    expect(styled.content).toContain('\r\n\t"lockfileVersion"');
    expect(styled.content.endsWith('}')).toBe(true);
  });

  it('keeps a byte-order mark', () => {
    const content = `\uFEFF${fixture(3)}`;
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('debug', '2.6.8', '2.6.9', ['node_modules/debug'])],
      registry(['debug', meta('debug', '2.6.9')]),
    );
    expect(result.content.startsWith('\uFEFF{\n  "name": "app"')).toBe(true);
  });
});

describe('editNpmLockfile: lock changes', () => {
  it.each(versions)('v%i: moves a top-level package and nothing else', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('debug', '2.6.8', '2.6.9', ['node_modules/debug'])],
      registry(['debug', meta('debug', '2.6.9', { dependencies: { ms: '2.0.0' } })]),
    );
    expect(result.problems).toEqual([]);
    const fields = {
      version: '2.6.9',
      resolved: 'https://registry.npmjs.org/debug/-/debug-2.6.9.tgz',
      integrity: sri('debug@2.6.9'),
    };
    if (v !== 1) {
      const entry = packageAt(result.content, 'node_modules/debug');
      // `license` describes the old version and is kept (the metadata does not say).
      expect(entry).toEqual({ ...fields, license: 'MIT', dependencies: { ms: '2.0.0' } });
      expect(Object.keys(entry ?? {})).toEqual([
        'version',
        'resolved',
        'integrity',
        'license',
        'dependencies',
      ]);
    }
    if (v !== 3)
      expect(legacyAt(result.content, 'node_modules/debug')).toEqual({
        ...fields,
        requires: { ms: '2.0.0' },
      });

    // Byte for byte: putting the old entry back gives the original file.
    const doc = asJson(JSON.parse(result.content));
    const original = asJson(JSON.parse(content));
    if (v !== 1) asJson(doc.packages)['node_modules/debug'] = asJson(original.packages)['node_modules/debug'];
    if (v !== 3) asJson(doc.dependencies).debug = asJson(original.dependencies).debug;
    expect(formatJson(doc, detectJsonFormat(content))).toBe(content);

    const inventory = inventoryOf(result.content);
    expect(packageRow(inventory, 'node_modules/debug')).toBe('debug@2.6.9 prod');
    expectOnlyChanged(content, result.content, ['node_modules/debug']);
  });

  it.each(versions)('v%i: writes the new version dependency maps in npm order', (v) => {
    const content = fixture(v);
    const target = meta('@scope/pkg', '2.1.0', {
      dependencies: { minimist: '^1.2.0', debug: '^2.6.0' },
      optionalDependencies: { fsevents: '^1.2.9' },
      peerDependencies: { react: '>=16' },
      peerDependenciesMeta: { react: { optional: true } },
      hasInstallScript: true,
      deprecated: 'use @scope/pkg2',
    });
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('@scope/pkg', '2.0.0', '2.1.0', ['node_modules/@scope/pkg'])],
      registry(['@scope/pkg', target]),
    );
    expect(result.problems).toEqual([]);
    const fields = {
      version: '2.1.0',
      resolved: 'https://registry.npmjs.org/@scope/pkg/-/pkg-2.1.0.tgz',
      integrity: sri('@scope/pkg@2.1.0'),
    };
    if (v !== 1) {
      const entry = packageAt(result.content, 'node_modules/@scope/pkg') ?? {};
      expect(entry).toEqual({
        ...fields,
        deprecated: 'use @scope/pkg2',
        hasInstallScript: true,
        license: 'MIT',
        dependencies: { debug: '^2.6.0', minimist: '^1.2.0' },
        optionalDependencies: { fsevents: '^1.2.9' },
        peerDependencies: { react: '>=16' },
        peerDependenciesMeta: { react: { optional: true } },
      });
      // Scalars first (version, resolved, integrity, then by name), then objects (dependencies first).
      expect(Object.keys(entry)).toEqual([
        'version',
        'resolved',
        'integrity',
        'deprecated',
        'hasInstallScript',
        'license',
        'dependencies',
        'optionalDependencies',
        'peerDependencies',
        'peerDependenciesMeta',
      ]);
      expect(Object.keys(entry.dependencies as Json)).toEqual(['debug', 'minimist']);
    }
    if (v !== 3) {
      // The legacy tree's `requires`: dependencies and optional ones, no peers.
      expect(legacyAt(result.content, 'node_modules/@scope/pkg')).toEqual({
        ...fields,
        requires: { debug: '^2.6.0', fsevents: '^1.2.9', minimist: '^1.2.0' },
      });
    }
    expectOnlyChanged(content, result.content, ['node_modules/@scope/pkg']);
    expect(packageRow(inventoryOf(result.content), 'node_modules/@scope/pkg')).toBe('@scope/pkg@2.1.0 prod');
  });

  it.each(versions)('v%i: moves a nested copy and keeps its dev flag', (v) => {
    const content = fixture(v);
    const key = 'node_modules/mkdirp/node_modules/minimist';
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('minimist', '0.0.8', '0.0.10', [key])],
      registry(['minimist', meta('minimist', '0.0.10')]),
    );
    expect(result.problems).toEqual([]);
    for (const entry of entriesAt(v, result.content, key)) {
      expect(entry).toMatchObject({ version: '0.0.10', dev: true, integrity: sri('minimist@0.0.10') });
    }
    expect(packageRow(inventoryOf(result.content), key)).toBe('minimist@0.0.10 dev');
    expect(packageRow(inventoryOf(result.content), 'node_modules/minimist')).toBe('minimist@1.2.5 prod');
    expectOnlyChanged(content, result.content, [key]);
  });

  it.each(versions)('v%i: moves an npm: alias and keeps it an alias', (v) => {
    const content = fixture(v);
    const key = 'node_modules/lodash-old';
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('lodash', '4.17.20', '4.17.21', [key])],
      registry(['lodash', meta('lodash', '4.17.21')]),
    );
    expect(result.problems).toEqual([]);
    if (v !== 1) expect(packageAt(result.content, key)).toMatchObject({ name: 'lodash', version: '4.17.21' });
    if (v !== 3) {
      expect(legacyAt(result.content, key)).toMatchObject({
        version: 'npm:lodash@4.17.21',
        resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz',
      });
    }
    expect(packageRow(inventoryOf(result.content), key)).toBe('lodash@4.17.21 prod as lodash-old');
  });

  it.each(versions)('v%i: moves every listed location, and reports the stale one', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [
        lock('minimist', '1.2.5', '1.2.8', [
          'node_modules/minimist',
          'node_modules/mkdirp/node_modules/minimist',
        ]),
      ],
      registry(['minimist', meta('minimist', '1.2.8')]),
    );
    expect(result.problems).toEqual([
      'node_modules/mkdirp/node_modules/minimist: expected 1.2.5, found 0.0.8',
    ]);
    const inventory = inventoryOf(result.content);
    expect(packageRow(inventory, 'node_modules/minimist')).toBe('minimist@1.2.8 prod');
    expect(packageRow(inventory, 'node_modules/mkdirp/node_modules/minimist')).toBe('minimist@0.0.8 dev');
  });

  it.each(versions)('v%i: sets, clears and keeps hasInstallScript', (v) => {
    const content = fixture(v);
    const run = (name: string, from: string, to: string, hasInstallScript: boolean | undefined) =>
      editNpmLockfile(
        content,
        LOCK,
        [lock(name, from, to, [`node_modules/${name}`])],
        registry([name, meta(name, to, { hasInstallScript })]),
      );
    const scripts = (text: string, name: string): unknown =>
      packageAt(text, `node_modules/${name}`)?.hasInstallScript;
    const cleared = run('fsevents', '1.2.9', '1.2.13', false);
    const kept = run('fsevents', '1.2.9', '1.2.13', undefined);
    const set = run('ms', '2.0.0', '2.0.1', true);
    if (v === 1) {
      // npm 6's tree has no such field.
      expect(legacyAt(set.content, 'node_modules/ms')).not.toHaveProperty('hasInstallScript');
      return;
    }
    expect(scripts(cleared.content, 'fsevents')).toBeUndefined();
    expect(scripts(kept.content, 'fsevents')).toBe(true);
    expect(scripts(set.content, 'ms')).toBe(true);
    expect(Object.keys(packageAt(set.content, 'node_modules/ms') ?? {})).toEqual([
      'version',
      'resolved',
      'integrity',
      'hasInstallScript',
      'license',
    ]);
    // The optional flag, `os` and `engines` (not in the metadata) stay.
    expect(packageAt(cleared.content, 'node_modules/fsevents')).toMatchObject({
      optional: true,
      os: ['darwin'],
      engines: { node: '>=4.0' },
    });
  });

  it.each(versions)('v%i: integrity from an old version shasum, or none', (v) => {
    const content = fixture(v);
    const run = (dist: PackageVersion['dist']) =>
      editNpmLockfile(
        content,
        LOCK,
        [lock('ms', '2.0.0', '0.7.0', ['node_modules/ms'])],
        registry(['ms', meta('ms', '0.7.0', { dist })]),
      );
    // SHA-1 of the empty string.
    const sha1 = run({
      tarball: tarball('ms', '0.7.0'),
      integrity: undefined,
      shasum: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    });
    for (const entry of entriesAt(v, sha1.content, 'node_modules/ms')) {
      expect(entry?.integrity).toBe('sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=');
    }
    // Universe metadata has no tarball: npm fetches by version, so the fields go rather than lie.
    const none = run(undefined);
    for (const entry of entriesAt(v, none.content, 'node_modules/ms')) {
      expect(entry).toEqual({
        version: '0.7.0',
        ...(v === 1 || entry?.license === undefined ? {} : { license: 'MIT' }),
      });
    }
    expect(packageRow(inventoryOf(none.content), 'node_modules/ms')).toBe('ms@0.7.0 prod');
  });

  it('keeps `resolved` out of a lockfile written with omit-lockfile-registry-resolved', () => {
    const content = `${JSON.stringify(
      {
        name: 'app',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'app', dependencies: { ms: '^2.0.0' } },
          'node_modules/ms': { version: '2.0.0', integrity: sri('ms@2.0.0') },
        },
      },
      null,
      2,
    )}\n`;
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('ms', '2.0.0', '2.1.3', ['node_modules/ms'])],
      registry(['ms', meta('ms', '2.1.3')]),
    );
    expect(packageAt(result.content, 'node_modules/ms')).toEqual({
      version: '2.1.3',
      integrity: sri('ms@2.1.3'),
    });
  });
});

describe('editNpmLockfile: problems', () => {
  it.each(versions)('v%i: reports what does not match and writes nothing for it', (v) => {
    const content = fixture(v);
    const lookup = registry(['debug', meta('debug', '2.6.9')], ['ms', meta('ms', '2.0.1')]);
    const cases: [PackageChange, string][] = [
      [
        lock('ms', '2.0.0', '2.0.1', ['node_modules/debug']),
        'node_modules/debug: expected ms@2.0.0, found debug@2.6.8',
      ],
      [
        lock('debug', '2.6.8', '2.6.9', ['node_modules/nope']),
        'node_modules/nope: not in the lockfile (expected debug@2.6.8)',
      ],
      [
        lock('debug', '2.6.8', '2.6.10', ['node_modules/debug']),
        'debug@2.6.10: no registry metadata for this version; its locations were not written',
      ],
      [remove('ms', '1.0.0', ['node_modules/ms']), 'node_modules/ms: expected 1.0.0, found 2.0.0'],
      [add('ms', '2.0.1', ['node_modules/ms']), 'node_modules/ms: already holds 2.0.0'],
      [
        add('ms', '2.0.1', ['node_modules/nope/node_modules/ms']),
        'node_modules/nope/node_modules/ms: its folder node_modules/nope is not in the lockfile',
      ],
    ];
    for (const [change, problem] of cases) {
      const result = editNpmLockfile(content, LOCK, [change], lookup);
      expect(result.problems).toEqual([problem]);
      expect(result.content).toBe(content);
    }
  });

  it.each(versions)('v%i: never writes a location that leaves the project', (v) => {
    const content = fixture(v);
    const escapes = [
      '../outside/node_modules/ms',
      '/etc/node_modules/ms',
      'node_modules/../../ms',
      'node_modules\\ms',
      'C:/x/node_modules/ms',
      'node_modules//ms',
      '',
    ];
    const lookup = registry(['ms', meta('ms', '2.0.1')]);
    for (const change of [
      lock('ms', '2.0.0', '2.0.1', escapes),
      add('ms', '2.0.1', escapes),
      remove('ms', '2.0.0', escapes),
    ]) {
      const result = editNpmLockfile(content, LOCK, [change], lookup);
      expect(result.content).toBe(content);
      expect([...result.problems].sort()).toEqual(
        [
          ...escapes
            .slice(0, 5)
            .map((key) => `${JSON.stringify(key)}: points outside the project; not written`),
          '"node_modules//ms": is not a normalised install location; not written',
          '"": the project root is not a package location; not written',
        ].sort(),
      );
    }
  });

  it('v2: reports a legacy tree out of step with `packages` and changes neither', () => {
    const content = fixture(2).replace(
      '"version": "2.6.8",\n      "resolved": "https://registry.npmjs.org/debug/-/debug-2.6.8.tgz",\n      "integrity": "sha512-I3EYMnjzMokRf1d/R/6HR188qLqhgygo1Wfa0Ui6jj485KZ6giQXM+5wb/VWN2QSgS0HopRZ9Ewa/ygiYDg2Ag==",\n      "requires"',
      '"version": "2.6.7",\n      "resolved": "https://registry.npmjs.org/debug/-/debug-2.6.8.tgz",\n      "integrity": "sha512-I3EYMnjzMokRf1d/R/6HR188qLqhgygo1Wfa0Ui6jj485KZ6giQXM+5wb/VWN2QSgS0HopRZ9Ewa/ygiYDg2Ag==",\n      "requires"',
    );
    expect(content).not.toBe(fixture(2));
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('debug', '2.6.8', '2.6.9', ['node_modules/debug'])],
      registry(['debug', meta('debug', '2.6.9')]),
    );
    expect(result.problems).toEqual([
      'node_modules/debug (legacy "dependencies" tree): expected 2.6.8, found 2.6.7',
    ]);
    expect(result.content).toBe(content);
  });

  it('refuses to move a bundled copy, a link, or a package not from a registry', () => {
    const content = `${JSON.stringify(
      {
        name: 'app',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'app', dependencies: { a: '^1.0.0', g: 'github:x/g', w: '*' } },
          'node_modules/a': { version: '1.0.0', resolved: tarball('a', '1.0.0'), bundleDependencies: ['b'] },
          'node_modules/a/node_modules/b': { version: '1.0.0', inBundle: true },
          'node_modules/g': { version: '1.0.0', resolved: 'git+ssh://git@github.com/x/g.git#abc' },
          'node_modules/w': { resolved: 'w', link: true },
          w: { name: 'w', version: '1.0.0' },
        },
      },
      null,
      2,
    )}\n`;
    const lookup = registry(['b', meta('b', '1.0.1')], ['g', meta('g', '1.0.1')], ['w', meta('w', '1.0.1')]);
    const result = editNpmLockfile(
      content,
      LOCK,
      [
        lock('b', '1.0.0', '1.0.1', ['node_modules/a/node_modules/b']),
        lock('g', '1.0.0', '1.0.1', ['node_modules/g']),
        lock('w', '1.0.0', '1.0.1', ['node_modules/w', 'w']),
      ],
      lookup,
    );
    expect(result.content).toBe(content);
    expect(result.problems).toEqual([
      "node_modules/a/node_modules/b: ships inside its parent's tarball (bundled); it cannot be changed on its own",
      'node_modules/g: is not installed from a registry (resolved "git+ssh://git@github.com/x/g.git#abc")',
      'node_modules/w: is a link, not an installed package',
      '"w": is not a node_modules location; not written',
    ]);
  });
});

describe('editNpmLockfile: added packages', () => {
  it.each(versions)(
    'v%i: adds the new dependencies of a dev package as dev, through a chain of added ones',
    (v) => {
      const content = fixture(v);
      const result = editNpmLockfile(
        content,
        LOCK,
        [
          lock('mkdirp', '0.5.1', '0.6.0', ['node_modules/mkdirp']),
          add('once', '1.4.0', ['node_modules/once']),
          add('wrappy', '1.0.2', ['node_modules/wrappy']),
        ],
        registry(
          ['mkdirp', meta('mkdirp', '0.6.0', { dependencies: { minimist: '0.0.8', once: '^1.4.0' } })],
          ['once', meta('once', '1.4.0', { dependencies: { wrappy: '1' } })],
          ['wrappy', meta('wrappy', '1.0.2')],
        ),
      );
      expect(result.problems).toEqual([]);
      const fields = (name: string, version: string) => ({
        version,
        resolved: tarball(name, version),
        integrity: sri(`${name}@${version}`),
        dev: true,
      });
      if (v !== 1) {
        expect(packageAt(result.content, 'node_modules/once')).toEqual({
          ...fields('once', '1.4.0'),
          dependencies: { wrappy: '1' },
        });
        expect(packageAt(result.content, 'node_modules/wrappy')).toEqual(fields('wrappy', '1.0.2'));
        const keys = Object.keys(asJson(asJson(JSON.parse(result.content)).packages));
        expect(keys).toEqual([...keys].sort((a, b) => a.localeCompare(b, 'en')));
        expect(keys.indexOf('node_modules/once')).toBe(keys.indexOf('node_modules/nan') + 1);
      }
      if (v !== 3) {
        expect(legacyAt(result.content, 'node_modules/once')).toEqual({
          ...fields('once', '1.4.0'),
          requires: { wrappy: '1' },
        });
        const keys = Object.keys(asJson(asJson(JSON.parse(result.content)).dependencies));
        expect(keys).toEqual([...keys].sort(v === 1 ? undefined : (a, b) => a.localeCompare(b, 'en')));
      }
      const inventory = inventoryOf(result.content);
      expect(packageRow(inventory, 'node_modules/once')).toBe('once@1.4.0 dev');
      expect(packageRow(inventory, 'node_modules/wrappy')).toBe('wrappy@1.0.2 dev');
      expect(inventory.edges).toContainEqual({
        from: 'node_modules/once',
        to: 'node_modules/wrappy',
        type: 'prod',
        spec: '1',
      });
      expectOnlyChanged(content, result.content, [
        'node_modules/mkdirp',
        'node_modules/once',
        'node_modules/wrappy',
      ]);
    },
  );

  it.each(versions)('v%i: a package the optional tree and the dev tree both need', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [
        lock('fsevents', '1.2.9', '1.2.13', ['node_modules/fsevents']),
        lock('mkdirp', '0.5.1', '0.6.0', ['node_modules/mkdirp']),
        add('bindings', '1.5.0', ['node_modules/bindings']),
      ],
      registry(
        [
          'fsevents',
          meta('fsevents', '1.2.13', {
            dependencies: { bindings: '^1.5.0', nan: '^2.12.1' },
            hasInstallScript: true,
          }),
        ],
        ['mkdirp', meta('mkdirp', '0.6.0', { dependencies: { bindings: '^1.5.0', minimist: '0.0.8' } })],
        ['bindings', meta('bindings', '1.5.0')],
      ),
    );
    expect(result.problems).toEqual([]);
    const [first] = entriesAt(v, result.content, 'node_modules/bindings');
    // npm 6 (v1) wrote no flag for it; npm 7+ writes devOptional.
    if (v === 1) expect(first).not.toHaveProperty('dev');
    else expect(first).toMatchObject({ devOptional: true });
    for (const entry of entriesAt(v, result.content, 'node_modules/bindings')) {
      expect(entry).not.toHaveProperty('dev');
      expect(entry).not.toHaveProperty('optional');
    }
    expect(packageRow(inventoryOf(result.content), 'node_modules/bindings')).toBe(
      `bindings@1.5.0 ${v === 1 ? 'prod' : 'devOptional'}`,
    );
  });

  it.each(versions)('v%i: a package only the optional tree needs is optional', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [
        lock('fsevents', '1.2.9', '1.2.13', ['node_modules/fsevents']),
        add('bindings', '1.5.0', ['node_modules/bindings']),
      ],
      registry(
        ['fsevents', meta('fsevents', '1.2.13', { dependencies: { bindings: '^1.5.0', nan: '^2.12.1' } })],
        ['bindings', meta('bindings', '1.5.0')],
      ),
    );
    expect(result.problems).toEqual([]);
    for (const entry of entriesAt(v, result.content, 'node_modules/bindings')) {
      expect(entry).toMatchObject({ optional: true });
      expect(Object.keys(entry ?? {})).toEqual(['version', 'resolved', 'integrity', 'optional']);
    }
    // Its position: after @scope/pkg, before debug.
    if (v !== 1) {
      const keys = Object.keys(asJson(asJson(JSON.parse(result.content)).packages));
      expect(keys.slice(1, 4)).toEqual([
        'node_modules/@scope/pkg',
        'node_modules/bindings',
        'node_modules/debug',
      ]);
    }
    expect(packageRow(inventoryOf(result.content), 'node_modules/bindings')).toBe('bindings@1.5.0 optional');
  });

  it.each(versions)('v%i: adds a nested copy in its folder', (v) => {
    const content = fixture(v);
    const key = 'node_modules/mkdirp/node_modules/ms';
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('mkdirp', '0.5.1', '0.6.0', ['node_modules/mkdirp']), add('ms', '2.1.3', [key])],
      registry(
        ['mkdirp', meta('mkdirp', '0.6.0', { dependencies: { minimist: '0.0.8', ms: '^2.1.0' } })],
        ['ms', meta('ms', '2.1.3')],
      ),
    );
    expect(result.problems).toEqual([]);
    for (const entry of entriesAt(v, result.content, key))
      expect(entry).toMatchObject({ version: '2.1.3', dev: true });
    if (v !== 3) {
      const nested = legacyAt(result.content, 'node_modules/mkdirp')?.dependencies as Json;
      expect(Object.keys(nested)).toEqual(['minimist', 'ms']);
    }
    const inventory = inventoryOf(result.content);
    expect(packageRow(inventory, key)).toBe('ms@2.1.3 dev');
    expect(packageRow(inventory, 'node_modules/ms')).toBe('ms@2.0.0 prod');
  });

  it.each(versions)('v%i: a package nothing declares takes its folder flags (none at the top)', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [
        add('left-pad', '1.3.0', ['node_modules/left-pad', 'node_modules/mkdirp/node_modules/left-pad']),
        add('lodash', '4.17.21', ['node_modules/lodash-new']),
      ],
      registry(['left-pad', meta('left-pad', '1.3.0')], ['lodash', meta('lodash', '4.17.21')]),
    );
    expect(result.problems).toEqual([]);
    const inventory = inventoryOf(result.content);
    expect(packageRow(inventory, 'node_modules/left-pad')).toBe('left-pad@1.3.0 prod');
    expect(packageRow(inventory, 'node_modules/mkdirp/node_modules/left-pad')).toBe('left-pad@1.3.0 dev');
    // An alias: the folder name differs from the package.
    expect(packageRow(inventory, 'node_modules/lodash-new')).toBe('lodash@4.17.21 prod as lodash-new');
    if (v !== 1)
      expect(packageAt(result.content, 'node_modules/lodash-new')).toMatchObject({ name: 'lodash' });
    if (v !== 3)
      expect(legacyAt(result.content, 'node_modules/lodash-new')?.version).toBe('npm:lodash@4.17.21');
  });

  it('v3: a peer dependency of a new version is added with the peer flag', () => {
    const content = fixture(3);
    const result = editNpmLockfile(
      content,
      LOCK,
      [
        lock('debug', '2.6.8', '2.7.0', ['node_modules/debug']),
        add('supports-color', '5.5.0', ['node_modules/supports-color']),
      ],
      registry(
        [
          'debug',
          meta('debug', '2.7.0', {
            dependencies: { ms: '2.0.0' },
            peerDependencies: { 'supports-color': '*' },
          }),
        ],
        ['supports-color', meta('supports-color', '5.5.0')],
      ),
    );
    expect(packageAt(result.content, 'node_modules/supports-color')).toMatchObject({ peer: true });
    expect(packageRow(inventoryOf(result.content), 'node_modules/supports-color')).toBe(
      'supports-color@5.5.0 peer',
    );
  });
});

describe('editNpmLockfile: removed packages', () => {
  it.each(versions)('v%i: removes what the new version no longer needs', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('debug', '2.6.8', '3.0.0', ['node_modules/debug']), remove('ms', '2.0.0', ['node_modules/ms'])],
      registry(['debug', meta('debug', '3.0.0')]),
    );
    expect(result.problems).toEqual([]);
    for (const entry of entriesAt(v, result.content, 'node_modules/ms')) expect(entry).toBeUndefined();
    for (const entry of entriesAt(v, result.content, 'node_modules/debug')) {
      expect(entry).not.toHaveProperty('dependencies');
      expect(entry).not.toHaveProperty('requires');
    }
    const inventory = inventoryOf(result.content);
    expect(packageRow(inventory, 'node_modules/ms')).toBe('absent');
    expectOnlyChanged(content, result.content, ['node_modules/debug', 'node_modules/ms']);
  });

  it.each(versions)('v%i: removing the last nested copy drops the emptied legacy `dependencies`', (v) => {
    const content = fixture(v);
    const key = 'node_modules/mkdirp/node_modules/minimist';
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('mkdirp', '0.5.1', '0.5.6', ['node_modules/mkdirp']), remove('minimist', '0.0.8', [key])],
      registry(['mkdirp', meta('mkdirp', '0.5.6', { dependencies: { minimist: '^1.2.6' } })]),
    );
    expect(result.problems).toEqual([]);
    for (const entry of entriesAt(v, result.content, key)) expect(entry).toBeUndefined();
    if (v !== 3) {
      expect(Object.keys(legacyAt(result.content, 'node_modules/mkdirp') ?? {})).toEqual([
        'version',
        'resolved',
        'integrity',
        'dev',
        'requires',
      ]);
    }
    expect(packageRow(inventoryOf(result.content), key)).toBe('absent');
  });

  it.each(versions)('v%i: removing a folder removes what is nested in it', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [remove('mkdirp', '0.5.1', ['node_modules/mkdirp'])],
      registry(),
    );
    expect(result.problems).toEqual([]);
    const inventory = inventoryOf(result.content);
    expect(packageRow(inventory, 'node_modules/mkdirp')).toBe('absent');
    expect(packageRow(inventory, 'node_modules/mkdirp/node_modules/minimist')).toBe('absent');
    expectOnlyChanged(content, result.content, [
      'node_modules/mkdirp',
      'node_modules/mkdirp/node_modules/minimist',
    ]);
  });

  it.each(versions)('v%i: replaces a package in its folder, keeping what is nested', (v) => {
    const content = fixture(v);
    const result = editNpmLockfile(
      content,
      LOCK,
      [remove('mkdirp', '0.5.1', ['node_modules/mkdirp']), add('make-dir', '1.0.0', ['node_modules/mkdirp'])],
      registry(['make-dir', meta('make-dir', '1.0.0', { dependencies: { minimist: '0.0.8' } })]),
    );
    expect(result.problems).toEqual([]);
    const inventory = inventoryOf(result.content);
    expect(packageRow(inventory, 'node_modules/mkdirp')).toBe('make-dir@1.0.0 dev as mkdirp');
    expect(packageRow(inventory, 'node_modules/mkdirp/node_modules/minimist')).toBe('minimist@0.0.8 dev');
    if (v !== 3) expect(legacyAt(result.content, 'node_modules/mkdirp')?.version).toBe('npm:make-dir@1.0.0');
  });
});

describe('editNpmLockfile: workspaces', () => {
  const packages = {
    '': { name: 'root', workspaces: ['packages/*'] },
    'node_modules/a': { resolved: 'packages/a', link: true },
    'packages/a': { name: 'a', version: '1.0.0', dependencies: { x: '^1.0.0' } },
    'packages/a/node_modules/x': {
      version: '1.0.0',
      resolved: tarball('x', '1.0.0'),
      integrity: sri('x@1.0.0'),
    },
  };
  const legacy = {
    a: {
      version: 'file:packages/a',
      requires: { x: '^1.0.0' },
      dependencies: {
        x: { version: '1.0.0', resolved: tarball('x', '1.0.0'), integrity: sri('x@1.0.0') },
      },
    },
  };
  const v2 = `${JSON.stringify({ name: 'root', lockfileVersion: 2, requires: true, packages, dependencies: legacy }, null, 2)}\n`;
  const v3 = `${JSON.stringify({ name: 'root', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`;
  const lookup = registry(
    ['x', meta('x', '1.1.0', { dependencies: { y: '^2.0.0' } })],
    ['y', meta('y', '2.0.0')],
  );
  const changes = [
    lock('x', '1.0.0', '1.1.0', ['packages/a/node_modules/x']),
    add('y', '2.0.0', ['packages/a/node_modules/y']),
  ];

  it.each([
    ['v2', v2],
    ['v3', v3],
  ])(
    '%s: edits a workspace own node_modules (and its place under the link in the legacy tree)',
    (_name, content) => {
      const result = editNpmLockfile(content, LOCK, changes, lookup);
      expect(result.problems).toEqual([]);
      expect(packageAt(result.content, 'packages/a/node_modules/x')).toMatchObject({ version: '1.1.0' });
      expect(packageAt(result.content, 'packages/a/node_modules/y')).toEqual({
        version: '2.0.0',
        resolved: tarball('y', '2.0.0'),
        integrity: sri('y@2.0.0'),
      });
      if (content === v2) {
        expect(legacyAt(result.content, 'node_modules/a/node_modules/x')).toMatchObject({
          version: '1.1.0',
          requires: { y: '^2.0.0' },
        });
        expect(legacyAt(result.content, 'node_modules/a/node_modules/y')).toMatchObject({ version: '2.0.0' });
      }
      const inventory = parseNpmLockfile(result.content, LOCK);
      expect(packageRow(inventory, 'packages/a/node_modules/y')).toBe('y@2.0.0 prod');
    },
  );
});

describe("editNpmLockfile: the planner's own patches", () => {
  // minimist below 1.2.6 is vulnerable: the top-level copy moves in place; the nested one under
  // mkdirp (pinned to 0.0.8) goes with a newer mkdirp, which needs once (and wrappy) instead.
  const source = universe(`
    mkdirp
      0.5.1
        minimist@0.0.8
      0.5.6
        once@^1.4.0
    once
      1.4.0
        wrappy@1
    wrappy
      1.0.2
    minimist
      0.0.8
      1.2.5
      1.2.6
      1.2.8
    @scope/pkg
      2.0.0
        minimist@^1.2.0
  `);
  const vulnerable = advisory('GHSA-minimist', 'minimist', { fixed: '1.2.6' });

  it.each(versions)('v%i: applying every chosen patch in order leaves no vulnerable copy', async (v) => {
    let content = fixture(v);
    const plan = await assemblePlan(planInput(inventoryOf(content), [vulnerable], source));
    expect(plan.patches.length).toBeGreaterThan(0);
    const documents = new Map(
      await Promise.all(
        ['mkdirp', 'minimist', '@scope/pkg', 'once', 'wrappy'].map(
          async (n) => [n, await source.getPackage(n)] as const,
        ),
      ),
    );
    const lookup: MetadataLookup = (name, version) => documents.get(name)?.versions[version];
    for (const patch of plan.patches) {
      const result = editNpmLockfile(content, LOCK, patch.changes, lookup);
      expect(result.problems, describeChanges(patch).join(', ')).toEqual([]);
      content = result.content;
      const inventory = inventoryOf(content);
      for (const change of patch.changes) {
        if (change.kind === 'lock' || change.kind === 'add') {
          for (const at of change.locations)
            expect(packageRow(inventory, at)).toMatch(`${change.name}@${change.to} `);
        }
        if (change.kind === 'remove') {
          for (const at of change.locations) expect(packageRow(inventory, at)).toBe('absent');
        }
      }
    }
    expect(plan.patches.flatMap(describeChanges).sort()).toEqual([
      '+once@1.4.0',
      '+wrappy@1.0.2',
      '-minimist@0.0.8',
      'minimist 1.2.5 -> 1.2.6',
      'mkdirp 0.5.1 -> 0.5.6',
    ]);
    const final = inventoryOf(content);
    expect(packageRow(final, 'node_modules/once')).toBe('once@1.4.0 dev');
    expect(packageRow(final, 'node_modules/wrappy')).toBe('wrappy@1.0.2 dev');
    const minimist = [...final.packages.values()].filter((p) => p.name === 'minimist');
    expect(minimist.map((p) => `${p.id} ${p.version}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^node_modules\/minimist 1\.2\.(6|8)$/)]),
    );
    for (const p of minimist) expect(['1.2.6', '1.2.8']).toContain(p.version);
  });
});

describe('editNpmLockfile: invalid lockfiles', () => {
  it.each<[string, string, ErrorCode]>([
    ['not JSON', '{"lockfileVersion": 3,', 'LOCKFILE_INVALID_JSON'],
    ['an array', '[]', 'LOCKFILE_INVALID'],
    ['no lockfileVersion', '{"packages": {}}', 'LOCKFILE_UNSUPPORTED_VERSION'],
    ['an unknown lockfileVersion', '{"lockfileVersion": 4, "packages": {}}', 'LOCKFILE_UNSUPPORTED_VERSION'],
    ['v3 without packages', '{"lockfileVersion": 3}', 'LOCKFILE_INVALID'],
    [
      'a bad entry',
      '{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": 1}}}',
      'LOCKFILE_INVALID',
    ],
    ['a bad legacy entry', '{"lockfileVersion": 1, "dependencies": {"a": {}}}', 'LOCKFILE_INVALID'],
  ])('%s', (_name, content, code) => {
    const run = () => editNpmLockfile(content, LOCK, [], registry());
    expect(run).toThrow(PatchPilotError);
    try {
      run();
    } catch (error) {
      expect((error as PatchPilotError).code).toBe(code);
      expect((error as PatchPilotError).message).toContain(LOCK);
    }
  });

  it("keeps npm 6's `false` values it does not touch", () => {
    const content = `${JSON.stringify(
      {
        lockfileVersion: 1,
        dependencies: {
          a: { version: '1.0.0', resolved: false, integrity: false },
          ms: { version: '2.0.0', resolved: tarball('ms', '2.0.0'), integrity: sri('ms@2.0.0') },
        },
      },
      null,
      2,
    )}\n`;
    const result = editNpmLockfile(
      content,
      LOCK,
      [lock('ms', '2.0.0', '2.0.1', ['node_modules/ms'])],
      registry(['ms', meta('ms', '2.0.1')]),
    );
    expect(legacyAt(result.content, 'node_modules/a')).toEqual({
      version: '1.0.0',
      resolved: false,
      integrity: false,
    });
  });
});

/*
 * Real lockfiles from ../shared/data/projects (read at run time, never copied): a synthetic lock
 * change on one real registry package must change that entry only, byte for byte, and the result
 * must read back with the new version there.
 */
const projects = join(sharedData, 'projects');
const realLockfiles = [
  'OWASP__NodeGoat@3137d3c0f1/package-lock.json',
  'juice-shop__juice-shop@8303ac5fce/frontend/package-lock.json',
  'OWASP__NodeGoat@c5cb68a708/package-lock.json',
  'npm__cli@780afc50e3/package-lock.json',
  'Kong__insomnia@5082975c7d/package-lock.json',
];

describe.skipIf(!requireSharedData())('editNpmLockfile on real lockfiles', () => {
  it.each(realLockfiles)('%s', (file) => {
    const path = join(projects, file);
    expect(existsSync(path)).toBe(true);
    const content = readFileSync(path, 'utf8');
    const before = parseNpmLockfile(content, path);
    // The deepest registry package that does not ship inside another: the hardest location.
    const target = [...before.packages.values()]
      .filter((p) => p.source === 'registry' && !p.bundled && p.id.includes('node_modules/'))
      .sort(
        (a, b) =>
          b.id.split('/node_modules/').length - a.id.split('/node_modules/').length || (a.id < b.id ? -1 : 1),
      )[0];
    if (!target) throw new Error(`${file}: no registry package`);
    const made = meta(target.name, '999.0.0-patchpilot', {
      dependencies: { 'made-up-dependency': '^1.0.0' },
      hasInstallScript: true,
    });
    const result = editNpmLockfile(
      content,
      path,
      [lock(target.name, target.version, '999.0.0-patchpilot', [target.id])],
      registry([target.name, made]),
    );
    expect(result.problems).toEqual([]);

    const after = parseNpmLockfile(result.content, path);
    expect(after.packages.get(target.id)).toMatchObject({ name: target.name, version: '999.0.0-patchpilot' });
    const others = (inventory: Inventory) =>
      [...inventory.packages.values()]
        .filter((p) => p.id !== target.id)
        .map((p) => `${p.id} ${p.name}@${p.version} ${p.scope}`);
    expect(others(after)).toEqual(others(before));

    // Putting the original entries back gives the original bytes.
    const doc = asJson(JSON.parse(result.content));
    const original = asJson(JSON.parse(content));
    if (doc.packages) asJson(doc.packages)[target.id] = asJson(original.packages)[target.id];
    if (doc.dependencies) {
      const folders = target.id.split(/(?:^|\/)node_modules\//).filter(Boolean);
      let into = asJson(doc.dependencies);
      let from = asJson(original.dependencies);
      for (const folder of folders.slice(0, -1)) {
        into = asJson(asJson(into[folder]).dependencies);
        from = asJson(asJson(from[folder]).dependencies);
      }
      const last = folders.at(-1) as string;
      into[last] = from[last];
    }
    expect(formatJson(doc, detectJsonFormat(content))).toBe(content);
  });
});

describe('dropNpmPackages', () => {
  const v2 = readFileSync(
    fileURLToPath(new URL('../../test/fixtures/apply/package-lock.v2.json', import.meta.url)),
    'utf8',
  );

  it('removes every copy of a package from both sections, and nothing else', () => {
    const out = JSON.parse(dropNpmPackages(v2, 'package-lock.json', ['minimist'])) as {
      packages: Record<string, unknown>;
      dependencies: Record<string, { dependencies?: Record<string, unknown> }>;
    };
    expect(Object.keys(out.packages)).not.toContain('node_modules/minimist');
    expect(Object.keys(out.packages)).not.toContain('node_modules/mkdirp/node_modules/minimist');
    expect(Object.keys(out.packages)).toContain('node_modules/mkdirp');
    expect(Object.keys(out.dependencies)).not.toContain('minimist');
    expect(Object.keys(out.dependencies.mkdirp?.dependencies ?? {})).not.toContain('minimist');
    const before = JSON.parse(v2) as { packages: Record<string, unknown> };
    expect(Object.keys(out.packages).length).toBe(Object.keys(before.packages).length - 2);
  });

  it('returns the text unchanged when the package is not there', () => {
    expect(dropNpmPackages(v2, 'package-lock.json', ['left-pad'])).toBe(v2);
  });
});
