import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inventoryPackage as pkg } from '../../../test/helpers/inventory.js';
import type { Inventory, InventoryEdge, InventoryPackage } from '../../core/inventory.js';
import {
  buildSbomGraph,
  classifyLicense,
  integrityHashes,
  publicUrl,
  serializeSbom,
  splitScopedName,
  targetsOf,
  uuidFromContent,
  withContentId,
} from './write-common.js';
import { spdxExceptionIds, spdxLicenseIds } from './write-license-ids.js';

const inventoryOf = (packages: InventoryPackage[], edges: InventoryEdge[]): Inventory => ({
  root: '/p',
  lockfile: '/p/package-lock.json',
  format: 'npm-v3',
  importers: [{ id: '', name: 'app', path: '' }],
  packages: new Map([
    ['', pkg('', 'app', '1.0.0', { source: 'root' })],
    ...packages.map((p) => [p.id, p] as const),
  ]),
  edges,
});

const sri = (alg: string, text: string) => `${alg}-${createHash(alg).update(text).digest('base64')}`;
const hex = (alg: string, text: string) => createHash(alg).update(text).digest('hex');

describe('integrityHashes', () => {
  it('turns every SRI digest into hex, leaving out what is not one', () => {
    expect(integrityHashes(sri('sha512', 'a'))).toEqual([{ alg: 'sha512', hex: hex('sha512', 'a') }]);
    expect(integrityHashes(`${sri('sha1', 'b')} ${sri('sha256', 'b')}?x=1\n${sri('sha384', 'b')}`)).toEqual([
      { alg: 'sha1', hex: hex('sha1', 'b') },
      { alg: 'sha256', hex: hex('sha256', 'b') },
      { alg: 'sha384', hex: hex('sha384', 'b') },
    ]);
    // A digest of the wrong length (as in hand-made fixtures) is no checksum.
    expect(integrityHashes('sha512-bG9kYXNoLTQuMTcuMjE=')).toEqual([]);
    expect(integrityHashes('md5-1B2M2Y8AsgTpgAmY7PhCfg== nonsense')).toEqual([]);
    // Base64 without its padding is still the digest; other alphabets and stray characters are not.
    const unpadded = sri('sha512', 'a').replace(/=+$/, '');
    expect(integrityHashes(unpadded)).toEqual([{ alg: 'sha512', hex: hex('sha512', 'a') }]);
    const urlSafe = sri('sha512', 'a').replace(/\+/g, '-').replace(/\//g, '_');
    if (urlSafe !== sri('sha512', 'a')) expect(integrityHashes(urlSafe)).toEqual([]);
    expect(integrityHashes(sri('sha512', 'a').replace('-', '-!'))).toEqual([]);
    expect(integrityHashes(`x${sri('sha256', 'a')}`)).toEqual([]);
    expect(integrityHashes(sri('sha256', 'a').replace('sha256-', 'sha2561-'))).toEqual([]);
    expect(integrityHashes(`-${sri('sha256', 'a')}`)).toEqual([]);
    expect(integrityHashes(undefined)).toEqual([]);
  });
});

describe('classifyLicense', () => {
  it.each([
    ['MIT', { kind: 'id', id: 'MIT' }],
    ['mit', { kind: 'id', id: 'MIT' }],
    [' Apache-2.0 ', { kind: 'id', id: 'Apache-2.0' }],
    ['GPL-2.0+', { kind: 'id', id: 'GPL-2.0+' }],
    ['(MIT OR Apache-2.0)', { kind: 'expression', expression: '(MIT OR Apache-2.0)', hasRef: false }],
    ['(mit OR cc0-1.0)', { kind: 'expression', expression: '(MIT OR CC0-1.0)', hasRef: false }],
    [
      'Apache-2.0 WITH LLVM-exception AND (BSD-2-Clause OR ISC)',
      {
        kind: 'expression',
        expression: 'Apache-2.0 WITH LLVM-exception AND (BSD-2-Clause OR ISC)',
        hasRef: false,
      },
    ],
    ['Apache-2.0+', { kind: 'expression', expression: 'Apache-2.0+', hasRef: false }],
    ['LicenseRef-acme', { kind: 'expression', expression: 'LicenseRef-acme', hasRef: true }],
    ['SEE LICENSE IN LICENSE.md', { kind: 'name', name: 'SEE LICENSE IN LICENSE.md' }],
    ['UNLICENSED', { kind: 'name', name: 'UNLICENSED' }],
    ['MIT or ISC', { kind: 'name', name: 'MIT or ISC' }],
    ['(MIT OR', { kind: 'name', name: '(MIT OR' }],
    ['Apache 2.0', { kind: 'name', name: 'Apache 2.0' }],
    // An exception is no license: alone, or where a license should be, it makes no expression.
    ['MIT WITH MIT', { kind: 'name', name: 'MIT WITH MIT' }],
    ['LLVM-exception', { kind: 'name', name: 'LLVM-exception' }],
    ['LLVM-exception WITH MIT', { kind: 'name', name: 'LLVM-exception WITH MIT' }],
    [
      'apache-2.0 WITH llvm-exception',
      { kind: 'expression', expression: 'Apache-2.0 WITH LLVM-exception', hasRef: false },
    ],
  ])('%j', (text, expected) => {
    expect(classifyLicense(text)).toEqual(expected);
  });

  it('has nothing to say about no licence', () => {
    expect(classifyLicense(undefined)).toBeUndefined();
    expect(classifyLicense('  ')).toBeUndefined();
  });

  it('knows exactly the identifiers the CycloneDX schema accepts', () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json'));
    const schema = JSON.parse(readFileSync(join(dir, 'res/schema/spdx.SNAPSHOT.schema.json'), 'utf8'));
    // The enum lists the licenses, then the exceptions, each in alphabetical order.
    expect([...spdxLicenseIds.values(), ...spdxExceptionIds.values()]).toEqual(schema.enum);
    const restart = schema.enum.findIndex(
      (id: string, i: number) => i > 0 && id.toLowerCase() < schema.enum[i - 1].toLowerCase(),
    );
    expect(restart).toBe(spdxLicenseIds.size);
  });
});

