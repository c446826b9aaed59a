/**
 * pnpm's dependency paths (the keys of `packages`/`snapshots` and the references that point at
 * them), for the three layouts:
 * - v5 (lockfileVersion 5.x): `/name/1.2.3`, `/@scope/name/1.2.3_peer@1.0.0`, `/name/1.2.3_<hash>`;
 * - v6 (6.0, 6.1): `/name@1.2.3(peer@1.0.0)`;
 * - v9 (9.0): `name@1.2.3(peer@1.0.0)`, `name@file:dir`, `name@https://host/x.tgz`.
 * Non-registry keys of v5/v6 have no leading slash (`file:dir`, `github.com/u/r/sha`,
 * `registry.example/x/-/x-1.0.0.tgz`), and their name and version are in the entry.
 */
export type Layout = 'v5' | 'v6' | 'v9';

/**
 * The key a dependency reference points at (pnpm's `refToRelative`), without the leading slash of
 * v5/v6 keys; undefined for `link:` references, which point at folders.
 */
export const refToKey = (layout: Layout, name: string, ref: string): string | undefined => {
  if (ref.startsWith('link:')) return undefined;
  if (layout === 'v9') {
    if (ref.startsWith('@')) return ref;
    const at = ref.indexOf('@');
    if (at === -1) return `${name}@${ref}`;
    const colon = ref.indexOf(':');
    const bracket = ref.indexOf('(');
    if ((colon === -1 || at < colon) && (bracket === -1 || at < bracket)) return ref;
    return `${name}@${ref}`;
  }
  if (ref.startsWith('file:')) return ref;
  if (layout === 'v6') {
    const bracket = ref.indexOf('(');
    const head = bracket === -1 ? ref : ref.slice(0, bracket);
    if (!head.includes('/')) return `${name}@${ref}`;
  } else if (!ref.includes('/')) return `${name}/${ref}`;
  return ref.startsWith('/') ? ref.slice(1) : ref;
};

/** The key with its trailing `(…)` groups removed (peers, `patch_hash=`), nested groups included. */
export const stripParenSuffix = (key: string): string => {
  let end = key.length;
  while (end > 0 && key.charCodeAt(end - 1) === 41) {
    let depth = 0;
    let k = end - 1;
    for (; k >= 0; k--) {
      const c = key.charCodeAt(k);
      if (c === 41) depth++;
      else if (c === 40 && --depth === 0) break;
    }
    if (k <= 0) break;
    end = k;
  }
  return key.slice(0, end);
};

/**
 * Name and version as written in a registry-style key (v5/v6 keys with the leading slash removed,
 * every v9 key); the version may be a `file:`/URL reference for v9 non-registry keys.
 */
export const splitKey = (layout: Layout, key: string): { name: string; version: string } | undefined => {
  if (layout === 'v5') {
    const parts = key.split('/');
    const scoped = key.startsWith('@');
    const name = scoped ? `${parts[0]}/${parts[1]}` : parts[0];
    const rest = parts[scoped ? 2 : 1];
    if (!name || rest === undefined || parts.length !== (scoped ? 3 : 2)) return undefined;
    const underscore = rest.indexOf('_');
    return { name, version: underscore === -1 ? rest : rest.slice(0, underscore) };
  }
  const at = key.indexOf('@', 1);
  if (at <= 0) return undefined;
  const name = key.slice(0, at);
  if (name.startsWith('@') ? name.split('/').length !== 2 : name.includes('/')) return undefined;
  return { name, version: stripParenSuffix(key.slice(at + 1)) };
};
