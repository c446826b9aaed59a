import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { requireSharedData, sharedData, tempDir } from '../../test/helpers/cli.js';
import { createRegistry } from './index.js';
import { parseUniverse, readPlainUniverse } from './universe.js';

const universe = (schema: string, system = 'npm'): string =>
  `system: ${system}\nschema: |\n${schema
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n')}\n`;

describe('parseUniverse', () => {
  it('reads packages, versions and typed dependencies (two-space levels)', () => {
    const packages = parseUniverse(
      universe(
        [
          '# a comment',
          'd',
          '  1.0.0',
          '    e@^1.0.0',
          '    Dev|f@^1.0.0',
          '  1.4.1 ',
          '    e@^2.0.0',
          '    f@^1.0.0',
          '    Opt|f@^1.0.0',
          '    Scope peer|@babel/core@^7.0.0-0 || ^8.0.0-0 <8.0.0',
          '    Opt Scope peer|react@*',
          '    KnownAs e-old|e@^1.0.0',
          '    js-tokens@^3.0.0 || ^4.0.0',
          '    Scope bundle|g@1.0.0',
          '  2.0.0-beta.1',
          '@bad/one',
          '  1.0.0',
        ].join('\n'),
      ),
      'universe.yaml',
    );
    expect([...packages.keys()]).toEqual(['d', '@bad/one']);
    const d = packages.get('d');
    expect(d).toMatchObject({ name: 'd', form: 'universe', distTags: { latest: '1.4.1' }, skipped: [] });
    expect(d?.versions['1.0.0']).toEqual({
      version: '1.0.0',
      dependencies: { e: '^1.0.0' },
      optionalDependencies: {},
      peerDependencies: {},
      peerDependenciesMeta: {},
      dist: undefined,
      deprecated: undefined,
      hasInstallScript: undefined,
      publishedAt: undefined,
    });
    expect(d?.versions['1.4.1']).toMatchObject({
      dependencies: { e: '^2.0.0', 'e-old': 'npm:e@^1.0.0', 'js-tokens': '^3.0.0 || ^4.0.0' },
      optionalDependencies: { f: '^1.0.0' },
      peerDependencies: { '@babel/core': '^7.0.0-0 || ^8.0.0-0 <8.0.0', react: '*' },
      peerDependenciesMeta: { react: { optional: true } },
    });
    expect(Object.keys(d?.versions ?? {})).toEqual(['1.0.0', '1.4.1', '2.0.0-beta.1']);
    expect(packages.get('@bad/one')?.distTags).toEqual({ latest: '1.0.0' });
  });

  it('reads tab levels, version attributes and symbolic versions', () => {
    const packages = parseUniverse(
      'system: NPM\nschema: |\n  a\n  \t1.0.0\n  \tBlocked|1.1.0\n  \t\tb@^1\n  \tlatest -> 1.0.0\n',
      'u.yaml',
    );
    expect(packages.get('a')).toMatchObject({
      distTags: { latest: '1.0.0' },
      versions: { '1.1.0': { deprecated: expect.any(String), dependencies: { b: '^1' } } },
    });
  });

  it('reads an empty requirement as *, leaves Test dependencies out, and skips pre-releases for latest', () => {
    const a = parseUniverse(
      universe('a\n  1.0.0\n    b@\n    Test|c@^1\n  1.1.0+build-7\n  2.0.0-rc.1'),
      'u.yaml',
    ).get('a');
    expect(a?.versions['1.0.0']?.dependencies).toEqual({ b: '*' });
    expect(a?.distTags).toEqual({ latest: '1.1.0+build-7' });
  });

  it.each([
    [universe('a\n  1.0.0', 'maven'), /system "maven": only npm universes are read/],
    ['system: npm\n', /no "schema" block/],
    ['system: npm\nschema: [unclosed\n', /invalid YAML/],
    ['system: npm\nschema: |\n  \t1.0.0\n', /line 3: version "1.0.0" before any package/],
    [universe('a\n   1.0.0'), /line 4: odd indentation/],
    [universe('a\n  1.0.0\n      b@1'), /line 5: 3 levels of indentation/],
    [universe('a\n  1.0.0\n    b'), /line 5: expected name@requirement, got "b"/],
    [universe('a b'), /line 3: a package line holds one name/],
    [universe('a\n  one'), /line 4: "one" is not a semver version/],
  ])('refuses a malformed universe (%#)', (text, message) => {
    expect(() => parseUniverse(text, 'u.yaml')).toThrow(message);
    try {
      parseUniverse(text, 'u.yaml');
    } catch (error) {
      expect(error).toMatchObject({ code: 'UNIVERSE_INVALID', message: expect.stringMatching(/^u\.yaml: /) });
    }
  });
});

