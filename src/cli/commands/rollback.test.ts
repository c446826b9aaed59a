import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGit } from '../../apply/git.js';
import { projectOfChange } from './rollback.js';

const top = realpathSync(mkdtempSync(join(tmpdir(), 'patchpilot-rollback-')));
afterAll(() => rmSync(top, { recursive: true, force: true }));

describe('projectOfChange', () => {
  it("names the folder of the lockfile the change's commit touched, not a workspace's package.json", () => {
    const env = {
      PATH: process.env.PATH ?? '',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: top,
      GIT_AUTHOR_NAME: 'T',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'T',
      GIT_COMMITTER_EMAIL: 't@example.com',
    };
    const git = createGit(top, env);
    git.run(['init', '--quiet', '-b', 'main']);
    mkdirSync(join(top, 'app/packages/a'), { recursive: true });
    writeFileSync(join(top, 'README'), 'x\n');
    git.run(['add', '-A']);
    git.run(['commit', '--quiet', '-m', 'initial']);
    // `app/packages/a/package.json` sorts before `app/yarn.lock`.
    writeFileSync(join(top, 'app/packages/a/package.json'), '{}\n');
    writeFileSync(join(top, 'app/yarn.lock'), '\n');
    git.run(['add', '-A']);
    git.run(['commit', '--quiet', '-m', 'PatchPilot change\n\nPatchPilot-Change: p-abcdef1234']);
    expect(projectOfChange(git, top, top, 'p-abcdef1234')).toEqual({ shown: 'app' });
    // From the project itself: nothing to point at.
    expect(projectOfChange(git, top, join(top, 'app'), 'p-abcdef1234')).toBeUndefined();
    expect(projectOfChange(git, top, top, 'p-0000000000')).toBeUndefined();
  });
});
