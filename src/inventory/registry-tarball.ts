import { isStrictVersion } from '../core/version.js';

/**
 * The package and version a tarball URL in a registry's layout names (`…/<name>/-/<basename>-<version>.tgz`,
 * as the public registry, its mirrors, Artifactory and Verdaccio serve them), or undefined for any
 * other URL. The package manager installs what the URL names, whatever the lockfile entry around
 * it says, so the parsers check the two agree.
 */
export const registryTarball = (resolved: string): { name: string; version: string } | undefined => {
  if (!resolved.startsWith('https://') && !resolved.startsWith('http://')) return undefined;
  const cut = resolved.search(/[?#]/);
  const url = cut === -1 ? resolved : resolved.slice(0, cut);
  const dash = url.lastIndexOf('/-/');
  if (dash === -1 || !url.endsWith('.tgz')) return undefined;
  const file = url.slice(dash + 3, -'.tgz'.length);
  const segments = url.slice(0, dash).split('/');
  const last = segments[segments.length - 1] ?? '';
  const before = segments[segments.length - 2] ?? '';
  let name: string;
  try {
    // The scope's `@` may be written `%40`; a name's `/` may be written `%2f`.
    const scope = decodeURIComponent(before);
    name = scope.startsWith('@') ? `${scope}/${decodeURIComponent(last)}` : decodeURIComponent(last);
  } catch {
    return undefined;
  }
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  if (name === '' || file.includes('/') || !file.startsWith(`${base}-`)) return undefined;
  const version = file.slice(base.length + 1);
  return isStrictVersion(version) ? { name, version } : undefined;
};
