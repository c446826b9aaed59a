import { describe, expect, it } from 'vitest';
import { withoutVersions } from './quarantine.js';
import type { PackageMetadata, PackageVersion, RegistrySource } from './types.js';

const version = (v: string): PackageVersion => ({
  version: v,
  dependencies: {},
  optionalDependencies: {},
  peerDependencies: {},
  peerDependenciesMeta: {},
  dist: undefined,
  deprecated: undefined,
  hasInstallScript: false,
  publishedAt: undefined,
});

const meta = (name: string, versions: string[], latest: string): PackageMetadata => ({
  name,
  form: 'abbreviated',
  distTags: { latest, next: versions[0] as string },
  versions: Object.fromEntries(versions.map((v) => [v, version(v)])),
  modified: undefined,
  skipped: [],
});

const documents = new Map([
  ['lib', meta('lib', ['1.0.0', '1.0.1', '1.0.2'], '1.0.1')],
  ['other', meta('other', ['2.0.0'], '2.0.0')],
]);

const source: RegistrySource = {
  kind: 'npm',
  getPackage: async (name) => documents.get(name),
};

describe('withoutVersions', () => {
  it('drops the held versions and the tags that point at them', async () => {
    const wrapped = withoutVersions(source, [{ name: 'lib', version: '1.0.1' }]);
    const lib = await wrapped.getPackage('lib');
    expect(Object.keys(lib?.versions ?? {})).toEqual(['1.0.0', '1.0.2']);
    expect(lib?.distTags).toEqual({ next: '1.0.0' });
    expect(wrapped.kind).toBe('npm');
  });

  it('leaves other packages, unknown packages and the source itself alone', async () => {
    const wrapped = withoutVersions(source, [
      { name: 'lib', version: '1.0.1' },
      { name: 'other', version: '9.9.9' },
    ]);
    expect(await wrapped.getPackage('other')).toBe(documents.get('other'));
    expect(await wrapped.getPackage('missing')).toBeUndefined();
    expect(Object.keys(documents.get('lib')?.versions ?? {})).toHaveLength(3);
  });

  it('answers the same object for the same document (the planner caches per object)', async () => {
    const wrapped = withoutVersions(source, [{ name: 'lib', version: '1.0.2' }]);
    expect(await wrapped.getPackage('lib')).toBe(await wrapped.getPackage('lib'));
  });

  it('is the source itself when nothing is held', () => {
    expect(withoutVersions(source, [])).toBe(source);
  });
});
