import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { importAdvisories } from './import.js';
import { AdvisoryStore } from './store.js';

// A file system without hard links (some network and FUSE file systems, FAT).
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  const linkSync: typeof fs.linkSync = () => {
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  };
  return { ...fs, linkSync, default: { ...fs, linkSync } };
});

const dir = mkdtempSync(join(tmpdir(), 'patchpilot-store-nolink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const example = resolve(import.meta.dirname, '../../examples/vulnerable-app/advisories.osv.json');
const now = () => new Date('2026-01-01T00:00:00Z');

describe('a new store where the file system has no hard links', () => {
  it('is built in place, and a failed first write leaves it empty rather than removing it', async () => {
    const folder = join(dir, 'plain');
    mkdirSync(folder);
    const path = join(folder, 'advisories.db');
    await expect(
      AdvisoryStore.write(path, async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    // Another process may already have opened it: it stays.
    expect(readdirSync(folder)).toEqual(['advisories.db']);

    const result = await AdvisoryStore.write(path, (store) =>
      importAdvisories(store, [example], { cwd: dir, now }),
    );
    expect(result.added).toBeGreaterThan(0);
    expect(readdirSync(folder)).toEqual(['advisories.db']);
    const store = AdvisoryStore.open(path, { readonly: true });
    try {
      expect(store.count()).toBe(result.added);
    } finally {
      store.close();
    }
  });
});