describe('createRegistry with a universe', () => {
  let dir: { path: string; remove: () => void };
  beforeEach(() => {
    dir = tempDir('patchpilot-universe-');
  });
  afterEach(() => dir.remove());

  it('answers from the file, relative to cwd, and undefined for names it lacks', async () => {
    writeFileSync(join(dir.path, 'u.yaml'), universe('a\n  1.0.0\n    b@^1.0.0\nb\n  1.0.0'));
    const registry = createRegistry({ cwd: dir.path, env: {}, universe: 'u.yaml', offline: true });
    expect(registry.kind).toBe('universe');
    expect((await registry.getPackage('a', { full: true }))?.versions['1.0.0']?.dependencies).toEqual({
      b: '^1.0.0',
    });
    expect(await registry.getPackage('c')).toBeUndefined();
    await registry.close();
  });

  it('names a missing file', () => {
    expect(() => createRegistry({ cwd: dir.path, env: {}, universe: 'missing.yaml' })).toThrow(
      expect.objectContaining({
        code: 'UNIVERSE_NOT_FOUND',
        message: `${join(dir.path, 'missing.yaml')}: no such file`,
      }),
    );
  });
});

const fixtures = join(sharedData, 'remediation-fixtures');
const universeFiles = (folder: string): string[] =>
  readdirSync(folder).flatMap((name) => {
    const full = join(folder, name);
    if (statSync(full).isDirectory()) return universeFiles(full);
    return /universe\.yaml$/.test(name) || full.endsWith('/universe/npm.yaml') ? [full] : [];
  });

