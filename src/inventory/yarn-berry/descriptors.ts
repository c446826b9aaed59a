import type { SourceKind } from '../../core/inventory.js';

/**
 * Yarn berry's identifiers, as its `structUtils` writes them:
 * - a descriptor is `<ident>@<range>` (what a package asks for: `ms@npm:^2.1.0`);
 * - a locator is `<ident>@<reference>` (what was resolved: `ms@npm:2.1.3`);
 * - an ident is `name` or `@scope/name`;
 * - ranges and references may end with `::key=value&...` bindings (`locator=` ties a relative path
 *   to the package that declared it, `__archiveUrl=` records a registry tarball's URL).
 */
export interface Ident {
  readonly name: string;
  /** Everything after the ident's `@`. */
  readonly range: string;
}

/** Splits a descriptor or locator at the `@` that ends its ident; undefined when there is none. */
export const splitIdent = (text: string): Ident | undefined => {
  const at = text.indexOf('@', text.startsWith('@') ? text.indexOf('/') + 1 : 0);
  if (at <= 0 || (text.startsWith('@') && at < 3)) return undefined;
  return { name: text.slice(0, at), range: text.slice(at + 1) };
};

/** A range without its `::` bindings, and the `locator` binding if there is one. */
export const unbind = (range: string): { range: string; locator: string | undefined } => {
  const at = range.lastIndexOf('::');
  if (at === -1) return { range, locator: undefined };
  const params = new URLSearchParams(range.slice(at + 2));
  const locator = params.get('locator') ?? undefined;
  params.delete('locator');
  const rest = params.toString();
  return { range: rest === '' ? range.slice(0, at) : `${range.slice(0, at)}::${rest}`, locator };
};

/** What a resolved reference (the part of a locator after the ident) points at. */
export type Reference =
  | { readonly kind: 'registry'; readonly version: string }
  | { readonly kind: 'workspace'; readonly path: string }
  | { readonly kind: 'patch'; readonly source: string }
  | { readonly kind: Exclude<SourceKind, 'registry' | 'root' | 'workspace'> };

export const classifyReference = (reference: string): Reference => {
  const colon = reference.indexOf(':');
  const protocol = colon === -1 ? '' : reference.slice(0, colon + 1);
  switch (protocol) {
    case 'npm:':
      return { kind: 'registry', version: unbind(reference.slice(4)).range };
    case 'workspace:':
      return { kind: 'workspace', path: reference.slice('workspace:'.length) };
    case 'patch:': {
      // patch:<url-encoded source locator>#<patch files>::version=..&hash=..
      const hash = reference.indexOf('#');
      const encoded = reference.slice('patch:'.length, hash === -1 ? undefined : hash);
      let source: string;
      try {
        source = decodeURIComponent(encoded);
      } catch {
        source = encoded;
      }
      return { kind: 'patch', source };
    }
    case 'portal:':
    case 'link:':
      return { kind: 'link' };
    case 'file:':
    case 'exec:':
      return { kind: 'file' };
    default:
      break;
  }
  // Yarn's git resolver always pins a commit: `<repo url>#commit=<sha>` (sometimes `#...&commit=`).
  if (
    /[#&]commit=[0-9a-f]/i.test(reference) ||
    /^(?:git\+|git:|github:|gitlab:|bitbucket:|ssh:|git@)/.test(reference)
  ) {
    return { kind: 'git' };
  }
  if (/^https?:/.test(reference)) return { kind: 'tarball' };
  return { kind: 'file' };
};

/** A `resolutions` pattern of the root manifest, as `@yarnpkg/parsers`' `parseResolution` reads it. */
export interface ResolutionRule {
  readonly from: { readonly name: string; readonly description: string | undefined } | undefined;
  readonly name: string;
  readonly description: string | undefined;
  readonly reference: string;
}

const SPECIFIER = '(@[^/@]+/[^/@]+|[^/@]+)(?:@([^/]+))?';
const RESOLUTION = new RegExp(`^${SPECIFIER}(?:/${SPECIFIER})?$`);

/**
 * Reads the `resolutions` field: `name`, `name@range`, `parent/name`, `parent@version/name@range`.
 * Patterns yarn rejects (globs like `**\/name`, anything its grammar refuses) are skipped, as yarn
 * skips them (it reports them and goes on).
 */
export const parseResolutions = (field: Readonly<Record<string, string>>): ResolutionRule[] => {
  const rules: ResolutionRule[] = [];
  for (const [pattern, reference] of Object.entries(field)) {
    if (pattern.includes('*')) continue;
    const match = RESOLUTION.exec(pattern);
    if (!match) continue;
    const [, first, firstDescription, second, secondDescription] = match;
    if (second === undefined) {
      rules.push({ from: undefined, name: first as string, description: firstDescription, reference });
    } else {
      rules.push({
        from: { name: first as string, description: firstDescription },
        name: second,
        description: secondDescription,
        reference,
      });
    }
  }
  return rules;
};

/**
 * Yarn compares ranges after `normalizeDependency`, which prefixes semver ranges and tags with the
 * default `npm:` protocol; comparing them with any `npm:` prefix dropped gives the same answer.
 */
const sameRange = (a: string, b: string): boolean =>
  (a.startsWith('npm:') ? a.slice(4) : a) === (b.startsWith('npm:') ? b.slice(4) : b);

/**
 * The range that yarn resolves for a dependency after the root's `resolutions` (its core plugin's
 * `reduceDependency` hook): the first rule whose dependency name and range (and parent, if the rule
 * names one) match replaces the range; undefined when no rule applies. Yarn binds the replacement
 * to the root workspace, so its relative paths are the root's.
 */
export const applyResolutions = (
  rules: readonly ResolutionRule[],
  parent: Ident,
  name: string,
  range: string,
): string | undefined => {
  for (const rule of rules) {
    if (rule.name !== name) continue;
    if (rule.from) {
      if (rule.from.name !== parent.name) continue;
      if (rule.from.description !== undefined && !sameRange(rule.from.description, parent.range)) continue;
    }
    if (rule.description !== undefined && !sameRange(rule.description, range)) continue;
    return rule.reference;
  }
  return undefined;
};
