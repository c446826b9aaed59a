import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ExerciseReport,
  exercisedPackages,
  makeCoverageFolder,
  packageFolderOf,
  readExercise,
  removeStaleCoverage,
} from './exercise.js';
import { runProjectCommands } from './run-commands.js';

const vitestFolder = fileURLToPath(new URL('../../node_modules/vitest', import.meta.url));
let root: string;
let project: string;
let coverage: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'patchpilot-exercise-'));
  project = join(root, 'project');
  coverage = join(root, 'coverage');
  mkdirSync(project);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const write = (path: string, content: string): void => {
  mkdirSync(dirname(join(project, path)), { recursive: true });
  writeFileSync(join(project, path), content);
};

/** A CommonJS package under node_modules/<folder> whose package.json says `name`. */
const pkg = (
  folder: string,
  name = folder.split('/node_modules/').pop() ?? folder,
  main = 'module.exports = 1;',
) => {
  write(`node_modules/${folder}/package.json`, JSON.stringify({ name, version: '1.0.0' }));
  write(`node_modules/${folder}/index.js`, main);
};

const summary = (report: ExerciseReport) => Object.fromEntries(report.loaded);

describe('readExercise on real V8 coverage', () => {
  it('finds the packages a script loaded and ran, by their real names', () => {
    pkg('used', 'used', "module.exports = () => 'used'; require('./lib.js');");
    write('node_modules/used/lib.js', 'module.exports = 2;');
    pkg('unused');
    pkg('alias-folder', 'real-name');
    pkg('@scope/pkg');
    pkg('.pnpm/pnpm-pkg@1.0.0/node_modules/pnpm-pkg', 'pnpm-pkg');
    pkg('outer/node_modules/inner', 'inner');
    write(
      'node_modules/esm-pkg/package.json',
      JSON.stringify({ name: 'esm-pkg', type: 'module', exports: './index.js' }),
    );
    write('node_modules/esm-pkg/index.js', 'export const x = 1;');
    write('node_modules/.bin/tool.js', 'module.exports = 0;');
    write(
      'main.mjs',
      [
        "import { createRequire } from 'node:module';",
        "import 'esm-pkg';",
        'const require = createRequire(import.meta.url);',
        "require('used')();",
        "require('alias-folder');",
        "require('@scope/pkg');",
        "require('./node_modules/.pnpm/pnpm-pkg@1.0.0/node_modules/pnpm-pkg');",
        "require('./node_modules/outer/node_modules/inner');",
        "require('./node_modules/.bin/tool.js');",
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, ['main.mjs'], {
      cwd: project,
      env: { PATH: process.env.PATH, NODE_V8_COVERAGE: coverage },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);

    const report = readExercise(coverage, project);
    expect(report.processes).toBe(1);
    expect(summary(report)).toEqual({
      '@scope/pkg': {
        files: 1,
        executed: true,
        aliases: [],
        executedVersions: ['1.0.0'],
        executedFolders: ['node_modules/@scope/pkg'],
      },
      'esm-pkg': {
        files: 1,
        executed: true,
        aliases: [],
        executedVersions: [],
        executedFolders: ['node_modules/esm-pkg'],
      },
      // Each copy by its install folder: npm's layout names copies so.
      inner: {
        files: 1,
        executed: true,
        aliases: [],
        executedVersions: ['1.0.0'],
        executedFolders: ['node_modules/outer/node_modules/inner'],
      },
      // The pnpm store is no location of the plan.
      'pnpm-pkg': { files: 1, executed: true, aliases: [], executedVersions: ['1.0.0'], executedFolders: [] },
      'real-name': {
        files: 1,
        executed: true,
        aliases: ['alias-folder'],
        executedVersions: ['1.0.0'],
        executedFolders: ['node_modules/alias-folder'],
      },
      used: {
        files: 2,
        executed: true,
        aliases: [],
        executedVersions: ['1.0.0'],
        executedFolders: ['node_modules/used'],
      },
    });
    expect(
      exercisedPackages(report, [
        'unused',
        'used',
        'real-name',
        'alias-folder',
        'pnpm-pkg',
        'used',
        'missing',
      ]),
    ).toEqual(['pnpm-pkg', 'real-name', 'used']);
  });

  it('sees the packages loaded by child processes of the test command (npm → node → node)', async () => {
    pkg('parent-dep');
    pkg('child-dep');
    pkg('never');
    write(
      'package.json',
      JSON.stringify({ name: 'p', version: '1.0.0', private: true, scripts: { test: 'node test.js' } }),
    );
    write(
      'test.js',
      [
        "require('parent-dep');",
        "const { spawnSync } = require('node:child_process');",
        "const r = spawnSync(process.execPath, ['-e', \"require('child-dep')\"], { stdio: 'inherit' });",
        'process.exit(r.status);',
      ].join('\n'),
    );
    const result = await runProjectCommands(
      { test: 'npm test' },
      {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          HOME: root,
          npm_config_cache: join(root, 'npm-cache'),
          npm_config_update_notifier: 'false',
        },
        timeoutMs: 30_000,
        coverageDir: coverage,
      },
    );
    expect(result.commands[0]?.output).not.toContain('ERR');
    expect(result.passed).toBe(true);
    const report = readExercise(coverage, project);
    // npm itself, the test script and its child each wrote one; npm's own files are outside the project.
    expect(report.processes).toBeGreaterThanOrEqual(3);
    expect([...report.loaded.keys()]).toEqual(['child-dep', 'parent-dep']);
    expect(exercisedPackages(report, ['child-dep', 'never', 'parent-dep'])).toEqual([
      'child-dep',
      'parent-dep',
    ]);
  });

  it("sees what Vitest's forked workers load, though Vitest stops them with SIGTERM", async () => {
    pkg('dep-a', 'dep-a', 'module.exports = (x) => x + 1;');
    pkg('dep-unused');
    symlinkSync(vitestFolder, join(project, 'node_modules/vitest'));
    write('package.json', JSON.stringify({ name: 'p', private: true, type: 'module' }));
    write(
      'a.test.js',
      "import { expect, it } from 'vitest';\nimport dep from 'dep-a';\nit('adds', () => expect(dep(1)).toBe(2));\n",
    );
    const env = { PATH: process.env.PATH, HOME: root };
    const vitest = `"${process.execPath}" node_modules/vitest/vitest.mjs run --pool=forks`;

    // Plain NODE_V8_COVERAGE: the worker is killed before it writes anything.
    const bare = spawnSync('/bin/sh', ['-c', vitest], {
      cwd: project,
      env: { ...env, NODE_V8_COVERAGE: join(root, 'bare') },
    });
    expect(bare.status).toBe(0);
    expect(readExercise(join(root, 'bare'), project).loaded.has('dep-a')).toBe(false);

    const result = await runProjectCommands(
      { test: vitest },
      { cwd: project, env, timeoutMs: 60_000, coverageDir: coverage },
    );
    expect(result.passed).toBe(true);
    const report = readExercise(coverage, project);
    expect(exercisedPackages(report, ['dep-a', 'dep-unused'])).toEqual(['dep-a']);
  });

  it('matches a project reached through a symbolic link by the real paths V8 records', () => {
    pkg('used');
    // .cjs: whatever package.json a folder above says, this is CommonJS.
    write('main.cjs', "require('used');");
    const link = join(root, 'link');
    symlinkSync(project, link);
    spawnSync(process.execPath, ['main.cjs'], { cwd: link, env: { NODE_V8_COVERAGE: coverage } });
    expect([...readExercise(coverage, link).loaded.keys()]).toEqual(['used']);
  });
});

describe('readExercise on written coverage files', () => {
  const script = (url: string, counts: number[]) => ({
    scriptId: '1',
    url,
    functions: counts.map((count, i) => ({
      functionName: i === 0 ? '' : `f${i}`,
      isBlockCoverage: true,
      ranges: [{ startOffset: 0, endOffset: 10, count }],
    })),
  });
  const coverageFile = (name: string, content: unknown) => {
    mkdirSync(coverage, { recursive: true });
    writeFileSync(join(coverage, name), typeof content === 'string' ? content : JSON.stringify(content));
  };
  const url = (path: string) => pathToFileURL(join(project, path)).href;

  it('tells loaded from executed, merges processes and skips what it cannot read', () => {
    pkg('compiled-only');
    pkg('ran-later');
    coverageFile('coverage-1-1-0.json', {
      result: [
        script(url('node_modules/compiled-only/index.js'), [0, 0]),
        script(url('node_modules/ran-later/index.js'), [0]),
        script('node:internal/modules/cjs/loader', [1]),
        script('evalmachine.<anonymous>', [1]),
        script(pathToFileURL('/elsewhere/node_modules/outside/index.js').href, [1]),
        script(url('node_modules/no-manifest/lib/a.js'), [0]),
        { url: 42 },
        null,
      ],
    });
    // CommonJS under some runners (Jest's vm scripts) reports plain paths.
    coverageFile('coverage-2-1-0.json', {
      result: [script(join(project, 'node_modules/ran-later/index.js'), [1]), script(url('src/app.js'), [1])],
    });
    coverageFile('coverage-3-1-0.json', '{"result": [');
    coverageFile('coverage-4-1-0.json', { something: 'else' });
    coverageFile('not-coverage.json', { result: [script(url('node_modules/other/index.js'), [1])] });

    const report = readExercise(coverage, project);
    expect(report.processes).toBe(2);
    expect(summary(report)).toEqual({
      'compiled-only': { files: 1, executed: false, aliases: [], executedVersions: [], executedFolders: [] },
      'no-manifest': { files: 1, executed: false, aliases: [], executedVersions: [], executedFolders: [] },
      'ran-later': {
        files: 1,
        executed: true,
        aliases: [],
        executedVersions: ['1.0.0'],
        executedFolders: ['node_modules/ran-later'],
      },
    });
    expect(exercisedPackages(report, ['compiled-only', 'ran-later', 'no-manifest'])).toEqual(['ran-later']);
  });

  it("reads yarn Plug'n'Play's cache archives, in the project or yarn's global cache, with the version their names give", () => {
    coverageFile('coverage-1-1-0.json', {
      result: [
        script(
          pathToFileURL(
            '/home/u/.yarn/berry/cache/lodash-npm-4.17.21-6382451519-eb835a2e51.zip/node_modules/lodash/lodash.js',
          ).href,
          [1],
        ),
        script(
          url(
            '.yarn/cache/@types-node-npm-20.1.0-beta.2-1a2b3c4d5e-0f9e8d7c6b.zip/node_modules/@types/node/index.js',
          ),
          [1],
        ),
        script(url('.yarn/cache/left-pad-npm-1.3.0-abc-def.zip/node_modules/left-pad/index.js'), [0]),
      ],
    });
    expect(summary(readExercise(coverage, project))).toEqual({
      '@types/node': {
        files: 1,
        executed: true,
        aliases: [],
        executedVersions: ['20.1.0-beta.2'],
        executedFolders: [],
      },
      'left-pad': { files: 1, executed: false, aliases: [], executedVersions: [], executedFolders: [] },
      lodash: { files: 1, executed: true, aliases: [], executedVersions: ['4.17.21'], executedFolders: [] },
    });
  });

  it('reports nothing for a missing or empty folder', () => {
    expect(readExercise(join(root, 'missing'), project)).toEqual({ loaded: new Map(), processes: 0 });
    mkdirSync(coverage);
    expect(readdirSync(coverage)).toEqual([]);
    expect(readExercise(coverage, project).processes).toBe(0);
  });
});

describe('packageFolderOf', () => {
  it.each([
    ['/p/node_modules/a/index.js', { folder: '/p/node_modules/a', name: 'a' }],
    ['/p/node_modules/@s/a/lib/x.js', { folder: '/p/node_modules/@s/a', name: '@s/a' }],
    ['/p/node_modules/a/node_modules/b/x.js', { folder: '/p/node_modules/a/node_modules/b', name: 'b' }],
    [
      '/p/node_modules/.pnpm/@s+a@1.0.0/node_modules/@s/a/x.js',
      { folder: '/p/node_modules/.pnpm/@s+a@1.0.0/node_modules/@s/a', name: '@s/a' },
    ],
    ['/p/node_modules/.pnpm/a@1.0.0/x.js', undefined],
    ['/p/node_modules/.bin/a', undefined],
    ['/p/node_modules/a', undefined],
    ['/p/node_modules/@s/x.js', undefined],
    ['/p/src/a.js', undefined],
  ])('%s', (file, expected) => {
    expect(packageFolderOf(file)).toEqual(expected);
  });
});

describe('coverage folders', () => {
  it("are named for their process; a run killed outright leaves one, which the next removes, never a live run's", () => {
    const parent = mkdtempSync(join(tmpdir(), 'patchpilot-coverage-parent-'));
    try {
      const mine = makeCoverageFolder(parent);
      expect(mine.slice(parent.length + 1)).toMatch(new RegExp(`^patchpilot-coverage-${process.pid}-`));
      // A pid no process has (above Linux's pid_max); another name that only looks alike.
      mkdirSync(join(parent, 'patchpilot-coverage-99999999-abc'));
      mkdirSync(join(parent, 'patchpilot-coverage-abc'));
      expect(removeStaleCoverage(parent)).toEqual(['patchpilot-coverage-99999999-abc']);
      expect(readdirSync(parent).sort()).toEqual(
        ['patchpilot-coverage-abc', mine.slice(parent.length + 1)].sort(),
      );
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
