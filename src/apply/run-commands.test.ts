import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectCommands, runProjectCommands } from './run-commands.js';

const placeholder = 'echo "Error: no test specified" && exit 1';

describe('projectCommands', () => {
  it.each([
    ['npm with a test script', { scripts: { test: 'vitest run' } }, {}, 'npm', { test: 'npm test' }],
    ['yarn', { scripts: { test: 'jest' } }, {}, 'yarn', { test: 'yarn test' }],
    ['pnpm', { scripts: { test: 'jest' } }, {}, 'pnpm', { test: 'pnpm test' }],
    [
      'bun runs the script, not its own runner',
      { scripts: { test: 'jest' } },
      {},
      'bun',
      { test: 'bun run test' },
    ],
    ["npm's placeholder", { scripts: { test: placeholder } }, {}, 'npm', {}],
    [
      "npm's placeholder, single quotes",
      { scripts: { test: "echo 'Error: no test specified' && exit 1" } },
      {},
      'npm',
      {},
    ],
    ['an empty test script', { scripts: { test: ' ' } }, {}, 'npm', {}],
    ['no test script', { scripts: { build: 'tsc' } }, {}, 'npm', {}],
    ['no scripts', {}, {}, 'npm', {}],
    ['no package.json', undefined, {}, 'npm', {}],
    [
      'a build script is not run unless configured',
      { scripts: { build: 'tsc', test: 'x' } },
      {},
      'npm',
      { test: 'npm test' },
    ],
    [
      'configured commands win',
      { scripts: { test: 'jest' } },
      { build: 'make', test: 'make check' },
      'npm',
      { build: 'make', test: 'make check' },
    ],
    [
      'a configured test without a script',
      { scripts: { test: placeholder } },
      { test: 'node t.js' },
      'npm',
      { test: 'node t.js' },
    ],
    ['a configured build alone', undefined, { build: 'make' }, 'pnpm', { build: 'make' }],
  ] as const)('%s', (_, manifest, configured, manager, expected) => {
    expect(projectCommands(manifest, configured, manager)).toEqual(expected);
  });
});

describe('runProjectCommands', () => {
  let dir: string;
  const env = { PATH: process.env.PATH };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'patchpilot-run-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs nothing when there is nothing to run', async () => {
    expect(await runProjectCommands({}, { cwd: dir, env, timeoutMs: 1_000 })).toEqual({
      ran: false,
      passed: false,
      commands: [],
      durationMs: 0,
    });
  });

  it('runs the build, then the tests, and passes when both do', async () => {
    const result = await runProjectCommands(
      { build: 'echo built > built.txt', test: 'test -f built.txt && echo tested' },
      { cwd: dir, env, timeoutMs: 10_000 },
    );
    expect(result.ran).toBe(true);
    expect(result.passed).toBe(true);
    expect(result.commands.map((c) => [c.command, c.code])).toEqual([
      ['echo built > built.txt', 0],
      ['test -f built.txt && echo tested', 0],
    ]);
    expect(result.commands[1]?.output).toBe('tested\n');
  });

  it('stops at the first failure', async () => {
    const result = await runProjectCommands(
      { build: 'echo broken >&2; exit 2', test: 'touch tested' },
      { cwd: dir, env, timeoutMs: 10_000 },
    );
    expect(result.passed).toBe(false);
    expect(result.commands).toHaveLength(1);
    expect(result.commands[0]).toMatchObject({ code: 2, output: 'broken\n' });
    expect(existsSync(join(dir, 'tested'))).toBe(false);
  });

  it('fails a test command that times out', async () => {
    const result = await runProjectCommands({ test: 'sleep 20' }, { cwd: dir, env, timeoutMs: 300 });
    expect(result.passed).toBe(false);
    expect(result.commands[0]?.timedOut).toBe(true);
  });

  it('sets CI and NODE_V8_COVERAGE, clears npm_config_ignore_scripts, and reports lines', async () => {
    const lines: string[] = [];
    const coverage = join(dir, 'coverage');
    const result = await runProjectCommands(
      {
        test: 'echo "$CI|$NODE_V8_COVERAGE|$(printenv npm_config_ignore_scripts NPM_CONFIG_IGNORE_SCRIPTS)|"; printf "a\\nb"',
      },
      {
        cwd: dir,
        env: { ...env, CI: 'false', npm_config_ignore_scripts: 'true', NPM_CONFIG_IGNORE_SCRIPTS: 'true' },
        timeoutMs: 10_000,
        coverageDir: coverage,
        onOutput: (line) => lines.push(line),
      },
    );
    expect(result).toMatchObject({ passed: true, coverageDir: coverage });
    expect(lines).toEqual([`true|${coverage}||`, 'a', 'b']);
  });

  it('keeps NODE_OPTIONS and makes Node processes stopped by SIGTERM write their coverage, still dying of it', async () => {
    const coverage = join(dir, 'cover age');
    writeFileSync(
      join(dir, 'driver.cjs'),
      `const { spawn } = require('node:child_process');
const stop = (code) => new Promise((done) => {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; if (out.includes('ready')) child.kill('SIGTERM'); });
  child.on('exit', (code, signal) => done(out.replace('ready', '').trim() + ':' + code + ':' + signal));
});
(async () => {
  console.log(process.env.NODE_OPTIONS.startsWith('--max-old-space-size=200 --require '));
  console.log(await stop("console.log('ready'); setTimeout(() => {}, 20000)"));
  console.log(await stop("process.on('SIGTERM', () => { console.log('own'); process.exit(7) }); console.log('ready'); setTimeout(() => {}, 20000)"));
})();
`,
    );
    const result = await runProjectCommands(
      { test: `"${process.execPath}" driver.cjs` },
      {
        cwd: dir,
        env: { ...env, NODE_OPTIONS: '--max-old-space-size=200' },
        timeoutMs: 20_000,
        coverageDir: coverage,
      },
    );
    expect(result.commands[0]?.output).toBe('true\n:null:SIGTERM\nown:7:null\n');
    // The driver and both children wrote theirs.
    const files = readdirSync(coverage).filter((f) => f.startsWith('coverage-'));
    expect(new Set(files.map((f) => f.split('-')[1])).size).toBe(3);
  });

  it("runs the project's test scripts through npm, pretest included, even when told to ignore scripts", async () => {
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'p',
        version: '1.0.0',
        scripts: {
          pretest: 'echo pre > pre.txt',
          test: "node -e \"require('fs').writeFileSync('ran', 'yes')\"",
        },
      }),
    );
    const toRun = projectCommands(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')), {}, 'npm');
    const result = await runProjectCommands(toRun, {
      cwd: dir,
      env: {
        ...env,
        HOME: dir,
        npm_config_cache: join(dir, '.npm'),
        npm_config_update_notifier: 'false',
        npm_config_ignore_scripts: 'true',
      },
      timeoutMs: 30_000,
    });
    expect(result.commands[0]?.output).not.toContain('ERR');
    expect(result.passed).toBe(true);
    expect(readFileSync(join(dir, 'ran'), 'utf8')).toBe('yes');
    // npm would run `test` anyway, but with ignore-scripts it skips `pretest`.
    expect(readFileSync(join(dir, 'pre.txt'), 'utf8')).toBe('pre\n');
  });
});
