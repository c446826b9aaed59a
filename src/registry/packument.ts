import { z } from 'zod';
import { isStrictVersion } from '../core/version.js';
import type { PackageMetadata, PackageVersion, PeerDependencyMeta, SkippedVersion } from './types.js';

/**
 * A registry package document ("packument"), abbreviated or full, to `PackageMetadata`. Only the
 * fields the planner uses are validated; a version entry that is not understood is skipped and
 * listed in `skipped`, never fatal. Pure.
 */

// Very old documents spell "no dependencies" as an empty array.
const dependencyMap = z.preprocess(
  (value) => (Array.isArray(value) && value.length === 0 ? {} : value),
  z.record(z.string(), z.string()).nullish(),
);

const versionSchema = z.object({
  dependencies: dependencyMap,
  optionalDependencies: dependencyMap,
  peerDependencies: dependencyMap,
  // Only `optional` is read; anything else in it is ignored rather than fatal.
  peerDependenciesMeta: z.record(z.string(), z.unknown()).nullish().catch(undefined),
  dist: z
    .object({
      tarball: z.string().nullish(),
      integrity: z.string().nullish(),
      shasum: z.string().nullish(),
    })
    .nullish(),
  deprecated: z.union([z.string(), z.boolean()]).nullish(),
  hasInstallScript: z.boolean().nullish().catch(undefined),
  // Only a string `node` entry is read; anything else in it is ignored rather than fatal.
  engines: z.record(z.string(), z.unknown()).nullish().catch(undefined),
  scripts: z.record(z.string(), z.unknown()).nullish().catch(undefined),
});

const documentSchema = z.object({
  name: z.string().nullish(),
  modified: z.string().nullish().catch(undefined),
  'dist-tags': z.record(z.string(), z.unknown()).nullish().catch(undefined),
  // Absent only in the document of an unpublished package (checked below).
  versions: z.record(z.string(), z.unknown()).optional(),
  time: z.record(z.string(), z.unknown()).nullish().catch(undefined),
});

export type PackumentResult =
  | { readonly ok: true; readonly metadata: PackageMetadata }
  | { readonly ok: false; readonly reason: string };

const installScripts = ['preinstall', 'install', 'postinstall'];

// Keys come from the registry: control characters in them are shown escaped, never sent to a terminal.
const printable = (text: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const describeIssues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 2)
    .map(
      (issue) =>
        `${issue.path.length > 0 ? printable(issue.path.map(String).join('.')) : '(document)'}: ${issue.message}`,
    )
    .join('; ');

const isoTime = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/**
 * Each name lands in one map, as npm's arborist loads edges: peers first, then regular
 * dependencies over them, then optional ones over both.
 */
export const separateDependencies = (
  dependencies: Readonly<Record<string, string>>,
  optionalDependencies: Readonly<Record<string, string>>,
  peerDependencies: Readonly<Record<string, string>>,
  peerOptional: ReadonlySet<string>,
): Pick<
  PackageVersion,
  'dependencies' | 'optionalDependencies' | 'peerDependencies' | 'peerDependenciesMeta'
> => {
  const regular: Record<string, string> = {};
  for (const [name, spec] of Object.entries(dependencies)) {
    if (!Object.hasOwn(optionalDependencies, name)) regular[name] = spec;
  }
  const peers: Record<string, string> = {};
  const meta: Record<string, PeerDependencyMeta> = {};
  for (const [name, spec] of Object.entries(peerDependencies)) {
    if (Object.hasOwn(regular, name) || Object.hasOwn(optionalDependencies, name)) continue;
    peers[name] = spec;
    if (peerOptional.has(name)) meta[name] = { optional: true };
  }
  return {
    dependencies: regular,
    optionalDependencies: { ...optionalDependencies },
    peerDependencies: peers,
    peerDependenciesMeta: meta,
  };
};

export const readPackument = (
  document: unknown,
  name: string,
  requested: 'abbreviated' | 'full',
): PackumentResult => {
  const parsed = documentSchema.safeParse(document);
  if (!parsed.success)
    return { ok: false, reason: `not a package document: ${describeIssues(parsed.error)}` };
  const doc = parsed.data;
  // A registry (or a proxy in front of it) that answers with another package's document must not
  // have that package's versions taken for this one's.
  if (typeof doc.name === 'string' && doc.name !== name) {
    const shown = JSON.stringify(doc.name.slice(0, 214));
    return { ok: false, reason: `the document is for ${shown}, not ${JSON.stringify(name)}` };
  }
  const time = doc.time ?? undefined;
  if (doc.versions === undefined && (time === undefined || time.unpublished === undefined)) {
    return { ok: false, reason: 'not a package document: versions: missing' };
  }
  // A registry without the abbreviated format answers with the full document; its `time` and
  // `scripts` are then as good as a full request's.
  const form = requested === 'full' || time !== undefined ? 'full' : 'abbreviated';
  const versions: Record<string, PackageVersion> = {};
  const skipped: SkippedVersion[] = [];
  // An unpublished package keeps a document with `time.unpublished` and no versions.
  for (const [version, raw] of Object.entries(doc.versions ?? {})) {
    if (!isStrictVersion(version)) {
      skipped.push({ version, reason: 'not a semver version' });
      continue;
    }
    const entry = versionSchema.safeParse(raw);
    if (!entry.success) {
      skipped.push({ version, reason: describeIssues(entry.error) });
      continue;
    }
    const v = entry.data;
    const peerOptional = new Set<string>();
    for (const [peer, meta] of Object.entries(v.peerDependenciesMeta ?? {})) {
      if (typeof meta === 'object' && meta !== null && (meta as { optional?: unknown }).optional === true) {
        peerOptional.add(peer);
      }
    }
    const scripts = v.scripts ?? {};
    const scripted = installScripts.some((s) => typeof scripts[s] === 'string' && scripts[s] !== '');
    versions[version] = {
      version,
      ...separateDependencies(
        v.dependencies ?? {},
        v.optionalDependencies ?? {},
        v.peerDependencies ?? {},
        peerOptional,
      ),
      dist: {
        tarball: v.dist?.tarball ?? undefined,
        integrity: v.dist?.integrity ?? undefined,
        shasum: v.dist?.shasum ?? undefined,
      },
      deprecated:
        typeof v.deprecated === 'string'
          ? v.deprecated || undefined
          : v.deprecated === true
            ? 'deprecated'
            : undefined,
      // Only full manifests carry `scripts`; the abbreviated form states the outcome instead.
      hasInstallScript: v.hasInstallScript === true || scripted,
      publishedAt: isoTime(time?.[version]),
      ...(typeof v.engines?.node === 'string' ? { nodeEngine: v.engines.node } : {}),
    };
  }
  const distTags: Record<string, string> = {};
  for (const [tag, target] of Object.entries(doc['dist-tags'] ?? {})) {
    if (typeof target === 'string') distTags[tag] = target;
  }
  return {
    ok: true,
    metadata: {
      name,
      form,
      distTags,
      versions,
      modified: isoTime(doc.modified) ?? isoTime(time?.modified),
      skipped,
    },
  };
};
