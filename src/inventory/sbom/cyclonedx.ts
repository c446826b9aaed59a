import type { Inventory, InventoryPackage, Scope } from '../../core/inventory.js';
import {
  buildSbomGraph,
  classifyLicense,
  integrityHashes,
  publicUrl,
  ROOT_KEY,
  type SbomEntry,
  type SbomOptions,
  type SerializedSbom,
  serializeSbom,
  splitScopedName,
  targetKeysOf,
  withContentId,
} from './write-common.js';

/**
 * CycloneDX 1.6 and 1.5 JSON from an Inventory. Pure: the caller passes the time and the random
 * UUID (or none of them for a reproducible document, whose serial number then comes from its content).
 */
export const cycloneDxSpecVersions = ['1.6', '1.5'] as const;
export type CycloneDxSpecVersion = (typeof cycloneDxSpecVersions)[number];

export interface CycloneDxOptions extends SbomOptions {
  readonly specVersion: CycloneDxSpecVersion;
}

type Json = Record<string, unknown>;

export interface CycloneDxDocument {
  readonly $schema: string;
  readonly bomFormat: 'CycloneDX';
  readonly specVersion: CycloneDxSpecVersion;
  readonly serialNumber: string;
  readonly version: 1;
  readonly metadata: Json;
  readonly components: readonly Json[];
  readonly dependencies: readonly { readonly ref: string; readonly dependsOn: readonly string[] }[];
}

/**
 * The spec's meaning (bom-1.6 `scope`): `required` is called at runtime; `optional` may be absent
 * at runtime (npm's optional dependencies); `excluded` is there for tests and builds only, which is
 * what a dev dependency is. npm sbom writes `optional` for dev and cyclonedx-npm leaves dev packages
 * unscoped (so `required`); both mark them with `cdx:npm:package:development`, and so do we.
 * A peer dependency is installed and called by its dependent, so it is `required`.
 */
const cdxScope: Record<Scope, 'required' | 'optional' | 'excluded'> = {
  prod: 'required',
  peer: 'required',
  optional: 'optional',
  devOptional: 'optional',
  dev: 'excluded',
};

const cdxHashAlg = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' } as const;

const licensesOf = (license: string | undefined): Json[] | undefined => {
  const choice = classifyLicense(license);
  if (choice === undefined) return undefined;
  switch (choice.kind) {
    case 'id':
      return [{ license: { id: choice.id } }];
    case 'expression':
      return [{ expression: choice.expression }];
    default:
      return [{ license: { name: choice.name } }];
  }
};

const property = (name: string, value: string): Json => ({ name, value });

const componentOf = (entry: SbomEntry, ref: string, folders: ReadonlyMap<string, string>): Json => {
  const { pkg } = entry;
  const { group, name } = splitScopedName(pkg.name);
  // Fields are set in the order the document lists them.
  const component: Json = { type: 'library', 'bom-ref': ref };
  if (group !== undefined) component.group = group;
  component.name = name;
  component.version = pkg.version;
  component.scope = cdxScope[entry.scope];
  const hashes = integrityHashes(pkg.integrity);
  if (hashes.length > 0) {
    component.hashes = hashes.map((h) => ({ alg: cdxHashAlg[h.alg], content: h.hex }));
  }
  const licenses = licensesOf(pkg.license);
  if (licenses) component.licenses = licenses;
  if (pkg.purl !== undefined) component.purl = pkg.purl;
  const url = publicUrl(pkg.resolved);
  if (url !== undefined) component.externalReferences = [{ type: 'distribution', url }];
  const properties: Json[] = [];
  if (entry.scope === 'dev' || entry.scope === 'devOptional') {
    properties.push(property('cdx:npm:package:development', 'true'));
  }
  if (entry.bundled) properties.push(property('cdx:npm:package:bundled', 'true'));
  if (pkg.source !== 'registry') properties.push(property('patchpilot:npm:source', pkg.source));
  // The workspace's folder; `scan --sbom` uses it to report findings per workspace.
  const folder = pkg.source === 'workspace' ? folders.get(pkg.id) : undefined;
  if (folder !== undefined) properties.push(property('patchpilot:npm:path', folder));
  if (entry.scope !== 'prod') properties.push(property('patchpilot:npm:scope', entry.scope));
  for (const alias of entry.aliases) properties.push(property('patchpilot:npm:alias', alias));
  if (properties.length > 0) component.properties = properties;
  return component;
};

