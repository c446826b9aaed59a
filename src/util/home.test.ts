import { describe, expect, it } from 'vitest';
import { advisoryDbPath, homeFolders } from './home.js';

describe('where state lives', () => {
  const cwd = '/work/project';

  it('uses the XDG folders by default, with the usual fallbacks under HOME', () => {
    expect(homeFolders({ HOME: '/home/me' }, cwd)).toEqual({
      data: '/home/me/.local/share/patchpilot',
      cache: '/home/me/.cache/patchpilot',
    });
    expect(
      homeFolders({ HOME: '/home/me', XDG_DATA_HOME: '/xdg/data', XDG_CACHE_HOME: '/xdg/cache' }, cwd),
    ).toEqual({
      data: '/xdg/data/patchpilot',
      cache: '/xdg/cache/patchpilot',
    });
    // The XDG specification says relative paths are invalid and must be ignored.
    expect(homeFolders({ HOME: '/home/me', XDG_DATA_HOME: 'relative' }, cwd).data).toBe(
      '/home/me/.local/share/patchpilot',
    );
  });

  it('puts everything under PATCHPILOT_HOME when it is set, relative to the working folder', () => {
    expect(homeFolders({ HOME: '/home/me', XDG_DATA_HOME: '/xdg', PATCHPILOT_HOME: 'state' }, cwd)).toEqual({
      data: '/work/project/state/data',
      cache: '/work/project/state/cache',
    });
  });

  it('names the store: --db, then PATCHPILOT_DB, then the data folder', () => {
    const env = { HOME: '/home/me', PATCHPILOT_HOME: '/pp', PATCHPILOT_DB: 'env.db' };
    expect(advisoryDbPath('flag.db', env, cwd)).toBe('/work/project/flag.db');
    expect(advisoryDbPath(undefined, env, cwd)).toBe('/work/project/env.db');
    expect(advisoryDbPath(undefined, { HOME: '/home/me', PATCHPILOT_HOME: '/pp' }, cwd)).toBe(
      '/pp/data/advisories.db',
    );
    expect(advisoryDbPath(undefined, { HOME: '/home/me' }, cwd)).toBe(
      '/home/me/.local/share/patchpilot/advisories.db',
    );
  });
});
