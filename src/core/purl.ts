/** Package URLs (https://github.com/package-url/purl-spec) for npm packages. */

/** Characters `encodeURIComponent` leaves as they are (a subset of them: letters, digits, `_.~-`). */
const plainText = /^[\w.~-]*$/;
/** A name whose scope (`@scope/`) and bare name hold only such characters. */
const plainName = /^(?:@[\w.~-]+\/)?[\w.~-]+$/;

export const npmPurl = (name: string, version: string): string => {
  // Almost every name and version needs no escaping: two tests instead of three encodings.
  if (plainName.test(name) && plainText.test(version)) {
    return name.charCodeAt(0) === 64
      ? `pkg:npm/%40${name.slice(1)}@${version}`
      : `pkg:npm/${name}@${version}`;
  }
  const [scope, bare] = name.startsWith('@') ? splitScope(name) : [undefined, name];
  const encodedName = encodeURIComponent(bare);
  const prefix = scope === undefined ? '' : `${encodeURIComponent(scope)}/`;
  return `pkg:npm/${prefix}${encodedName}@${encodeURIComponent(version)}`;
};

const splitScope = (name: string): [string, string] => {
  const slash = name.indexOf('/');
  return slash === -1 ? [name, ''] : [name.slice(0, slash), name.slice(slash + 1)];
};

/**
 * The npm package a purl names, or undefined when it is not a well-formed `pkg:npm/` purl with a
 * version. Namespace and name are percent-decoded (`pkg:npm/%40babel/core@7.0.0` → `@babel/core`).
 */
export const parseNpmPurl = (purl: string): { name: string; version: string } | undefined => {
  const match = /^pkg:npm\/([^?#]+)@([^?#@]+)(?:[?#].*)?$/i.exec(purl.trim());
  if (!match) return undefined;
  try {
    const parts = (match[1] as string).split('/').map(decodeURIComponent);
    const version = decodeURIComponent(match[2] as string);
    if (parts.some((p) => p === '') || parts.length > 2) return undefined;
    if (parts.length === 2 && !(parts[0] as string).startsWith('@')) parts[0] = `@${parts[0]}`;
    return { name: parts.join('/'), version };
  } catch {
    return undefined;
  }
};

/**
 * The npm package a purl names, the version being optional (`pkg:npm/lodash` names every version).
 * Namespace and name are percent-decoded and the name lower-cased, as the purl spec's npm type
 * asks; qualifiers and subpath are ignored. Undefined for anything but a well-formed `pkg:npm/` purl.
 */
export const parseNpmPurlLoose = (
  purl: string,
): { readonly name: string; readonly version: string | undefined } | undefined => {
  const text = purl.trim();
  if (!/^pkg:npm\//i.test(text)) return undefined;
  const body = text.slice('pkg:npm/'.length).split(/[?#]/)[0] as string;
  const segments = body.split('/');
  if (segments.length > 2) return undefined;
  const last = segments[segments.length - 1] as string;
  // A name never holds a literal `@`; in the last segment one starts the version.
  const at = last.indexOf('@');
  const bare = at === -1 ? last : last.slice(0, at);
  const rawVersion = at === -1 ? undefined : last.slice(at + 1);
  try {
    const parts = [...segments.slice(0, -1), bare].map(decodeURIComponent);
    if (parts.some((p) => p === '')) return undefined;
    if (parts.length === 2 && !(parts[0] as string).startsWith('@')) parts[0] = `@${parts[0]}`;
    if (parts.length === 1 && (parts[0] as string).startsWith('@')) return undefined;
    const version = rawVersion === undefined ? undefined : decodeURIComponent(rawVersion);
    if (version === '' || version?.includes('@')) return undefined;
    return { name: parts.join('/').toLowerCase(), version };
  } catch {
    return undefined;
  }
};

/** `pkg:npm/%40scope/name` or `pkg:npm/name@1.2.3`: the canonical form, version optional. */
export const canonicalNpmPurl = (name: string, version: string | undefined): string =>
  version === undefined ? npmPurl(name, '').slice(0, -1) : npmPurl(name, version);