const rootComponent = (root: InventoryPackage, ref: string): Json => {
  const { group, name } = splitScopedName(root.name);
  const licenses = licensesOf(root.license);
  return {
    type: 'application',
    'bom-ref': ref,
    ...(group === undefined ? {} : { group }),
    name,
    version: root.version,
    ...(licenses ? { licenses } : {}),
  };
};

/**
 * bom-refs: the purl for registry packages (unique once deduplicated by name@version), else
 * `<source>:<name>@<version>`; the root is `<name>@<version>`. A clash gets `#2`, `#3`… in key order.
 */
const assignRefs = (root: InventoryPackage, entries: readonly SbomEntry[]): Map<string, string> => {
  const refs = new Map<string, string>();
  const taken = new Set<string>();
  const next = new Map<string, number>();
  const take = (key: string, wanted: string): void => {
    let ref = wanted;
    if (taken.has(ref)) {
      let n = next.get(wanted) ?? 2;
      while (taken.has(ref)) ref = `${wanted}#${n++}`;
      next.set(wanted, n);
    }
    taken.add(ref);
    refs.set(key, ref);
  };
  take(ROOT_KEY, `${root.name}@${root.version}`);
  for (const entry of entries) {
    const { pkg } = entry;
    take(entry.key, pkg.purl ?? `${pkg.source}:${pkg.name}@${pkg.version}`);
  }
  return refs;
};

export const buildCycloneDx = (inventory: Inventory, options: CycloneDxOptions): CycloneDxDocument =>
  writeCycloneDx(inventory, options).document;

/** The document and its text (`serializeSbom`'s form), serialized once. */
export const writeCycloneDx = (
  inventory: Inventory,
  options: CycloneDxOptions,
): SerializedSbom<CycloneDxDocument> => {
  const graph = buildSbomGraph(inventory, options.omit);
  const refs = assignRefs(graph.root, graph.entries);
  const refOf = (key: string): string => refs.get(key) as string;
  const folders = new Map(inventory.importers.map((i) => [i.id, i.path]));
  // Each key has its own ref, so the refs of a key's targets are distinct.
  const dependencies = [ROOT_KEY, ...graph.entries.map((e) => e.key)].map((key) => ({
    ref: refOf(key),
    dependsOn: targetKeysOf(graph, key).map(refOf).sort(),
  }));
  const document: CycloneDxDocument = {
    $schema: `http://cyclonedx.org/schema/bom-${options.specVersion}.schema.json`,
    bomFormat: 'CycloneDX',
    specVersion: options.specVersion,
    serialNumber: options.uuid === undefined ? '' : `urn:uuid:${options.uuid}`,
    version: 1,
    metadata: {
      ...(options.created === undefined ? {} : { timestamp: options.created.toISOString() }),
      // Read from a lockfile, before anything is installed or built.
      lifecycles: [{ phase: 'pre-build' }],
      tools: { components: [{ type: 'application', name: 'patchpilot', version: options.toolVersion }] },
      component: rootComponent(graph.root, refOf(ROOT_KEY)),
    },
    components: graph.entries.map((entry) => componentOf(entry, refOf(entry.key), folders)),
    dependencies,
  };
  return options.uuid === undefined
    ? withContentId(document, 'serialNumber', (uuid) => `urn:uuid:${uuid}`)
    : { document, text: serializeSbom(document) };
};
