import { describe, expect, it } from 'vitest';
import type { EdgeType, Inventory } from '../core/inventory.js';
import {
  type DependencyPaths,
  dependencyPaths,
  dependentsOf,
  hasImporterDependent,
  indexPaths,
} from './paths.js';

/** A graph of ids; '' is the root. Paths only read edges and importers, so packages stay empty. */
const graph = (
  edges: ([string, string] | [string, string, EdgeType])[],
  importers: string[] = [''],
): Inventory => ({
  root: '/p',
  lockfile: '/p/package-lock.json',
  format: 'npm-v3',
  importers: importers.map((id) => ({ id, name: id || 'root', path: id })),
  packages: new Map(),
  edges: edges.map(([from, to, type]) => ({ from, to, type: type ?? 'prod', spec: '*' })),
});

const paths = (
  inventory: Inventory,
  target: string,
  options: { limit: number; countCap?: number; maxFrontier?: number } = { limit: 100 },
) => dependencyPaths(indexPaths(inventory), target, options);

/** The result with paths as plain arrays, after checking they come out shortest first. */
const plain = (result: DependencyPaths) => {
  const lengths = result.paths.map((p) => p.length);
  expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
  return {
    paths: result.paths.map((p) => [...p]),
    count: result.count,
    complete: result.complete,
    importers: [...result.importers].sort(),
  };
};

/** Same, with equal-length paths in a fixed order so the comparison does not depend on edge order. */
const sorted = (result: DependencyPaths) => {
  const out = plain(result);
  out.paths.sort((a, b) => a.length - b.length || a.join('>').localeCompare(b.join('>')));
  return out;
};

describe('indexPaths', () => {
  it("indexes each package's dependents once, in edge order, and the importers", () => {
    const index = indexPaths(
      graph(
        [
          ['', 'a'],
          ['', 'b'],
          ['a', 'b'],
          ['a', 'b', 'dev'],
          ['ws', 'b'],
          ['b', 'a'],
        ],
        ['', 'ws'],
      ),
    );
    expect(index.ids.filter((_, n) => index.importer[n] === 1).sort()).toEqual(['', 'ws']);
    expect(dependentsOf(index, 'b')).toEqual(['', 'a', 'ws']);
    expect(dependentsOf(index, 'a')).toEqual(['', 'b']);
    expect(dependentsOf(index, '')).toEqual([]);
    expect(dependentsOf(index, 'unknown')).toEqual([]);
  });

  it('tells which packages an importer depends on directly', () => {
    const index = indexPaths(
      graph(
        [
          ['', 'a'],
          ['a', 'b'],
          ['ws', 'c'],
          ['c', 'a'],
        ],
        ['', 'ws'],
      ),
    );
    expect(['a', 'b', 'c', 'unknown'].filter((id) => hasImporterDependent(index, id))).toEqual(['a', 'c']);
  });
});

