import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Ajv from 'ajv';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { inventoryPackage as pkg } from '../../../test/helpers/inventory.js';
import type { Inventory, InventoryEdge } from '../../core/inventory.js';
import { buildCycloneDx, type CycloneDxOptions, writeCycloneDx } from './cyclonedx.js';
import { serializeSbom } from './write-common.js';

const sha512 = (text: string) => createHash('sha512').update(text).digest();

const packages = [
  pkg('node_modules/@scope/lib', '@scope/lib', '1.2.3', {
    integrity: `sha512-${sha512('lib').toString('base64')}`,
    resolved: 'https://registry.npmjs.org/@scope/lib/-/lib-1.2.3.tgz',
    license: 'MIT',
  }),
  pkg('node_modules/dev-tool', 'dev-tool', '1.0.0', { scope: 'dev', license: '(MIT OR Apache-2.0)' }),
  pkg('node_modules/opt', 'opt', '1.0.0', { scope: 'optional', license: 'SEE LICENSE IN LICENSE' }),
  pkg('node_modules/both', 'both', '1.0.0', { scope: 'devOptional', bundled: true }),
  pkg('node_modules/peer', 'peer', '1.0.0', { scope: 'peer' }),
  pkg('node_modules/alias', 'real', '2.0.0', { alias: 'alias' }),
  pkg('node_modules/@scope/lib/node_modules/real', 'real', '2.0.0'),
  pkg('node_modules/g1', 'g', '1.0.0', { source: 'git', resolved: 'git+https://github.com/o/g.git#1' }),
  pkg('node_modules/g2', 'g', '1.0.0', { source: 'git', resolved: 'git+https://github.com/o/g.git#2' }),
  pkg('packages/w', 'w', '0.1.0', { source: 'workspace' }),
];
const edges: InventoryEdge[] = [
  { from: '', to: 'node_modules/@scope/lib', type: 'prod', spec: '^1' },
  { from: '', to: 'node_modules/dev-tool', type: 'dev', spec: '^1' },
  { from: '', to: 'node_modules/alias', type: 'prod', spec: 'npm:real@2' },
  {
    from: 'node_modules/@scope/lib',
    to: 'node_modules/@scope/lib/node_modules/real',
    type: 'prod',
    spec: '2',
  },
  { from: 'node_modules/@scope/lib', to: 'node_modules/opt', type: 'optional', spec: '1' },
  { from: 'node_modules/@scope/lib', to: 'node_modules/peer', type: 'peer', spec: '1' },
  { from: 'packages/w', to: 'node_modules/g1', type: 'prod', spec: 'github:o/g#1' },
  { from: 'packages/w', to: 'node_modules/g2', type: 'prod', spec: 'github:o/g#2' },
];
const inventory: Inventory = {
  root: '/p',
  lockfile: '/p/package-lock.json',
  format: 'npm-v3',
  importers: [
    { id: '', name: '@acme/app', path: '' },
    { id: 'packages/w', name: 'w', path: 'packages/w' },
  ],
  packages: new Map(
    [pkg('', '@acme/app', '3.0.0', { source: 'root', license: 'ISC' }), ...packages].map(
      (p) => [p.id, p] as const,
    ),
  ),
  edges,
};

const options: CycloneDxOptions = {
  specVersion: '1.6',
  toolVersion: '9.9.9',
  created: undefined,
  uuid: undefined,
};

