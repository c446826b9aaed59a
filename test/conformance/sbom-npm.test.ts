import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import Ajv from 'ajv';
import ajvFormats from 'ajv-formats';
import semver from 'semver';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot, requireSharedData, runCli, sharedData, tempDir } from '../helpers/cli.js';

/**
 * For every npm lockfile in ../shared/data/projects: the registry packages of `patchpilot sbom`
 * (the components that carry a purl) are those of `npm sbom --package-lock-only`, and the document
 * validates against the official CycloneDX 1.6 schema.
 */
const hasData = requireSharedData();

const findLockfiles = (dir: string): string[] => {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (entry === 'node_modules') continue;
    if (statSync(full).isDirectory()) out.push(...findLockfiles(full));
    else if (entry === 'package-lock.json' || entry === 'npm-shrinkwrap.json') out.push(full);
  }
  return out;
};
const lockfiles = hasData ? findLockfiles(join(sharedData, 'projects')) : [];

const require = createRequire(import.meta.url);
const ajvFormatsDraft2019 = require('ajv-formats-draft2019') as (
  ajv: Ajv.default,
  o: { formats: string[] },
) => void;
const schemaDir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
const readSchema = (name: string) => JSON.parse(readFileSync(join(schemaDir, name), 'utf8'));
const validator = () => {
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  ajvFormats.default(ajv);
  ajvFormatsDraft2019(ajv, { formats: ['idn-email', 'iri-reference'] });
  for (const name of ['spdx', 'jsf-0.82']) {
    ajv.addSchema({
      ...readSchema(`${name}.SNAPSHOT.schema.json`),
      $id: `http://cyclonedx.org/schema/${name}.SNAPSHOT.schema.json`,
    });
  }
  return ajv.compile(readSchema('bom-1.6.SNAPSHOT.schema.json'));
};

/** The lockfile and every package.json beside and below it (not in node_modules): all npm sbom reads. */
const copyProject = (lockfile: string, to: string): void => {
  const root = dirname(lockfile);
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (entry === 'node_modules' || entry === '.git') continue;
      if (statSync(full).isDirectory()) visit(full);
      else if (entry === 'package.json') {
        mkdirSync(join(to, relative(root, dir)), { recursive: true });
        copyFileSync(full, join(to, relative(root, full)));
      }
    }
  };
  visit(root);
  copyFileSync(lockfile, join(to, basename(lockfile)));
};

interface NpmComponent {
  name: string;
  version: string;
  purl: string;
  externalReferences: { type: string; url: string }[];
}

const registryHosts = new Set(['registry.npmjs.org', 'registry.yarnpkg.com']);

/**
 * npm names every component by its purl (for an alias, the real package); registry packages are
 * those downloaded from the registry, or with no `resolved` and not a folder of the project
 * (workspaces, `file:` dependencies), with a semver version.
 */
const npmRegistryPackages = (dir: string, lockfile: string): Set<string> | { npmError: string } => {
  let out: string;
  try {
    out = execFileSync('npm', ['sbom', '--package-lock-only', '--sbom-format', 'cyclonedx'], {
      cwd: dir,
      maxBuffer: 1024 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false' },
    }).toString();
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '');
    return { npmError: /npm error code (\w+)/.exec(stderr)?.[1] ?? stderr };
  }
  const bom = JSON.parse(out) as { components: NpmComponent[] };
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as {
    packages?: Record<string, { name?: string; version?: string; link?: boolean; resolved?: string }>;
  };
  // A workspace's entry may leave out its name; the link to it carries it.
  const folders = new Set<string>();
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (key !== '' && !key.includes('node_modules/') && !entry.link) {
      folders.add(`${entry.name ?? key.slice(key.lastIndexOf('/') + 1)}@${entry.version}`);
    }
    const target = entry.link && entry.resolved !== undefined ? lock.packages?.[entry.resolved] : undefined;
    if (target) folders.add(`${key.slice(key.lastIndexOf('node_modules/') + 13)}@${target.version}`);
  }
  const found = new Set<string>();
  for (const c of bom.components) {
    const match = /^pkg:npm\/(.+)@([^@?#]+)(?:[?#].*)?$/.exec(c.purl);
    if (!match) continue;
    const name = decodeURIComponent(match[1] as string);
    const version = decodeURIComponent(match[2] as string);
    const resolved = c.externalReferences.find((r) => r.type === 'distribution')?.url;
    let registry = resolved === undefined ? !folders.has(`${name}@${version}`) : false;
    if (resolved !== undefined) {
      try {
        registry = registryHosts.has(new URL(resolved).host);
      } catch {
        registry = false;
      }
    }
    if (registry && semver.valid(version)) found.add(`${name}@${version}`);
  }
  return found;
};

describe.skipIf(!hasData)('patchpilot sbom against npm sbom on ../shared/data/projects', () => {
  const work = tempDir();
  afterAll(() => work.remove());
  const validate = hasData ? validator() : undefined;

  it('finds the npm lockfiles', () => {
    expect(lockfiles.length).toBeGreaterThanOrEqual(7);
  });

  for (const [index, lockfile] of lockfiles.entries()) {
    const name = relative(join(sharedData, 'projects'), lockfile);
    it(`${name}: same registry packages as npm sbom, valid CycloneDX 1.6`, async () => {
      const result = runCli(['sbom', lockfile, '--reproducible']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const bom = JSON.parse(result.stdout) as {
        components: { group?: string; name: string; version: string; purl?: string }[];
      };
      expect(validate?.(bom), JSON.stringify(validate?.errors?.slice(0, 5), null, 2)).toBe(true);
      const ours = bom.components
        .filter((c) => c.purl !== undefined)
        .map((c) => `${c.group ? `${c.group}/` : ''}${c.name}@${c.version}`);
      expect(new Set(ours).size).toBe(ours.length);

      const dir = join(work.path, String(index));
      mkdirSync(dir);
      copyProject(lockfile, dir);
      const theirs = npmRegistryPackages(dir, lockfile);
      if (theirs instanceof Set) {
        expect(ours.sort()).toEqual([...theirs].sort());
        return;
      }
      // npm sbom gives no document for two kinds of lockfile: a tree with an unmet or invalid
      // dependency (ESBOMPROBLEMS, and it has no option to go on), and a v1 lockfile with a tarball
      // URL dependency (EINVALIDPURLTYPE: it cannot make that one's purl). npm-projects.test.ts checks
      // the inventory of these against `npm ls`; here the SBOM must hold exactly that inventory.
      expect(['ESBOMPROBLEMS', 'EINVALIDPURLTYPE']).toContain(theirs.npmError);
      const { readInventory } = await import(join(projectRoot, 'dist/inventory/index.js'));
      const { registryPackageKeys } = await import(join(projectRoot, 'dist/core/inventory.js'));
      const inventory: Set<string> = registryPackageKeys(await readInventory(lockfile));
      expect(ours.sort()).toEqual([...inventory].sort());
    });
  }
});
