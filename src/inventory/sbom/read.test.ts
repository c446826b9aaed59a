import { describe, expect, it } from 'vitest';
import { registryPackageKeys } from '../../core/inventory.js';
import { readSbom } from './read.js';

const hex = 'ab'.repeat(64);
const sri = `sha512-${Buffer.from(hex, 'hex').toString('base64')}`;

const cyclonedx = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  metadata: {
    component: { 'bom-ref': 'app@1.0.0', name: 'app', version: '1.0.0', purl: 'pkg:npm/app@1.0.0' },
  },
  components: [
    {
      'bom-ref': 'a',
      type: 'library',
      group: '@scope',
      name: 'a',
      version: '1.0.0',
      purl: 'pkg:npm/%40scope/a@1.0.0',
      hashes: [{ alg: 'SHA-512', content: hex }],
      licenses: [{ license: { id: 'MIT' } }],
      externalReferences: [
        { type: 'distribution', url: 'https://registry.npmjs.org/@scope/a/-/a-1.0.0.tgz' },
      ],
      components: [{ 'bom-ref': 'nested', name: 'nested', version: '2.0.0', purl: 'pkg:npm/nested@2.0.0' }],
    },
    {
      'bom-ref': 'dev',
      name: 'devtool',
      version: '3.0.0',
      scope: 'optional',
      purl: 'pkg:npm/devtool@3.0.0',
      properties: [{ name: 'cdx:npm:package:development', value: 'true' }],
    },
    { 'bom-ref': 'jar', name: 'guava', version: '1', purl: 'pkg:maven/com.google/guava@1' },
    { 'bom-ref': 'x', name: 'display-name-ignored', version: '0', purl: 'pkg:npm/real-name@4.5.6' },
  ],
  dependencies: [
    { ref: 'app@1.0.0', dependsOn: ['a', 'dev'] },
    { ref: 'a', dependsOn: ['nested'] },
    { ref: 'dev', dependsOn: ['x'] },
  ],
};

