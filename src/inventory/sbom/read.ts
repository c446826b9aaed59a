import { basename, dirname } from 'node:path';
import { PatchPilotError } from '../../core/errors.js';
import type {
  EdgeType,
  Importer,
  Inventory,
  InventoryEdge,
  InventoryPackage,
  Scope,
  SourceKind,
} from '../../core/inventory.js';
import { npmPurl, parseNpmPurl } from '../../core/purl.js';
import { isStrictVersion } from '../../core/version.js';
import { parseJsonDocument } from '../json.js';
import { computeScopes } from '../scopes.js';

/**
 * An SBOM produced elsewhere (`npm sbom`, cdxgen, syft, cyclonedx-npm, or PatchPilot itself) read
 * as an Inventory: CycloneDX JSON (any 1.x) or SPDX 2.x JSON. Only npm components (`pkg:npm/`
 * purls) become registry packages; the name and version come from the purl, which is what the
 * document promises about a component, not from its display fields.
 */

const invalid = (path: string, message: string): PatchPilotError =>
  new PatchPilotError('SBOM_INVALID', `${path}: ${message}`, {
    hint: 'pass a CycloneDX or SPDX JSON document (for example from `npm sbom` or `patchpilot sbom`)',
  });

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOr = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** SBOM hash algorithms as SRI prefixes; hex digests are re-encoded as base64. */
const sriAlgorithms: Readonly<Record<string, string>> = {
  'SHA-512': 'sha512',
  SHA512: 'sha512',
  'SHA-384': 'sha384',
  SHA384: 'sha384',
  'SHA-256': 'sha256',
  SHA256: 'sha256',
  'SHA-1': 'sha1',
  SHA1: 'sha1',
};
const sriOrder = ['sha512', 'sha384', 'sha256', 'sha1'];

/** The strongest hash as an SRI string (`sha512-<base64>`), or undefined. */
const integrityOf = (hashes: readonly { alg: string; hex: string }[]): string | undefined => {
  let best: { rank: number; value: string } | undefined;
  for (const { alg, hex } of hashes) {
    const sri = sriAlgorithms[alg.toUpperCase()];
    if (sri === undefined || !/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2 !== 0) continue;
    const rank = sriOrder.indexOf(sri);
    if (best === undefined || rank < best.rank) {
      best = { rank, value: `${sri}-${Buffer.from(hex, 'hex').toString('base64')}` };
    }
  }
  return best?.value;
};

/** How deep CycloneDX components may nest; real documents use two or three levels. */
const maxNesting = 1000;

/** Ids for the inventory: the document's own when free, suffixed `#2`, `#3`… when taken. */
class UniqueIds {
  private readonly taken = new Set<string>();
  private readonly next = new Map<string, number>();

  claim(wanted: string): string {
    if (!this.taken.has(wanted)) {
      this.taken.add(wanted);
      return wanted;
    }
    let n = this.next.get(wanted) ?? 2;
    while (this.taken.has(`${wanted}#${n}`)) n++;
    this.next.set(wanted, n + 1);
    const id = `${wanted}#${n}`;
    this.taken.add(id);
    return id;
  }
}

/** What a document leaves unmatched or unclear, said rather than passed over in silence. */
interface Gaps {
  /** npm package URLs (`pkg:npm/…`) that cannot be read, or name no version. */
  readonly unreadable: string[];
  /** Components with no package URL at all (`name@version`). */
  readonly unnamed: string[];
  /** bom-refs or SPDXIDs given to more than one component. */
  readonly repeated: string[];
}

interface Draft {
  readonly id: string;
  readonly purl: string | undefined;
  readonly displayName: string;
  readonly displayVersion: string;
  readonly integrity: string | undefined;
  readonly resolved: string | undefined;
  readonly license: string | undefined;
  /** Scope the document states outright, if any. */
  readonly statedScope: Scope | undefined;
  /** Where the package comes from when the document says it is not the registry (our own SBOMs do). */
  readonly statedSource?: SourceKind | undefined;
  readonly workspacePath?: string | undefined;
}

