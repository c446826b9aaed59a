import { describe, expect, it } from 'vitest';
import { PatchPilotError } from '../core/errors.js';
import type { EdgeType } from '../core/inventory.js';
import type { ManifestChange, OverrideChange, PackageChange } from '../core/plan.js';
import { editManifest } from './manifest.js';

const raise = (
  dependency: string,
  type: EdgeType,
  fromRange: string,
  toRange: string,
  importer = '',
): ManifestChange => ({
  kind: 'manifest',
  importer,
  dependency,
  name: dependency,
  type,
  fromRange,
  toRange,
  from: undefined,
  to: '0.0.0',
  step: 'major',
  downgrade: false,
});

const override = (
  action: OverrideChange['action'],
  path: string[],
  values: { from?: string; to?: string },
  file = 'package.json',
): OverrideChange => ({
  kind: 'override',
  action,
  manager: 'npm',
  file,
  path,
  key: path.join(' > '),
  name: path.at(-1) as string,
  ...values,
  advisories: ['GHSA-xxxx-xxxx-xxxx'],
  outOfRange: false,
});

/** Lines joined with \n and a final newline: a manifest as npm writes it. */
const json = (...lines: string[]): string => `${lines.join('\n')}\n`;

const manifest = json(
  '{',
  '  "name": "app",',
  '  "version": "1.0.0",',
  '  "dependencies": {',
  '    "express": "^4.17.0",',
  '    "lodash-old": "npm:lodash@^4.17.20"',
  '  },',
  '  "devDependencies": {',
  '    "mocha": "~8.0.0",',
  '    "react": "^16.0.0"',
  '  },',
  '  "peerDependencies": {',
  '    "react": ">=16"',
  '  },',
  '  "optionalDependencies": {',
  '    "fsevents": "1.2.9"',
  '  },',
  '  "license": "MIT"',
  '}',
);

