import { describe, expect, it } from 'vitest';
import { cloneTree, deleteNode, makeTree, resolveDep, setNode, type TreeNode } from './tree.js';

const node = (location: string, deps: string[] = [], importer = false): TreeNode => ({
  location,
  name: location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length) || 'root',
  version: '1.0.0',
  source: importer ? 'root' : 'registry',
  deps: deps.map((key) => ({ key, spec: '*', type: 'prod' as const })),
  bundled: false,
  importer,
});

/** Node's lookup, walking up every folder: what resolveDep must agree with. */
const walkUp = (nodes: ReadonlyMap<string, TreeNode>, from: string, key: string): string | undefined => {
  let level = from;
  while (true) {
    const at = level === '' ? `node_modules/${key}` : `${level}/node_modules/${key}`;
    if (nodes.has(at)) return at;
    if (level === '') return undefined;
    const up = level.lastIndexOf('/node_modules/');
    level = up === -1 ? '' : level.slice(0, up);
  }
};

describe('resolution after changes', () => {
  it('agrees with the walk up the folders for names added and removed, in copies too', () => {
    const base = makeTree(
      new Map(
        [
          node('', ['a', 'b', 'ms'], true),
          node('node_modules/a', ['ms', 'c']),
          node('node_modules/a/node_modules/ms'),
          node('node_modules/b', ['ms', 'c']),
          node('node_modules/b/node_modules/c', ['ms']),
          node('node_modules/ms'),
          node('node_modules/c'),
        ].map((n) => [n.location, n]),
      ),
      new Map(),
      [''],
    );
    const tree = cloneTree(base);
    setNode(tree, node('node_modules/b/node_modules/c/node_modules/ms'));
    deleteNode(tree, 'node_modules/a/node_modules/ms');
    setNode(tree, node('node_modules/b/node_modules/ms'));
    for (let i = 0; i < 6; i++) setNode(tree, node(`node_modules/x${i}/node_modules/ms`));
    const copy = cloneTree(tree);
    deleteNode(copy, 'node_modules/ms');
    for (const t of [base, tree, copy]) {
      for (const from of t.nodes.keys()) {
        for (const key of ['ms', 'c', 'a']) {
          expect(resolveDep(t, from, { key, spec: '*', type: 'prod' }), `${from} → ${key}`).toBe(
            walkUp(t.nodes, from, key),
          );
        }
      }
    }
    // The copy's change does not leak into the tree it was copied from.
    expect(resolveDep(tree, 'node_modules/a', { key: 'ms', spec: '*', type: 'prod' })).toBe(
      'node_modules/ms',
    );
    expect(resolveDep(copy, 'node_modules/a', { key: 'ms', spec: '*', type: 'prod' })).toBeUndefined();
  });
});
