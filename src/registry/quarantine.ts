import type { GetPackageOptions, PackageMetadata, RegistrySource } from './types.js';

/**
 * A registry that does not know some versions: the quarantined ones (a rolled-back change brought
 * them in), so the planner, which only ever chooses among the versions its source lists, cannot
 * propose them, whichever strategy asks, for a direct or a transitive dependency. The caller
 * leaves out the versions the project has installed: the planner must still resolve what the
 * lockfile holds (a quarantined version that is installed is kept, not removed behind its back).
 */

export interface HeldVersion {
  readonly name: string;
  readonly version: string;
}

export const withoutVersions = (source: RegistrySource, held: readonly HeldVersion[]): RegistrySource => {
  if (held.length === 0) return source;
  const byName = new Map<string, Set<string>>();
  for (const { name, version } of held) {
    let versions = byName.get(name);
    if (!versions) {
      versions = new Set();
      byName.set(name, versions);
    }
    versions.add(version);
  }
  // The planner caches work per metadata object (sorted versions): the same answer, the same object.
  const filtered = new WeakMap<PackageMetadata, PackageMetadata>();
  return {
    kind: source.kind,
    getPackage: async (name: string, options?: GetPackageOptions) => {
      const meta = await source.getPackage(name, options);
      const drop = byName.get(name);
      if (meta === undefined || drop === undefined) return meta;
      let out = filtered.get(meta);
      if (!out) {
        out = dropVersions(meta, drop);
        filtered.set(meta, out);
      }
      return out;
    },
  };
};

/** The document without `drop`: its versions gone, and the tags that pointed at them (npm resolves `latest` first). */
export const dropVersions = (meta: PackageMetadata, drop: ReadonlySet<string>): PackageMetadata => {
  if (!Object.keys(meta.versions).some((v) => drop.has(v))) return meta;
  return {
    ...meta,
    distTags: Object.fromEntries(Object.entries(meta.distTags).filter(([, v]) => !drop.has(v))),
    versions: Object.fromEntries(Object.entries(meta.versions).filter(([v]) => !drop.has(v))),
  };
};
