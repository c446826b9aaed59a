import type { EdgeType, Inventory, InventoryPackage } from '../../core/inventory.js';
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
  targetsOf,
  withContentId,
} from './write-common.js';

/**
 * SPDX 2.3 JSON from an Inventory. Pure, like the CycloneDX writer: a reproducible document has
 * the fixed creation time below and a namespace derived from its content.
 */
export const REPRODUCIBLE_CREATED = '1970-01-01T00:00:00Z';

type Json = Record<string, unknown>;

export interface SpdxRelationship {
  readonly spdxElementId: string;
  readonly relatedSpdxElement: string;
  readonly relationshipType: string;
}

export interface SpdxDocument {
  readonly spdxVersion: 'SPDX-2.3';
  readonly dataLicense: 'CC0-1.0';
  readonly SPDXID: 'SPDXRef-DOCUMENT';
  readonly name: string;
  readonly documentNamespace: string;
  readonly creationInfo: { readonly created: string; readonly creators: readonly string[] };
  readonly documentDescribes: readonly string[];
  readonly packages: readonly Json[];
  readonly relationships: readonly SpdxRelationship[];
}

const NOASSERTION = 'NOASSERTION';

/** SPDX 2.3 `created` is `YYYY-MM-DDThh:mm:ssZ`, without fractions of a second. */
const spdxTime = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, 'Z');

const spdxIdPart = (text: string): string => text.replace(/[^A-Za-z0-9.-]/g, '-');

/** As npm sbom does: `@scope/name@1.0.0` → `SPDXRef-Package-scope.name-1.0.0`; clashes get `-2`, `-3`… */
const assignIds = (root: InventoryPackage, entries: readonly SbomEntry[]): Map<string, string> => {
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  const next = new Map<string, number>();
  const take = (key: string, pkg: InventoryPackage): void => {
    const wanted = `SPDXRef-Package-${spdxIdPart(pkg.name.replace(/^@/, '').replace(/\//g, '.'))}-${spdxIdPart(pkg.version)}`;
    let id = wanted;
    let n = next.get(wanted) ?? 2;
    while (taken.has(id)) id = `${wanted}-${n++}`;
    next.set(wanted, n);
    taken.add(id);
    ids.set(key, id);
  };
  take(ROOT_KEY, root);
  for (const entry of entries) take(entry.key, entry.pkg);
  return ids;
};

const licenseDeclared = (license: string | undefined): string => {
  const choice = classifyLicense(license);
  if (choice?.kind === 'id') return choice.id;
  // A LicenseRef must be defined in the document itself (hasExtractedLicensingInfos); we have no text.
  if (choice?.kind === 'expression' && !choice.hasRef) return choice.expression;
  return NOASSERTION;
};

/** What an SPDX package cannot say itself; the facts PatchPilot writes in its annotation. */
export interface SpdxFacts {
  readonly created: string;
  readonly tool: string;
  /** The workspace's folder, for a workspace. */
  readonly folder?: string | undefined;
}

/**
 * SPDX 2.3 has no field for an npm scope, a package's source or a workspace's folder, and its
 * relationships merge the copies of one name@version: without them `scan --sbom` of the document
 * would read a workspace's dependencies as transitive and some scopes as prod. They go in one
 * annotation per package that needs one, as CycloneDX carries them in properties: lines of
 * `patchpilot:npm:<name>=<value>`, the same names.
 */
const annotationOf = (entry: SbomEntry, facts: SpdxFacts): Json | undefined => {
  const lines: string[] = [];
  if (entry.pkg.source !== 'registry') lines.push(`patchpilot:npm:source=${entry.pkg.source}`);
  // One line per fact: a folder name with a line break in it would read as more facts.
  if (facts.folder !== undefined && !/[\r\n]/.test(facts.folder))
    lines.push(`patchpilot:npm:path=${facts.folder}`);
  if (entry.scope !== 'prod') lines.push(`patchpilot:npm:scope=${entry.scope}`);
  if (lines.length === 0) return undefined;
  return {
    annotationDate: facts.created,
    annotationType: 'OTHER',
    annotator: facts.tool,
    comment: lines.join('\n'),
  };
};