describe('readSbom: CycloneDX', () => {
  const inventory = readSbom(JSON.stringify(cyclonedx), '/sboms/bom.json');

  it('reads npm components by purl, nested ones too, and nothing else as registry packages', () => {
    expect([...registryPackageKeys(inventory)].sort()).toEqual([
      '@scope/a@1.0.0',
      'devtool@3.0.0',
      'nested@2.0.0',
      'real-name@4.5.6',
    ]);
    expect(inventory.packages.get('jar')?.source).toBe('file');
    expect(inventory.format).toBe('cyclonedx-1.5');
    expect(inventory.root).toBe('/sboms');
  });

  it("keeps a component that repeats the root's bom-ref (the root listed once is the root), or an empty one", () => {
    const withRef = (rootRef: string | undefined, refs: string[]) =>
      readSbom(
        JSON.stringify({
          bomFormat: 'CycloneDX',
          specVersion: '1.5',
          metadata: {
            component: {
              ...(rootRef === undefined ? {} : { 'bom-ref': rootRef }),
              name: 'app',
              version: '1.0.0',
            },
          },
          components: refs.map((ref, i) => ({
            'bom-ref': ref,
            name: `p${i}`,
            version: '1.0.0',
            purl: `pkg:npm/p${i}@1.0.0`,
          })),
        }),
        '/sboms/bom.json',
      );
    // The first component with the root's bom-ref is the root again; the second is a package.
    expect([...registryPackageKeys(withRef('app', ['app', 'app', 'x']))].sort()).toEqual([
      'p1@1.0.0',
      'p2@1.0.0',
    ]);
    // A root without a bom-ref: a component with an empty one is a package like any other.
    expect([...registryPackageKeys(withRef(undefined, ['', 'x']))].sort()).toEqual(['p0@1.0.0', 'p1@1.0.0']);
  });

  it('says which components it cannot match, and which identifiers repeat; nothing when all are read', () => {
    const told: string[] = [];
    readSbom(JSON.stringify(cyclonedx), '/sboms/bom.json', (message) => told.push(message));
    expect(told).toEqual([]);
    const broken = {
      ...cyclonedx,
      components: [
        ...cyclonedx.components,
        { 'bom-ref': 'bad', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@%' },
        { 'bom-ref': 'bad2', name: 'x', version: '1', purl: 'PKG:NPM/' },
        // A range names no installed version.
        { 'bom-ref': 'range', name: 'lodash', version: '^4.17.15', purl: 'pkg:npm/lodash@%5E4.17.15' },
        // No package URL at all, or one that is no string.
        { 'bom-ref': 'plain', name: 'lodash', version: '4.17.15' },
        { 'bom-ref': 'number', name: 'minimist', version: '1.2.5', purl: 42 },
        { 'bom-ref': 'bad', name: 'minimist', version: '1.2.5', purl: 'pkg:npm/minimist@1.2.5' },
      ],
    };
    const read = readSbom(JSON.stringify(broken), '/sboms/bom.json', (message) => told.push(message));
    expect(told).toEqual([
      '3 components have an npm package URL that cannot be read or names no version, and are not matched (first: pkg:npm/lodash@%)',
      '2 components have no package URL, and are not matched (first: lodash@4.17.15)',
      "1 component repeats the bom-ref of another (first: bad); each is matched, but the document's dependencies name only the first, so the others' paths and scopes may be wrong",
    ]);
    expect(read.packages.get('bad')?.purl).toBeUndefined();
    expect(read.packages.get('range')?.purl).toBeUndefined();
    // SPDX: a package of another ecosystem has a package URL, which is no npm one to match.
    const spdxTold: string[] = [];
    readSbom(
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        packages: [
          {
            SPDXID: 'SPDXRef-py',
            name: 'requests',
            versionInfo: '2.31.0',
            externalRefs: [purlRef('pkg:pypi/requests@2.31.0')],
          },
          { SPDXID: 'SPDXRef-np', name: 'lodash', externalRefs: [purlRef('pkg:npm/lodash')] },
        ],
      }),
      'mixed.spdx.json',
      (message) => spdxTold.push(message),
    );
    expect(spdxTold).toEqual([
      '1 component has an npm package URL that cannot be read or names no version, and is not matched (first: pkg:npm/lodash)',
    ]);
    expect(read.packages.get('bad#2')?.purl).toBe('pkg:npm/minimist@1.2.5');
  });

  it('never reads a component npm marks private as the registry package of that name', () => {
    const doc = {
      ...cyclonedx,
      components: [
        ...cyclonedx.components,
        {
          'bom-ref': 'utils@1.0.0',
          name: 'utils',
          version: '1.0.0',
          purl: 'pkg:npm/utils@1.0.0',
          properties: [{ name: 'cdx:npm:package:private', value: 'true' }],
        },
        {
          'bom-ref': 'public@1.0.0',
          name: 'public',
          version: '1.0.0',
          purl: 'pkg:npm/public@1.0.0',
          properties: [{ name: 'cdx:npm:package:private', value: 'false' }],
        },
      ],
    };
    const read = readSbom(JSON.stringify(doc), '/sboms/bom.json');
    expect(read.packages.get('utils@1.0.0')).toMatchObject({ source: 'file', purl: undefined });
    expect(registryPackageKeys(read).has('utils@1.0.0')).toBe(false);
    expect(registryPackageKeys(read).has('public@1.0.0')).toBe(true);
  });

  it('keeps hashes as SRI integrity, licence and distribution URL', () => {
    const a = inventory.packages.get('a');
    expect(a?.integrity).toBe(sri);
    expect(a?.license).toBe('MIT');
    expect(a?.resolved).toBe('https://registry.npmjs.org/@scope/a/-/a-1.0.0.tgz');
    expect(a?.purl).toBe('pkg:npm/%40scope/a@1.0.0');
  });

  it('takes stated scopes and derives the rest from the graph', () => {
    expect(inventory.packages.get('dev')?.scope).toBe('dev');
    expect(inventory.packages.get('a')?.scope).toBe('prod');
    expect(inventory.packages.get('nested')?.scope).toBe('prod');
    // Only a dev package depends on it.
    expect(inventory.packages.get('x')?.scope).toBe('dev');
  });

  it('without a dependency graph, every component hangs off the root', () => {
    const flat = readSbom(JSON.stringify({ ...cyclonedx, dependencies: undefined }), '/b.json');
    expect(flat.edges.filter((e) => e.from === 'app@1.0.0')).toHaveLength(5);
    // Without a main component, the file names the project.
    const bare = readSbom(
      JSON.stringify({ ...cyclonedx, metadata: {}, dependencies: undefined }),
      '/b/bom.json',
    );
    expect(bare.importers.map((i) => i.name)).toEqual(['bom.json']);
  });
});

