import { parseNpmPurlLoose } from '../core/purl.js';
import { isStrictVersion } from '../core/version.js';

/**
 * What an exception's `package` may be: a name (`lodash`, `@scope/name`), a name with a version
 * (`lodash@4.17.15`), or an npm purl with or without version (`pkg:npm/lodash@4.17.15`).
 */
export const parsePackageSelector = (
  text: string,
): { name: string; version: string | undefined } | undefined => {
  const trimmed = text.trim();
  if (/^pkg:/i.test(trimmed)) {
    const purl = parseNpmPurlLoose(trimmed);
    // A version is one version: a range (`^4`) would never equal an installed one.
    return purl && (purl.version === undefined || isStrictVersion(purl.version)) ? purl : undefined;
  }
  const at = trimmed.indexOf('@', 1);
  const name = at === -1 ? trimmed : trimmed.slice(0, at);
  const version = at === -1 ? undefined : trimmed.slice(at + 1);
  if (!packageName.test(name) || (version !== undefined && !isStrictVersion(version))) return undefined;
  return { name: name.toLowerCase(), version };
};

// npm's name rules, loosely: an optional @scope/, then URL-safe characters.
const packageName = /^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/i;
