import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot, runCli, tempDir } from '../helpers/cli.js';

const example = join(projectRoot, 'examples/vulnerable-app');
const workspaces = join(projectRoot, 'test/fixtures/npm/v3-workspaces');
const projects = [
  ['examples/vulnerable-app', example],
  ['test/fixtures/npm/v3-workspaces', workspaces],
] as const;

/**
 * The official CycloneDX JSON schemas (draft-07) as @cyclonedx/cyclonedx-library ships them. The
 * bom schemas refer to `spdx.SNAPSHOT.schema.json` and `jsf-0.82.SNAPSHOT.schema.json`, so those are
 * registered under the URLs the references resolve to, as the library's own validator does.
 */
const require = createRequire(import.meta.url);
// The CycloneDX library's own validator adds this package for idn-email and iri-reference; it has no types.
const ajvFormatsDraft2019 = require('ajv-formats-draft2019') as (
  ajv: Ajv.default,
  o: { formats: string[] },
) => void;
const schemaDir = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
const readSchema = (name: string) => JSON.parse(readFileSync(join(schemaDir, name), 'utf8'));
const cycloneDxValidator = (version: '1.5' | '1.6'): ValidateFunction => {
  // strict: false for the schemas' own annotation keywords (meta:enum); every format they use is registered.
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  ajvFormats.default(ajv);
  ajvFormatsDraft2019(ajv, { formats: ['idn-email', 'iri-reference'] });
  for (const name of ['spdx', 'jsf-0.82']) {
    ajv.addSchema({
      ...readSchema(`${name}.SNAPSHOT.schema.json`),
      $id: `http://cyclonedx.org/schema/${name}.SNAPSHOT.schema.json`,
    });
  }
  return ajv.compile(readSchema(`bom-${version}.SNAPSHOT.schema.json`));
};
const validators = { '1.5': cycloneDxValidator('1.5'), '1.6': cycloneDxValidator('1.6') };

/**
 * No maintained npm package ships the SPDX 2.3 JSON schema (spdx/spdx-spec schemas/spdx-schema.json), so
 * this checks the rules of the SPDX 2.3 specification that the schema and the spec's validators
 * enforce: required fields, identifier syntax and uniqueness, the enumerations, and that every
 * reference points at an element of the document. Returns the problems found.
 */