describe('publicUrl', () => {
  it.each([
    ['https://registry.npmjs.org/a/-/a-1.0.0.tgz', 'https://registry.npmjs.org/a/-/a-1.0.0.tgz'],
    ['https://user:s3cret@npm.example.com/a/-/a-1.0.0.tgz', 'https://npm.example.com/a/-/a-1.0.0.tgz'],
    ['https://TOKEN@npm.example.com/a.tgz', 'https://npm.example.com/a.tgz'],
    ['git+ssh://git@github.com/o/r.git#abc', 'git+ssh://git@github.com/o/r.git#abc'],
    ['git+https://x:y@github.com/o/r.git', 'git+https://github.com/o/r.git'],
    ['file:../local', undefined],
    ['packages/a', undefined],
    [undefined, undefined],
    [
      'https://registry.yarnpkg.com/a/-/a-1.0.0.tgz#6d30eb18',
      'https://registry.yarnpkg.com/a/-/a-1.0.0.tgz#6d30eb18',
    ],
    ['https://REGISTRY.example.com:443/a/%2e%2e/b.tgz', 'https://registry.example.com/b.tgz'],
    ['https://r.example.com/a/./b/../c.tgz', 'https://r.example.com/a/c.tgz'],
    // yarn berry's locators are no URLs; schemes that are not published stay out.
    ['@algolia/abtesting@npm:1.22.0', undefined],
    ['lib@patch:lib@npm%3A1.0.0#./fix.patch::locator=app%40workspace%3A.', undefined],
    ['ftp://example.com/a.tgz', undefined],
    ['javascript:alert(1)', undefined],
    [' HTTPS://r.example.com/a.tgz', 'https://r.example.com/a.tgz'],
    ['SSH://git@github.com/o/r.git', 'ssh://git@github.com/o/r.git'],
    ['ht\ttps://r.example.com/a.tgz', 'https://r.example.com/a.tgz'],
    ['git\r+ssh://git@github.com/o/r.git', 'git+ssh://git@github.com/o/r.git'],
    // A query may carry a token or a signature (a private registry, a presigned download): dropped.
    ['https://npm.example.com/a/-/a-1.0.0.tgz?token=abc', 'https://npm.example.com/a/-/a-1.0.0.tgz'],
    [
      'https://bucket.example.com/a.tgz?X-Amz-Signature=f00&X-Amz-Credential=k#sha1',
      'https://bucket.example.com/a.tgz#sha1',
    ],
  ])('%s', (resolved, expected) => {
    expect(publicUrl(resolved)).toBe(expected);
  });

  it('gives what URL parsing gives, with or without the shortcut', () => {
    for (const url of [
      'https://registry.npmjs.org/@babel/core/-/core-7.0.0.tgz',
      'https://r.example.com/a b.tgz',
      'https://r.example.com/a/%2E%2E/b.tgz',
    ]) {
      const parsed = new URL(url);
      expect(publicUrl(url)).toBe(parsed.href);
    }
  });
});

