import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inventoryPackage as pkg } from '../../../test/helpers/inventory.js';
import type { Inventory } from '../../core/inventory.js';
import { readSbom } from './read.js';
import { buildSpdx, REPRODUCIBLE_CREATED, writeSpdx } from './spdx.js';
import { type SbomOptions, serializeSbom } from './write-common.js';

const digest = createHash('sha256').update('x').digest();
const inventory: Inventory = {
  root: '/p',
  lockfile: '/p/package-lock.json',
  format: 'npm-v3',
  importers: [{ id: '', name: 'app', path: '' }],
  packages: new Map(
    [
      pkg('', 'app', '1.0.0', { source: 'root' }),
      pkg('node_modules/@s/a', '@s/a', '1.0.0+build_1', {
        integrity: `sha256-${digest.toString('base64')}`,
        resolved: 'https://registry.npmjs.org/@s/a/-/a-1.0.0+build_1.tgz',
        license: 'Apache-2.0 OR MIT',
      }),
      pkg('node_modules/s.a', 's.a', '1.0.0+build_1', { license: 'LicenseRef-custom' }),
      pkg('node_modules/d', 'd', '1.0.0', { scope: 'dev', license: 'mit' }),
      pkg('node_modules/o', 'o', '1.0.0', { scope: 'optional', license: 'Apache 2' }),
      pkg('node_modules/p', 'p', '1.0.0', { scope: 'peer' }),
      pkg('node_modules/x', 'x', '1.0.0', { alias: 'y' }),
      pkg('lib/f', 'f', '0.0.1', { source: 'file', resolved: 'lib/f' }),
    ].map((p) => [p.id, p] as const),
  ),
  edges: [
    { from: '', to: 'node_modules/@s/a', type: 'prod', spec: '^1' },
    { from: '', to: 'node_modules/d', type: 'dev', spec: '^1' },
    { from: '', to: 'lib/f', type: 'prod', spec: 'file:lib/f' },
    { from: 'node_modules/@s/a', to: 'node_modules/o', type: 'optional', spec: '1' },
    { from: 'node_modules/@s/a', to: 'node_modules/p', type: 'peer', spec: '1' },
    { from: 'node_modules/@s/a', to: 'node_modules/x', type: 'prod', spec: 'npm:x@1' },
    { from: 'node_modules/@s/a', to: 'node_modules/x', type: 'prod', spec: 'npm:x@1' },
  ],
};
const options: SbomOptions = { toolVersion: '9.9.9', created: undefined, uuid: undefined };