const purlRef = (locator: string) => ({
  referenceCategory: 'PACKAGE-MANAGER',
  referenceType: 'purl',
  referenceLocator: locator,
});

describe('readSbom: SPDX', () => {
  const spdx = {
    spdxVersion: 'SPDX-2.3',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: 'app',
    documentDescribes: ['SPDXRef-Package-app-1.0.0'],
    packages: [
      { SPDXID: 'SPDXRef-Package-app-1.0.0', name: 'app', versionInfo: '1.0.0' },
      {
        SPDXID: 'SPDXRef-Package-lodash-4.17.15',
        name: 'lodash',
        versionInfo: '4.17.15',
        downloadLocation: 'NOASSERTION',
        licenseDeclared: 'MIT',
        checksums: [{ algorithm: 'SHA512', checksumValue: hex }],
        externalRefs: [purlRef('pkg:npm/lodash@4.17.15')],
      },
      {
        SPDXID: 'SPDXRef-Package-jest-29.0.0',
        name: 'jest',
        versionInfo: '29.0.0',
        externalRefs: [purlRef('pkg:npm/jest@29.0.0')],
      },
    ],
    relationships: [
      {
        spdxElementId: 'SPDXRef-DOCUMENT',
        relationshipType: 'DESCRIBES',
        relatedSpdxElement: 'SPDXRef-Package-app-1.0.0',
      },
      {
        spdxElementId: 'SPDXRef-Package-lodash-4.17.15',
        relationshipType: 'DEPENDENCY_OF',
        relatedSpdxElement: 'SPDXRef-Package-app-1.0.0',
      },
      {
        spdxElementId: 'SPDXRef-Package-jest-29.0.0',
        relationshipType: 'DEV_DEPENDENCY_OF',
        relatedSpdxElement: 'SPDXRef-Package-app-1.0.0',
      },
    ],
  };

  it('reads packages by purl, edges and scopes from the relationships', () => {
    const inventory = readSbom(JSON.stringify(spdx), '/s/app.spdx.json');
    const lodash = inventory.packages.get('SPDXRef-Package-lodash-4.17.15');
    expect([...registryPackageKeys(inventory)].sort()).toEqual(['jest@29.0.0', 'lodash@4.17.15']);
    expect(inventory.packages.get('SPDXRef-Package-jest-29.0.0')?.scope).toBe('dev');
    expect(lodash?.scope).toBe('prod');
    expect(lodash?.integrity).toBe(sri);
    expect(lodash?.license).toBe('MIT');
    expect(lodash?.resolved).toBeUndefined();
    expect(inventory.format).toBe('spdx-2.3');
    expect(inventory.importers).toEqual([{ id: 'SPDXRef-Package-app-1.0.0', name: 'app', path: '' }]);
  });

  it('matches every package of a document that describes several, each straight from the document', () => {
    const pkg = (name: string, version: string) => ({
      SPDXID: `SPDXRef-${name}`,
      name,
      versionInfo: version,
      externalRefs: [purlRef(`pkg:npm/${name}@${version}`)],
    });
    const describes = (id: string) => ({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: id,
    });
    const inventory = readSbom(
      JSON.stringify({
        spdxVersion: 'SPDX-2.2',
        SPDXID: 'SPDXRef-DOCUMENT',
        name: 'two packages',
        packages: [pkg('minimist', '1.2.5'), pkg('lodash', '4.17.15')],
        relationships: [describes('SPDXRef-minimist'), describes('SPDXRef-lodash')],
      }),
      '/s/two.spdx.json',
    );
    expect([...registryPackageKeys(inventory)].sort()).toEqual(['lodash@4.17.15', 'minimist@1.2.5']);
    expect(inventory.importers).toEqual([{ id: 'SPDXRef-DOCUMENT', name: 'two packages', path: '' }]);
    // Neither depends on the other: each hangs off the document.
    expect(inventory.edges.map((e) => `${e.from} > ${e.to}`).sort()).toEqual([
      'SPDXRef-DOCUMENT > SPDXRef-lodash',
      'SPDXRef-DOCUMENT > SPDXRef-minimist',
    ]);
  });

  it('refuses SPDX 3 and other versions by name', () => {
    expect(() => readSbom(JSON.stringify({ ...spdx, spdxVersion: 'SPDX-3.0' }), 'x.json')).toThrow(
      /unsupported spdxVersion "SPDX-3.0"/,
    );
  });
});