describe('small helpers', () => {
  it('splits scoped names', () => {
    expect(splitScopedName('@scope/name')).toEqual({ group: '@scope', name: 'name' });
    expect(splitScopedName('name')).toEqual({ group: undefined, name: 'name' });
  });

  it('derives a version 5 style UUID from content, the same for the same content', () => {
    const a = uuidFromContent('x');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFromContent('x')).toBe(a);
    expect(uuidFromContent('y')).not.toBe(a);
  });

  it('derives an identifier from the text with the field empty, and puts it in once', () => {
    const document = {
      name: 'say "serialNumber": ""',
      nested: { serialNumber: '' },
      'x"serialNumber': '',
      serialNumber: '',
      list: [1],
    };
    const { document: done, text } = withContentId(document, 'serialNumber', (uuid) => `urn:uuid:${uuid}`);
    expect(done.serialNumber).toBe(`urn:uuid:${uuidFromContent(serializeSbom(document))}`);
    expect(text).toBe(serializeSbom(done));
    expect(document.serialNumber).toBe('');
    expect(done.nested.serialNumber).toBe('');
    expect(done['x"serialNumber']).toBe('');
    expect(() => withContentId({ serialNumber: 'x' }, 'serialNumber', (u) => u)).toThrow(
      /must be present and empty/,
    );
  });
});