/**
 * The npm package a purl names. A purl without a version (`pkg:npm/lodash`, which the purl spec
 * allows) takes the component's own version field.
 */
const npmOf = (purl: string | undefined, version: string): { name: string; version: string } | undefined => {
  if (purl === undefined) return undefined;
  const parsed = parseNpmPurl(purl);
  if (parsed || version === '') return parsed;
  const cut = purl.search(/[?#]/);
  const [path, rest] = cut === -1 ? [purl, ''] : [purl.slice(0, cut), purl.slice(cut)];
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last.includes('@') ? undefined : parseNpmPurl(`${path}@${encodeURIComponent(version)}${rest}`);
};

/**
 * The package's name: the purl's, spelt as the component's name when the purl is that name
 * lower-cased. The purl spec lower-cases npm names, but npm's are case-sensitive and a few old
 * ones are not lower-case (`JSONStream`, which is another package than `jsonstream`): the name
 * field keeps the spelling the advisories use.
 */
const nameOf = (purlName: string, displayName: string): string =>
  purlName !== displayName && purlName === purlName.toLowerCase() && displayName.toLowerCase() === purlName
    ? displayName
    : purlName;

const toPackage = (draft: Draft): InventoryPackage => {
  const parsed = npmOf(draft.purl, draft.displayVersion);
  // A range (`pkg:npm/lodash@%5E4.17.15`) names no installed version to match.
  const npm =
    parsed && isStrictVersion(parsed.version)
      ? { ...parsed, name: nameOf(parsed.name, draft.displayName) }
      : undefined;
  const registry = draft.statedSource === undefined || draft.statedSource === 'registry';
  return {
    id: draft.id,
    name: npm?.name ?? draft.displayName,
    version: npm?.version ?? draft.displayVersion,
    purl: npm && registry ? npmPurl(npm.name, npm.version) : undefined,
    integrity: draft.integrity,
    resolved: draft.resolved,
    source: draft.statedSource ?? (npm ? 'registry' : 'file'),
    scope: draft.statedScope ?? 'prod',
    bundled: false,
    alias: undefined,
    license: draft.license,
  };
};

/** Puts the scopes together: stated ones win; the others come from the graph when there is one. */
const finish = (
  path: string,
  format: string,
  rootDraft: { id: string; name: string; version: string },
  drafts: readonly Draft[],
  edges: InventoryEdge[],
  gaps: Gaps,
): Inventory => {
  const importers: Importer[] = [{ id: rootDraft.id, name: rootDraft.name, path: '' }];
  for (const draft of drafts) {
    if (draft.statedSource === 'workspace') {
      importers.push({ id: draft.id, name: draft.displayName, path: draft.workspacePath ?? draft.id });
    }
  }
  const packages = new Map<string, InventoryPackage>();
  packages.set(rootDraft.id, {
    id: rootDraft.id,
    name: rootDraft.name,
    version: rootDraft.version,
    purl: undefined,
    integrity: undefined,
    resolved: undefined,
    source: 'root',
    scope: 'prod',
    bundled: false,
    alias: undefined,
    license: undefined,
  });
  const fromRoot = edges.some((e) => e.from === rootDraft.id);
  // CycloneDX edges carry no kind: the root's edge to a component stated dev or optional is one.
  const stated = new Map(drafts.map((d) => [d.id, d.statedScope]));
  for (const [i, edge] of edges.entries()) {
    const scope = edge.from === rootDraft.id && edge.type === 'prod' ? stated.get(edge.to) : undefined;
    if (scope === 'dev' || scope === 'optional') edges[i] = { ...edge, type: scope };
  }
  const derived = fromRoot
    ? computeScopes(
        drafts.map((d) => d.id),
        importers,
        edges,
      ).scopes
    : new Map<string, Scope>();
  for (const draft of drafts) {
    if (draft.id === rootDraft.id) continue;
    const pkg = toPackage(draft);
    // An npm purl that cannot be read is no package to match: said, never dropped in silence.
    if (
      pkg.source !== 'registry' &&
      draft.statedSource === undefined &&
      /^pkg:npm\//i.test(draft.purl ?? '')
    ) {
      gaps.unreadable.push(draft.purl as string);
    } else if (draft.purl === undefined && draft.statedSource === undefined) {
      gaps.unnamed.push(`${draft.displayName || '(no name)'}@${draft.displayVersion || '(no version)'}`);
    }
    packages.set(draft.id, { ...pkg, scope: draft.statedScope ?? derived.get(draft.id) ?? 'prod' });
  }
  // Without a graph from the root every npm component is reported as a direct dependency.
  if (!fromRoot) {
    for (const draft of drafts) {
      if (draft.id !== rootDraft.id) edges.push({ from: rootDraft.id, to: draft.id, type: 'prod', spec: '' });
    }
  }
  const known = (id: string): boolean => packages.has(id);
  return {
    root: dirname(path),
    lockfile: path,
    format,
    importers,
    packages,
    edges: edges.filter((e) => known(e.from) && known(e.to) && e.from !== e.to),
  };
};

const scopes: readonly string[] = ['prod', 'dev', 'optional', 'devOptional', 'peer'];
const sources: readonly string[] = ['registry', 'workspace', 'file', 'link', 'git', 'tarball'];

const propertyOf = (component: Json, name: string): string | undefined => {
  const properties = Array.isArray(component.properties) ? component.properties.filter(isObject) : [];
  return stringOr(properties.find((p) => p.name === name)?.value);
};

const cyclonedxScope = (component: Json): Scope | undefined => {
  // PatchPilot's own SBOMs say the exact npm scope.
  const own = propertyOf(component, 'patchpilot:npm:scope');
  if (own !== undefined && scopes.includes(own)) return own as Scope;
  const properties = Array.isArray(component.properties) ? component.properties.filter(isObject) : [];
  // cyclonedx-npm and cdxgen mark development dependencies with a property.
  const dev = properties.some(
    (p) =>
      (p.name === 'cdx:npm:package:development' || p.name === 'cdx:pnpm:scope') &&
      (p.value === 'true' || p.value === 'dev' || p.value === 'development'),
  );
  if (dev) return 'dev';
  if (component.scope === 'excluded') return 'dev';
  if (component.scope === 'optional') return 'optional';
  if (component.scope === 'required') return 'prod';
  return undefined;
};

const statedSource = (component: Json): SourceKind | undefined => {
  const own = propertyOf(component, 'patchpilot:npm:source');
  if (own !== undefined && sources.includes(own)) return own as SourceKind;
  // npm refuses to publish a package.json marked private, so a component npm sbom or cyclonedx-npm
  // marks private is one of the project's own folders (a workspace, a local dependency), never the
  // registry package of that name: matching it against that package's advisories would be a false
  // finding.
  if (propertyOf(component, 'cdx:npm:package:private') === 'true') return 'file';
  return undefined;
};

const cyclonedxDraft = (component: Json, id: string): Draft => {
  const hashes = Array.isArray(component.hashes)
    ? component.hashes
        .filter(isObject)
        .map((h) => ({ alg: stringOr(h.alg) ?? '', hex: stringOr(h.content) ?? '' }))
    : [];
  const refs = Array.isArray(component.externalReferences)
    ? component.externalReferences.filter(isObject)
    : [];
  const group = stringOr(component.group);
  const licenses = Array.isArray(component.licenses) ? component.licenses.filter(isObject) : [];
  const first = licenses[0];
  const license =
    stringOr(first?.expression) ??
    (isObject(first?.license) ? (stringOr(first.license.id) ?? stringOr(first.license.name)) : undefined);
  return {
    id,
    purl: stringOr(component.purl),
    displayName: group ? `${group}/${stringOr(component.name) ?? ''}` : (stringOr(component.name) ?? ''),
    displayVersion: stringOr(component.version) ?? '',
    integrity: integrityOf(hashes),
    resolved: stringOr(refs.find((r) => r.type === 'distribution')?.url),
    license,
    statedScope: cyclonedxScope(component),
    statedSource: statedSource(component),
    workspacePath: propertyOf(component, 'patchpilot:npm:path'),
  };
};

const readCycloneDx = (doc: Json, path: string, gaps: Gaps): Inventory => {
  const specVersion = stringOr(doc.specVersion);
  if (specVersion === undefined || !/^1\.\d+$/.test(specVersion)) {
    throw invalid(path, `unsupported CycloneDX specVersion ${JSON.stringify(doc.specVersion ?? null)}`);
  }
  if (doc.components !== undefined && !Array.isArray(doc.components)) {
    throw invalid(path, '`components` is not an array');
  }
  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  const rootComponent = isObject(metadata.component) ? metadata.component : undefined;
  const rootRef = stringOr(rootComponent?.['bom-ref']) ?? '';
  const drafts: Draft[] = [];
  const ids = new UniqueIds();
  ids.claim(rootRef);
  // The first top-level component with the root's bom-ref, in document order (a root without a
  // bom-ref is never listed again: no component is taken for it).
  const rootCopy =
    rootRef === '' || !Array.isArray(doc.components)
      ? undefined
      : (doc.components as unknown[]).find((c) => isObject(c) && c['bom-ref'] === rootRef);
  // Depth-first in document order (each component before its children, which come before its
  // next sibling), with an explicit stack: nesting depth is the document's to choose, not ours.
  // A bom-ref given twice (the spec forbids it) or a component without one still counts, since
  // dropping it would hide its findings; edges name the first component of a bom-ref, which keeps it.
  const stack: { item: unknown; where: string; depth: number }[] = [];
  const pushList = (list: unknown, where: string, depth: number): void => {
    if (!Array.isArray(list)) return;
    if (depth > maxNesting) throw invalid(path, `${where}: components nested more than ${maxNesting} deep`);
    for (let index = list.length - 1; index >= 0; index--)
      stack.push({ item: list[index], where: `${where}[${index}]`, depth });
  };
  pushList(doc.components, 'components', 0);
  while (stack.length > 0) {
    const { item: component, where, depth } = stack.pop() as (typeof stack)[number];
    if (!isObject(component)) throw invalid(path, `${where} is not an object`);
    // The root listed again among the components is the root, once; any other component with
    // its bom-ref is kept under a suffixed id, as for any repeated bom-ref.
    if (component !== rootCopy) {
      const declared = stringOr(component['bom-ref']);
      const id = ids.claim(declared ?? where);
      if (declared !== undefined && id !== declared) gaps.repeated.push(declared);
      drafts.push(cyclonedxDraft(component, id));
    }
    pushList(component.components, `${where}.components`, depth + 1);
  }

  const edges: InventoryEdge[] = [];
  if (doc.dependencies !== undefined && !Array.isArray(doc.dependencies)) {
    throw invalid(path, '`dependencies` is not an array');
  }
  for (const dependency of Array.isArray(doc.dependencies) ? doc.dependencies : []) {
    if (!isObject(dependency) || typeof dependency.ref !== 'string') continue;
    const from = dependency.ref;
    for (const to of Array.isArray(dependency.dependsOn) ? dependency.dependsOn : []) {
      if (typeof to === 'string') edges.push({ from, to, type: 'prod', spec: '' });
    }
  }
  const root = {
    id: rootRef,
    name: stringOr(rootComponent?.name) || basename(path),
    version: stringOr(rootComponent?.version) ?? '',
  };
  return finish(path, `cyclonedx-${specVersion}`, root, drafts, edges, gaps);
};

/**
 * The `patchpilot:npm:<name>=<value>` lines of a package's annotations (PatchPilot's own SPDX
 * documents carry there what CycloneDX carries in properties: scope, source, workspace folder).
 */
const spdxFacts = (pkg: Json): Map<string, string> => {
  const facts = new Map<string, string>();
  const annotations = Array.isArray(pkg.annotations) ? pkg.annotations.filter(isObject) : [];
  for (const annotation of annotations) {
    const comment = stringOr(annotation.comment);
    if (comment === undefined) continue;
    for (const line of comment.split('\n')) {
      const match = /^patchpilot:npm:([a-z]+)=(.*)$/.exec(line);
      if (match && !facts.has(match[1] as string)) facts.set(match[1] as string, match[2] as string);
    }
  }
  return facts;
};

/** SPDX relationship types that stand for a dependency edge, as `dependent → dependency`. */
const spdxEdge = (type: string): { reverse: boolean; edge: EdgeType } | undefined => {
  switch (type) {
    case 'DEPENDS_ON':
      return { reverse: false, edge: 'prod' };
    case 'DEPENDENCY_OF':
    case 'RUNTIME_DEPENDENCY_OF':
      return { reverse: true, edge: 'prod' };
    case 'DEV_DEPENDENCY_OF':
    case 'TEST_DEPENDENCY_OF':
    case 'BUILD_DEPENDENCY_OF':
      return { reverse: true, edge: 'dev' };
    case 'OPTIONAL_DEPENDENCY_OF':
      return { reverse: true, edge: 'optional' };
    case 'HAS_PREREQUISITE':
      return { reverse: false, edge: 'peer' };
    case 'PREREQUISITE_FOR':
      return { reverse: true, edge: 'peer' };
    default:
      return undefined;
  }
};

/** The package's purl: the first an npm package can be read from, else the first given (of any type). */
const spdxPurl = (pkg: Json): string | undefined => {
  const locators = (Array.isArray(pkg.externalRefs) ? pkg.externalRefs.filter(isObject) : [])
    .filter((r) => r.referenceType === 'purl')
    .map((r) => stringOr(r.referenceLocator))
    .filter((locator): locator is string => locator !== undefined);
  return (
    locators.find((locator) => npmOf(locator, stringOr(pkg.versionInfo) ?? '') !== undefined) ?? locators[0]
  );
};

const readSpdx = (doc: Json, path: string, gaps: Gaps): Inventory => {
  const version = stringOr(doc.spdxVersion) as string;
  if (!/^SPDX-2\.\d+$/.test(version)) {
    throw invalid(path, `unsupported spdxVersion ${JSON.stringify(version)} (SPDX 2.x JSON is read)`);
  }
  if (doc.packages !== undefined && !Array.isArray(doc.packages)) {
    throw invalid(path, '`packages` is not an array');
  }
  const list = (Array.isArray(doc.packages) ? doc.packages : []).map((pkg, index) => {
    if (!isObject(pkg)) throw invalid(path, `packages[${index}] is not an object`);
    return pkg;
  });
  const relationships = Array.isArray(doc.relationships) ? doc.relationships.filter(isObject) : [];
  const describes = new Set<string>(
    (Array.isArray(doc.documentDescribes) ? doc.documentDescribes : []).filter(
      (d): d is string => typeof d === 'string',
    ),
  );
  for (const r of relationships) {
    if (r.relationshipType === 'DESCRIBES' && r.spdxElementId === 'SPDXRef-DOCUMENT') {
      const target = stringOr(r.relatedSpdxElement);
      if (target) describes.add(target);
    }
  }
  // One described package is the project; a document that describes several has no one project:
  // the document stands for it, and each package it describes is matched as a dependency of it.
  const several = describes.size > 1;
  const rootId = several ? 'SPDXRef-DOCUMENT' : ([...describes][0] ?? 'SPDXRef-DOCUMENT');
  const rootPkg = several ? undefined : list.find((p) => p.SPDXID === rootId);
  const drafts: Draft[] = [];
  const ids = new UniqueIds();
  let rootSeen = false;
  for (const [index, pkg] of list.entries()) {
    const declared = stringOr(pkg.SPDXID);
    // The described package is the root once; any other package, even one repeating an SPDXID,
    // is kept (under a suffixed id) so that none of its findings are hidden.
    if (declared === rootId && !rootSeen) {
      rootSeen = true;
      continue;
    }
    const id = ids.claim(declared ?? `packages[${index}]`);
    if (declared !== undefined && id !== declared) gaps.repeated.push(declared);
    const purl = spdxPurl(pkg);
    const checksums = Array.isArray(pkg.checksums) ? pkg.checksums.filter(isObject) : [];
    const download = stringOr(pkg.downloadLocation);
    const licence = stringOr(pkg.licenseDeclared);
    const facts = spdxFacts(pkg);
    const scope = facts.get('scope');
    const source = facts.get('source');
    drafts.push({
      id,
      purl,
      displayName: stringOr(pkg.name) ?? '',
      displayVersion: stringOr(pkg.versionInfo) ?? '',
      integrity: integrityOf(
        checksums.map((c) => ({ alg: stringOr(c.algorithm) ?? '', hex: stringOr(c.checksumValue) ?? '' })),
      ),
      resolved: download && download !== 'NOASSERTION' && download !== 'NONE' ? download : undefined,
      license: licence && licence !== 'NOASSERTION' && licence !== 'NONE' ? licence : undefined,
      statedScope: scope !== undefined && scopes.includes(scope) ? (scope as Scope) : undefined,
      statedSource: source !== undefined && sources.includes(source) ? (source as SourceKind) : undefined,
      workspacePath: facts.get('path'),
    });
  }
  const edges: InventoryEdge[] = [];
  for (const r of relationships) {
    const kind = typeof r.relationshipType === 'string' ? spdxEdge(r.relationshipType) : undefined;
    const a = stringOr(r.spdxElementId);
    const b = stringOr(r.relatedSpdxElement);
    if (!kind || a === undefined || b === undefined) continue;
    const [from, to] = kind.reverse ? [b, a] : [a, b];
    edges.push({ from, to, type: kind.edge, spec: '' });
  }
  if (several) {
    for (const id of describes) edges.push({ from: rootId, to: id, type: 'prod', spec: '' });
  }
  const root = {
    id: rootId,
    name: stringOr(rootPkg?.name) || stringOr(doc.name) || basename(path),
    version: stringOr(rootPkg?.versionInfo) ?? '',
  };
  return finish(path, `spdx-${version.slice('SPDX-'.length)}`, root, drafts, edges, gaps);
};

/**
 * Reads a CycloneDX or SPDX JSON document into an Inventory. `onWarning` is told, in a sentence
 * each, what the document leaves unmatched or unclear: npm package URLs that cannot be read or
 * name no version, components without a package URL, identifiers given twice (edges name the
 * first component of one, so the others' paths and scopes may be wrong).
 */
export const readSbom = (content: string, path: string, onWarning?: (message: string) => void): Inventory => {
  const doc = parseJsonDocument(content, path, 'SBOM_INVALID');
  if (!isObject(doc)) throw invalid(path, 'not a JSON object');
  const gaps: Gaps = { unreadable: [], unnamed: [], repeated: [] };
  let inventory: Inventory;
  if (doc.bomFormat === 'CycloneDX') inventory = readCycloneDx(doc, path, gaps);
  else if (typeof doc.spdxVersion === 'string') inventory = readSpdx(doc, path, gaps);
  else throw invalid(path, 'neither CycloneDX (`bomFormat`) nor SPDX (`spdxVersion`) JSON');
  const count = (n: number, one: string, many: string) => (n === 1 ? `1 ${one}` : `${n} ${many}`);
  const { unreadable, unnamed, repeated } = gaps;
  if (unreadable.length > 0) {
    onWarning?.(
      `${count(unreadable.length, 'component has', 'components have')} an npm package URL that cannot be read or names no version, and ${unreadable.length === 1 ? 'is' : 'are'} not matched (first: ${unreadable[0]})`,
    );
  }
  if (unnamed.length > 0) {
    onWarning?.(
      `${count(unnamed.length, 'component has', 'components have')} no package URL, and ${unnamed.length === 1 ? 'is' : 'are'} not matched (first: ${unnamed[0]})`,
    );
  }
  if (repeated.length > 0) {
    const what = doc.bomFormat === 'CycloneDX' ? 'bom-ref' : 'SPDXID';
    onWarning?.(
      `${count(repeated.length, `component repeats the ${what} of another`, `components repeat the ${what} of another`)} (first: ${repeated[0]}); each is matched, but the document's dependencies name only the first, so the others' paths and scopes may be wrong`,
    );
  }
  return inventory;
};
