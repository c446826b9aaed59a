// yarn `resolutions` and pnpm `overrides` in npm's `overrides` shape, so the planner honours them
// as it honours npm's: `lodash` and `**/lodash` for every copy, `a/lodash` (yarn) and `a>lodash`
// (pnpm) under `a`, `lodash@<4` (pnpm) and `lodash@npm:^3` (yarn berry) for the copies in that
// range. Entries of other shapes (pnpm's `-` removals, protocols other than `npm:`) are left out
// and listed in `skipped`. yarn's `a/b` and pnpm's `a>b` are read as npm's scoped entries, which
// reach b at any depth under a (yarn and pnpm mean b as a's own dependency; the plan's prediction
// can differ there, and the proof checks what the package manager did).

export interface ForeignOverrides {
  readonly overrides: Record<string, unknown>;
  /**
   * Each converted entry's key as the project wrote it (`c@npm:^3`, `a > b`, yarn's `a/**` and deeper patterns), by its
   * path in `overrides` (keys joined with NUL), so a change to it names and edits that key.
   */
  readonly written: ReadonlyMap<string, string>;
  readonly skipped: readonly string[];
}

import { writtenKeyOf } from './overrides.js';

type Nested = Record<string, unknown>;

const put = (into: Nested, path: readonly string[], value: string): void => {
  let at = into;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      const existing = at[key];
      if (existing !== null && typeof existing === 'object') (existing as Nested)['.'] = value;
      else at[key] = value;
      return;
    }
    const next = at[key];
    if (next !== null && typeof next === 'object') at = next as Nested;
    else {
      const created: Nested = typeof next === 'string' ? { '.': next } : {};
      at[key] = created;
      at = created;
    }
  }
};

/** `npm:1.2.3` → `1.2.3`; undefined for values npm could not read as a version or range. */
const versionValue = (value: unknown): string | undefined => {
  if (typeof value !== 'string' || value === '' || value === '-') return undefined;
  const plain = value.startsWith('npm:') && !value.slice(4).includes('@') ? value.slice(4) : value;
  return /^[a-z]+:/i.test(plain) && !plain.startsWith('npm:') ? undefined : plain;
};

/** A package name and an optional range: `a`, `@s/a`, `a@^1`, `a@npm:^1`. */
const selector = (text: string): string | undefined => {
  const at = text.indexOf('@', text.startsWith('@') ? 1 : 0);
  const name = at === -1 ? text : text.slice(0, at);
  if (!/^(@[^/@\s]+\/)?[^/@\s]+$/.test(name)) return undefined;
  if (at === -1) return name;
  let range = text.slice(at + 1);
  if (range.startsWith('npm:')) range = range.slice(4);
  return range === '' ? undefined : `${name}@${range}`;
};

// Splits a yarn resolution key into package selectors: `@s/a/**/b` → [`@s/a`, `**`, `b`].
const yarnSegments = (key: string): string[] => {
  const parts = key.split('/');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part.startsWith('@') && i + 1 < parts.length) {
      out.push(`${part}/${parts[i + 1]}`);
      i++;
    } else out.push(part);
  }
  return out;
};

export const fromYarnResolutions = (resolutions: unknown): ForeignOverrides => {
  const overrides: Nested = {};
  const written = new Map<string, string>();
  const skipped: string[] = [];
  if (resolutions === null || typeof resolutions !== 'object' || Array.isArray(resolutions)) {
    return { overrides, written, skipped };
  }
  for (const [key, raw] of Object.entries(resolutions as Record<string, unknown>)) {
    const value = versionValue(raw);
    const segments = yarnSegments(key);
    if (segments[0] === '**') segments.shift();
    // `a/**/b` applies under a at any depth, as npm's scoped overrides do.
    const path = segments.filter((s, i) => !(s === '**' && i > 0 && i < segments.length - 1));
    const selectors = path.map(selector);
    if (value === undefined || path.length === 0 || selectors.some((s) => s === undefined)) {
      skipped.push(key);
      continue;
    }
    put(overrides, selectors as string[], value);
    written.set(writtenKeyOf(selectors as string[]), key);
  }
  return { overrides, written, skipped };
};

export const fromPnpmOverrides = (entries: unknown): ForeignOverrides => {
  const overrides: Nested = {};
  const written = new Map<string, string>();
  const skipped: string[] = [];
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries))
    return { overrides, written, skipped };
  for (const [key, raw] of Object.entries(entries as Record<string, unknown>)) {
    const value = versionValue(raw);
    const selectors = key.split('>').map((s) => selector(s.trim()));
    if (value === undefined || selectors.some((s) => s === undefined)) {
      skipped.push(key);
      continue;
    }
    put(overrides, selectors as string[], value);
    written.set(writtenKeyOf(selectors as string[]), key);
  }
  return { overrides, written, skipped };
};
