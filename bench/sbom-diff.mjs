#!/usr/bin/env node
// Compares two CycloneDX JSON documents (typically PatchPilot's and another tool's SBOM of the same
// lockfile) package by package.
//
//   node bench/sbom-diff.mjs OURS.json THEIRS.json [--json] [--all] [--limit N]
//
// Registry packages are the components with a `pkg:npm/` purl that are not marked as workspaces or
// local folders; they are keyed by name@version taken from the purl (percent-decoding undone,
// qualifiers and subpath dropped). Everything else (no purl, another purl type, workspace and
// file:/link: components) is listed separately, keyed by name@version from the component fields.
// Printed: counts, only-in-ours, only-in-theirs, scope disagreements (CycloneDX scope, absent =
// required, and the cdx:npm:package:development property), hash disagreements.
// Plain Node, no dependencies. Exit code 0 whatever the differences, 2 on usage or input errors.

import { readFileSync } from 'node:fs';
import path from 'node:path';

const USAGE = `usage: node bench/sbom-diff.mjs OURS.json THEIRS.json [--json] [--all] [--limit N]
  --json      print the whole comparison as JSON (every entry, no limit)
  --all       list every entry in text mode (default: the first --limit of each list)
  --limit N   entries shown per list in text mode (default 15)`;

const fail = (msg) => {
  process.stderr.write(`sbom-diff: ${msg}\n${USAGE}\n`);
  process.exit(2);
};

const parseArgs = (argv) => {
  const opts = { files: [], json: false, all: false, limit: 15 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') opts.json = true;
    else if (a === '--all') opts.all = true;
    else if (a === '--limit') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) fail(`--limit needs a whole number, got ${argv[i]}`);
      opts.limit = n;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a.startsWith('-')) fail(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (opts.files.length !== 2) fail('two CycloneDX JSON files are needed');
  return opts;
};

// purl handling

