import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { PatchPilotError } from '../core/errors.js';
import { processRunning } from '../util/fs.js';
import type { Git } from './git.js';

/**
 * One `fix` (or `rollback`) at a time per repository: a lock file in the repository's common git
 * folder, holding the owner's process id. A lock whose process is gone (a crash, `kill -9`) is
 * taken over. Only the lock's holder removes leftover worktrees, so a run never removes the
 * worktrees of another one that is still working.
 */

export interface RepositoryLock {
  readonly path: string;
  release(): void;
}

export const lockRepository = (git: Git, what: string): RepositoryLock => {
  const common = git.run(['rev-parse', '--git-common-dir']);
  const path = join(isAbsolute(common) ? common : join(git.cwd, common), 'patchpilot.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid} ${what}\n`);
      closeSync(fd);
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = '';
      try {
        owner = readFileSync(path, 'utf8').trim();
      } catch {
        continue; // Released in between: try again.
      }
      const pid = Number.parseInt(owner, 10);
      if (Number.isInteger(pid) && pid > 0 && processRunning(pid) && pid !== process.pid) {
        throw new PatchPilotError(
          'FIX_BUSY',
          `another PatchPilot run is working on this repository (pid ${pid}: ${owner.split(' ').slice(1).join(' ') || 'unknown'})`,
          {
            hint: `wait for it to finish; if no such process runs, remove ${path}`,
          },
        );
      }
      // Its owner is gone: the lock is stale.
      rmSync(path, { force: true });
    }
  }
  throw new PatchPilotError('FIX_BUSY', `could not take the lock ${path}`, { hint: 'run fix again' });
};
