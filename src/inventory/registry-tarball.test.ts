import { describe, expect, it } from 'vitest';
import { registryTarball } from './registry-tarball.js';

describe('registryTarball', () => {
  it('reads the package and version of a registry-shaped URL, however the scope is written', () => {
    for (const url of [
      'https://registry.npmjs.org/@scope/x/-/x-1.0.0.tgz',
      'https://registry.npmjs.org/@scope%2fx/-/x-1.0.0.tgz',
      'https://registry.npmjs.org/%40scope/x/-/x-1.0.0.tgz',
      'https://npm.example.com/api/npm/remote/%40scope%2Fx/-/x-1.0.0.tgz?token=secret',
    ]) {
      expect(registryTarball(url), url).toEqual({ name: '@scope/x', version: '1.0.0' });
    }
    expect(registryTarball('http://localhost:4873/lodash/-/lodash-4.17.21.tgz#sha')).toEqual({
      name: 'lodash',
      version: '4.17.21',
    });
  });

  it('is undefined for any other URL', () => {
    for (const url of [
      'https://codeload.github.com/user/b/tar.gz/0123abc',
      'https://example.com/c-1.0.0.tgz',
      'https://npm.pkg.github.com/download/@scope/x/1.0.0/abc',
      'https://registry.npmjs.org/lodash/-/underscore-1.0.0.tgz',
      'https://registry.npmjs.org/lodash/-/lodash-latest.tgz',
      'https://registry.npmjs.org/%zz/-/x-1.0.0.tgz',
      'file:vendor/lodash/-/lodash-1.0.0.tgz',
    ]) {
      expect(registryTarball(url), url).toBeUndefined();
    }
  });
});
