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
