import type { GetPackageOptions, PackageMetadata, RegistrySource } from '../registry/types.js';

/**
 * Registry metadata as the planner sees it: decisions read it synchronously through a
 * `MetadataLookup`. A decision that needs metadata is a generator that first yields the names it
 * will look at; `runWithMetadata` fetches them (in parallel) and resumes it. So every decision is
 * a pure function of the metadata, whatever happened to be fetched before, and only what a
 * decision needs is fetched.
 */

/** `null`: the registry has no such package; `undefined`: not fetched yet (noted as missing). */
export type MetadataLookup = (name: string) => PackageMetadata | null | undefined;

export interface MetadataCache {
  /** A lookup that adds every name it lacks to `missing` (and answers undefined for it). */
  lookup(missing: Set<string>): MetadataLookup;
  /** What is known so far, without noting anything. */
  peek(name: string): PackageMetadata | null | undefined;
  /** Fetches names not fetched yet, all at once; returns how many were new. */
  fetch(names: Iterable<string>): Promise<number>;
  /** The full document (publish times, scripts) for risk facts; falls back to what is cached. */
  full(name: string): Promise<PackageMetadata | null>;
}

export const createMetadataCache = (registry: RegistrySource): MetadataCache => {
  const known = new Map<string, PackageMetadata | null>();
  const full = new Map<string, Promise<PackageMetadata | null>>();
  const get = async (name: string, options?: GetPackageOptions): Promise<PackageMetadata | null> =>
    (await registry.getPackage(name, options)) ?? null;
  return {
    lookup: (missing) => (name) => {
      const hit = known.get(name);
      if (hit === undefined) missing.add(name);
      return hit;
    },
    peek: (name) => known.get(name),
    fetch: async (names) => {
      const wanted = [...new Set(names)].filter((n) => !known.has(n));
      const answers = await Promise.all(wanted.map((n) => get(n)));
      wanted.forEach((n, i) => {
        known.set(n, answers[i] as PackageMetadata | null);
      });
      return wanted.length;
    },
    full: (name) => {
      let pending = full.get(name);
      if (!pending) {
        const cached = known.get(name);
        // A universe has nothing more than its one form; an npm registry has publish times.
        pending =
          registry.kind === 'universe' && cached !== undefined
            ? Promise.resolve(cached)
            : get(name, { full: true });
        full.set(name, pending);
      }
      return pending;
    },
  };
};

/**
 * Drives a step that states the names it needs (`NeedsMetadata`): each request is fetched, in
 * parallel, and the step resumes.
 */
export const runWithMetadata = async <T>(
  cache: MetadataCache,
  step: (lookup: MetadataLookup) => Generator<readonly string[], T, void>,
): Promise<T> => {
  const missing = new Set<string>();
  const steps = step(cache.lookup(missing));
  while (true) {
    const next = steps.next();
    if (next.done) return next.value;
    await cache.fetch(next.value);
  }
};