describe('buildSbomGraph', () => {
  const inventory = inventoryOf(
    [
      pkg('node_modules/a', 'a', '1.0.0', { scope: 'dev' }),
      pkg('node_modules/b/node_modules/a', 'a', '1.0.0', { alias: 'a-alias' }),
      pkg('node_modules/b', 'b', '2.0.0'),
      pkg('node_modules/c', 'c', '1.0.0', { source: 'git', resolved: 'git+ssh://git@github.com/o/c.git#1' }),
      pkg('node_modules/d', 'd', '1.0.0', { scope: 'devOptional' }),
      pkg('node_modules/e', 'e', '1.0.0', { scope: 'dev' }),
    ],
    [
      { from: '', to: 'node_modules/a', type: 'dev', spec: '^1' },
      { from: '', to: 'node_modules/b', type: 'prod', spec: '^2' },
      { from: 'node_modules/b', to: 'node_modules/b/node_modules/a', type: 'prod', spec: 'npm:a@1' },
      { from: 'node_modules/b', to: 'node_modules/c', type: 'optional', spec: 'github:o/c' },
      { from: 'node_modules/a', to: 'node_modules/e', type: 'prod', spec: '1' },
      { from: '', to: 'node_modules/d', type: 'dev', spec: '1' },
    ],
  );

  it('merges the copies of a package, keeping the most needed scope and every alias', () => {
    const graph = buildSbomGraph(inventory);
    expect(graph.entries.map((e) => [e.key, e.scope, e.aliases])).toEqual([
      ['a@1.0.0', 'prod', ['a-alias']],
      ['b@2.0.0', 'prod', []],
      ['d@1.0.0', 'devOptional', []],
      ['e@1.0.0', 'dev', []],
      ['git|c@1.0.0|git+ssh://git@github.com/o/c.git#1', 'prod', []],
    ]);
    expect(targetsOf(graph, '')).toEqual([
      ['a@1.0.0', ['dev']],
      ['b@2.0.0', ['prod']],
      ['d@1.0.0', ['dev']],
    ]);
    expect(targetsOf(graph, 'b@2.0.0')).toEqual([
      ['a@1.0.0', ['prod']],
      ['git|c@1.0.0|git+ssh://git@github.com/o/c.git#1', ['optional']],
    ]);
  });

  it('describes a package by a copy that has integrity and URL, not by a bundled copy', () => {
    const integrity = sri('sha512', 'wrappy');
    const resolved = 'https://registry.npmjs.org/wrappy/-/wrappy-1.0.2.tgz';
    const bundled = inventoryOf(
      [
        pkg('node_modules/a/node_modules/wrappy', 'wrappy', '1.0.2', { bundled: true, scope: 'optional' }),
        pkg('node_modules/wrappy', 'wrappy', '1.0.2', { integrity, resolved, scope: 'devOptional' }),
      ],
      [],
    );
    const [entry] = buildSbomGraph(bundled).entries;
    expect(entry?.pkg.integrity).toBe(integrity);
    expect(entry?.pkg.resolved).toBe(resolved);
    expect(entry?.bundled).toBe(false);
    // devOptional survives --omit=dev and --omit=optional alone: it is the wider of the two.
    expect(entry?.scope).toBe('devOptional');
  });

  it('--omit dev leaves out dev packages and dev edges, as npm does, but keeps devOptional ones', () => {
    const graph = buildSbomGraph(inventory, new Set(['dev']));
    expect(graph.entries.map((e) => e.key)).toEqual([
      'a@1.0.0',
      'b@2.0.0',
      'd@1.0.0',
      'git|c@1.0.0|git+ssh://git@github.com/o/c.git#1',
    ]);
    expect(targetsOf(graph, '')).toEqual([['b@2.0.0', ['prod']]]);
    const both = buildSbomGraph(inventory, new Set(['dev', 'optional']));
    expect(both.entries.map((e) => e.key)).not.toContain('d@1.0.0');
    expect(targetsOf(both, 'b@2.0.0')).toEqual([['a@1.0.0', ['prod']]]);
  });

  it('links the root to every workspace', () => {
    const withWorkspace: Inventory = {
      ...inventory,
      importers: [...inventory.importers, { id: 'packages/w', name: 'w', path: 'packages/w' }],
      packages: new Map([
        ...inventory.packages,
        ['packages/w', pkg('packages/w', 'w', '0.1.0', { source: 'workspace' })],
      ]),
    };
    expect(targetsOf(buildSbomGraph(withWorkspace), '')).toContainEqual([
      'workspace|w@0.1.0||packages/w',
      ['prod'],
    ]);
  });

  it('keeps two workspaces of the same name and version apart', () => {
    const twins: Inventory = {
      ...inventory,
      importers: [
        ...inventory.importers,
        { id: 'apps/web', name: 'web', path: 'apps/web' },
        { id: 'packages/web', name: 'web', path: 'packages/web' },
      ],
      packages: new Map([
        ...inventory.packages,
        ['apps/web', pkg('apps/web', 'web', '0.0.0', { source: 'workspace' })],
        ['packages/web', pkg('packages/web', 'web', '0.0.0', { source: 'workspace' })],
      ]),
    };
    const keys = buildSbomGraph(twins).entries.map((e) => e.key);
    expect(keys.filter((k) => k.startsWith('workspace|web@0.0.0'))).toHaveLength(2);
  });
});
