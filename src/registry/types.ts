/**
 * What the planner knows about a package: the registry's answer, normalised, whichever source
 * gave it (the npm registry or an offline universe file).
 */

/** Which document answered: what an absent `publishedAt` or `hasInstallScript` means depends on it. */
export type MetadataForm = 'abbreviated' | 'full' | 'universe';

export interface PackageDist {
  readonly tarball: string | undefined;
  /** Subresource Integrity string (`sha512-…`); old versions have only `shasum`. */
  readonly integrity: string | undefined;
  /** Hex SHA-1 of the tarball. */
  readonly shasum: string | undefined;
}

export interface PeerDependencyMeta {
  readonly optional: boolean;
}

/**
 * One published version. A dependency name appears in at most one of `dependencies`,
 * `optionalDependencies` and `peerDependencies`, decided as npm's arborist decides it: optional
 * over regular over peer (npm copies optional dependencies into `dependencies` when it publishes).
 * Alias dependencies keep their `npm:name@range` spec.
 */
export interface PackageVersion {
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly optionalDependencies: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
  /** Only for names in `peerDependencies`. */
  readonly peerDependenciesMeta: Readonly<Record<string, PeerDependencyMeta>>;
  /** Undefined for universe versions, which have no tarball. */
  readonly dist: PackageDist | undefined;
  /** The deprecation message; undefined when the version is not deprecated. */
  readonly deprecated: string | undefined;
  /**
   * Whether installing runs a preinstall, install or postinstall script: the abbreviated
   * document's `hasInstallScript`, or the full document's `scripts`. Undefined when unknown
   * (universe).
   */
  readonly hasInstallScript: boolean | undefined;
  /** ISO 8601 publish time, from the full document's `time`; undefined in other forms. */
  readonly publishedAt: string | undefined;
  /** `engines.node`: the Node.js versions it says it runs on; absent when it does not say. */
  readonly nodeEngine?: string;
}

/** A version entry of a registry document that was not understood; the rest of the document is. */
export interface SkippedVersion {
  readonly version: string;
  readonly reason: string;
}

export interface PackageMetadata {
  readonly name: string;
  readonly form: MetadataForm;
  /** `latest` and the other tags; a universe gets `latest` = its highest release version. */
  readonly distTags: Readonly<Record<string, string>>;
  /** Keyed by version, in the document's order. */
  readonly versions: Readonly<Record<string, PackageVersion>>;
  /** The document's own last-modified time, when it states one. */
  readonly modified: string | undefined;
  readonly skipped: readonly SkippedVersion[];
}

export interface GetPackageOptions {
  /**
   * The full document: publish times and scripts. The abbreviated one (the default) has every
   * field resolution needs and is a fraction of the size.
   */
  readonly full?: boolean;
}

/** Where package metadata comes from; the planner does not know which one it talks to. */
export interface RegistrySource {
  readonly kind: 'npm' | 'universe';
  /** Undefined when the package does not exist (HTTP 404, or not in the universe). */
  getPackage(name: string, options?: GetPackageOptions): Promise<PackageMetadata | undefined>;
}

/** A source that holds resources (connections) until closed. */
export interface Registry extends RegistrySource {
  close(): Promise<void>;
}