const decode = (s) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** Parses a purl into { type, namespace, name, version, qualifiers, subpath }, or null. */
const parsePurl = (purl) => {
  if (typeof purl !== 'string' || !purl.startsWith('pkg:')) return null;
  let rest = purl.slice(4).replace(/^\/+/, '');
  let subpath = null;
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    subpath = decode(rest.slice(hash + 1));
    rest = rest.slice(0, hash);
  }
  const qualifiers = {};
  const q = rest.indexOf('?');
  if (q !== -1) {
    for (const pair of rest.slice(q + 1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      const k = (eq === -1 ? pair : pair.slice(0, eq)).toLowerCase();
      qualifiers[k] = eq === -1 ? '' : decode(pair.slice(eq + 1));
    }
    rest = rest.slice(0, q);
  }
  const slash = rest.indexOf('/');
  if (slash === -1) return null;
  const type = rest.slice(0, slash).toLowerCase();
  rest = rest.slice(slash + 1);
  // The version follows the last @ of the last path segment (a scope's @ is normally encoded as
  // %40; a raw one leads its segment and is not taken for the separator).
  let version = null;
  const lastSlash = rest.lastIndexOf('/');
  const at = rest.lastIndexOf('@');
  if (at > lastSlash + 1) {
    version = decode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const segs = rest.split('/').map(decode);
  const name = segs.pop();
  const namespace = segs.length ? segs.join('/') : null;
  return { type, namespace, name, version, qualifiers, subpath };
};

/** npm package name (with @scope/) of a parsed npm purl. */
const npmName = (p) =>
  p.namespace ? `${p.namespace.startsWith('@') ? '' : '@'}${p.namespace}/${p.name}` : p.name;

// component classification

const propsOf = (c) => {
  const m = new Map();
  for (const p of c.properties ?? []) {
    if (!m.has(p.name)) m.set(p.name, []);
    m.get(p.name).push(p.value);
  }
  return m;
};

const prop1 = (props, name) => props.get(name)?.[0];

const isDev = (props) => (props.get('cdx:npm:package:development') ?? []).some((v) => v === 'true');

/** Local-source markers of either tool: the reason a pkg:npm component is not a registry package. */
const localMarker = (props, purl) => {
  const source = prop1(props, 'patchpilot:npm:source');
  if (source && source !== 'registry') return `patchpilot:npm:source=${source}`;
  for (const name of [
    'cdx:npm:is_workspace',
    'internal:is_workspace',
    'cdx:npm:isWorkspace',
    'cdx:npm:isLink',
  ])
    if (prop1(props, name) === 'true') return `${name}=true`;
  const vcs = purl?.qualifiers?.vcs_url;
  if (vcs && /^(file|link|portal):/.test(vcs)) return `vcs_url=${vcs.replace(/:.*/, ':')}`;
  if (purl?.version && /^(file|link|portal|workspace):/.test(purl.version))
    return `version ${purl.version.replace(/:.*/, ':')}`;
  return null;
};

const componentName = (c) => (c.group ? `${c.group}/${c.name}` : c.name);

/** Every component of a document, nested ones included; metadata.component's sub-components too. */
const flatten = (doc) => {
  const out = [];
  const walk = (list, where) => {
    for (const c of list ?? []) {
      out.push({ c, where });
      walk(c.components, where);
    }
  };
  walk(doc.components, 'components');
  walk(doc.metadata?.component?.components, 'metadata.component.components');
  return out;
};

const hashSet = (c) =>
  new Set((c.hashes ?? []).map((h) => `${String(h.alg).toUpperCase()}:${String(h.content).toLowerCase()}`));

const index = (doc) => {
  const registry = new Map(); // key -> [{...}]
  const local = new Map();
  const other = [];
  for (const { c, where } of flatten(doc)) {
    const props = propsOf(c);
    const purl = parsePurl(c.purl);
    const marker = localMarker(props, purl);
    const entry = {
      bomRef: c['bom-ref'] ?? null,
      purl: c.purl ?? null,
      qualifiers: purl?.qualifiers ?? {},
      scope: c.scope ?? 'required',
      scopeRaw: c.scope ?? null,
      dev: isDev(props),
      hashes: hashSet(c),
      type: c.type,
      where,
      marker,
      alias: prop1(props, 'patchpilot:npm:alias') ?? null,
    };
    if (purl && purl.type === 'npm' && !marker && purl.version) {
      const key = `${npmName(purl)}@${purl.version}`;
      if (!registry.has(key)) registry.set(key, []);
      registry.get(key).push(entry);
    } else if (purl && purl.type !== 'npm') {
      other.push({ key: c.purl, ...entry });
    } else {
      const name = purl ? npmName(purl) : componentName(c);
      const key = `${name}@${c.version ?? purl?.version ?? ''}`;
      if (!local.has(key)) local.set(key, []);
      local.get(key).push(entry);
    }
  }
  return { registry, local, other, root: doc.metadata?.component ?? null, deps: doc.dependencies ?? [] };
};

// comparison

const scopeLabel = (e) => `${e.scope}${e.dev ? '+dev' : ''}`;
const summariseScopes = (entries) => [...new Set(entries.map(scopeLabel))].sort().join('|');

const compare = (ours, theirs) => {
  const onlyOurs = [];
  const onlyTheirs = [];
  const common = [];
  for (const k of ours.registry.keys()) (theirs.registry.has(k) ? common : onlyOurs).push(k);
  for (const k of theirs.registry.keys()) if (!ours.registry.has(k)) onlyTheirs.push(k);
  onlyOurs.sort();
  onlyTheirs.sort();
  common.sort();

  const scope = [];
  const hashes = [];
  const hashStats = { same: 0, oursOnly: 0, theirsOnly: 0, neither: 0, different: 0 };
  for (const k of common) {
    const a = ours.registry.get(k);
    const b = theirs.registry.get(k);
    const sa = summariseScopes(a);
    const sb = summariseScopes(b);
    if (sa !== sb) {
      const devA = a.some((e) => e.dev);
      const devB = b.some((e) => e.dev);
      scope.push({ key: k, ours: sa, theirs: sb, devFlagDiffers: devA !== devB });
    }
    const ha = new Set(a.flatMap((e) => [...e.hashes]));
    const hb = new Set(b.flatMap((e) => [...e.hashes]));
    if (ha.size === 0 && hb.size === 0) hashStats.neither++;
    else if (ha.size && !hb.size) {
      hashStats.oursOnly++;
      hashes.push({ key: k, kind: 'ours-only', ours: [...ha], theirs: [] });
    } else if (!ha.size && hb.size) {
      hashStats.theirsOnly++;
      hashes.push({ key: k, kind: 'theirs-only', ours: [], theirs: [...hb] });
    } else {
      // Same algorithm, different content is a disagreement; different algorithms are not.
      const algs = (s) => new Map([...s].map((x) => [x.slice(0, x.indexOf(':')), x]));
      const ma = algs(ha);
      const mb = algs(hb);
      const clash = [...ma.keys()].some((alg) => mb.has(alg) && mb.get(alg) !== ma.get(alg));
      const shared = [...ma.keys()].some((alg) => mb.has(alg));
      if (clash) {
        hashStats.different++;
        hashes.push({ key: k, kind: 'different', ours: [...ha], theirs: [...hb] });
      } else if (!shared) {
        hashStats.different++;
        hashes.push({ key: k, kind: 'no-common-algorithm', ours: [...ha], theirs: [...hb] });
      } else hashStats.same++;
    }
  }
  const scopePairs = {};
  for (const s of scope) {
    const p = `${s.ours} -> ${s.theirs}`;
    scopePairs[p] = (scopePairs[p] ?? 0) + 1;
  }

  const dupes = (idx) =>
    [...idx.registry]
      .filter(([, v]) => v.length > 1)
      .map(([k, v]) => ({ key: k, count: v.length, bomRefs: v.map((e) => e.bomRef) }));

  // Local components are matched by name: a folder package often has no version, which one tool
  // leaves empty and the other may fill in.
  const byName = (idx) => {
    const m = new Map();
    for (const [k, entries] of idx.local) {
      const name = k.slice(0, k.lastIndexOf('@'));
      const version = k.slice(k.lastIndexOf('@') + 1);
      if (!m.has(name)) m.set(name, { versions: new Set(), markers: new Set(), where: new Set(), n: 0 });
      const d = m.get(name);
      d.versions.add(version);
      d.n += entries.length;
      for (const e of entries) {
        d.markers.add(e.marker ?? (e.purl ? 'npm purl' : 'no purl'));
        d.where.add(e.where);
      }
    }
    return m;
  };
  const lo = byName(ours);
  const lt = byName(theirs);
  const localDetail = (m, names) =>
    names.map((name) => {
      const d = m.get(name);
      return {
        name,
        versions: [...d.versions].sort(),
        components: d.n,
        markers: [...d.markers],
        where: [...d.where],
      };
    });
  const loNames = [...lo.keys()].sort();
  const ltNames = [...lt.keys()].sort();
  const localBoth = loNames.filter((n) => lt.has(n));
  const versionsDiffer = localBoth
    .filter((n) => [...lo.get(n).versions].sort().join() !== [...lt.get(n).versions].sort().join())
    .map((n) => ({ name: n, ours: [...lo.get(n).versions].sort(), theirs: [...lt.get(n).versions].sort() }));

  const rootName = (r) => (r ? `${componentName(r)}@${r.version ?? ''}` : null);
  const registryComponents = (idx) => [...idx.registry.values()].reduce((n, v) => n + v.length, 0);
  const localComponents = (idx) => [...idx.local.values()].reduce((n, v) => n + v.length, 0);

  return {
    counts: {
      ours: {
        registryComponents: registryComponents(ours),
        registryKeys: ours.registry.size,
        localComponents: localComponents(ours),
        otherPurlComponents: ours.other.length,
        dependencyEntries: ours.deps.length,
      },
      theirs: {
        registryComponents: registryComponents(theirs),
        registryKeys: theirs.registry.size,
        localComponents: localComponents(theirs),
        otherPurlComponents: theirs.other.length,
        dependencyEntries: theirs.deps.length,
      },
      common: common.length,
      onlyOurs: onlyOurs.length,
      onlyTheirs: onlyTheirs.length,
      scopeDisagreements: scope.length,
      devFlagDisagreements: scope.filter((x) => x.devFlagDiffers).length,
      hashDisagreements: hashes.filter((h) => h.kind === 'different' || h.kind === 'no-common-algorithm')
        .length,
      hashStats,
      scopePairs,
    },
    root: { ours: rootName(ours.root), theirs: rootName(theirs.root) },
    onlyOurs: onlyOurs.map((k) => ({ key: k, ...scopeAndRef(ours.registry.get(k)) })),
    onlyTheirs: onlyTheirs.map((k) => ({ key: k, ...scopeAndRef(theirs.registry.get(k)) })),
    scope,
    hashes,
    duplicates: { ours: dupes(ours), theirs: dupes(theirs) },
    local: {
      ours: localDetail(lo, loNames),
      theirs: localDetail(lt, ltNames),
      both: localBoth.length,
      versionsDiffer,
      onlyOurs: localDetail(
        lo,
        loNames.filter((n) => !lt.has(n)),
      ),
      onlyTheirs: localDetail(
        lt,
        ltNames.filter((n) => !lo.has(n)),
      ),
    },
    otherPurls: { ours: ours.other.map((e) => e.key), theirs: theirs.other.map((e) => e.key) },
  };
};

function scopeAndRef(entries) {
  const q = entries.flatMap((e) => Object.entries(e.qualifiers).map(([k, v]) => `${k}=${v}`));
  const alias = entries.map((e) => e.alias).filter(Boolean);
  return {
    scope: summariseScopes(entries),
    ...(q.length ? { qualifiers: [...new Set(q)] } : {}),
    ...(alias.length ? { alias: [...new Set(alias)] } : {}),
  };
}

// output

const printText = (r, files, opts) => {
  const out = [];
  const lim = opts.all ? Number.POSITIVE_INFINITY : opts.limit;
  const list = (title, items, fmt) => {
    out.push(`\n## ${title} (${items.length})`);
    for (const it of items.slice(0, lim)) out.push(`  ${fmt(it)}`);
    if (items.length > lim) out.push(`  ... ${items.length - lim} more (--all or --json for every entry)`);
  };
  const c = r.counts;
  out.push(`ours:   ${files[0]}`);
  out.push(`theirs: ${files[1]}`);
  out.push(`root component: ours ${r.root.ours} | theirs ${r.root.theirs}`);
  out.push('');
  out.push('                         ours    theirs');
  const row = (label, a, b) =>
    out.push(`${label.padEnd(22)} ${String(a).padStart(7)} ${String(b).padStart(9)}`);
  row('registry components', c.ours.registryComponents, c.theirs.registryComponents);
  row('registry name@version', c.ours.registryKeys, c.theirs.registryKeys);
  row('workspace/local comps', c.ours.localComponents, c.theirs.localComponents);
  row('other-purl components', c.ours.otherPurlComponents, c.theirs.otherPurlComponents);
  row('dependency entries', c.ours.dependencyEntries, c.theirs.dependencyEntries);
  out.push('');
  out.push(
    `registry name@version: common ${c.common}, only in ours ${c.onlyOurs}, only in theirs ${c.onlyTheirs}, scope disagreements ${c.scopeDisagreements}, hash disagreements ${c.hashDisagreements}`,
  );
  const hs = c.hashStats;
  out.push(
    `hashes on common packages: equal ${hs.same}, only ours ${hs.oursOnly}, only theirs ${hs.theirsOnly}, neither ${hs.neither}, different ${hs.different}`,
  );
  if (Object.keys(c.scopePairs).length) {
    out.push(
      `scope disagreements by pair (ours -> theirs; "+dev" = cdx:npm:package:development=true); the development flag differs on ${c.devFlagDisagreements}:`,
    );
    for (const [p, n] of Object.entries(c.scopePairs).sort((a, b) => b[1] - a[1]))
      out.push(`  ${String(n).padStart(5)}  ${p}`);
  }
  const fmtReg = (e) =>
    `${e.key}  [${e.scope}]${e.alias ? ` alias ${e.alias.join(',')}` : ''}${e.qualifiers ? ` {${e.qualifiers.join(' ')}}` : ''}`;
  list('only in ours', r.onlyOurs, fmtReg);
  list('only in theirs', r.onlyTheirs, fmtReg);
  list('scope disagreements', r.scope, (s) => `${s.key}: ours ${s.ours}, theirs ${s.theirs}`);
  list(
    'hash disagreements and one-sided hashes',
    r.hashes,
    (h) =>
      `${h.key}: ${h.kind} ours [${h.ours.map((x) => x.slice(0, 24)).join(' ')}] theirs [${h.theirs.map((x) => x.slice(0, 24)).join(' ')}]`,
  );
  list('same name@version more than once in ours', r.duplicates.ours, (d) => `${d.key} x${d.count}`);
  list('same name@version more than once in theirs', r.duplicates.theirs, (d) => `${d.key} x${d.count}`);
  out.push(
    `\n## workspace / local / non-purl components (by name): ours ${r.local.ours.length} names in ${c.ours.localComponents} components, theirs ${r.local.theirs.length} names in ${c.theirs.localComponents} components, names in both ${r.local.both}`,
  );
  const fmtLocal = (d) =>
    `${d.name}@${d.versions.join('|')}${d.components > 1 ? ` x${d.components}` : ''}  (${d.markers.join(', ')}; ${d.where.join(', ')})`;
  list('local only in ours', r.local.onlyOurs, fmtLocal);
  list('local only in theirs', r.local.onlyTheirs, fmtLocal);
  list(
    'local in both, versions differ',
    r.local.versionsDiffer,
    (d) =>
      `${d.name}: ours ${d.ours.map((v) => v || '(none)').join('|')}, theirs ${d.theirs.map((v) => v || '(none)').join('|')}`,
  );
  if (r.otherPurls.ours.length || r.otherPurls.theirs.length) {
    list('non-npm purls in ours', r.otherPurls.ours, (x) => x);
    list('non-npm purls in theirs', r.otherPurls.theirs, (x) => x);
  }
  process.stdout.write(`${out.join('\n')}\n`);
};

const load = (f) => {
  let doc;
  try {
    doc = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    fail(`cannot read ${f}: ${e.message}`);
  }
  if (doc?.bomFormat !== 'CycloneDX') fail(`${f} is not a CycloneDX JSON document`);
  return doc;
};

const main = () => {
  const opts = parseArgs(process.argv.slice(2));
  const [a, b] = opts.files.map(load);
  const r = compare(index(a), index(b));
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ ours: opts.files[0], theirs: opts.files[1], ...r }, null, 2)}\n`,
    );
  } else
    printText(
      r,
      opts.files.map((f) => path.relative(process.cwd(), f) || f),
      opts,
    );
};

main();