const relationshipTypes = new Set(
  `AMENDS ANCESTOR_OF BUILD_DEPENDENCY_OF BUILD_TOOL_OF CONTAINED_BY CONTAINS COPY_OF DATA_FILE_OF
  DEPENDENCY_MANIFEST_OF DEPENDENCY_OF DEPENDS_ON DESCENDANT_OF DESCRIBED_BY DESCRIBES DEV_DEPENDENCY_OF
  DEV_TOOL_OF DISTRIBUTION_ARTIFACT DOCUMENTATION_OF DYNAMIC_LINK EXAMPLE_OF EXPANDED_FROM_ARCHIVE
  FILE_ADDED FILE_DELETED FILE_MODIFIED GENERATED_FROM GENERATES HAS_PREREQUISITE METAFILE_OF
  OPTIONAL_COMPONENT_OF OPTIONAL_DEPENDENCY_OF OTHER PACKAGE_OF PATCH_APPLIED PATCH_FOR PREREQUISITE_FOR
  PROVIDED_DEPENDENCY_OF REQUIREMENT_DESCRIPTION_FOR RUNTIME_DEPENDENCY_OF SPECIFICATION_FOR
  STATIC_LINK TEST_CASE_OF TEST_DEPENDENCY_OF TEST_OF TEST_TOOL_OF VARIANT_OF`.split(/\s+/),
);
const checksumLengths: Record<string, number> = { SHA1: 40, SHA256: 64, SHA384: 96, SHA512: 128 };
const packageFields = new Set(
  `SPDXID name versionInfo primaryPackagePurpose downloadLocation filesAnalyzed licenseConcluded
  licenseDeclared copyrightText checksums externalRefs comment annotations`.split(/\s+/),
);
const checkSpdx23 = (doc: Record<string, unknown>): string[] => {
  const problems: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  expect(doc.spdxVersion === 'SPDX-2.3', 'spdxVersion');
  expect(doc.dataLicense === 'CC0-1.0', 'dataLicense');
  expect(doc.SPDXID === 'SPDXRef-DOCUMENT', 'SPDXID');
  expect(typeof doc.name === 'string' && doc.name !== '', 'name');
  const namespace = String(doc.documentNamespace);
  expect(URL.canParse(namespace) && !namespace.includes('#'), 'documentNamespace: an absolute URI without #');
  const info = doc.creationInfo as { created?: unknown; creators?: unknown };
  expect(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(String(info?.created)), 'created: YYYY-MM-DDThh:mm:ssZ');
  const creators = Array.isArray(info?.creators) ? (info.creators as unknown[]) : [];
  expect(creators.length > 0, 'creators');
  for (const c of creators) expect(/^(Tool|Organization|Person): \S/.test(String(c)), `creator ${c}`);
  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  for (const pkg of doc.packages as Record<string, unknown>[]) {
    const id = String(pkg.SPDXID);
    expect(/^SPDXRef-[A-Za-z0-9.-]+$/.test(id), `SPDXID syntax ${id}`);
    expect(!ids.has(id), `SPDXID unique ${id}`);
    ids.add(id);
    for (const key of Object.keys(pkg)) expect(packageFields.has(key), `${id}: unknown field ${key}`);
    expect(typeof pkg.name === 'string' && pkg.name !== '', `${id}: name`);
    const download = String(pkg.downloadLocation);
    expect(
      download === 'NOASSERTION' || download === 'NONE' || URL.canParse(download),
      `${id}: downloadLocation`,
    );
    expect(pkg.filesAnalyzed === false, `${id}: filesAnalyzed false (no verification code)`);
    for (const field of ['licenseConcluded', 'licenseDeclared', 'copyrightText']) {
      expect(typeof pkg[field] === 'string' && pkg[field] !== '', `${id}: ${field}`);
    }
    expect(
      ['APPLICATION', 'LIBRARY', 'FRAMEWORK', 'CONTAINER', 'OTHER'].includes(
        String(pkg.primaryPackagePurpose),
      ),
      `${id}: primaryPackagePurpose`,
    );
    for (const c of (pkg.checksums ?? []) as { algorithm: string; checksumValue: string }[]) {
      const length = checksumLengths[c.algorithm];
      expect(length !== undefined, `${id}: checksum algorithm ${c.algorithm}`);
      expect(new RegExp(`^[0-9a-f]{${length}}$`).test(c.checksumValue), `${id}: checksum value`);
    }
    // Annotations (clause 12): every field required; the annotator as a creator is written.
    for (const a of (pkg.annotations ?? []) as Record<string, unknown>[]) {
      expect(
        Object.keys(a).sort().join(' ') === 'annotationDate annotationType annotator comment',
        `${id}: annotation fields`,
      );
      expect(['REVIEW', 'OTHER'].includes(String(a.annotationType)), `${id}: annotationType`);
      expect(/^(Tool|Organization|Person): \S/.test(String(a.annotator)), `${id}: annotator`);
      expect(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(String(a.annotationDate)), `${id}: annotationDate`);
      expect(typeof a.comment === 'string' && a.comment !== '', `${id}: annotation comment`);
    }
    for (const ref of (pkg.externalRefs ?? []) as Record<string, string>[]) {
      expect(
        ref.referenceCategory === 'PACKAGE-MANAGER' && ref.referenceType === 'purl',
        `${id}: externalRef`,
      );
      expect(/^pkg:npm\/\S+@\S+$/.test(String(ref.referenceLocator)), `${id}: purl`);
    }
  }
  for (const id of doc.documentDescribes as string[]) expect(ids.has(id), `documentDescribes ${id}`);
  for (const r of doc.relationships as Record<string, string>[]) {
    const { spdxElementId: a, relatedSpdxElement: b, relationshipType: type } = r as Record<string, string>;
    expect(relationshipTypes.has(String(type)), `relationshipType ${type}`);
    expect(ids.has(String(a)) && ids.has(String(b)), `relationship ${a} ${type} ${b}: unknown element`);
  }
  return problems;
};