const validator = (version: '1.5' | '1.6') => {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
  const read = (name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  ajvFormats.default(ajv);
  ajv.addFormat('iri-reference', true).addFormat('idn-email', true);
  for (const name of ['spdx', 'jsf-0.82']) {
    ajv.addSchema({
      ...read(`${name}.SNAPSHOT.schema.json`),
      $id: `http://cyclonedx.org/schema/${name}.SNAPSHOT.schema.json`,
    });
  }
  return ajv.compile(read(`bom-${version}.SNAPSHOT.schema.json`));
};

type Component = Record<string, unknown> & { 'bom-ref': string; name: string };
const byRef = (doc: ReturnType<typeof buildCycloneDx>, ref: string) =>
  (doc.components as Component[]).find((c) => c['bom-ref'] === ref);

describe('buildCycloneDx', () => {
  it.each(['1.6', '1.5'] as const)('writes a document the CycloneDX %s schema accepts', (specVersion) => {
    const doc = buildCycloneDx(inventory, { ...options, specVersion });
    const validate = validator(specVersion);
    expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(doc.specVersion).toBe(specVersion);
    expect(doc.$schema).toBe(`http://cyclonedx.org/schema/bom-${specVersion}.schema.json`);
  });

  it('describes a registry package: group and name, purl as bom-ref, hex hash, licence, distribution', () => {
    const doc = buildCycloneDx(inventory, options);
    expect(byRef(doc, 'pkg:npm/%40scope/lib@1.2.3')).toEqual({
      type: 'library',
      'bom-ref': 'pkg:npm/%40scope/lib@1.2.3',
      group: '@scope',
      name: 'lib',
      version: '1.2.3',
      scope: 'required',
      hashes: [{ alg: 'SHA-512', content: sha512('lib').toString('hex') }],
      licenses: [{ license: { id: 'MIT' } }],
      purl: 'pkg:npm/%40scope/lib@1.2.3',
      externalReferences: [
        { type: 'distribution', url: 'https://registry.npmjs.org/@scope/lib/-/lib-1.2.3.tgz' },
      ],
    });
  });

  it('maps scopes by the spec meaning and marks dev packages as cyclonedx-npm does', () => {
    const doc = buildCycloneDx(inventory, options);
    const summary = (ref: string) => {
      const c = byRef(doc, ref) as unknown as {
        scope: string;
        properties?: { name: string; value: string }[];
      };
      return [c.scope, (c.properties ?? []).map((p) => `${p.name}=${p.value}`)];
    };
    expect(summary('pkg:npm/dev-tool@1.0.0')).toEqual([
      'excluded',
      ['cdx:npm:package:development=true', 'patchpilot:npm:scope=dev'],
    ]);
    expect(summary('pkg:npm/opt@1.0.0')).toEqual(['optional', ['patchpilot:npm:scope=optional']]);
    expect(summary('pkg:npm/both@1.0.0')).toEqual([
      'optional',
      [
        'cdx:npm:package:development=true',
        'cdx:npm:package:bundled=true',
        'patchpilot:npm:scope=devOptional',
      ],
    ]);
    expect(summary('pkg:npm/peer@1.0.0')).toEqual(['required', ['patchpilot:npm:scope=peer']]);
    expect(summary('pkg:npm/real@2.0.0')).toEqual(['required', ['patchpilot:npm:alias=alias']]);
  });

  it('writes licences as an id, an expression or a name', () => {
    const doc = buildCycloneDx(inventory, options);
    expect(byRef(doc, 'pkg:npm/dev-tool@1.0.0')?.licenses).toEqual([{ expression: '(MIT OR Apache-2.0)' }]);
    expect(byRef(doc, 'pkg:npm/opt@1.0.0')?.licenses).toEqual([
      { license: { name: 'SEE LICENSE IN LICENSE' } },
    ]);
    expect(byRef(doc, 'pkg:npm/peer@1.0.0')?.licenses).toBeUndefined();
  });

  it('lists each package once, with unique bom-refs, workspaces included', () => {
    const doc = buildCycloneDx(inventory, options);
    expect((doc.components as Component[]).map((c) => c['bom-ref'])).toEqual([
      'pkg:npm/%40scope/lib@1.2.3',
      'pkg:npm/both@1.0.0',
      'pkg:npm/dev-tool@1.0.0',
      'git:g@1.0.0',
      'git:g@1.0.0#2',
      'pkg:npm/opt@1.0.0',
      'pkg:npm/peer@1.0.0',
      'pkg:npm/real@2.0.0',
      'workspace:w@0.1.0',
    ]);
    expect(byRef(doc, 'git:g@1.0.0#2')?.purl).toBeUndefined();
    expect(byRef(doc, 'git:g@1.0.0#2')).toMatchObject({
      externalReferences: [{ type: 'distribution', url: 'git+https://github.com/o/g.git#2' }],
    });
    expect(doc.metadata.component).toEqual({
      type: 'application',
      'bom-ref': '@acme/app@3.0.0',
      group: '@acme',
      name: 'app',
      version: '3.0.0',
      licenses: [{ license: { id: 'ISC' } }],
    });
  });

  it('writes the graph: one entry per component and the root, targets deduplicated and sorted', () => {
    const doc = buildCycloneDx(inventory, options);
    expect(doc.dependencies.map((d) => d.ref).sort()).toEqual(
      ['@acme/app@3.0.0', ...(doc.components as Component[]).map((c) => c['bom-ref'])].sort(),
    );
    const of = (ref: string) => doc.dependencies.find((d) => d.ref === ref)?.dependsOn;
    expect(of('@acme/app@3.0.0')).toEqual([
      'pkg:npm/%40scope/lib@1.2.3',
      'pkg:npm/dev-tool@1.0.0',
      'pkg:npm/real@2.0.0',
      'workspace:w@0.1.0',
    ]);
    expect(of('pkg:npm/%40scope/lib@1.2.3')).toEqual([
      'pkg:npm/opt@1.0.0',
      'pkg:npm/peer@1.0.0',
      'pkg:npm/real@2.0.0',
    ]);
    expect(of('workspace:w@0.1.0')).toEqual(['git:g@1.0.0', 'git:g@1.0.0#2']);
    expect(of('pkg:npm/real@2.0.0')).toEqual([]);
  });

  it('is reproducible without time and UUID, and uses them when given', () => {
    const a = serializeSbom(buildCycloneDx(inventory, options));
    expect(serializeSbom(buildCycloneDx(inventory, options))).toBe(a);
    expect(a).not.toContain('timestamp');
    const reordered: Inventory = { ...inventory, packages: new Map([...inventory.packages].reverse()) };
    expect(serializeSbom(buildCycloneDx(reordered, options))).toBe(a);
    const other = buildCycloneDx({ ...inventory, edges: edges.slice(1) }, options);
    expect(other.serialNumber).not.toBe(JSON.parse(a).serialNumber);
    const live = buildCycloneDx(inventory, {
      ...options,
      created: new Date('2026-01-02T03:04:05.678Z'),
      uuid: '00000000-0000-4000-8000-000000000000',
    });
    expect(live.serialNumber).toBe('urn:uuid:00000000-0000-4000-8000-000000000000');
    // The text written is the document, serialized once, derived serial number included.
    for (const given of [options, { ...options, uuid: '00000000-0000-4000-8000-000000000000' }]) {
      const written = writeCycloneDx(inventory, given);
      expect(written.text).toBe(serializeSbom(written.document));
    }
    // Pinned: a change here changes every reproducible document; make it on purpose.
    expect(writeCycloneDx(inventory, options).document.serialNumber).toBe(
      'urn:uuid:938e9c2f-6ad9-553a-b5cc-53be24ad7be4',
    );
    expect(live.metadata.timestamp).toBe('2026-01-02T03:04:05.678Z');
    expect(live.metadata.tools).toEqual({
      components: [{ type: 'application', name: 'patchpilot', version: '9.9.9' }],
    });
  });

  it('--omit dev leaves dev packages and dev edges out', () => {
    const doc = buildCycloneDx(inventory, { ...options, omit: new Set(['dev']) });
    expect(byRef(doc, 'pkg:npm/dev-tool@1.0.0')).toBeUndefined();
    expect(byRef(doc, 'pkg:npm/both@1.0.0')).toBeDefined();
    expect(doc.dependencies.find((d) => d.ref === '@acme/app@3.0.0')?.dependsOn).not.toContain(
      'pkg:npm/dev-tool@1.0.0',
    );
  });
});
