import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanActor, toolActor } from './actor.js';
import { folderSlug, ledgerPath, repositoryIdentity } from './location.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'patchpilot-ledger-location-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// git must see neither the machine's configuration nor a repository around the temp folder.
const env = {
  PATH: process.env.PATH,
  HOME: dir,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CEILING_DIRECTORIES: dir,
};

const git = (cwd: string, ...args: string[]): string => {
  const result = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
};
const commit = (cwd: string, message = 'x') =>
  git(cwd, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '--allow-empty', '-m', message);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const repo = join(dir, 'repo');
const app = join(repo, 'packages/Vulnerable App');
let root = '';

beforeAll(() => {
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{}');
  git(repo, 'init', '--quiet');
  commit(repo);
  git(repo, 'add', '.');
  commit(repo, 'second');
  root = git(repo, 'rev-list', '--max-parents=0', 'HEAD');
});

describe('repositoryIdentity', () => {
  it('inside a git repository: the root commit and the folder relative to the top', () => {
    expect(repositoryIdentity(app, env)).toEqual({
      id: sha256(`${root}\npackages/Vulnerable App`).slice(0, 16),
      kind: 'git',
      rootCommits: [root],
      relative: 'packages/Vulnerable App',
    });
    expect(repositoryIdentity(repo, env)).toMatchObject({
      id: sha256(`${root}\n.`).slice(0, 16),
      relative: '.',
    });
  });

  it('is the same in a clone elsewhere, whatever the folder is called', () => {
    const clone = join(dir, 'elsewhere/clone-of-repo');
    mkdirSync(join(dir, 'elsewhere'));
    git(dir, 'clone', '--quiet', repo, clone);
    expect(repositoryIdentity(join(clone, 'packages/Vulnerable App'), env).id).toBe(
      repositoryIdentity(app, env).id,
    );
  });

  it('sorts several root commits (merged histories)', () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    git(other, 'init', '--quiet');
    commit(other, 'other root');
    const otherRoot = git(other, 'rev-parse', 'HEAD');
    const merged = join(dir, 'merged');
    git(dir, 'clone', '--quiet', repo, merged);
    git(merged, 'fetch', '--quiet', other, 'HEAD');
    git(
      merged,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      'merge',
      '--quiet',
      '--allow-unrelated-histories',
      '-m',
      'm',
      'FETCH_HEAD',
    );
    const roots = [root, otherRoot].sort();
    expect(repositoryIdentity(merged, env)).toEqual({
      id: sha256(`${roots.join('\n')}\n.`).slice(0, 16),
      kind: 'git',
      rootCommits: roots,
      relative: '.',
    });
  });

  it('without commits, or without git: the real path', () => {
    const empty = join(dir, 'empty-repo');
    mkdirSync(empty);
    git(empty, 'init', '--quiet');
    expect(repositoryIdentity(empty, env)).toEqual({ id: sha256(empty).slice(0, 16), kind: 'path' });
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    expect(repositoryIdentity(plain, env)).toEqual({ id: sha256(plain).slice(0, 16), kind: 'path' });
  });
});

describe('ledgerPath', () => {
  it('--ledger wins, then PATCHPILOT_LEDGER, both relative to the current folder', () => {
    expect(
      ledgerPath({ flag: 'l.db', env: { ...env, PATCHPILOT_LEDGER: '/x.db' }, cwd: dir, projectRoot: app }),
    ).toBe(join(dir, 'l.db'));
    expect(ledgerPath({ env: { ...env, PATCHPILOT_LEDGER: 'e.db' }, cwd: dir, projectRoot: app })).toBe(
      join(dir, 'e.db'),
    );
  });

  it('else <data home>/ledgers/<slug>-<identity>.db', () => {
    const home = { ...env, PATCHPILOT_HOME: join(dir, 'home') };
    const id = repositoryIdentity(app, env).id;
    expect(ledgerPath({ env: home, cwd: dir, projectRoot: app })).toBe(
      join(dir, 'home/data/ledgers', `vulnerable-app-${id}.db`),
    );
    expect(
      ledgerPath({
        env: { ...env, XDG_DATA_HOME: join(dir, 'xdg') },
        cwd: repo,
        projectRoot: 'packages/Vulnerable App',
      }),
    ).toBe(join(dir, 'xdg/patchpilot/ledgers', `vulnerable-app-${id}.db`));
  });

  it("finds the project's ledger under another folder name (a clone called differently)", () => {
    const home = { ...env, PATCHPILOT_HOME: join(dir, 'home2') };
    const clone = join(dir, 'renamed');
    git(dir, 'clone', '--quiet', repo, clone);
    const id = repositoryIdentity(repo, env).id;
    const existing = join(dir, 'home2/data/ledgers', `repo-${id}.db`);
    mkdirSync(join(dir, 'home2/data/ledgers'), { recursive: true });
    writeFileSync(existing, '');
    expect(ledgerPath({ env: home, cwd: dir, projectRoot: clone })).toBe(existing);
    expect(ledgerPath({ env: home, cwd: dir, projectRoot: repo })).toBe(existing);
  });
});

describe('folderSlug', () => {
  it.each([
    ['/a/vulnerable-app', 'vulnerable-app'],
    ['/a/My App (v2)', 'my-app-v2'],
    ['/a/@scope', 'scope'],
    ['/a/...', 'project'],
    [`/a/${'x'.repeat(50)}`, 'x'.repeat(40)],
  ])('%s → %s', (path, slug) => {
    expect(folderSlug(path)).toBe(slug);
  });
});

describe('actors', () => {
  it('the tool names its version', () => {
    expect(toolActor('1.2.3')).toBe('patchpilot@1.2.3');
  });

  it('a person: --author, else git user.name <user.email>, else unknown', () => {
    const person = join(dir, 'person');
    mkdirSync(person);
    git(person, 'init', '--quiet');
    expect(humanActor({ cwd: person, env })).toBe('unknown');
    git(person, 'config', 'user.name', 'Ann Example');
    expect(humanActor({ cwd: person, env })).toBe('Ann Example');
    git(person, 'config', 'user.email', 'ann@example.org');
    expect(humanActor({ cwd: person, env })).toBe('Ann Example <ann@example.org>');
    expect(humanActor({ author: '  Bob  ', cwd: person, env })).toBe('Bob');
    expect(humanActor({ author: ' ', cwd: person, env })).toBe('Ann Example <ann@example.org>');
  });
});