describe('readSbom: bad input', () => {
  it('names the line of a JSON error', () => {
    expect(() => readSbom('{\n  "bomFormat": "CycloneDX",\n  oops\n}', 'bom.json')).toThrow(
      /bom\.json: invalid JSON at line 3/,
    );
  });

  it('refuses documents that are neither format, and malformed parts', () => {
    expect(() => readSbom('{"hello": 1}', 'x.json')).toThrow(/neither CycloneDX/);
    expect(() => readSbom('[]', 'x.json')).toThrow(/not a JSON object/);
    expect(() => readSbom('{"bomFormat":"CycloneDX","specVersion":"1.6","components":{}}', 'x.json')).toThrow(
      /`components` is not an array/,
    );
    expect(() => readSbom('{"bomFormat":"CycloneDX","specVersion":"2.0"}', 'x.json')).toThrow(
      /unsupported CycloneDX specVersion "2.0"/,
    );
    expect(() => readSbom('{"hello": 1}', 'x.json')).toThrow(
      expect.objectContaining({ code: 'SBOM_INVALID' }),
    );
  });
});

describe('readSbom: documents other tools write, and hostile ones', () => {
  const cdx = (components: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components, ...extra });

  it('keeps every component of a repeated bom-ref or SPDXID: none of their findings may vanish', () => {
    const inventory = readSbom(
      cdx([
        { 'bom-ref': 'x', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' },
        { 'bom-ref': 'x', name: 'minimist', version: '1.2.0', purl: 'pkg:npm/minimist@1.2.0' },
        { name: 'no-ref', version: '1.0.0', purl: 'pkg:npm/no-ref@1.0.0' },
        { 'bom-ref': 'components[2]', name: 'clash', version: '1.0.0', purl: 'pkg:npm/clash@1.0.0' },
      ]),
      'dup.json',
    );
    expect([...registryPackageKeys(inventory)].sort()).toEqual([
      'clash@1.0.0',
      'lodash@4.17.20',
      'minimist@1.2.0',
      'no-ref@1.0.0',
    ]);
    const spdx = readSbom(
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        packages: [
          { SPDXID: 'SPDXRef-a', name: 'a', externalRefs: [purlRef('pkg:npm/lodash@4.17.20')] },
          { SPDXID: 'SPDXRef-a', name: 'b', externalRefs: [purlRef('pkg:npm/minimist@1.2.0')] },
        ],
      }),
      'dup.spdx.json',
    );
    expect([...registryPackageKeys(spdx)].sort()).toEqual(['lodash@4.17.20', 'minimist@1.2.0']);
    // The first in document order keeps the bom-ref, however deep a later one is nested (and
    // whether it comes before or after in the walk of the tree).
    const nested = readSbom(
      cdx([
        { 'bom-ref': 'x', name: 'a', version: '1.0.0', purl: 'pkg:npm/a@1.0.0' },
        {
          'bom-ref': 'b',
          name: 'b',
          version: '1.0.0',
          purl: 'pkg:npm/b@1.0.0',
          components: [{ 'bom-ref': 'x', name: 'nested', version: '2.0.0', purl: 'pkg:npm/nested@2.0.0' }],
        },
      ]),
      'nested.json',
    );
    expect(nested.packages.get('x')?.name).toBe('a');
    expect(nested.packages.get('x#2')?.name).toBe('nested');
    const deepFirst = readSbom(
      cdx([
        {
          'bom-ref': 'b',
          name: 'b',
          version: '1.0.0',
          purl: 'pkg:npm/b@1.0.0',
          components: [{ 'bom-ref': 'x', name: 'nested', version: '2.0.0', purl: 'pkg:npm/nested@2.0.0' }],
        },
        { 'bom-ref': 'x', name: 'a', version: '1.0.0', purl: 'pkg:npm/a@1.0.0' },
      ]),
      'nested.json',
    );
    expect(deepFirst.packages.get('x')?.name).toBe('nested');
  });

  it('reads npm purls in any case, without a version (taking the version field), and with qualifiers', () => {
    const inventory = readSbom(
      cdx([
        { 'bom-ref': 'a', name: 'lodash', version: '4.17.21', purl: 'pkg:npm/lodash' },
        { 'bom-ref': 'b', name: 'x', version: '1', purl: 'PKG:NPM/node-fetch@2.6.0?vcs_url=git%2Bhttps#sub' },
      ]),
      'purls.json',
    );
    expect([...registryPackageKeys(inventory)].sort()).toEqual(['lodash@4.17.21', 'node-fetch@2.6.0']);
    const spdx = readSbom(
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        packages: [
          {
            SPDXID: 'SPDXRef-a',
            name: 'a',
            externalRefs: [
              { referenceType: 'purl', referenceLocator: { toString: 1 } },
              { referenceType: 'purl', referenceLocator: 'pkg:maven/x/y@1' },
              { referenceType: 'purl', referenceLocator: 'PKG:NPM/node-fetch@2.6.0' },
            ],
          },
        ],
        relationships: [{ spdxElementId: 'SPDXRef-a', relationshipType: { toString: null } }],
      }),
      'odd.spdx.json',
    );
    expect([...registryPackageKeys(spdx)]).toEqual(['node-fetch@2.6.0']);
  });

  it("spells a lower-cased purl's name as the component's name when they differ only in case", () => {
    const inventory = readSbom(
      cdx([
        { 'bom-ref': 'a', name: 'JSONStream', version: '1.3.5', purl: 'pkg:npm/jsonstream@1.3.5' },
        {
          'bom-ref': 'b',
          group: '@Scope',
          name: 'Pkg',
          version: '1.0.0',
          purl: 'pkg:npm/%40scope/pkg@1.0.0',
        },
        // Not the same name, or a purl that keeps its capitals: the purl decides.
        { 'bom-ref': 'c', name: 'other', version: '2.0.0', purl: 'pkg:npm/jsonstream@2.0.0' },
        { 'bom-ref': 'd', name: 'jsonparse', version: '1.0.0', purl: 'pkg:npm/JSONParse@1.0.0' },
      ]),
      'case.json',
    );
    expect([...registryPackageKeys(inventory)].sort()).toEqual([
      '@Scope/Pkg@1.0.0',
      'JSONParse@1.0.0',
      'JSONStream@1.3.5',
      'jsonstream@2.0.0',
    ]);
    const spdx = readSbom(
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        packages: [
          { SPDXID: 'SPDXRef-a', name: 'JSONStream', externalRefs: [purlRef('pkg:npm/jsonstream@1.3.5')] },
        ],
      }),
      'case.spdx.json',
    );
    expect([...registryPackageKeys(spdx)]).toEqual(['JSONStream@1.3.5']);
  });

  it('reads peer edges both ways SPDX writes them', () => {
    const doc = (type: string, a: string, b: string) =>
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        documentDescribes: ['SPDXRef-root'],
        packages: [
          { SPDXID: 'SPDXRef-root', name: 'app' },
          { SPDXID: 'SPDXRef-dev', name: 'tool', externalRefs: [purlRef('pkg:npm/tool@1.0.0')] },
          { SPDXID: 'SPDXRef-peer', name: 'lodash', externalRefs: [purlRef('pkg:npm/lodash@4.17.21')] },
        ],
        relationships: [
          {
            spdxElementId: 'SPDXRef-dev',
            relationshipType: 'DEV_DEPENDENCY_OF',
            relatedSpdxElement: 'SPDXRef-root',
          },
          { spdxElementId: a, relationshipType: type, relatedSpdxElement: b },
        ],
      });
    for (const text of [
      doc('PREREQUISITE_FOR', 'SPDXRef-peer', 'SPDXRef-dev'),
      doc('HAS_PREREQUISITE', 'SPDXRef-dev', 'SPDXRef-peer'),
    ]) {
      const inventory = readSbom(text, 'peer.spdx.json');
      expect(inventory.edges).toContainEqual({
        from: 'SPDXRef-dev',
        to: 'SPDXRef-peer',
        type: 'peer',
        spec: '',
      });
      expect(inventory.packages.get('SPDXRef-peer')?.scope).toBe('dev');
    }
  });

  it('refuses absurdly deep nesting with a clean error, not a stack overflow', () => {
    // Written out by hand: JSON.stringify itself would recurse 20,000 levels deep.
    const depth = 20_000;
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":${'[{"name":"n","components":'.repeat(depth)}[]${'}]'.repeat(depth)}}`;
    expect(() => readSbom(text, 'deep.json')).toThrow(
      expect.objectContaining({
        code: 'SBOM_INVALID',
        message: expect.stringMatching(/nested more than 1000 deep/),
      }),
    );
  });
});