describe('editManifest: declared ranges', () => {
  it('returns the content untouched when no change is for this manifest', () => {
    const changes: PackageChange[] = [
      raise('express', 'prod', '^4.17.0', '^4.18.0', 'packages/a'),
      override('add', ['minimist'], { to: '1.2.8' }, 'packages/a/package.json'),
      {
        kind: 'lock',
        name: 'ms',
        from: '2.0.0',
        to: '2.0.1',
        locations: ['node_modules/ms'],
        step: 'patch',
        downgrade: false,
      },
    ];
    expect(editManifest(manifest, '', changes)).toEqual({ content: manifest, problems: [] });
    expect(editManifest(manifest, '', [])).toEqual({ content: manifest, problems: [] });
  });

  it.each<[string, ManifestChange, string, string]>([
    ['prod', raise('express', 'prod', '^4.17.0', '^4.18.2'), '"express": "^4.17.0"', '"express": "^4.18.2"'],
    [
      'dev (the peer range stays)',
      raise('react', 'dev', '^16.0.0', '^16.14.0'),
      '"react": "^16.0.0"',
      '"react": "^16.14.0"',
    ],
    ['peer', raise('react', 'peer', '>=16', '>=16.14.0'), '"react": ">=16"', '"react": ">=16.14.0"'],
    [
      'optional',
      raise('fsevents', 'optional', '1.2.9', '1.2.13'),
      '"fsevents": "1.2.9"',
      '"fsevents": "1.2.13"',
    ],
    [
      'an alias, prefix given',
      raise('lodash-old', 'prod', 'npm:lodash@^4.17.20', 'npm:lodash@^4.17.21'),
      '"lodash-old": "npm:lodash@^4.17.20"',
      '"lodash-old": "npm:lodash@^4.17.21"',
    ],
    [
      'an alias, bare range given',
      raise('lodash-old', 'prod', '^4.17.20', '^4.17.21'),
      '"lodash-old": "npm:lodash@^4.17.20"',
      '"lodash-old": "npm:lodash@^4.17.21"',
    ],
  ])('%s: only that value changes, in place', (_name, change, before, after) => {
    const result = editManifest(manifest, '', [change]);
    expect(result.problems).toEqual([]);
    // Exactly one occurrence replaced: the range in the field for the type.
    const at = manifest.indexOf(before, change.type === 'peer' ? manifest.indexOf('peerDependencies') : 0);
    expect(result.content).toBe(manifest.slice(0, at) + after + manifest.slice(at + before.length));
  });

  it('applies the changes of a workspace manifest by its folder', () => {
    const result = editManifest(manifest, 'packages/a', [
      raise('express', 'prod', '^4.17.0', '^4.18.2', 'packages/a'),
      raise('mocha', 'dev', '~8.0.0', '~8.4.0', ''),
    ]);
    expect(result.content).toContain('"express": "^4.18.2"');
    expect(result.content).toContain('"mocha": "~8.0.0"');
  });

  it.each<[string, ManifestChange, string]>([
    [
      'another range',
      raise('express', 'prod', '^4.16.0', '^4.18.2'),
      'dependencies["express"]: expected "^4.16.0", found "^4.17.0"',
    ],
    [
      'the wrong field',
      raise('express', 'dev', '^4.17.0', '^4.18.2'),
      'devDependencies["express"]: not declared (expected "^4.17.0")',
    ],
    [
      'not declared',
      raise('koa', 'prod', '^2.0.0', '^2.1.0'),
      'dependencies["koa"]: not declared (expected "^2.0.0")',
    ],
    [
      'an alias of another range',
      raise('lodash-old', 'prod', '^4.17.19', '^4.17.21'),
      'dependencies["lodash-old"]: expected "^4.17.19", found "npm:lodash@^4.17.20"',
    ],
  ])('a stale range is a problem and nothing is written: %s', (_name, change, problem) => {
    const result = editManifest(manifest, '', [change]);
    expect(result).toEqual({ content: manifest, problems: [problem] });
  });

  it('keeps tabs, CRLF and a missing final newline', () => {
    const content = '{\r\n\t"name": "app",\r\n\t"dependencies": {\r\n\t\t"express": "^4.17.0"\r\n\t}\r\n}';
    const result = editManifest(content, '', [raise('express', 'prod', '^4.17.0', '^4.18.2')]);
    expect(result.content).toBe(
      '{\r\n\t"name": "app",\r\n\t"dependencies": {\r\n\t\t"express": "^4.18.2"\r\n\t}\r\n}',
    );
  });

  it('keeps four-space indents and a byte-order mark', () => {
    const content = '\uFEFF{\n    "dependencies": {\n        "express": "^4.17.0"\n    }\n}\n';
    const result = editManifest(content, '', [raise('express', 'prod', '^4.17.0', '^4.18.2')]);
    expect(result.content).toBe('\uFEFF{\n    "dependencies": {\n        "express": "^4.18.2"\n    }\n}\n');
  });

  it('changes only the values in a layout of its own: compact objects, odd spacing, a key given twice', () => {
    const content =
      '{ "name": "y4", "workspaces": ["packages/*"], "scripts": { "test": "node test.js" },\n' +
      '  "dependencies": { "optimist": "0.6.1", "a\\"b": "1" }, "devDependencies" :{"node-fetch":"2.6.0"},\n' +
      '  "dependencies": { "optimist": "0.6.1" , "x": {"y": ["}", "{"]} } }\n';
    const result = editManifest(content, '', [
      raise('node-fetch', 'dev', '2.6.0', '2.6.7'),
      raise('optimist', 'prod', '0.6.1', '^0.6.2'),
    ]);
    expect(result.problems).toEqual([]);
    // The second "dependencies" is the one JSON.parse keeps, and the one changed.
    expect(result.content).toBe(
      '{ "name": "y4", "workspaces": ["packages/*"], "scripts": { "test": "node test.js" },\n' +
        '  "dependencies": { "optimist": "0.6.1", "a\\"b": "1" }, "devDependencies" :{"node-fetch":"2.6.7"},\n' +
        '  "dependencies": { "optimist": "^0.6.2" , "x": {"y": ["}", "{"]} } }\n',
    );
    // A pnpm override's value changes in place too.
    const pnpm = '{"pnpm": {"overrides": {"lodash": "4.17.15"}}, "dependencies": {"lodash": "^4.17.15"}}';
    const changed = editManifest(pnpm, '', [
      { ...override('change', ['lodash'], { from: '4.17.15', to: '4.17.21' }), manager: 'pnpm' },
    ]);
    expect(changed.content).toBe(
      '{"pnpm": {"overrides": {"lodash": "4.17.21"}}, "dependencies": {"lodash": "^4.17.15"}}',
    );
  });

  it.each([
    ['not JSON', '{"name": '],
    ['an array', '[]'],
    ['a string', '"x"'],
  ])('throws MANIFEST_INVALID for %s', (_name, content) => {
    const run = () => editManifest(content, 'packages/a', [raise('x', 'prod', '1', '2', 'packages/a')]);
    expect(run).toThrow(PatchPilotError);
    expect(run).toThrow(/packages\/a\/package\.json/);
    try {
      run();
    } catch (error) {
      expect((error as PatchPilotError).code).toBe('MANIFEST_INVALID');
    }
  });
});