describe('buildSpdx', () => {
  it('writes the document header, describing the root', () => {
    const doc = buildSpdx(inventory, options);
    expect(doc).toMatchObject({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'app@1.0.0',
      creationInfo: { created: REPRODUCIBLE_CREATED, creators: ['Tool: patchpilot-9.9.9'] },
      documentDescribes: ['SPDXRef-Package-app-1.0.0'],
    });
    expect(doc.documentNamespace).toMatch(/^https:\/\/spdx\.org\/spdxdocs\/app-1\.0\.0-[0-9a-f-]{36}$/);
    expect(doc.relationships[0]).toEqual({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relatedSpdxElement: 'SPDXRef-Package-app-1.0.0',
      relationshipType: 'DESCRIBES',
    });
  });

  it('gives every package a valid, unique SPDXID, checksums in hex and the licence as SPDX allows', () => {
    const doc = buildSpdx(inventory, options);
    const ids = doc.packages.map((p) => p.SPDXID as string);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('SPDXRef-Package-s.a-1.0.0-build-1');
    expect(ids).toContain('SPDXRef-Package-s.a-1.0.0-build-1-2');
    expect(doc.packages.find((p) => p.name === '@s/a')).toEqual({
      name: '@s/a',
      SPDXID: 'SPDXRef-Package-s.a-1.0.0-build-1',
      versionInfo: '1.0.0+build_1',
      primaryPackagePurpose: 'LIBRARY',
      downloadLocation: 'https://registry.npmjs.org/@s/a/-/a-1.0.0+build_1.tgz',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'Apache-2.0 OR MIT',
      copyrightText: 'NOASSERTION',
      checksums: [{ algorithm: 'SHA256', checksumValue: digest.toString('hex') }],
      externalRefs: [
        {
          referenceCategory: 'PACKAGE-MANAGER',
          referenceType: 'purl',
          referenceLocator: 'pkg:npm/%40s/a@1.0.0%2Bbuild_1',
        },
      ],
    });
    const declared = (name: string) => doc.packages.find((p) => p.name === name)?.licenseDeclared;
    expect(declared('s.a')).toBe('NOASSERTION'); // a LicenseRef the document cannot define
    expect(declared('d')).toBe('MIT');
    expect(declared('o')).toBe('NOASSERTION');
    const file = doc.packages.find((p) => p.name === 'f');
    expect(file).toMatchObject({ downloadLocation: 'NOASSERTION' });
    expect(file?.externalRefs).toBeUndefined();
    expect(doc.packages.find((p) => p.name === 'x')?.comment).toBe('installed under the alias y');
  });

  it('writes one relationship per edge and type, in the direction SPDX 2.3 reads each type', () => {
    const doc = buildSpdx(inventory, options);
    const rows = doc.relationships
      .slice(1)
      .map((r) => `${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`);
    expect(rows).toEqual([
      'SPDXRef-Package-app-1.0.0 DEPENDS_ON SPDXRef-Package-f-0.0.1',
      'SPDXRef-Package-app-1.0.0 DEPENDS_ON SPDXRef-Package-s.a-1.0.0-build-1',
      'SPDXRef-Package-d-1.0.0 DEV_DEPENDENCY_OF SPDXRef-Package-app-1.0.0',
      'SPDXRef-Package-o-1.0.0 OPTIONAL_DEPENDENCY_OF SPDXRef-Package-s.a-1.0.0-build-1',
      'SPDXRef-Package-p-1.0.0 PREREQUISITE_FOR SPDXRef-Package-s.a-1.0.0-build-1',
      'SPDXRef-Package-s.a-1.0.0-build-1 DEPENDS_ON SPDXRef-Package-x-1.0.0',
    ]);
  });

  it("annotates what SPDX cannot say (scope, source, a workspace's folder); scan --sbom reads it back", () => {
    const byName = new Map(buildSpdx(inventory, options).packages.map((p) => [p.name as string, p]));
    expect(byName.get('d')?.annotations).toEqual([
      {
        annotationDate: REPRODUCIBLE_CREATED,
        annotationType: 'OTHER',
        annotator: 'Tool: patchpilot-9.9.9',
        comment: 'patchpilot:npm:scope=dev',
      },
    ]);
    expect(byName.get('f')?.annotations).toMatchObject([{ comment: 'patchpilot:npm:source=file' }]);
    expect(byName.get('@s/a')?.annotations).toBeUndefined();

    // A workspace whose dependency is a dev dependency elsewhere, in two copies merged into one.
    const workspaces: Inventory = {
      root: '/w',
      lockfile: '/w/package-lock.json',
      format: 'npm-v3',
      importers: [
        { id: '', name: 'root', path: '' },
        { id: 'packages/app', name: 'app', path: 'packages/app' },
      ],
      packages: new Map(
        [
          pkg('', 'root', '1.0.0', { source: 'root' }),
          pkg('packages/app', 'app', '1.0.0', { source: 'workspace' }),
          pkg('node_modules/app', 'app', '1.0.0', { source: 'link', resolved: 'packages/app' }),
          pkg('node_modules/lodash', 'lodash', '4.17.15'),
          pkg('node_modules/t', 't', '1.0.0', { scope: 'dev' }),
          pkg('node_modules/t/node_modules/lodash', 'lodash', '4.17.15', { scope: 'dev' }),
          pkg('node_modules/o', 'o', '1.0.0', { scope: 'optional' }),
        ].map((p) => [p.id, p] as const),
      ),
      edges: [
        { from: '', to: 'node_modules/app', type: 'prod', spec: '*' },
        { from: '', to: 'node_modules/t', type: 'dev', spec: '*' },
        { from: 'node_modules/app', to: 'packages/app', type: 'prod', spec: '' },
        { from: 'packages/app', to: 'node_modules/lodash', type: 'prod', spec: '*' },
        { from: 'packages/app', to: 'node_modules/o', type: 'prod', spec: '*' },
        { from: 'node_modules/t', to: 'node_modules/t/node_modules/lodash', type: 'prod', spec: '*' },
      ],
    };
    const read = readSbom(writeSpdx(workspaces, options).text, '/w/app.spdx.json');
    expect(read.importers.map((i) => [i.name, i.path])).toEqual([
      ['root', ''],
      ['app', 'packages/app'],
    ]);
    const scopeOf = (name: string) => [...read.packages.values()].find((p) => p.name === name)?.scope;
    expect([scopeOf('lodash'), scopeOf('t'), scopeOf('o')]).toEqual(['prod', 'dev', 'optional']);
    const app = read.importers[1]?.id;
    expect(read.edges.some((e) => e.from === app && read.packages.get(e.to)?.name === 'lodash')).toBe(true);
  });

  it('is reproducible, and writes the creation time in whole seconds when there is one', () => {
    expect(JSON.stringify(buildSpdx(inventory, options))).toBe(JSON.stringify(buildSpdx(inventory, options)));
    const live = buildSpdx(inventory, {
      ...options,
      created: new Date('2026-01-02T03:04:05.678Z'),
      uuid: '00000000-0000-4000-8000-000000000000',
    });
    expect(live.creationInfo.created).toBe('2026-01-02T03:04:05Z');
    expect(live.documentNamespace).toBe(
      'https://spdx.org/spdxdocs/app-1.0.0-00000000-0000-4000-8000-000000000000',
    );
    // The text written is the document, serialized once; without a UUID the namespace ends in
    // one derived from the content, which another inventory does not share.
    for (const given of [options, { ...options, uuid: '00000000-0000-4000-8000-000000000000' }]) {
      const written = writeSpdx(inventory, given);
      expect(written.text).toBe(serializeSbom(written.document));
    }
    const derived = writeSpdx(inventory, options).document.documentNamespace;
    // Pinned: a change here changes every reproducible document; make it on purpose.
    expect(derived).toBe('https://spdx.org/spdxdocs/app-1.0.0-00698d90-7978-521c-a16c-6232a6504302');
    const fewer = { ...inventory, edges: inventory.edges.slice(1) };
    expect(writeSpdx(fewer, options).document.documentNamespace).not.toBe(derived);
  });
});
