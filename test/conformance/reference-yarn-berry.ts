import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseResolution, parseSyml } from '@yarnpkg/parsers';

/**
 * A deliberately separate reading of a yarn berry project, to check PatchPilot's parser against:
 * - the lockfile is read with yarn's own parser (`parseSyml` from `@yarnpkg/parsers`);
 * - the workspaces are found from the root package.json's `workspaces` globs on disk (not from the
 *   lockfile), and each workspace's dependencies are taken from its package.json (not from its
 *   lockfile entry);
 * - `resolutions` are read with yarn's `parseResolution` and applied like yarn's core
 *   `reduceDependency` hook;
 * - scopes come from one walk over (package, reached-through-dev, reached-through-optional) states,
 *   not from `computeScopes`.
 * Registry packages are keyed `name@version` with the version from the entry's `version` field.
 */
export type RefScope = 'prod' | 'dev' | 'optional' | 'devOptional';

export interface RefResult {
  /** Registry packages the importers reach, with their scope. */
  readonly registry: Map<string, RefScope>;
  /** Workspace folders, '' for the root. */
  readonly workspaces: string[];
  /** Dependencies that named no lockfile entry. */
  readonly missing: string[];
}

interface RefEntry {
  version: string;
  resolution: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dependenciesMeta?: Record<string, { optional?: boolean | string }>;
}

interface RefManifest {
  name?: string;
  workspaces?: string[] | { packages?: string[] };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dependenciesMeta?: Record<string, { optional?: boolean }>;
  resolutions?: Record<string, string>;
}

const identOf = (text: string): [string, string] => {
  const at = text.indexOf('@', 1);
  return [text.slice(0, at), text.slice(at + 1)];
};

/** Yarn's `normalizeDependency`: ranges without a protocol are npm ranges. */
const normal = (range: string): string => (/^[a-z][a-z0-9+.-]*:/i.test(range) ? range : `npm:${range}`);

/** Expands `dir/*` and plain folder globs, the only shapes this reference needs. */
const expandGlobs = (root: string, globs: readonly string[]): string[] => {
  const out = new Set<string>();
  for (const glob of globs) {
    if (glob.endsWith('/*')) {
      const base = glob.slice(0, -2);
      if (!existsSync(join(root, base))) continue;
      for (const name of readdirSync(join(root, base))) {
        const folder = `${base}/${name}`;
        if (statSync(join(root, folder)).isDirectory() && existsSync(join(root, folder, 'package.json'))) {
          out.add(folder);
        }
      }
    } else if (!glob.includes('*') && existsSync(join(root, glob, 'package.json'))) out.add(glob);
    else throw new Error(`reference: unsupported workspace glob ${glob}`);
  }
  return [...out].sort();
};