describe('editManifest: overrides', () => {
  const withOverrides = json(
    '{',
    '  "name": "app",',
    '  "overrides": {',
    '    "minimist": "1.2.6",',
    '    "mkdirp": "0.5.5",',
    '    "glob": {',
    '      ".": "7.2.0",',
    '      "minimatch": "3.0.5"',
    '    },',
    '    "request": {',
    '      "qs": "6.5.3"',
    '    }',
    '  },',
    '  "license": "MIT"',
    '}',
  );

  it('adds `overrides` at the end of a manifest without one', () => {
    const result = editManifest(json('{', '  "name": "app",', '  "license": "MIT"', '}'), '', [
      override('add', ['minimist@1.2.5'], { to: '1.2.6' }),
      override('add', ['mkdirp', 'minimist'], { to: '1.2.6' }),
    ]);
    expect(result).toEqual({
      content: json(
        '{',
        '  "name": "app",',
        '  "license": "MIT",',
        '  "overrides": {',
        '    "minimist@1.2.5": "1.2.6",',
        '    "mkdirp": {',
        '      "minimist": "1.2.6"',
        '    }',
        '  }',
        '}',
      ),
      problems: [],
    });
  });

  it('appends a new key at the end of its object', () => {
    const result = editManifest(withOverrides, '', [
      override('add', ['semver'], { to: '7.5.2' }),
      override('add', ['request', 'tough-cookie'], { to: '4.1.3' }),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.content).toBe(
      withOverrides
        .replace('      "qs": "6.5.3"\n', '      "qs": "6.5.3",\n      "tough-cookie": "4.1.3"\n')
        .replace('    }\n  },\n  "license"', '    },\n    "semver": "7.5.2"\n  },\n  "license"'),
    );
  });

  it('turns a parent that holds a version into an object whose "." keeps it, in place', () => {
    const result = editManifest(withOverrides, '', [
      override('add', ['mkdirp', 'minimist'], { to: '1.2.6' }),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.content).toBe(
      withOverrides.replace(
        '    "mkdirp": "0.5.5",\n',
        '    "mkdirp": {\n      ".": "0.5.5",\n      "minimist": "1.2.6"\n    },\n',
      ),
    );
  });

  it('changes a value in place, at the top, in a scope, and an object own "."', () => {
    const result = editManifest(withOverrides, '', [
      override('change', ['minimist'], { from: '1.2.6', to: '1.2.8' }),
      override('change', ['glob', 'minimatch'], { from: '3.0.5', to: '3.1.2' }),
      override('change', ['glob', '.'], { from: '7.2.0', to: '7.2.3' }),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.content).toBe(
      withOverrides
        .replace('"minimist": "1.2.6"', '"minimist": "1.2.8"')
        .replace('"minimatch": "3.0.5"', '"minimatch": "3.1.2"')
        .replace('".": "7.2.0"', '".": "7.2.3"'),
    );
  });

  it('a key that holds an object stands for its "."', () => {
    const result = editManifest(withOverrides, '', [
      override('change', ['glob'], { from: '7.2.0', to: '7.2.3' }),
    ]);
    expect(result.content).toBe(withOverrides.replace('".": "7.2.0"', '".": "7.2.3"'));
  });

  it('removes an entry, then the emptied scope', () => {
    const result = editManifest(withOverrides, '', [
      override('remove', ['mkdirp'], { from: '0.5.5' }),
      override('remove', ['request', 'qs'], { from: '6.5.3' }),
      override('remove', ['glob', 'minimatch'], { from: '3.0.5' }),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.content).toBe(
      json(
        '{',
        '  "name": "app",',
        '  "overrides": {',
        '    "minimist": "1.2.6",',
        '    "glob": {',
        '      ".": "7.2.0"',
        '    }',
        '  },',
        '  "license": "MIT"',
        '}',
      ),
    );
  });

  it('removes an emptied `overrides`', () => {
    const content = json(
      '{',
      '  "name": "app",',
      '  "overrides": {',
      '    "mkdirp": {',
      '      "minimist": "1.2.6"',
      '    }',
      '  },',
      '  "license": "MIT"',
      '}',
    );
    const result = editManifest(content, '', [override('remove', ['mkdirp', 'minimist'], { from: '1.2.6' })]);
    expect(result).toEqual({
      content: json('{', '  "name": "app",', '  "license": "MIT"', '}'),
      problems: [],
    });
  });

  it.each<[string, OverrideChange, string]>([
    [
      'change of another value',
      override('change', ['minimist'], { from: '1.2.5', to: '1.2.8' }),
      'overrides "minimist": expected "1.2.5", found "1.2.6"',
    ],
    [
      'removal of another value',
      override('remove', ['glob', 'minimatch'], { from: '3.0.4' }),
      'overrides "glob > minimatch": expected "3.0.4", found "3.0.5"',
    ],
    [
      'change of a missing entry',
      override('change', ['semver'], { from: '7.5.0', to: '7.5.2' }),
      'overrides "semver": not in package.json (expected "7.5.0")',
    ],
    [
      'removal under a missing scope',
      override('remove', ['nope', 'qs'], { from: '6.5.3' }),
      'overrides "nope > qs": not in package.json (expected "6.5.3")',
    ],
    [
      'addition under a parent that holds the same key (no half-built scope stays)',
      override('add', ['mkdirp', '.'], { to: '0.5.6' }),
      'overrides "mkdirp > .": already set to "0.5.5"',
    ],
    [
      'addition of an existing entry',
      override('add', ['request', 'qs'], { to: '6.5.3' }),
      'overrides "request > qs": already set to "6.5.3"',
    ],
  ])('%s is a problem and nothing is written', (_name, change, problem) => {
    expect(editManifest(withOverrides, '', [change])).toEqual({
      content: withOverrides,
      problems: [problem],
    });
  });

  it('builds new nested scopes, whatever a failed change beside it', () => {
    const result = editManifest(withOverrides, '', [
      override('add', ['request', 'qs'], { to: '6.5.3' }),
      override('add', ['a', 'b', 'c'], { to: '1.0.0' }),
    ]);
    expect(result.problems).toEqual(['overrides "request > qs": already set to "6.5.3"']);
    expect(result.content).toBe(
      withOverrides.replace(
        '    }\n  },\n  "license"',
        '    },\n    "a": {\n      "b": {\n        "c": "1.0.0"\n      }\n    }\n  },\n  "license"',
      ),
    );
  });

  it('treats keys like __proto__ and constructor as plain keys', () => {
    const content = json('{', '  "overrides": {', '    "__proto__": "1.0.0"', '  }', '}');
    const result = editManifest(content, '', [
      override('change', ['__proto__'], { from: '1.0.0', to: '2.0.0' }),
      override('add', ['constructor', 'toString'], { to: '1.0.0' }),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.content).toBe(
      json(
        '{',
        '  "overrides": {',
        '    "__proto__": "2.0.0",',
        '    "constructor": {',
        '      "toString": "1.0.0"',
        '    }',
        '  }',
        '}',
      ),
    );
    expect(({} as Record<string, unknown>).toString).toBe(Object.prototype.toString);
  });

  it('rewrites only the top-level member a key is added to or removed from: compact objects elsewhere stay', () => {
    const compact = json(
      '{',
      '  "name": "app",',
      '  "workspaces": ["packages/*"],',
      '  "scripts": { "test": "node test.js" },',
      '  "dependencies": { "minimist": "1.2.5", "tool": "file:tools/d" }',
      '}',
    );
    const added = editManifest(compact, '', [
      override('add', ['tool', 'node-fetch'], { to: '2.6.7' }),
      raise('minimist', 'prod', '1.2.5', '1.2.6'),
    ]);
    expect(added.problems).toEqual([]);
    expect(added.content).toBe(
      json(
        '{',
        '  "name": "app",',
        '  "workspaces": ["packages/*"],',
        '  "scripts": { "test": "node test.js" },',
        '  "dependencies": { "minimist": "1.2.6", "tool": "file:tools/d" },',
        '  "overrides": {',
        '    "tool": {',
        '      "node-fetch": "2.6.7"',
        '    }',
        '  }',
        '}',
      ),
    );
    // Removing the last entry removes `overrides` and nothing else.
    const removed = editManifest(added.content, '', [
      override('remove', ['tool', 'node-fetch'], { from: '2.6.7' }),
    ]);
    expect(removed.problems).toEqual([]);
    expect(removed.content).toBe(compact.replace('"minimist": "1.2.5"', '"minimist": "1.2.6"'));
    // A one-line manifest stays on one line.
    const oneLine = editManifest('{"name":"app","dependencies":{"minimist":"1.2.5"}}', '', [
      override('add', ['minimist'], { to: '1.2.6' }),
    ]);
    expect(oneLine.content).toBe(
      '{"name":"app","dependencies":{"minimist":"1.2.5"}, "overrides": {"minimist":"1.2.6"}}',
    );
  });

  it('a range change and an override in one edit', () => {
    const result = editManifest(manifest, '', [
      raise('express', 'prod', '^4.17.0', '^4.18.2'),
      override('add', ['express', 'qs'], { to: '6.11.0' }),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.content).toBe(
      manifest
        .replace('"express": "^4.17.0"', '"express": "^4.18.2"')
        .replace(
          '  "license": "MIT"\n',
          '  "license": "MIT",\n  "overrides": {\n    "express": {\n      "qs": "6.11.0"\n    }\n  }\n',
        ),
    );
  });
});

describe('yarn resolutions and pnpm overrides', () => {
  const change = (
    manager: 'yarn' | 'pnpm',
    action: 'add' | 'change' | 'remove',
    from?: string,
    to?: string,
  ) =>
    ({
      kind: 'override',
      action,
      manager,
      file: 'package.json',
      path: ['parent', 'lib'],
      key: manager === 'pnpm' ? 'parent>lib' : 'parent/lib',
      name: 'lib',
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      advisories: ['GHSA-x'],
      outOfRange: false,
    }) as const;

  it('adds an entry in the manager’s own field and key syntax', () => {
    const base = '{\n  "name": "app"\n}\n';
    const yarn = editManifest(base, '', [change('yarn', 'add', undefined, '1.0.1')]);
    expect(yarn.problems).toEqual([]);
    expect(JSON.parse(yarn.content)).toEqual({ name: 'app', resolutions: { 'parent/lib': '1.0.1' } });
    const pnpm = editManifest(base, '', [change('pnpm', 'add', undefined, '1.0.1')]);
    expect(JSON.parse(pnpm.content)).toEqual({ name: 'app', pnpm: { overrides: { 'parent>lib': '1.0.1' } } });
  });

  it('changes and removes an existing entry, and reports one that is not what the plan saw', () => {
    const yarn = '{\n  "resolutions": {\n    "**/parent/lib": "1.0.0"\n  }\n}\n';
    expect(JSON.parse(editManifest(yarn, '', [change('yarn', 'change', '1.0.0', '1.0.1')]).content)).toEqual({
      resolutions: { '**/parent/lib': '1.0.1' },
    });
    expect(JSON.parse(editManifest(yarn, '', [change('yarn', 'remove', '1.0.0')]).content)).toEqual({});
    const pnpm = '{\n  "pnpm": {\n    "overrides": {\n      "parent>lib": "0.9.0"\n    }\n  }\n}\n';
    expect(editManifest(pnpm, '', [change('pnpm', 'change', '1.0.0', '1.0.1')]).problems).toEqual([
      'pnpm.overrides "parent>lib": expected "1.0.0", found "0.9.0"',
    ]);
  });

  it('finds an entry by the key the project wrote, which the path does not spell', () => {
    // yarn's `parent/**/lib` and `lib@npm:^1` are `parent > lib` and `lib@^1` in npm's shape.
    const yarn = '{\n  "resolutions": {\n    "parent/**/lib": "1.0.0",\n    "lib@npm:^1": "1.0.0"\n  }\n}\n';
    const deep = { ...change('yarn', 'change', '1.0.0', '1.0.1'), key: 'parent/**/lib' };
    const ranged = { ...change('yarn', 'remove', '1.0.0'), path: ['lib@^1'], key: 'lib@npm:^1' };
    const edited = editManifest(yarn, '', [deep, ranged]);
    expect(edited.problems).toEqual([]);
    expect(JSON.parse(edited.content)).toEqual({ resolutions: { 'parent/**/lib': '1.0.1' } });
    // A parent's own entry beside a scoped one has the path ["parent", "."].
    const own = '{\n  "resolutions": {\n    "parent": "1.0.0",\n    "parent/lib": "1.0.0"\n  }\n}\n';
    const parent = { ...change('yarn', 'change', '1.0.0', '2.0.0'), path: ['parent', '.'], key: 'parent' };
    expect(JSON.parse(editManifest(own, '', [parent]).content)).toEqual({
      resolutions: { parent: '2.0.0', 'parent/lib': '1.0.0' },
    });
  });
});
