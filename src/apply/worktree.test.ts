import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGit, type Git } from './git.js';
import { markUnsettled, putBackUnsettled } from './worktree.js';

const env = {
  PATH: process.env.PATH,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const repository = (): { git: Git; commit: (message: string) => string } => {
  root = mkdtempSync(join(tmpdir(), 'patchpilot-worktree-'));
  const repo = join(root, 'repo');
  createGit(root, env).run(['init', '--quiet', '-b', 'main', repo]);
  const git = createGit(repo, env);
  const commit = (message: string): string => {
    writeFileSync(join(repo, 'file.txt'), `${message}\n`);
    git.run(['add', 'file.txt']);
    git.run(['commit', '--quiet', '-m', message]);
    return git.run(['rev-parse', 'HEAD']);
  };
  return { git, commit };
};

describe('unsettled branches', () => {
  it('are put back after a crash: an existing one to its old tip, a new one deleted; the notes go', () => {
    const { git, commit } = repository();
    const base = commit('base');
    const proposal = commit('proposal');
    git.run(['branch', 'patchpilot/p-old', proposal]);
    git.run(['reset', '--quiet', '--hard', base]);
    // A run notes both, then moves them (untested commits), then dies.
    markUnsettled(git, 'patchpilot/p-old', proposal, base);
    markUnsettled(git, 'patchpilot/p-new', undefined, base);
    const untested = commit('untested\n\nPatchPilot-Change: p-old');
    git.run(['branch', '-f', 'patchpilot/p-old', untested]);
    git.run(['branch', 'patchpilot/p-new', untested]);
    git.run(['reset', '--quiet', '--hard', base]);

    expect(putBackUnsettled(git).sort()).toEqual(['patchpilot/p-new', 'patchpilot/p-old']);
    expect(git.run(['rev-parse', 'patchpilot/p-old'])).toBe(proposal);
    expect(git.tryRun(['rev-parse', '--verify', '--quiet', 'refs/heads/patchpilot/p-new']).code).not.toBe(0);
    expect(git.run(['for-each-ref', 'refs/patchpilot/'])).toBe('');
    // Nothing left to put back.
    expect(putBackUnsettled(git)).toEqual([]);
  });

  it('are left alone when checked out (noted still), or when someone committed to them (theirs now)', () => {
    const { git, commit } = repository();
    const base = commit('base');
    markUnsettled(git, 'patchpilot/p-open', undefined, base);
    markUnsettled(git, 'patchpilot/p-theirs', undefined, base);
    git.run(['checkout', '--quiet', '-b', 'patchpilot/p-theirs']);
    commit('untested\n\nPatchPilot-Change: p-theirs');
    const human = commit('a reviewer adds a test');
    git.run(['checkout', '--quiet', '-b', 'patchpilot/p-open', base]);
    const open = commit('untested\n\nPatchPilot-Change: p-open');

    expect(putBackUnsettled(git)).toEqual([]);
    expect(git.run(['rev-parse', 'patchpilot/p-theirs'])).toBe(human);
    expect(git.run(['rev-parse', 'patchpilot/p-open'])).toBe(open);
    expect(git.run(['for-each-ref', '--format=%(refname)', 'refs/patchpilot/'])).toBe(
      'refs/patchpilot/unsettled-base/patchpilot/p-open',
    );
    // Once the work tree moves off it, the next run puts it back.
    git.run(['checkout', '--quiet', 'main']);
    expect(putBackUnsettled(git)).toEqual(['patchpilot/p-open']);
    expect(git.tryRun(['rev-parse', '--verify', '--quiet', 'refs/heads/patchpilot/p-open']).code).not.toBe(0);
  });
});
