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
