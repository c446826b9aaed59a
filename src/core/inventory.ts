import { npmPurl } from './purl.js';

/** The resolved dependency graph of one project, whatever lockfile format it came from. */

/** How a package is needed: npm's lockfile flags, one value per installed package. */
export type Scope = 'prod' | 'dev' | 'optional' | 'devOptional' | 'peer';

/** Where an installed package comes from. Only `registry` packages are matched against advisories. */
export type SourceKind = 'registry' | 'root' | 'workspace' | 'file' | 'link' | 'git' | 'tarball';

/**
 * Scopes from the most to the least installed: a `devOptional` package survives `--omit=dev` and
 * `--omit=optional` alone, an `optional` one only the first. The widest scope of several installed
 * copies of one name@version is the first of theirs in this order.
 */
export const scopeOrder: readonly Scope[] = ['prod', 'peer', 'devOptional', 'optional', 'dev'];

export const widestScope = (scopes: Iterable<Scope>): Scope => {
  let best = scopeOrder.length - 1;
  let any = false;
  for (const scope of scopes) {
    any = true;
    best = Math.min(best, scopeOrder.indexOf(scope));
  }
  return any ? (scopeOrder[best] as Scope) : 'prod';
};

export type EdgeType = 'prod' | 'dev' | 'optional' | 'peer';

export interface InventoryPackage {
  /** Unique within the inventory: the install location (npm) or a format-specific key. */
  readonly id: string;
  /** The real package name (for an alias, the aliased package, not the folder name). */
  readonly name: string;
  readonly version: string;
  readonly purl: string | undefined;
  readonly integrity: string | undefined;
  readonly resolved: string | undefined;
  readonly source: SourceKind;
  readonly scope: Scope;
  /** Shipped inside another package's tarball (`bundleDependencies`). */
  readonly bundled: boolean;
  /** The name the package is installed under when it differs from `name` (`npm:` alias). */
  readonly alias: string | undefined;
  readonly license: string | undefined;
}

export interface InventoryEdge {
  readonly from: string;
  readonly to: string;
  readonly type: EdgeType;
  /** The range or spec as declared by the dependent. */
  readonly spec: string;
  /**
   * The name the dependent declares it under, when that is not the target's name (an `npm:`
   * alias such as `string-width-cjs: npm:string-width@^4`). Graph formats set it; npm's install
   * locations say it already.
   */
  readonly alias?: string;
}

/** A root of the graph: the project itself or one of its workspaces. */
export interface Importer {
  readonly id: string;
  readonly name: string;
  /** Folder relative to the project root, '' for the root. */
  readonly path: string;
}

/** A dependency the root or a workspace declares that the lockfile installs nothing for. */
export interface MissingDependency {
  /** The importer that declares it. */
  readonly from: string;
  readonly name: string;
  readonly spec: string;
}

/** A dependency package.json declares otherwise than the lockfile recorded (`Inventory.drifted`). */
export interface Drift extends MissingDependency {
  /** The spec the lockfile recorded; undefined when it records none (added since). */
  readonly locked?: string;
  /** The version installed where the importer would find it, if any. */
  readonly installed?: string;
}

export interface Inventory {
  /**
   * Prod and dev dependencies the root or a workspace declares that the lockfile has no package
   * for: the lockfile is older than the manifest, and what is installed from it is not what the
   * manifest asks. Only formats that read the declarations apart from the packages say so (npm
   * lockfileVersion 2 and 3, yarn 1).
   */
  readonly missing?: readonly MissingDependency[];
  /**
   * Dependencies the root's package.json declares with another spec than the lockfile recorded at
   * its last install, or that it does not record at all though a copy is installed at the top
   * (npm lockfileVersion 2 and 3): `npm install` resolves them again, and `npm ci` refuses the
   * lockfile when the installed version is outside package.json's spec.
   */
  readonly drifted?: readonly Drift[];
  /** Absolute folder of the project (the lockfile's folder). */
  readonly root: string;
  /** Absolute path of the lockfile the inventory was read from. */
  readonly lockfile: string;
  readonly format: string;
  readonly importers: readonly Importer[];
  readonly packages: ReadonlyMap<string, InventoryPackage>;
  readonly edges: readonly InventoryEdge[];
}

/**
 * Whether an install location (an npm lockfile key such as `node_modules/a/node_modules/b`) is
 * inside a node_modules folder; the root ('') and workspace or `file:` folders are not.
 */
export const isUnderModules = (location: string): boolean =>
  location.startsWith('node_modules/') || location.includes('/node_modules/');

/**
 * Node's module resolution over install locations: the location `name` is loaded from when
 * required in folder `from` (its own node_modules, then each one above it up to the root's), or
 * undefined when no location on the way holds it. `has` tells which locations exist.
 */
export const resolveFrom = (
  from: string,
  name: string,
  has: (location: string) => boolean,
): string | undefined => {
  let base = from;
  while (true) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (has(candidate)) return candidate;
    if (base === '') return undefined;
    const at = base.lastIndexOf('/node_modules/');
    base = at === -1 ? '' : base.slice(0, at);
  }
};

/**
 * How many distinct registry packages (name@version) the inventory holds. A registry package's
 * purl names exactly its name and version, so the purls, already built, are counted rather than
 * new name@version strings.
 */
export const registryPackageCount = (inventory: Inventory): number => {
  const keys = new Set<string>();
  for (const pkg of inventory.packages.values()) {
    if (pkg.source === 'registry') keys.add(pkg.purl ?? npmPurl(pkg.name, pkg.version));
  }
  return keys.size;
};

/** Registry packages, deduplicated by name@version: what the lockfile actually downloads. */
export const registryPackageKeys = (inventory: Inventory): Set<string> => {
  const keys = new Set<string>();
  for (const pkg of inventory.packages.values()) {
    if (pkg.source === 'registry') keys.add(`${pkg.name}@${pkg.version}`);
  }
  return keys;
};