describe('dependencyPaths', () => {
  it('finds the one path of a chain, importer first and the package last', () => {
    expect(
      plain(
        paths(
          graph([
            ['', 'a'],
            ['a', 'b'],
            ['b', 'c'],
          ]),
          'c',
        ),
      ),
    ).toEqual({
      paths: [['', 'a', 'b', 'c']],
      count: 1,
      complete: true,
      importers: [''],
    });
  });

  it('finds both sides of a diamond, and a longer route after them', () => {
    // '' → a → d, '' → b → d, '' → c → e → d
    const inventory = graph([
      ['', 'a'],
      ['', 'b'],
      ['', 'c'],
      ['a', 'd'],
      ['b', 'd'],
      ['c', 'e'],
      ['e', 'd'],
    ]);
    expect(sorted(paths(inventory, 'd'))).toEqual({
      paths: [
        ['', 'a', 'd'],
        ['', 'b', 'd'],
        ['', 'c', 'e', 'd'],
      ],
      count: 3,
      complete: true,
      importers: [''],
    });
  });

  it('puts a direct dependency before a transitive route to the same package', () => {
    const inventory = graph([
      ['a', 'x'],
      ['', 'a'],
      ['', 'x'],
    ]);
    expect(plain(paths(inventory, 'x')).paths).toEqual([
      ['', 'x'],
      ['', 'a', 'x'],
    ]);
  });

  it('counts every path when routes multiply (2 × 2 = 4)', () => {
    // '' → {a1, a2} → m → {b1, b2} → t
    const inventory = graph([
      ['', 'a1'],
      ['', 'a2'],
      ['a1', 'm'],
      ['a2', 'm'],
      ['m', 'b1'],
      ['m', 'b2'],
      ['b1', 't'],
      ['b2', 't'],
    ]);
    expect(sorted(paths(inventory, 't'))).toEqual({
      paths: [
        ['', 'a1', 'm', 'b1', 't'],
        ['', 'a1', 'm', 'b2', 't'],
        ['', 'a2', 'm', 'b1', 't'],
        ['', 'a2', 'm', 'b2', 't'],
      ],
      count: 4,
      complete: true,
      importers: [''],
    });
  });

  it('terminates on a cycle (a → b → a) and reports each path once', () => {
    const inventory = graph([
      ['', 'a'],
      ['a', 'b'],
      ['b', 'a'],
    ]);
    expect(plain(paths(inventory, 'b'))).toEqual({
      paths: [['', 'a', 'b']],
      count: 1,
      complete: true,
      importers: [''],
    });
    expect(plain(paths(inventory, 'a'))).toEqual({
      paths: [['', 'a']],
      count: 1,
      complete: true,
      importers: [''],
    });
  });

  it('terminates on a longer cycle and on a self-dependency', () => {
    const inventory = graph([
      ['', 'a'],
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'a'],
      ['c', 'c'],
      ['c', 't'],
    ]);
    expect(plain(paths(inventory, 't'))).toEqual({
      paths: [['', 'a', 'b', 'c', 't']],
      count: 1,
      complete: true,
      importers: [''],
    });
  });

  it('finds nothing for a cycle no importer reaches', () => {
    const inventory = graph([
      ['', 'a'],
      ['x', 'y'],
      ['y', 'x'],
    ]);
    expect(plain(paths(inventory, 'x'))).toEqual({ paths: [], count: 0, complete: true, importers: [] });
  });

  it('finds nothing for an unknown package', () => {
    expect(plain(paths(graph([['', 'a']]), 'nope'))).toEqual({
      paths: [],
      count: 0,
      complete: true,
      importers: [],
    });
  });

  it('lists the shortest `limit` paths and still counts them all', () => {
    // Five parents of t; two of them reach it through an extra hop.
    const inventory = graph([
      ['', 'p1'],
      ['', 'p2'],
      ['', 'p3'],
      ['', 'q'],
      ['q', 'p4'],
      ['q', 'p5'],
      ['p1', 't'],
      ['p2', 't'],
      ['p3', 't'],
      ['p4', 't'],
      ['p5', 't'],
    ]);
    const capped = plain(paths(inventory, 't', { limit: 2 }));
    expect(capped).toMatchObject({ count: 5, complete: true, importers: [''] });
    expect(capped.paths.map((p) => p.length)).toEqual([3, 3]);
    const all = sorted(paths(inventory, 't', { limit: 100 }));
    expect(all).toEqual({
      paths: [
        ['', 'p1', 't'],
        ['', 'p2', 't'],
        ['', 'p3', 't'],
        ['', 'q', 'p4', 't'],
        ['', 'q', 'p5', 't'],
      ],
      count: 5,
      complete: true,
      importers: [''],
    });
    expect(plain(paths(inventory, 't', { limit: 4 }))).toMatchObject({ count: 5, complete: true });
    expect(plain(paths(inventory, 't', { limit: 0 }))).toMatchObject({ paths: [], count: 5, complete: true });
  });

  it('counts without listing: 2^20 paths through a chain of diamonds', () => {
    const edges: [string, string][] = [['', 'n0']];
    for (let i = 0; i < 20; i++) {
      edges.push([`n${i}`, `l${i}`], [`n${i}`, `r${i}`], [`l${i}`, `n${i + 1}`], [`r${i}`, `n${i + 1}`]);
    }
    const result = plain(paths(graph(edges), 'n20', { limit: 3 }));
    expect(result).toMatchObject({ count: 2 ** 20, complete: true, importers: [''] });
    expect(result.paths).toHaveLength(3);
  });

  it('counts a chain 20,000 packages deep, and one with a cycle at its far end, without running out of stack', () => {
    const depth = 20_000;
    const edges: [string, string][] = [['', 'p0']];
    for (let i = 1; i < depth; i++) edges.push([`p${i - 1}`, `p${i}`]);
    const chain = paths(graph(edges), `p${depth - 1}`, { limit: 1 });
    expect(chain.count).toBe(1);
    expect(chain.complete).toBe(true);
    expect(chain.paths[0]).toHaveLength(depth + 1);
    // p1 also depends on p0: the far end's ancestors hold a cycle, so the paths are enumerated.
    const looped = paths(graph([...edges, ['p1', 'p0']]), `p${depth - 1}`, { limit: 1 });
    expect(looped.count).toBe(1);
    expect(looped.paths[0]).toHaveLength(depth + 1);
  });

  it('counts by enumeration up to a cap when the dependents form a cycle', () => {
    // a and b depend on each other; t is reached through b and through c.
    const inventory = graph([
      ['', 'a'],
      ['a', 'b'],
      ['b', 'a'],
      ['b', 't'],
      ['', 'c'],
      ['c', 't'],
    ]);
    expect(plain(paths(inventory, 't', { limit: 10 }))).toEqual({
      paths: [
        ['', 'c', 't'],
        ['', 'a', 'b', 't'],
      ],
      count: 2,
      complete: true,
      importers: [''],
    });
    expect(plain(paths(inventory, 't', { limit: 1, countCap: 1 }))).toMatchObject({
      count: 1,
      complete: false,
    });
  });

  it('says the count is a lower bound when the search frontier is capped', () => {
    const inventory = graph([
      ['', 'a'],
      ['', 'b'],
      ['', 'c'],
      ['a', 't'],
      ['b', 't'],
      ['c', 't'],
      ['t', 'a'],
    ]);
    const result = plain(paths(inventory, 't', { limit: 100, maxFrontier: 2 }));
    expect(result.complete).toBe(false);
    expect(result.count).toBeLessThan(3);
    expect(plain(paths(inventory, 't', { limit: 100 }))).toMatchObject({ count: 3, complete: true });
  });

  it('stops a path at the first importer: the workspace that needs the package, not the root above it', () => {
    // The root depends on workspace ws; ws and the root's own dependency y both need x.
    const inventory = graph(
      [
        ['', 'ws'],
        ['ws', 'x'],
        ['', 'y'],
        ['y', 'x'],
      ],
      ['', 'ws'],
    );
    expect(sorted(paths(inventory, 'x'))).toEqual({
      paths: [
        ['ws', 'x'],
        ['', 'y', 'x'],
      ],
      count: 2,
      complete: true,
      importers: ['', 'ws'],
    });
  });

  it('stops at a workspace reached through another workspace', () => {
    // ws-api depends on ws-shared, which depends on qs: the path starts at ws-shared only.
    const inventory = graph(
      [
        ['ws-api', 'ws-shared'],
        ['ws-shared', 'qs'],
        ['ws-api', 'lodash'],
      ],
      ['', 'ws-api', 'ws-shared'],
    );
    expect(plain(paths(inventory, 'qs'))).toEqual({
      paths: [['ws-shared', 'qs']],
      count: 1,
      complete: true,
      importers: ['ws-shared'],
    });
    expect(plain(paths(inventory, 'lodash'))).toEqual({
      paths: [['ws-api', 'lodash']],
      count: 1,
      complete: true,
      importers: ['ws-api'],
    });
  });

  it('lists each importer once however many paths start there', () => {
    const inventory = graph(
      [
        ['', 'a'],
        ['', 'b'],
        ['a', 't'],
        ['b', 't'],
        ['ws', 't'],
      ],
      ['', 'ws'],
    );
    const result = plain(paths(inventory, 't'));
    expect(result.count).toBe(3);
    expect(result.importers).toEqual(['', 'ws']);
  });

  it('gives a path of its own for an importer as the target', () => {
    expect(plain(paths(graph([['', 'ws']], ['', 'ws']), 'ws'))).toEqual({
      paths: [['ws']],
      count: 1,
      complete: true,
      importers: ['ws'],
    });
  });

  it('reports a route once when the dependent declares the package twice (peer + dev, prod + peer)', () => {
    // A library's root lists react in peerDependencies and devDependencies; ajv-formats lists ajv in
    // dependencies and peerDependencies. Two edges between the same two ids are one route.
    const inventory = graph([
      ['', 'react', 'peer'],
      ['', 'react', 'dev'],
      ['', 'ajv-formats', 'prod'],
      ['ajv-formats', 'ajv', 'prod'],
      ['ajv-formats', 'ajv', 'peer'],
    ]);
    expect(plain(paths(inventory, 'react'))).toEqual({
      paths: [['', 'react']],
      count: 1,
      complete: true,
      importers: [''],
    });
    expect(plain(paths(inventory, 'ajv'))).toEqual({
      paths: [['', 'ajv-formats', 'ajv']],
      count: 1,
      complete: true,
      importers: [''],
    });
  });
});

