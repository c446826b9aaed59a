import { createRequire } from 'node:module';

/**
 * Libraries that only some lockfiles need, loaded on first use: every command pays for what it
 * imports at start-up, and most lockfiles never need a YAML parser (pnpm and yarn berry lockfiles
 * are read by a line reader first) or semver ranges (bun peers only).
 */
const require = createRequire(import.meta.url);

let yamlModule: typeof import('yaml') | undefined;
export const yaml = (): typeof import('yaml') => {
  yamlModule ??= require('yaml') as typeof import('yaml');
  return yamlModule;
};

/** The most alias uses a YAML document may expand to: far more than any real lockfile has. */
export const MAX_YAML_ALIASES = 100;

/**
 * Whether the `yaml` package refused to expand a document's aliases (a "billion laughs" input:
 * a few lines that expand to gigabytes). It throws a plain ReferenceError for that.
 */
export const isAliasBomb = (error: unknown): boolean =>
  error instanceof ReferenceError && error.message.startsWith('Excessive alias count');

/** The error a file that expands aliases without bound is, in the words of its reader. */
export const aliasBombReason = `its YAML aliases expand more than ${MAX_YAML_ALIASES} times`;

/** The error a file whose aliases contain themselves is (`a: &x [*x]`). */
export const aliasLoopReason = 'a YAML alias refers to the collection it is in';

/**
 * Whether a value read from YAML contains itself: an alias inside its own anchor's collection
 * becomes a cycle, which every walk of the value would follow for ever. Iterative, and each
 * collection is walked once, however many aliases share it.
 */
export const containsItself = (value: unknown): boolean => {
  const done = new Set<object>();
  const open = new Set<object>();
  const stack: { node: object; children: unknown[] | undefined }[] = [];
  const enter = (node: unknown): boolean => {
    if (node === null || typeof node !== 'object') return false;
    if (open.has(node)) return true;
    if (done.has(node)) return false;
    open.add(node);
    stack.push({ node, children: undefined });
    return false;
  };
  if (enter(value)) return true;
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { node: object; children: unknown[] | undefined };
    top.children ??= top.node instanceof Map ? [...top.node.values()] : Object.values(top.node);
    const next = top.children.pop();
    if (next === undefined && top.children.length === 0) {
      stack.pop();
      open.delete(top.node);
      done.add(top.node);
      continue;
    }
    if (enter(next)) return true;
  }
  return false;
};

/**
 * The value `convert` makes of a YAML document, refused (with the error `fail` makes of the
 * reason) when its aliases expand without bound or contain themselves.
 */
export const withBoundedAliases = <T>(convert: () => T, fail: (reason: string) => Error): T => {
  let value: T;
  try {
    value = convert();
  } catch (error) {
    if (isAliasBomb(error)) throw fail(aliasBombReason);
    throw error;
  }
  if (containsItself(value)) throw fail(aliasLoopReason);
  return value;
};

let semverModule: typeof import('semver') | undefined;
export const semver = (): typeof import('semver') => {
  semverModule ??= require('semver') as typeof import('semver');
  return semverModule;
};
