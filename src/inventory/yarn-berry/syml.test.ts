import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResolution } from '@yarnpkg/parsers';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { aliasBomb } from '../../../test/helpers/yaml.js';
import { parseResolutions } from './descriptors.js';
import { parseLockfileYaml, readSubset } from './syml.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../../../test/fixtures/yarn-berry');
const jest = resolve(here, '../../../../shared/data/projects/jestjs__jest@52db46e504/yarn.lock');

const lockfiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return lockfiles(full);
    return name === 'yarn.lock' ? [full] : [];
  });

describe('readSubset', () => {
  const files = [...lockfiles(fixtures), ...(existsSync(jest) ? [jest] : [])];

  it.each(files)('reads %s exactly as the yaml package does', (file) => {
    const text = readFileSync(file, 'utf8');
    const fast = readSubset(text);
    expect(fast).toBeDefined();
    expect(fast).toEqual(parse(text));
    expect(readSubset(text.replace(/\n/g, '\r\n'))).toEqual(fast);
  });

  // Each snippet is either outside the subset (undefined) or read exactly as `yaml` reads it.
  const snippets = [
    'a: 1\nb: true\nc: false\nd: 1.2.3\ne: "x\\ty\\u00e9"\nf: ^1 || ^2\ng: os=darwin & cpu=x64\n',
    'a:\n  b:\n    c: d\n  e: f\ng:\n',
    'a:\n\n  # comment\n  b: c\n# end\n',
    '"a@npm:1, a@npm:^1": \n  version: 1.0.0\n',
    'a: 1.0\n',
    'a: 0x1F\n',
    'a: null\n',
    'a: ~\n',
    'a: .inf\n',
    'a: -1\n',
    'a: 1e3\n',
    'a: 0o17\n',
    'a: 010\n',
    'a: yes\n',
    'a: 12345678901234567890\n',
    'a: [1, 2]\n',
    'a: {b: c}\n',
    'a: &x b\nc: *x\n',
    'a: !!str 1\n',
    "a: 'single'\n",
    'a: |\n  text\n',
    'a: >\n  text\n',
    'a: b\n  c\n',
    'a:\n- b\n',
    '- a\n',
    'a: b # comment\n',
    'a: b:c\n',
    'a: b: c\n',
    'a:b\n',
    '"a":b\n',
    'a :b\n',
    'a:\n    b: 1\n  c: 2\n',
    'a:\n  b: 1\n c: 2\n',
    '  a: 1\n',
    'a: 1\na: 2\n',
    '"a": 1\na: 2\n',
    '__proto__: 1\n',
    'true: 1\n',
    '10: 1\n',
    'a: "unterminated\n',
    'a: "x" y\n',
    'a: "\\x41"\n',
    'a:\tb\n',
    '\ufeffa: b\n',
    'a: b\rc: d\n',
    '---\na: b\n',
    '%YAML 1.2\n---\na: b\n',
    '? a\n: b\n',
    '',
    '# only a comment\n',
    'a: "b\\"c"\n',
    'a: b\\c\n',
    'a: @b\n',
    'a: `b\n',
    'a: ,b\n',
    'a: %b\n',
    'a: b,c[d]{e}\n',
    'a: ./bin/x.js\n',
    'a: (b)\n',
  ];
  it.each(snippets)('%j: outside the subset, or read as yaml reads it', (snippet) => {
    const fast = readSubset(snippet);
    if (fast === undefined) return;
    expect(fast).toEqual(parse(snippet));
  });

  it('reads the common shapes with the fast path', () => {
    expect(readSubset(snippets[0] as string)).toEqual({
      a: 1,
      b: true,
      c: false,
      d: '1.2.3',
      e: 'x\ty\u00e9',
      f: '^1 || ^2',
      g: 'os=darwin & cpu=x64',
    });
    expect(readSubset('a:\n  b:\n    c: d\n  e: f\ng:\n')).toEqual({ a: { b: { c: 'd' }, e: 'f' }, g: null });
  });

  it('falls back to the yaml package outside the subset', () => {
    expect(parseLockfileYaml("a: 'single'\nb: [1, 2]\n", '/p/yarn.lock')).toEqual({ a: 'single', b: [1, 2] });
    expect(() => parseLockfileYaml(aliasBomb('__metadata: {version: 8}', 'x'), '/p/yarn.lock')).toThrow(
      expect.objectContaining({
        code: 'LOCKFILE_INVALID_YAML',
        message: '/p/yarn.lock: its YAML aliases expand more than 100 times',
      }),
    );
    expect(() =>
      parseLockfileYaml('__metadata:\n  version: 8\n"a@npm:1": &x\n  x: [*x]\n', '/p/yarn.lock'),
    ).toThrow(
      expect.objectContaining({
        code: 'LOCKFILE_INVALID_YAML',
        message: '/p/yarn.lock: a YAML alias refers to the collection it is in',
      }),
    );
  });
});

describe('parseResolutions', () => {
  it('reads patterns as @yarnpkg/parsers does, skipping those it refuses', () => {
    const patterns = [
      'ms',
      'ms@2.0.0',
      'ms@npm:2.0.0',
      'debug/ms',
      'debug@2.6.9/ms',
      '@a/b@1/@c/d@^2',
      '@s/a',
      '@s/a/b',
      'a/@s/b',
      'a@1@2',
      '**/ms',
      'debug/**/ms',
      'a/b/c',
      '@s',
      'a@',
    ];
    const field = Object.fromEntries(patterns.map((p) => [p, '1.0.0']));
    const ours = parseResolutions(field);
    const yarns = patterns.flatMap((p) => {
      try {
        return [parseResolution(p)];
      } catch {
        return [];
      }
    });
    expect(ours.map((r) => ({ from: r.from, name: r.name, description: r.description }))).toEqual(
      yarns.map((r) => ({
        from: r.from ? { name: r.from.fullName, description: r.from.description } : undefined,
        name: r.descriptor.fullName,
        description: r.descriptor.description,
      })),
    );
  });
});