const packageOf = (
  pkg: InventoryPackage,
  id: string,
  purpose: 'APPLICATION' | 'LIBRARY',
  aliases: readonly string[] = [],
  annotation?: Json,
): Json => {
  // Fields are set in the order the document lists them.
  const spdxPackage: Json = {
    name: pkg.name,
    SPDXID: id,
    versionInfo: pkg.version,
    primaryPackagePurpose: purpose,
    downloadLocation: publicUrl(pkg.resolved) ?? NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: licenseDeclared(pkg.license),
    copyrightText: NOASSERTION,
  };
  const hashes = integrityHashes(pkg.integrity);
  if (hashes.length > 0) {
    spdxPackage.checksums = hashes.map((h) => ({ algorithm: h.alg.toUpperCase(), checksumValue: h.hex }));
  }
  if (pkg.purl !== undefined) {
    spdxPackage.externalRefs = [
      { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl },
    ];
  }
  if (aliases.length > 0) spdxPackage.comment = `installed under the alias ${aliases.join(', ')}`;
  if (annotation !== undefined) spdxPackage.annotations = [annotation];
  return spdxPackage;
};

/**
 * One relationship per edge and type. Prod edges read `dependent DEPENDS_ON dependency`; SPDX 2.3
 * has its own types for the others, which read the other way, as npm sbom writes them:
 * `dependency DEV_DEPENDENCY_OF dependent`, `OPTIONAL_DEPENDENCY_OF`, and `PREREQUISITE_FOR` for peers.
 */
const relationshipOf = (from: string, to: string, type: EdgeType): SpdxRelationship => {
  switch (type) {
    case 'dev':
      return { spdxElementId: to, relatedSpdxElement: from, relationshipType: 'DEV_DEPENDENCY_OF' };
    case 'optional':
      return { spdxElementId: to, relatedSpdxElement: from, relationshipType: 'OPTIONAL_DEPENDENCY_OF' };
    case 'peer':
      return { spdxElementId: to, relatedSpdxElement: from, relationshipType: 'PREREQUISITE_FOR' };
    default:
      return { spdxElementId: from, relatedSpdxElement: to, relationshipType: 'DEPENDS_ON' };
  }
};

/** By element, then related element, then type (SPDX ids hold no character below `-`). */
const compareRelationships = (a: SpdxRelationship, b: SpdxRelationship): number =>
  compareText(a.spdxElementId, b.spdxElementId) ||
  compareText(a.relatedSpdxElement, b.relatedSpdxElement) ||
  compareText(a.relationshipType, b.relationshipType);

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const buildSpdx = (inventory: Inventory, options: SbomOptions): SpdxDocument =>
  writeSpdx(inventory, options).document;

/** The document and its text (`serializeSbom`'s form), serialized once. */
export const writeSpdx = (inventory: Inventory, options: SbomOptions): SerializedSbom<SpdxDocument> => {
  const graph = buildSbomGraph(inventory, options.omit);
  const ids = assignIds(graph.root, graph.entries);
  const idOf = (key: string): string => ids.get(key) as string;
  const rootId = idOf(ROOT_KEY);
  const relationships: SpdxRelationship[] = [];
  for (const from of [ROOT_KEY, ...graph.entries.map((e) => e.key)]) {
    for (const [to, types] of targetsOf(graph, from)) {
      for (const type of types) relationships.push(relationshipOf(idOf(from), idOf(to), type));
    }
  }
  relationships.sort(compareRelationships);
  const name = `${graph.root.name}@${graph.root.version}`;
  const created = options.created === undefined ? REPRODUCIBLE_CREATED : spdxTime(options.created);
  const tool = `Tool: patchpilot-${options.toolVersion}`;
  const folders = new Map(inventory.importers.map((i) => [i.id, i.path]));
  const namespace = (uuid: string): string =>
    `https://spdx.org/spdxdocs/${encodeURIComponent(graph.root.name)}-${encodeURIComponent(graph.root.version)}-${uuid}`;
  const document: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name,
    documentNamespace: options.uuid === undefined ? '' : namespace(options.uuid),
    creationInfo: { created, creators: [tool] },
    documentDescribes: [rootId],
    packages: [
      packageOf(graph.root, rootId, 'APPLICATION'),
      ...graph.entries.map((entry) =>
        packageOf(
          entry.pkg,
          idOf(entry.key),
          'LIBRARY',
          entry.aliases,
          annotationOf(entry, {
            created,
            tool,
            folder: entry.pkg.source === 'workspace' ? folders.get(entry.pkg.id) : undefined,
          }),
        ),
      ),
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relatedSpdxElement: rootId, relationshipType: 'DESCRIBES' },
      ...relationships,
    ],
  };
  return options.uuid === undefined
    ? withContentId(document, 'documentNamespace', namespace)
    : { document, text: serializeSbom(document) };
};
