import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/cli.js';
import { aliasBomb } from '../../test/helpers/yaml.js';
import { PatchPilotError } from '../core/errors.js';
import { loadCommittedConfig, loadConfigFile, loadProjectConfig, parseConfig } from './load.js';
import { defaultConfig } from './normalize.js';
import { defaultConfigJson, defaultConfigYaml } from './template.js';

const errorOf = (fn: () => unknown): PatchPilotError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PatchPilotError) return error;
    throw error;
  }
  throw new Error('expected an error');
};

const yamlError = (text: string) => errorOf(() => parseConfig(text, '.patchpilot.yml', 'yaml'));

describe('parseConfig', () => {
  it('gives the defaults for an empty file, a comment-only file and an empty JSON object', () => {
    expect(parseConfig('', '.patchpilot.yml', 'yaml')).toEqual(defaultConfig);
    expect(parseConfig('# nothing yet\n', '.patchpilot.yml', 'yaml')).toEqual(defaultConfig);
    expect(parseConfig('\ufeff{}', '.patchpilot.json', 'json')).toEqual(defaultConfig);
  });

  it('loads what `init` writes, in both formats, as exactly the defaults', () => {
    expect(parseConfig(defaultConfigYaml, '.patchpilot.yml', 'yaml')).toEqual(defaultConfig);
    expect(parseConfig(defaultConfigJson(), '.patchpilot.json', 'json')).toEqual(defaultConfig);
    expect(defaultConfig.gate).toEqual({
      malicious: true,
      kev: true,
      sla: { critical: 7, high: 30, moderate: undefined, low: undefined },
      scopes: ['prod'],
    });
    expect(defaultConfig.policy).toEqual({ maxLevel: 3, minReleaseAgeDays: 3, epssThreshold: 0.1, caps: [] });
  });

  it('reads every key, fills in the rest, and keeps YAML 1.2 dates as text', () => {
    const config = parseConfig(
      [
        '$schema: ./node_modules/patchpilot/schema/patchpilot.schema.json',
        'packageManager: pnpm',
        'commands: { test: pnpm test, timeoutSeconds: 120 }',
        'policy:',
        '  maxLevel: 2',
        '  caps:',
        '    - packages: ["@acme/*"]',
        '      facts: [major, adds-install-script]',
        '      maxLevel: 1',
        '      reason: released by hand',
        'gate:',
        '  kev: false',
        '  sla: { high: false, moderate: 90 }',
        '  scopes: [prod, peer]',
        'exceptions:',
        '  - id: GHSA-p6mc-m468-83gw',
        '    package: pkg:npm/lodash@4.17.15',
        '    reason: never called with user input',
        '    expires: 2025-12-31',
        '    author: Jane Doe',
      ].join('\n'),
      '.patchpilot.yml',
      'yaml',
    );
    expect(config.packageManager).toBe('pnpm');
    expect(config.commands).toEqual({
      install: undefined,
      build: undefined,
      test: 'pnpm test',
      timeoutSeconds: 120,
    });
    expect(config.policy.maxLevel).toBe(2);
    expect(config.policy.minReleaseAgeDays).toBe(3);
    expect(config.policy.caps).toEqual([
      {
        packages: ['@acme/*'],
        scopes: undefined,
        severities: undefined,
        facts: ['major', 'adds-install-script'],
        maxLevel: 1,
        reason: 'released by hand',
      },
    ]);
    expect(config.gate).toEqual({
      malicious: true,
      kev: false,
      sla: { critical: 7, high: undefined, moderate: 90, low: undefined },
      scopes: ['prod', 'peer'],
    });
    expect(config.exceptions).toEqual([
      {
        id: 'GHSA-p6mc-m468-83gw',
        package: 'pkg:npm/lodash@4.17.15',
        reason: 'never called with user input',
        expires: '2025-12-31',
        author: 'Jane Doe',
      },
    ]);
  });

  it.each([
    ['gate:\n  sla:\n    critcal: 5\n', 'line 3: gate.sla.critcal: unknown key (did you mean "critical"?)'],
    ['gaet: {}\n', 'line 1: gaet: unknown key (did you mean "gate"?)'],
    ['gate:\n  zzz: 1\n', 'line 2: gate.zzz: unknown key (known: malicious, kev, sla, scopes)'],
    [
      'gate:\n  sla:\n    high: "30"\n',
      'line 3: gate.sla.high: expected a whole number of days, or false to turn this SLA off (found "30")',
    ],
    ['gate:\n  sla:\n    high: 2.5\n', 'line 3: gate.sla.high: expected a whole number of days, or false'],
    [
      'gate:\n  scopes: [prod, production]\n',
      'line 2: gate.scopes[1]: expected one of prod, dev, optional, devOptional, peer (found "production")',
    ],
    ['policy:\n  maxLevel: 6\n', 'line 2: policy.maxLevel: expected a level from 1 to 5 (found 6)'],
    [
      'policy:\n  epssThreshold: 5\n',
      'line 2: policy.epssThreshold: expected a probability from 0 to 1 (found 5)',
    ],
    [
      'policy:\n  caps:\n    - maxLevel: 2\n',
      'line 3: policy.caps[0]: a cap needs at least one of packages, scopes, severities, facts',
    ],
    [
      'policy:\n  caps:\n    - facts: [huge]\n      maxLevel: 2\n',
      'line 3: policy.caps[0].facts[0]: expected one of in-range, patch',
    ],
    ['packageManager: npm7\n', 'line 1: packageManager: expected one of npm, yarn, pnpm, bun (found "npm7")'],
    [
      'exceptions:\n  - id: GHSA-x\n    reason: r\n    expires: 2025-02-30\n    author: a\n',
      'line 4: exceptions[0].expires: expected a date written YYYY-MM-DD (found "2025-02-30")',
    ],
    [
      'exceptions:\n  - id: GHSA-x\n    expires: 2025-02-01\n    author: a\n',
      'line 2: exceptions[0].reason: missing (required)',
    ],
    [
      'exceptions:\n  - id: GHSA-x\n    package: "lodash@@1"\n    reason: r\n    expires: 2025-02-01\n    author: a\n',
      'line 3: exceptions[0].package: expected a package name, name@version or pkg:npm purl',
    ],
    [
      'exceptions:\n  - id: GHSA-x\n    package: "lodash@^4"\n    reason: r\n    expires: 2025-02-01\n    author: a\n',
      'line 3: exceptions[0].package: expected a package name, name@version or pkg:npm purl, with an exact version, not a range',
    ],
    [
      'exceptions:\n  - id: GHSA-x\n    package: pkg:npm/lodash@4.x\n    reason: r\n    expires: 2025-02-01\n    author: a\n',
      'line 3: exceptions[0].package: expected a package name',
    ],
    ['gate:\n  scopes: []\n', 'line 2: gate.scopes: an empty list turns every SLA off'],
    [
      'policy:\n  caps:\n    - packages: []\n      maxLevel: 2\n',
      'line 3: policy.caps[0].packages: an empty list matches nothing',
    ],
    ['- a\n- b\n', 'expected a mapping of settings at the top level'],
  ])('names the line, the key and the problem: %j', (text, message) => {
    const error = yamlError(text);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.category).toBe('input');
    expect(error.message).toContain(`.patchpilot.yml: ${message}`);
  });

  it('lists every problem, in the order of the file', () => {
    const error = yamlError('policy:\n  maxLevel: 0\ngate:\n  kev: yes\n  mallicious: true\n');
    expect(error.message).toBe(
      '.patchpilot.yml: line 2: policy.maxLevel: expected a level from 1 to 5 (found 0) (and 2 more: ' +
        'line 4: gate.kev: expected true or false (found "yes"); ' +
        'line 5: gate.mallicious: unknown key (did you mean "malicious"?))',
    );
  });

  it('reports YAML and JSON syntax errors with line and column, and JSON key errors with the line', () => {
    expect(yamlError('gate:\n  sla: [\n').message).toMatch(
      /^\.patchpilot\.yml: invalid YAML at line \d+, column \d+: /,
    );
    expect(yamlError('a: 1\na: 2\n').message).toContain('invalid YAML at line 2');
    // In the reader's words: one document per file; nesting too deep to read.
    expect(yamlError('gate:\n  kev: true\n---\ngate:\n  kev: false\n').message).toBe(
      '.patchpilot.yml: invalid YAML at line 3, column 1: a second YAML document (after ---): a configuration file holds one',
    );
    expect(yamlError(`gate: ${'['.repeat(1500)}${']'.repeat(1500)}\n`).message).toMatch(
      /invalid YAML at line 1, column \d+: collections nest too deep to read$/,
    );
    const json = errorOf(() =>
      parseConfig('{\n  "gate": {\n    "sla": { "hihg": 3 }\n  }\n}\n', 'c.json', 'json'),
    );
    expect(json.message).toBe('c.json: line 3: gate.sla.hihg: unknown key (did you mean "high"?)');
    const syntax = errorOf(() => parseConfig('{ "gate": ', 'c.json', 'json'));
    expect(syntax.code).toBe('CONFIG_INVALID');
    expect(syntax.message).toContain('c.json: invalid JSON at line 1');
  });

  it('refuses a repeated JSON key, which JSON.parse would let win unseen', () => {
    const json = (text: string) => errorOf(() => parseConfig(text, 'c.json', 'json'));
    expect(json('{"gate": {"malicious": true,\n  "malicious": false}}').message).toBe(
      'c.json: line 2, column 3: "malicious" is repeated',
    );
    expect(json('{"gate": {}, "x\\"y": 1, "exceptions": [], "x\\"y": 2}').message).toContain(
      'line 1, column 43: "x\\"y" is repeated',
    );
    // The same key in two objects, or a key's text as a value, is no repetition.
    expect(
      parseConfig('{"gate": {"sla": {"high": 3}}, "policy": {"maxLevel": 2}}', 'c.json', 'json').gate.sla
        .high,
    ).toBe(3);
    expect(() =>
      parseConfig(
        '{"exceptions": [{"id": "GHSA-a", "reason": "id", "expires": "2099-01-01", "author": "a"},' +
          '{"id": "GHSA-a", "reason": "r", "expires": "2099-01-01", "author": "a"}]}',
        'c.json',
        'json',
      ),
    ).not.toThrow();
    // Nested past what the YAML reader (which finds lines) recurses into: named without a line.
    const deep = `{"gate": ${'{"a": '.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    expect(json(deep).message).toMatch(/^c\.json: gate\.a: unknown key/);
    expect(json(`${'['.repeat(400_000)}${']'.repeat(400_000)}`).message).toBe(
      'c.json: expected a mapping of settings at the top level',
    );
  });

  it("refuses YAML's own types (!!set, !!omap, !!binary), which are no settings", () => {
    expect(yamlError('gate: !!omap [{malicious: false}]\n').message).toBe(
      '.patchpilot.yml: line 1: gate: an ordered map, not a setting (a mapping, list, text, number or boolean)',
    );
    expect(yamlError('gate:\n  scopes: !!set {prod}\n').message).toContain(
      'line 2: gate.scopes: a set, not a setting',
    );
    expect(yamlError('!!binary abc\n').message).toContain('(top level): a binary value, not a setting');
  });

  it('refuses aliases that expand without bound', () => {
    const error = yamlError(aliasBomb('# settings', 'gate'));
    expect([error.code, error.message]).toEqual([
      'CONFIG_INVALID',
      '.patchpilot.yml: its YAML aliases expand more than 100 times',
    ]);
    const loop = yamlError('gate: &x\n  kev: *x\n');
    expect([loop.code, loop.message]).toEqual([
      'CONFIG_INVALID',
      '.patchpilot.yml: a YAML alias refers to the collection it is in',
    ]);
  });
});

describe('loadProjectConfig and loadConfigFile', () => {
  const work = tempDir();
  afterAll(() => work.remove());

  it('finds the one configuration file of a folder, or none', () => {
    const app = join(work.path, 'app');
    mkdirSync(app);
    expect(loadProjectConfig(app, work.path)).toBeUndefined();
    writeFileSync(join(app, '.patchpilot.yaml'), 'gate: { kev: false }\n');
    const loaded = loadProjectConfig(app, work.path);
    expect(loaded?.path).toBe('app/.patchpilot.yaml');
    expect(loaded?.config.gate.kev).toBe(false);
  });

  it('refuses two configuration files, and one that leads outside the project', () => {
    const both = join(work.path, 'both');
    mkdirSync(both);
    writeFileSync(join(both, '.patchpilot.yml'), '');
    writeFileSync(join(both, '.patchpilot.json'), '{}');
    const error = errorOf(() => loadProjectConfig(both, work.path));
    expect(error.message).toBe(
      'both: .patchpilot.yml and .patchpilot.json both exist; PatchPilot reads one configuration file',
    );

    const linked = join(work.path, 'linked');
    mkdirSync(linked);
    writeFileSync(join(work.path, 'outside.yml'), '');
    symlinkSync(join(work.path, 'outside.yml'), join(linked, '.patchpilot.yml'));
    expect(errorOf(() => loadProjectConfig(linked, work.path)).message).toMatch(
      /^linked\/\.patchpilot\.yml: leads outside the project/,
    );
  });

  it('reads a named file wherever it is, and says when it is missing', () => {
    writeFileSync(join(work.path, 'ci.json'), '{ "gate": { "sla": { "critical": 1 } } }');
    expect(loadConfigFile(join(work.path, 'ci.json'), work.path).config.gate.sla.critical).toBe(1);
    const missing = errorOf(() => loadConfigFile(join(work.path, 'nope.yml'), work.path));
    expect(missing.code).toBe('CONFIG_NOT_FOUND');
    expect(missing.message).toBe('nope.yml: no such file');
    mkdirSync(join(work.path, 'configs'));
    expect(errorOf(() => loadConfigFile(join(work.path, 'configs'), work.path)).message).toBe(
      'configs: a folder, not a file',
    );
  });
});

describe('loadCommittedConfig', () => {
  const file = (text: string, regular = true) => ({ regular, text: () => text });
  it("reads the commit's one configuration file, or none", () => {
    expect(loadCommittedConfig('', new Map())).toBeUndefined();
    const loaded = loadCommittedConfig(
      'packages/app',
      new Map([['.patchpilot.yml', file('policy:\n  maxLevel: 2\n')]]),
    );
    expect(loaded?.path).toBe('packages/app/.patchpilot.yml');
    expect(loaded?.config.policy.maxLevel).toBe(2);
  });

  it('refuses two files, a link, and a file too large, as for a folder', () => {
    const two = new Map([
      ['.patchpilot.yml', file('{}')],
      ['.patchpilot.json', file('{}')],
    ]);
    expect(() => loadCommittedConfig('', two)).toThrow(/\.patchpilot\.yml and \.patchpilot\.json both exist/);
    expect(() => loadCommittedConfig('', new Map([['.patchpilot.yml', file('../x', false)]]))).toThrow(
      /not a regular file in the commit/,
    );
    expect(() =>
      loadCommittedConfig('', new Map([['.patchpilot.json', file(`{"x":"${'a'.repeat(1024 * 1024)}"}`)]])),
    ).toThrow(/more than a configuration file should be/);
  });
});