describe.skipIf(!requireSharedData())(
  "OSV-Scanner's universe files (../shared/data/remediation-fixtures)",
  () => {
    const files = universeFiles(fixtures);

    it('finds the npm universes', () => {
      expect(files.length).toBeGreaterThanOrEqual(8);
    });

    it.each(files)('reads %s', (file) => {
      const packages = parseUniverse(readFileSync(file, 'utf8'), file);
      expect(packages.size).toBeGreaterThan(0);
      const empty = [...packages.values()].flatMap((metadata) =>
        Object.values(metadata.versions).flatMap((version) =>
          Object.entries({
            ...version.dependencies,
            ...version.optionalDependencies,
            ...version.peerDependencies,
          })
            .filter(([, spec]) => spec.trim() === '')
            .map(([name]) => `${metadata.name}@${version.version} → ${name}`),
        ),
      );
      expect(empty).toEqual([]);
    });

    /** Every package, version and (non-dev) dependency name, counted line by line from the schema. */
    const census = (schema: string): Record<string, Record<string, string[]>> => {
      const found: Record<string, Record<string, string[]>> = {};
      let versions: Record<string, string[]> = {};
      let names: string[] = [];
      for (const line of schema.split('\n')) {
        const text = line.replace(/#.*/, '').trimEnd();
        if (text.trim() === '') continue;
        const depth = (/^(?:\t| {2})*/.exec(text)?.[0] ?? '').replace(/ {2}/g, '\t').length;
        const body = text.trim();
        if (depth === 0) {
          versions = found[body] ?? {};
          found[body] = versions;
        } else if (depth === 1 && !body.includes('->')) {
          const version = body.slice(body.indexOf('|') + 1);
          names = versions[version] ?? [];
          versions[version] = names;
        } else if (depth === 2 && !/^(?:[^|@]*\s)?Dev[\s|]/.test(body)) {
          const alias = /^KnownAs (\S+)\|/.exec(body)?.[1];
          const spec = body.replace(/^[^@|]*\|/, '');
          const name = alias ?? spec.slice(0, spec.indexOf('@', 1));
          if (!names.includes(name)) names.push(name);
        }
      }
      for (const versionsOf of Object.values(found))
        for (const list of Object.values(versionsOf)) list.sort();
      return found;
    };

    it.each(files)('keeps every package, version and dependency of %s', (file) => {
      const text = readFileSync(file, 'utf8');
      const got: Record<string, Record<string, string[]>> = {};
      for (const [name, metadata] of parseUniverse(text, file)) {
        got[name] = Object.fromEntries(
          Object.entries(metadata.versions).map(([version, v]) => [
            version,
            [
              ...Object.keys(v.dependencies),
              ...Object.keys(v.optionalDependencies),
              ...Object.keys(v.peerDependencies),
            ].sort(),
          ]),
        );
      }
      expect(got).toEqual(census((parse(text) as { schema: string }).schema));
    });

    it('reads the santatracker slice of npm as published', () => {
      const file = join(
        fixtures,
        'osv-scanner@f6c921cad3/internal/remediation/testdata/santatracker/universe.yaml',
      );
      const packages = parseUniverse(readFileSync(file, 'utf8'), file);
      expect(packages.size).toBe(784);
      expect(packages.get('chokidar')?.versions['3.5.1']).toMatchObject({
        dependencies: expect.objectContaining({ anymatch: '~3.1.1', readdirp: '~3.5.0' }),
        optionalDependencies: { fsevents: '~2.3.1' },
      });
      expect(packages.get('@isaacs/cliui')?.versions['8.0.2']?.dependencies).toMatchObject({
        'string-width-cjs': 'npm:string-width@^4.2.0',
      });
      expect(
        packages.get('@babel/helper-create-class-features-plugin')?.versions['7.28.5']?.peerDependencies,
      ).toEqual({ '@babel/core': '^7.0.0' });
    });

    it('reads the in-place fixture: a dependency listed plainly and as Opt is optional', () => {
      const file = join(
        fixtures,
        'osv-scalibr@c2094f2d68/guidedremediation/internal/strategy/inplace/testdata/npm/universe.yaml',
      );
      const d = parseUniverse(readFileSync(file, 'utf8'), file).get('d');
      expect(d?.versions['1.4.1']).toMatchObject({
        dependencies: { e: '^2.0.0' },
        optionalDependencies: { f: '^1.0.0' },
      });
      expect(d?.versions['1.0.0']?.dependencies).toEqual({ e: '^1.0.0' });
    });
  },
);

describe('readPlainUniverse: the YAML parser skipped for the shape universe files have', () => {
  const yamlOf = (text: string) => parse(text) as { system: string; schema: string };

  it.each<[string, string]>([
    ['plain', '# generated\nsystem: NPM\nschema: |\n  a\n  \t1.0.0\n  \t\tb@^1\n\n  b\n  \t1.0.0\n'],
    [
      'trailing blank lines and a comment after the block',
      'system: npm\nschema: |\n  a\n  \t1.0.0\n\n\n# end\n',
    ],
    ['CRLF', 'system: npm\r\nschema: |\r\n  a\r\n  \t1.0.0\r\n'],
    ['four spaces of indentation', 'system: npm\nschema: |\n    a\n    \t1.0.0\n'],
  ])('reads what the YAML parser reads: %s', (_name, text) => {
    expect(readPlainUniverse(text)).toEqual(yamlOf(text));
  });

  it.each<[string, string]>([
    ['a quoted system', 'system: "npm"\nschema: |\n  a\n'],
    ['another key', 'system: npm\nother: 1\nschema: |\n  a\n'],
    ['a key after the block', 'system: npm\nschema: |\n  a\nmore: 1\n'],
    ['a folded block', 'system: npm\nschema: >\n  a\n'],
    ['strip chomping', 'system: npm\nschema: |-\n  a\n'],
    ['no system', 'schema: |\n  a\n'],
  ])('leaves anything else to the YAML parser: %s', (_name, text) => {
    expect(readPlainUniverse(text)).toBeUndefined();
  });

  it.runIf(requireSharedData())(
    'reads every universe file of the real fixtures as the YAML parser does',
    () => {
      const files: string[] = [];
      const walk = (dir: string): void => {
        for (const entry of readdirSync(dir)) {
          const path = join(dir, entry);
          if (statSync(path).isDirectory()) walk(path);
          else if (entry.endsWith('.yaml')) files.push(path);
        }
      };
      walk(join(sharedData, 'remediation-fixtures'));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        expect(readPlainUniverse(text), file).toEqual(yamlOf(text));
      }
    },
  );
});