export const referenceYarnBerry = (root: string): RefResult => {
  const lock = parseSyml(readFileSync(join(root, 'yarn.lock'), 'utf8')) as Record<string, RefEntry>;
  const readManifest = (folder: string): RefManifest =>
    JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as RefManifest;
  const rootManifest = readManifest('');
  const globs = Array.isArray(rootManifest.workspaces)
    ? rootManifest.workspaces
    : (rootManifest.workspaces?.packages ?? []);
  const workspaces = ['', ...expandGlobs(root, globs)];

  // Descriptor → entry; bound descriptors (`::locator=`) are keyed by descriptor and binding.
  const byDescriptor = new Map<string, RefEntry>();
  for (const [key, entry] of Object.entries(lock)) {
    if (key === '__metadata') continue;
    for (const descriptor of key.split(/\s*,\s*/)) {
      const bound = /^(.*)::locator=([^&]*)$/.exec(descriptor);
      if (bound) byDescriptor.set(`${bound[1]} bound to ${decodeURIComponent(bound[2] as string)}`, entry);
      else byDescriptor.set(descriptor, entry);
    }
  }
  const workspaceEntry = new Map<string, RefEntry>();
  for (const entry of Object.values(lock)) {
    const [, reference] = identOf(entry.resolution ?? '@');
    if (reference.startsWith('workspace:')) {
      const folder = reference.slice('workspace:'.length);
      workspaceEntry.set(folder === '.' ? '' : folder, entry);
    }
  }
  const rootLocator = workspaceEntry.get('')?.resolution as string;

  const rules = Object.entries(rootManifest.resolutions ?? {}).flatMap(([pattern, reference]) => {
    try {
      return [{ pattern: parseResolution(pattern), reference }];
    } catch {
      return [];
    }
  });
  const missing: string[] = [];
  const resolve = (parentLocator: string, name: string, range: string): RefEntry | undefined => {
    const [parentName, parentReference] = identOf(parentLocator);
    let wanted = normal(range);
    let binder = parentLocator;
    for (const { pattern, reference } of rules) {
      if (pattern.descriptor.fullName !== name) continue;
      if (pattern.from) {
        if (pattern.from.fullName !== parentName) continue;
        if (pattern.from.description !== undefined && normal(pattern.from.description) !== parentReference)
          continue;
      }
      if (pattern.descriptor.description !== undefined && normal(pattern.descriptor.description) !== wanted)
        continue;
      wanted = normal(reference);
      binder = rootLocator;
      break;
    }
    const found =
      byDescriptor.get(`${name}@${wanted}`) ??
      byDescriptor.get(`${name}@${range}`) ??
      byDescriptor.get(`${name}@${wanted} bound to ${binder}`);
    if (!found) missing.push(`${parentLocator} → ${name}@${range}`);
    return found;
  };

  /** `name@version` for registry packages (patched ones included), the resolution otherwise. */
  const keyOf = (entry: RefEntry): { key: string; registry: boolean } => {
    const [name, reference] = identOf(entry.resolution);
    if (reference.startsWith('npm:')) return { key: `${name}@${entry.version}`, registry: true };
    if (reference.startsWith('patch:')) {
      const source = decodeURIComponent(reference.slice('patch:'.length, reference.indexOf('#')));
      if (identOf(source)[1].startsWith('npm:')) return { key: `${name}@${entry.version}`, registry: true };
    }
    return { key: entry.resolution, registry: false };
  };

  // Walk (entry, dev, optional) states from every workspace.
  type State = { entry: RefEntry; dev: boolean; optional: boolean };
  const reached = new Map<string, Set<string>>();
  const registryKeys = new Set<string>();
  const queue: State[] = [];
  const visit = (entry: RefEntry, dev: boolean, optional: boolean): void => {
    const { key, registry } = keyOf(entry);
    const [, reference] = identOf(entry.resolution);
    if (reference.startsWith('workspace:')) return; // workspaces are roots of their own
    if (registry) registryKeys.add(key);
    const states = reached.get(key) ?? new Set<string>();
    const state = `${dev ? 'd' : '-'}${optional ? 'o' : '-'}`;
    if (states.has(state)) return;
    states.add(state);
    reached.set(key, states);
    queue.push({ entry, dev, optional });
  };
  for (const folder of workspaces) {
    const manifest = readManifest(folder);
    const entry = workspaceEntry.get(folder);
    if (!entry) throw new Error(`reference: workspace ${folder || '.'} has no lockfile entry`);
    const lists: [Record<string, string> | undefined, boolean, boolean][] = [
      // Yarn's Manifest folds optionalDependencies into dependencies, marked optional.
      [manifest.optionalDependencies, false, true],
      [manifest.dependencies, false, false],
      [manifest.devDependencies, true, false],
    ];
    const seen = new Set<string>();
    for (const [deps, dev, optional] of lists) {
      for (const [name, range] of Object.entries(deps ?? {})) {
        if (seen.has(name)) continue;
        seen.add(name);
        const target = resolve(entry.resolution, name, range);
        const metaOptional = manifest.dependenciesMeta?.[name]?.optional === true;
        if (target) visit(target, dev, optional || (metaOptional && !dev));
      }
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const { entry, dev, optional } = queue[i] as State;
    const optionalNames = new Set(
      Object.entries(entry.dependenciesMeta ?? {})
        .filter(([, meta]) => String(meta.optional) === 'true')
        .map(([name]) => name),
    );
    for (const [name, range] of Object.entries(entry.dependencies ?? {})) {
      const target = resolve(entry.resolution, name, range);
      if (target) visit(target, dev, optional || optionalNames.has(name));
    }
    for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
      const target = resolve(entry.resolution, name, range);
      if (target) visit(target, dev, true);
    }
  }

  const registry = new Map<string, RefScope>();
  for (const key of registryKeys) {
    const states = reached.get(key) as Set<string>;
    let scope: RefScope;
    if (states.has('--')) scope = 'prod';
    else if (!states.has('-o')) scope = 'dev';
    else if (!states.has('d-')) scope = 'optional';
    else scope = 'devOptional';
    registry.set(key, scope);
  }
  return { registry, workspaces, missing };
};

/** The name the cross-format conformance suite (all-projects.test.ts) imports. */
export const readYarnBerryReference = referenceYarnBerry;
