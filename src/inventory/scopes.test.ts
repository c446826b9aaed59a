import { describe, expect, it } from 'vitest';
import type { Importer, InventoryEdge } from '../core/inventory.js';
import { computeScopes } from './scopes.js';

const root: Importer = { id: '', name: 'root', path: '' };
const edge = (from: string, to: string, type: InventoryEdge['type'] = 'prod'): InventoryEdge => ({
  from,
  to,
  type,
  spec: '*',
});

describe('computeScopes', () => {
  it('follows npm: prod, dev, optional, devOptional and unreachable', () => {
    const edges = [
      edge('', 'a'),
      edge('a', 'b'),
      edge('', 'd', 'dev'),
      edge('d', 'e'),
      edge('d', 'b'),
      edge('', 'o', 'optional'),
      edge('o', 'x'),
      edge('d', 'x'),
      edge('d', 'y', 'optional'),
    ];
    const { scopes, unreachable } = computeScopes(['a', 'b', 'd', 'e', 'o', 'x', 'y', 'lost'], [root], edges);
    expect(Object.fromEntries(scopes)).toEqual({
      a: 'prod',
      b: 'prod',
      d: 'dev',
      e: 'dev',
      o: 'optional',
      // x is needed by the optional tree and by the dev tree: both can omit it, neither alone.
      x: 'devOptional',
      // An optional dependency of a dev dependency goes with the dev ones.
      y: 'dev',
    });
    expect([...unreachable]).toEqual(['lost']);
  });

  it('treats every importer as a root and never walks into one', () => {
    const ws: Importer = { id: 'ws', name: 'ws', path: 'packages/ws' };
    const edges = [edge('', 'ws', 'dev'), edge('ws', 'p'), edge('', 'q', 'dev'), edge('q', 'p')];
    const { scopes } = computeScopes(['p', 'q'], [root, ws], edges);
    expect(scopes.get('p')).toBe('prod');
    expect(scopes.get('q')).toBe('dev');
  });

  it('survives cycles', () => {
    const edges = [edge('', 'a', 'dev'), edge('a', 'b'), edge('b', 'a')];
    const { scopes } = computeScopes(['a', 'b'], [root], edges);
    expect(scopes.get('a')).toBe('dev');
    expect(scopes.get('b')).toBe('dev');
  });
});

describe('computeScopes on random graphs', () => {
  /** The rules as stated, one reach per kind of path, to hold the one-pass version to. */
  const reference = (ids: string[], importers: Importer[], edges: InventoryEdge[]) => {
    const roots = new Set(importers.map((i) => i.id));
    const reach = (follow: (e: InventoryEdge) => boolean): Set<string> => {
      const seen = new Set<string>();
      const queue = [...roots];
      for (let i = 0; i < queue.length; i++) {
        for (const e of edges) {
          if (e.from === queue[i] && !roots.has(e.to) && follow(e) && !seen.has(e.to)) {
            seen.add(e.to);
            queue.push(e.to);
          }
        }
      }
      return seen;
    };
    const any = reach(() => true);
    const notDev = reach((e) => e.type !== 'dev');
    const notOptional = reach((e) => e.type !== 'optional');
    const prod = reach((e) => e.type !== 'dev' && e.type !== 'optional');
    const scopes: Record<string, string> = {};
    const unreachable: string[] = [];
    for (const id of ids) {
      if (roots.has(id)) continue;
      if (!any.has(id)) unreachable.push(id);
      else if (prod.has(id)) scopes[id] = 'prod';
      else if (!notDev.has(id)) scopes[id] = 'dev';
      else if (!notOptional.has(id)) scopes[id] = 'optional';
      else scopes[id] = 'devOptional';
    }
    return { scopes, unreachable };
  };

  it('gives what one reach per kind of path gives, cycles and several importers included', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 16) % n;
    };
    const types: InventoryEdge['type'][] = ['prod', 'dev', 'optional', 'peer'];
    for (let round = 0; round < 300; round++) {
      const ids = Array.from({ length: 2 + random(12) }, (_, i) => `p${i}`);
      const importers: Importer[] = [root, ...(random(3) === 0 ? [{ id: 'w', name: 'w', path: 'w' }] : [])];
      const nodes = ['', ...importers.slice(1).map((i) => i.id), ...ids];
      const edges = Array.from({ length: random(3 * ids.length) }, () =>
        edge(nodes[random(nodes.length)] as string, nodes[random(nodes.length)] as string, types[random(4)]),
      );
      const { scopes, unreachable } = computeScopes(ids, importers, edges);
      const expected = reference(ids, importers, edges);
      expect({ scopes: Object.fromEntries(scopes), unreachable: [...unreachable] }).toEqual(expected);
    }
  });
});
