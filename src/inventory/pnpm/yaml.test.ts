import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aliasBomb } from '../../../test/helpers/yaml.js';
import { readSimpleYaml, readWithYamlPackage, readYamlDocuments } from './yaml.js';

const fixtureRoot = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'pnpm');
const full = (text: string): unknown[] => readWithYamlPackage(text, '/p/pnpm-lock.yaml');

describe('readSimpleYaml', () => {
  for (const name of readdirSync(fixtureRoot).sort()) {
    it(`reads the ${name} fixture as the yaml package does`, () => {
      const text = readFileSync(join(fixtureRoot, name, 'pnpm-lock.yaml'), 'utf8');
      const fast = readSimpleYaml(text);
      expect(fast).toBeDefined();
      expect(fast).toEqual(full(text));
    });
  }

  const accepted: [string, string][] = [
    [
      'scalars of the core schema',
      'a: 5.4\nb: 5\nc: true\nd: False\ne: null\nf: ~\ng: 1.2.3\nh: 1e3\ni: +7\nj: .5\nk: yes\n',
    ],
    ['quoted scalars', "a: 'it''s'\nb: \"x\\\"y\\u00e9\"\nc: ''\n'@s/k': 1\n\"q\": 2\n"],
    [
      'plain scalars with colons and hashes',
      'a: link:../b\nb: https://x.y/z#frag\nc: a#b\n/@s/x@1.0.0(p@2.0.0): {}\n',
    ],
    [
      'flow collections',
      "a: {integrity: sha512-x==, tarball: 'https://x/y.tgz'}\nb: [x64, '!win32']\nc: {}\nd: []\ne: {node: ^10 || >=12}\n",
    ],
    ['sequences, indented or not', 'a:\n  - x\n  - y\nb:\n- z\nc:\n  d:\n    - 1\n'],
    ['nulls and blank lines', 'a:\n\nb:\n  c:\n\n  d: 1\n# comment\ne: 2\r\n'],
    ['two documents', '---\na: 1\n\n---\nb: 2\n'],
  ];
  for (const [label, text] of accepted) {
    it(`reads ${label} as the yaml package does`, () => {
      const fast = readSimpleYaml(text);
      expect(fast).toBeDefined();
      expect(fast).toEqual(full(text));
    });
  }

  const refused: [string, string][] = [
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['tags', 'a: !!str 1\n'],
    ['block scalars', 'a: |\n  text\n'],
    ['multi-line plain scalars', 'a: one\n  two\n'],
    ['multi-line quoted scalars', "a: 'one\n  two'\n"],
    ['comments after values', 'a: 1 # one\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['tabs in indentation', 'a:\n\tb: 1\n'],
    ['mappings in sequences', 'a:\n  - b: 1\n'],
    ['nested flow collections', 'a: {b: [1]}\n'],
    ['directives', '%YAML 1.2\n---\na: 1\n'],
    ['empty documents', '---\n---\na: 1\n'],
    ['hex numbers', 'a: 0x1F\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['an unclosed flow mapping', 'a: {b: 1\n'],
    ['YAML-only escapes', 'a: "\\x41"\n'],
  ];
  for (const [label, text] of refused) {
    it(`leaves ${label} to the yaml package`, () => {
      expect(readSimpleYaml(text)).toBeUndefined();
    });
  }

  it('still reads such files, through the yaml package', () => {
    expect(readYamlDocuments('a: &x 1\nb: *x\n', '/p/pnpm-lock.yaml')).toEqual([{ a: 1, b: 1 }]);
    expect(readYamlDocuments('\ufeffa: 1\n', '/p/pnpm-lock.yaml')).toEqual([{ a: 1 }]);
  });
});

describe('readYamlDocuments: nesting', () => {
  it('refuses block collections nested deeper than any lockfile, with a clear error, not a stack overflow', () => {
    const deep = (n: number) =>
      `lockfileVersion: '9.0'\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:\n`).join('')}${' '.repeat(n)}v: 1\n`;
    expect(() => readYamlDocuments(deep(5000), 'pnpm-lock.yaml')).toThrow(
      expect.objectContaining({
        code: 'LOCKFILE_INVALID_YAML',
        message: 'pnpm-lock.yaml: collections nest more than 200 deep',
      }),
    );
    // As deep as allowed, it reads.
    expect(readYamlDocuments(deep(150), 'pnpm-lock.yaml')).toHaveLength(1);
  });

  it('refuses aliases that expand without bound, as an input error', () => {
    expect(() =>
      readYamlDocuments(aliasBomb("lockfileVersion: '9.0'", 'packages'), 'pnpm-lock.yaml'),
    ).toThrow(
      expect.objectContaining({
        code: 'LOCKFILE_INVALID_YAML',
        message: 'pnpm-lock.yaml: its YAML aliases expand more than 100 times',
      }),
    );
    // An alias inside its own anchor's collection: a value that contains itself.
    expect(() =>
      readYamlDocuments("lockfileVersion: '9.0'\nimporters: &x\n  '.': *x\n", 'pnpm-lock.yaml'),
    ).toThrow(
      expect.objectContaining({
        code: 'LOCKFILE_INVALID_YAML',
        message: 'pnpm-lock.yaml: a YAML alias refers to the collection it is in',
      }),
    );
    // Shared, not circular: fine.
    expect(readYamlDocuments('a: &x [1]\nb: [*x, *x]\n', 'pnpm-lock.yaml')).toEqual([
      { a: [1], b: [[1], [1]] },
    ]);
  });
});