describe('dependencyPaths against every simple path, on random graphs', () => {
  /** Every path from an importer to `target` that visits no package twice and stops at the first importer. */
  const allPaths = (edges: [string, string][], importers: Set<string>, target: string): string[][] => {
    const dependents = new Map<string, Set<string>>();
    for (const [from, to] of edges) dependents.set(to, (dependents.get(to) ?? new Set()).add(from));
    const out: string[][] = [];
    const walk = (at: string, below: string[]) => {
      const path = [at, ...below];
      if (importers.has(at)) {
        out.push(path);
        return;
      }
      for (const from of dependents.get(at) ?? []) if (!path.includes(from)) walk(from, path);
    };
    walk(target, []);
    return out;
  };

  it('finds the shortest paths, the count (or the cap) and the importers of 400 random graphs', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let cyclic = 0;
    for (let round = 0; round < 400; round++) {
      const size = 2 + Math.floor(random() * 8);
      const ids = Array.from({ length: size }, (_, i) => (i === 0 ? '' : `p${i}`));
      const importers = new Set(ids.filter((_, i) => i === 0 || random() < 0.15));
      const edges: [string, string][] = [];
      for (const from of ids) for (const to of ids) if (to !== '' && random() < 0.3) edges.push([from, to]);
      const index = indexPaths(graph(edges, [...importers]));
      for (const target of ids) {
        const expected = allPaths(edges, importers, target);
        const cap = 6;
        const result = dependencyPaths(index, target, { limit: 3, countCap: cap });
        const where = `round ${round}, target ${target || '(root)'}, edges ${JSON.stringify(edges)}`;
        if (result.complete) expect(result.count, where).toBe(expected.length);
        else {
          cyclic++;
          expect(result.count, where).toBe(cap);
          expect(expected.length, where).toBeGreaterThan(cap);
        }
        const lengths = expected.map((p) => p.length).sort((a, b) => a - b);
        expect(
          result.paths.map((p) => p.length),
          where,
        ).toEqual(lengths.slice(0, 3));
        const known = new Set(expected.map((p) => p.join('>')));
        for (const path of result.paths) expect(known.has(path.join('>')), where).toBe(true);
        expect([...result.importers].sort(), where).toEqual(
          [...new Set(expected.map((p) => p[0] as string))].sort(),
        );
      }
    }
    // The rounds reach both branches: exact counts and counts capped on a cycle.
    expect(cyclic).toBeGreaterThan(20);
  });
});