interface Cdx {
  serialNumber: string;
  metadata: { timestamp?: string; component: { 'bom-ref': string } };
  components: {
    'bom-ref': string;
    group?: string;
    name: string;
    version: string;
    purl?: string;
    scope?: string;
  }[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

const sbom = (args: string[]) => {
  const result = runCli(['sbom', ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
};

const registryKeys = async (dir: string): Promise<string[]> => {
  const { readInventory } = await import(join(projectRoot, 'dist/inventory/index.js'));
  const { registryPackageKeys } = await import(join(projectRoot, 'dist/core/inventory.js'));
  return [
    ...(registryPackageKeys(await readInventory(join(dir, 'package-lock.json'))) as Set<string>),
  ].sort();
};

describe.each(projects)('sbom of %s', (_name, dir) => {
  it.each(['1.6', '1.5'] as const)('CycloneDX %s validates against the official schema', (version) => {
    const args = version === '1.6' ? [dir] : [dir, '--spec-version', version];
    const bom = JSON.parse(sbom(args));
    expect(bom.specVersion).toBe(version);
    const validate = validators[version];
    expect(validate(bom), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(bom.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(Date.parse(bom.metadata.timestamp)).not.toBeNaN();
    // The validator does reject what the schema forbids.
    expect(validate({ ...bom, components: [{ ...bom.components[0], scope: 'dev' }] })).toBe(false);
  });

  it('SPDX 2.3 follows the specification', () => {
    const doc = JSON.parse(sbom([dir, '--format', 'spdx']));
    expect(checkSpdx23(doc)).toEqual([]);
    expect(
      checkSpdx23({ ...doc, relationships: [{ ...doc.relationships[0], relationshipType: 'USES' }] }),
    ).toEqual(['relationshipType USES']);
    const annotated = (doc.packages as { SPDXID: string; annotations?: Record<string, unknown>[] }[]).find(
      (p) => p.annotations !== undefined,
    );
    if (annotated) {
      const packages = (doc.packages as { SPDXID: string }[]).map((p) =>
        p === annotated
          ? { ...annotated, annotations: [{ ...annotated.annotations?.[0], annotationType: 'NOTE' }] }
          : p,
      );
      expect(checkSpdx23({ ...doc, packages })).toEqual([`${annotated.SPDXID}: annotationType`]);
    }
  });

  it('components with a purl are exactly the registry packages of the inventory, in both formats', async () => {
    const expected = await registryKeys(dir);
    const bom = JSON.parse(sbom([dir, '--reproducible'])) as Cdx;
    const purled = bom.components.filter((c) => c.purl !== undefined);
    expect(purled.map((c) => `${c.group ? `${c.group}/` : ''}${c.name}@${c.version}`).sort()).toEqual(
      expected,
    );
    expect(new Set(bom.components.map((c) => c['bom-ref'])).size).toBe(bom.components.length);
    const refs = new Set([bom.metadata.component['bom-ref'], ...bom.components.map((c) => c['bom-ref'])]);
    expect(bom.dependencies.map((d) => d.ref).sort()).toEqual([...refs].sort());
    for (const d of bom.dependencies) {
      for (const to of d.dependsOn) expect(refs.has(to)).toBe(true);
      expect(d.dependsOn).toEqual([...new Set(d.dependsOn)].sort());
    }
    const spdx = JSON.parse(sbom([dir, '--format', 'spdx', '--reproducible']));
    const spdxPurled = (spdx.packages as { name: string; versionInfo: string; externalRefs?: unknown[] }[])
      .filter((p) => p.externalRefs !== undefined)
      .map((p) => `${p.name}@${p.versionInfo}`);
    expect(spdxPurled.sort()).toEqual(expected);
    expect(spdx.packages).toHaveLength(bom.components.length + 1);
  });

  it('--reproducible gives the same bytes twice, without a timestamp', () => {
    for (const args of [[], ['--spec-version', '1.5'], ['--format', 'spdx'], ['--omit', 'dev']]) {
      const a = sbom([dir, '--reproducible', ...args]);
      expect(sbom([dir, '--reproducible', ...args])).toBe(a);
      expect(a.endsWith('}\n')).toBe(true);
      expect(a).not.toMatch(/"timestamp"/);
    }
    expect(JSON.parse(sbom([dir, '--reproducible', '--format', 'spdx'])).creationInfo.created).toBe(
      '1970-01-01T00:00:00Z',
    );
    // Without it, every document is a new one.
    expect(JSON.parse(sbom([dir])).serialNumber).not.toBe(JSON.parse(sbom([dir])).serialNumber);
  });
});

describe('sbom details', () => {
  const trees = tempDir();
  afterAll(() => trees.remove());

  it('marks dev packages and leaves them out with --omit dev', () => {
    const bom = JSON.parse(sbom([example, '--reproducible'])) as Cdx & {
      components: { properties?: { name: string; value: string }[] }[];
    };
    const json5 = bom.components.find((c) => c.name === 'json5');
    expect(json5).toMatchObject({
      scope: 'excluded',
      purl: 'pkg:npm/json5@1.0.1',
      properties: expect.arrayContaining([{ name: 'cdx:npm:package:development', value: 'true' }]),
    });
    expect(bom.components.find((c) => c.name === 'lodash')?.scope).toBe('required');
    const prod = JSON.parse(sbom([example, '--omit', 'dev'])) as Cdx;
    expect(prod.components.map((c) => c.name).sort()).toEqual([
      'lodash',
      'minimist',
      'minimist',
      'mkdirp',
      'node-fetch',
    ]);
    expect(validators['1.6'](prod)).toBe(true);
    const spdx = JSON.parse(sbom([example, '--format', 'spdx', '--reproducible']));
    expect(spdx.relationships).toContainEqual({
      spdxElementId: 'SPDXRef-Package-json5-1.0.1',
      relatedSpdxElement: 'SPDXRef-Package-vulnerable-app-1.0.0',
      relationshipType: 'DEV_DEPENDENCY_OF',
    });
    expect(spdx.relationships).toContainEqual({
      spdxElementId: 'SPDXRef-Package-mkdirp-0.5.1',
      relatedSpdxElement: 'SPDXRef-Package-minimist-0.0.8',
      relationshipType: 'DEPENDS_ON',
    });
  });

  it('lists workspaces as components with the edges from and to them', () => {
    const bom = JSON.parse(sbom([workspaces, '--reproducible'])) as Cdx;
    const shared = bom.components.find((c) => c.name === 'shared');
    expect(shared).toMatchObject({
      group: '@acme',
      version: '0.2.0',
      'bom-ref': 'workspace:@acme/shared@0.2.0',
    });
    expect(shared?.purl).toBeUndefined();
    const api = bom.dependencies.find((d) => d.ref === 'workspace:api@1.0.0');
    expect(api?.dependsOn).toEqual([
      'pkg:npm/jest-lite@29.0.0',
      'pkg:npm/lodash@4.17.21',
      'pkg:npm/qs@6.5.0',
      'workspace:@acme/shared@0.2.0',
    ]);
  });

  it('reads the lockfile given as a path, and the one npm reads when a folder has two', () => {
    const tree = join(trees.path, 'two');
    cpSync(example, tree, { recursive: true });
    const lock = JSON.parse(readFileSync(join(tree, 'package-lock.json'), 'utf8'));
    delete lock.packages['node_modules/lodash'];
    writeFileSync(join(tree, 'npm-shrinkwrap.json'), JSON.stringify(lock));
    const names = (args: string[]) => (JSON.parse(sbom(args)) as Cdx).components.map((c) => c.name);
    expect(names([tree])).not.toContain('lodash');
    expect(names([join(tree, 'package-lock.json')])).toContain('lodash');
  });

  it('with lockfiles of several package managers in the folder, says which one it describes', () => {
    const tree = join(trees.path, 'managers');
    cpSync(example, tree, { recursive: true });
    cpSync(join(projectRoot, 'test/fixtures/yarn-classic/workspaces/yarn.lock'), join(tree, 'yarn.lock'));
    const result = runCli(['sbom', tree]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe(
      `patchpilot sbom: 2 lockfiles in this folder; describing ${join(tree, 'package-lock.json')}. Pass a lockfile's path to describe another: ${join(tree, 'yarn.lock')}\n`,
    );
    expect((JSON.parse(result.stdout) as Cdx).components.map((c) => c.name)).toContain('lodash');
  });

  it('--output writes the document atomically and reports on stderr', () => {
    const out = join(trees.path, 'out', 'nested', 'bom.json');
    const result = runCli(['sbom', example, '--reproducible', '--output', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^wrote .*bom\.json: CycloneDX 1\.6, 6 packages from .*package-lock\.json\n$/,
    );
    expect(readFileSync(out, 'utf8')).toBe(sbom([example, '--reproducible']));
    // Overwriting leaves no temporary file behind.
    expect(runCli(['sbom', example, '--format', 'spdx', '-o', out]).code).toBe(0);
    expect(readdirSync(dirname(out))).toEqual(['bom.json']);
    expect(JSON.parse(readFileSync(out, 'utf8')).spdxVersion).toBe('SPDX-2.3');
  });

  it('--output never writes over the lockfile or package.json it reads (exit 2)', () => {
    const tree = join(trees.path, 'self');
    cpSync(example, tree, { recursive: true });
    const lock = readFileSync(join(tree, 'package-lock.json'), 'utf8');
    for (const name of ['package-lock.json', 'package.json']) {
      const result = runCli(['sbom', tree, '-o', join(tree, name)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`which the bill of materials is made from: write it elsewhere`);
    }
    // Through a link too.
    symlinkSync(join(tree, 'package-lock.json'), join(trees.path, 'lock-link.json'));
    expect(runCli(['sbom', tree, '-o', join(trees.path, 'lock-link.json')]).code).toBe(2);
    expect(readFileSync(join(tree, 'package-lock.json'), 'utf8')).toBe(lock);
  });

  it('--output writes through a link to the file it names, and into what is no regular file', async () => {
    const dir = join(trees.path, 'targets');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'real.json'), 'old');
    chmodSync(join(dir, 'real.json'), 0o600);
    symlinkSync('real.json', join(dir, 'link.json'));
    expect(runCli(['sbom', example, '--reproducible', '-o', join(dir, 'link.json')]).code).toBe(0);
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.json'), 'utf8')).toBe(sbom([example, '--reproducible']));
    // The file it replaced keeps its permissions.
    expect(statSync(join(dir, 'real.json')).mode & 0o777).toBe(0o600);
    // A pipe stays a pipe, and its reader gets the document (a rename would have replaced it
    // with a file, as it would /dev/stdout).
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    const read = new Promise<string>((done) => {
      let text = '';
      reader.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      reader.on('close', () => done(text));
    });
    expect(runCli(['sbom', example, '--reproducible', '-o', fifo]).code).toBe(0);
    expect(await read).toBe(sbom([example, '--reproducible']));
    expect(statSync(fifo).isFIFO()).toBe(true);
    // A dangling link: the file it names is created, the link stays.
    symlinkSync('later.json', join(dir, 'dangling.json'));
    expect(runCli(['sbom', example, '--reproducible', '-o', join(dir, 'dangling.json')]).code).toBe(0);
    expect(lstatSync(join(dir, 'dangling.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'later.json'), 'utf8')).toBe(sbom([example, '--reproducible']));
    // A link's `..` is its real folder's parent, also when it is reached through a linked folder.
    mkdirSync(join(dir, 'real/sub'), { recursive: true });
    writeFileSync(join(dir, 'real/target.json'), 'old');
    symlinkSync('real/sub', join(dir, 'alias'));
    symlinkSync('../target.json', join(dir, 'real/sub/out.json'));
    symlinkSync('../later-too.json', join(dir, 'real/sub/dangling.json'));
    expect(runCli(['sbom', example, '--reproducible', '-o', join(dir, 'alias/out.json')]).code).toBe(0);
    expect(readFileSync(join(dir, 'real/target.json'), 'utf8')).toBe(sbom([example, '--reproducible']));
    expect(runCli(['sbom', example, '--reproducible', '-o', join(dir, 'alias/dangling.json')]).code).toBe(0);
    expect(existsSync(join(dir, 'real/later-too.json'))).toBe(true);
    expect(existsSync(join(dir, 'later-too.json'))).toBe(false);
    // A dangling link into a folder that does not exist: refused, as a shell's `>` would, no folder made.
    symlinkSync(join(dir, 'made/deep/x.json'), join(dir, 'nowhere.json'));
    const nowhere = runCli(['sbom', example, '-o', join(dir, 'nowhere.json')]);
    expect(nowhere.code).toBe(3);
    expect(nowhere.stderr).toContain('whose folder does not exist');
    expect(existsSync(join(dir, 'made'))).toBe(false);
  });

  it('-o /dev/stdout writes to stdout as it is: a pipe, or a file appended to', () => {
    const piped = runCli(['sbom', example, '--reproducible', '-o', '/dev/stdout']);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toBe(sbom([example, '--reproducible']));
    const log = join(trees.path, 'appended.log');
    writeFileSync(log, 'before\n');
    const fd = openSync(log, 'a');
    try {
      const run = spawnSync(
        process.execPath,
        [join(projectRoot, 'bin/patchpilot.js'), 'sbom', example, '--reproducible', '-o', '/dev/stdout'],
        {
          stdio: ['ignore', fd, 'pipe'],
        },
      );
      expect(run.status, run.stderr.toString()).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(log, 'utf8')).toBe(`before\n${sbom([example, '--reproducible'])}`);
  });

  it('--output escapes C1 controls and bidi overrides as stdout does: the same JSON', () => {
    const dir = join(trees.path, 'controls');
    mkdirSync(dir, { recursive: true });
    const name = 'app\u202egpj.exe\u009b31m';
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        name,
        lockfileVersion: 3,
        packages: {
          '': { name, dependencies: { minimist: '0.0.8' } },
          'node_modules/minimist': { version: '0.0.8' },
        },
      }),
    );
    const out = join(dir, 'bom.json');
    expect(runCli(['sbom', dir, '--reproducible', '-o', out]).code).toBe(0);
    const written = readFileSync(out, 'utf8');
    expect(written).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);
    expect(written).toContain('app\\u202egpj.exe\\u009b31m');
    expect(written).toBe(sbom([dir, '--reproducible']));
    expect(JSON.stringify(JSON.parse(written))).toContain(name);
  });

  it('a write that fails changes nothing and exits 3', () => {
    const locked = join(trees.path, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'bom.json'), 'before');
    chmodSync(locked, 0o500);
    try {
      const result = runCli(['sbom', example, '--output', join(locked, 'bom.json')]);
      if (process.getuid?.() === 0) {
        // root writes anyway; the point below is the folder case.
        expect(result.code).toBe(0);
      } else {
        expect(result.code).toBe(3);
        expect(result.stderr).toContain('[IO_FAILED]');
        expect(readFileSync(join(locked, 'bom.json'), 'utf8')).toBe('before');
      }
    } finally {
      chmodSync(locked, 0o700);
    }
    const folder = runCli(['sbom', example, '--output', locked]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/is a folder; give a file name \[USAGE\]/);
    expect(readdirSync(trees.path).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(existsSync(join(locked, 'bom.json'))).toBe(true);
  });

  it.each([
    [['--format', 'xml'], 'unknown --format "xml" (cyclonedx, spdx)'],
    [['--spec-version', '1.4'], 'unknown --spec-version "1.4" (1.6, 1.5)'],
    [['--format', 'spdx', '--spec-version', '1.6'], '--spec-version applies to --format cyclonedx only'],
    [['--omit', 'prod'], 'unknown --omit "prod" (dev, optional, peer)'],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
    [[example, example], 'expected one folder or lockfile, got 2'],
    [['--output', 'test'], '--output test is a folder; give a file name'],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const result = runCli(['sbom', ...(args.includes(example) ? args : [example, ...args])]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('[USAGE]');
  });

  it('a folder without a lockfile is an input error (exit 2)', () => {
    const result = runCli(['sbom', trees.path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no lockfile found [LOCKFILE_NOT_FOUND]');
  });

  it.each([[['sbom', '--help']], [['help', 'sbom']]])('%j prints help', (args) => {
    const result = runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: patchpilot sbom/);
    expect(runCli(['--help']).stdout).toContain('sbom [DIR]');
  });
});
