/**
 * Whether a `yarn.lock` is berry's: it has a top-level `__metadata:` block, yarn 1's never does.
 * A module of its own, so that reading a yarn 1 lockfile does not load berry's parser to ask.
 */
export const isYarnBerryLockfile = (content: string): boolean =>
  // A plain search first: the line-by-line pattern over a classic lockfile of a few MB, which
  // never has the key, costs milliseconds.
  content.includes('__metadata') && /^(?:__metadata|"__metadata"):[ \t]*(?:#.*)?\r?$/m.test(content);
