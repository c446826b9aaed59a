/** Package URLs (https://github.com/package-url/purl-spec) for npm packages. */
export const npmPurl = (name: string, version: string): string => {
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
