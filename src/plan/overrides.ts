import semver from 'semver';
import { parseSpec } from './versions.js';

/**
 * The project's npm `overrides` (root package.json), honoured when the planner resolves: a
 * dependency an override covers is resolved with the override's spec, so a fix the override
 * would undo is not a fix.
 *
 * Read as npm documents them: `"name": spec`, `"name@range": spec`, nested objects that scope a
 * rule to a parent (`"parent": { "child": spec }`) with `"."` for the parent itself, and `"$name"`
 * for the root's own spec of `name`. One simplification: a scoped rule applies when each of its
 * parents is an ancestor of the dependent, in any order.
 */

export interface Selector {
  readonly name: string;
  readonly range: string | undefined;
}

export interface OverrideRule {
  /** The entry's path, parents first: `a > b@^1`. */
  readonly key: string;
  /** The JSON keys from `overrides` down to the entry (ending in `"."` for a parent's own spec). */
  readonly path: readonly string[];
  readonly parents: readonly Selector[];
  readonly target: Selector;
  /** The spec it sets (a `$name` reference resolved to the root's spec). */
  readonly value: string;
  /** The value as written in package.json. */
  readonly written: string;
  /**
   * The entry's key as written in a flat field (yarn `resolutions`, pnpm `pnpm.overrides`):
   * `c@npm:^3`, or a yarn pattern through `**`. undefined for npm's nested `overrides`.
   */
  readonly writtenKey?: string;
}

/** A key of `parseOverrides`' `writtenKeys`: the entry's path, a trailing `"."` dropped, joined with NUL. */
export const writtenKeyOf = (path: readonly string[]): string =>
  path.filter((key) => key !== '.').join('\u0000');

/**
 * An entry's key as the project's manifest field holds it: npm's path (`a > b`), or the flat key
 * yarn (`a/b`) and pnpm (`a>b`) write, as the project wrote it when it did.
 */
export const overrideKeyShown = (
  rule: Pick<OverrideRule, 'key' | 'path' | 'writtenKey'>,
  manager: 'npm' | 'yarn' | 'pnpm',
): string =>
  manager === 'npm'
    ? rule.key
    : (rule.writtenKey ?? rule.path.filter((k) => k !== '.').join(manager === 'pnpm' ? '>' : '/'));

export const parseSelector = (key: string): Selector => {
  const at = key.indexOf('@', 1);
  if (at <= 0) return { name: key, range: undefined };
  return { name: key.slice(0, at), range: key.slice(at + 1) || undefined };
};

export const showSelector = (s: Selector): string =>
  s.range === undefined ? s.name : `${s.name}@${s.range}`;

export const parseOverrides = (
  raw: unknown,
  rootSpecs: Readonly<Record<string, string>> = {},
  writtenKeys?: ReadonlyMap<string, string>,
): OverrideRule[] => {
  const rules: OverrideRule[] = [];
  const specOf = (text: string): string | undefined => {
    if (!text.startsWith('$')) return text;
    return rootSpecs[text.slice(1)];
  };
  const walk = (node: unknown, parents: Selector[], keys: string[]): void => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === '.') continue;
      const target = parseSelector(key);
      const path = [...parents, target].map(showSelector).join(' > ');
      if (typeof value === 'string') {
        const spec = specOf(value);
        if (spec !== undefined && spec !== '')
          rules.push({ key: path, path: [...keys, key], parents, target, value: spec, written: value });
      } else if (typeof value === 'object' && value !== null) {
        const self = (value as Record<string, unknown>)['.'];
        if (typeof self === 'string') {
          const spec = specOf(self);
          if (spec !== undefined && spec !== '')
            rules.push({ key: path, path: [...keys, key, '.'], parents, target, value: spec, written: self });
        }
        walk(value, [...parents, target], [...keys, key]);
      }
    }
  };
  walk(raw, [], []);
  if (writtenKeys === undefined) return rules;
  return rules.map((rule) => {
    const writtenKey = writtenKeys.get(writtenKeyOf(rule.path));
    return writtenKey === undefined ? rule : { ...rule, writtenKey };
  });
};

const selectorMatchesSpec = (selector: Selector, spec: string): boolean => {
  if (selector.range === undefined) return true;
  const parsed = parseSpec(spec);
  if (parsed.kind !== 'range') return true;
  try {
    return semver.intersects(parsed.range, selector.range);
  } catch {
    return false;
  }
};

/**
 * The rule that decides a dependency's spec, if any: the most specific (most parents) of those
 * that match. `ancestors` are the package names above the dependent, the dependent included.
 */
export const matchOverride = (
  rules: readonly OverrideRule[],
  name: string,
  spec: string,
  ancestors: () => ReadonlySet<string>,
): OverrideRule | undefined => {
  let best: OverrideRule | undefined;
  for (const rule of rules) {
    if (rule.target.name !== name || !selectorMatchesSpec(rule.target, spec)) continue;
    if (best && best.parents.length >= rule.parents.length) continue;
    if (rule.parents.length > 0) {
      const names = ancestors();
      if (!rule.parents.every((p) => names.has(p.name))) continue;
    }
    best = rule;
  }
  return best;
};

/** The rule an `overrides` entry at `path` makes (`"."` ending a path: the parent's own spec). */
export const ruleAt = (path: readonly string[], value: string): OverrideRule => {
  const keys = path.at(-1) === '.' ? path.slice(0, -1) : path;
  const selectors = keys.map(parseSelector);
  const target = selectors.at(-1) as Selector;
  const parents = selectors.slice(0, -1);
  return {
    key: selectors.map(showSelector).join(' > '),
    path: [...path],
    parents,
    target,
    value,
    written: value,
  };
};

export const samePath = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((key, i) => key === b[i]);
