import { describe, expect, it } from 'vitest';
import { checkLockfile } from './schema.js';

describe('checkLockfile (bun)', () => {
  it('keeps catalogs named like Object properties as plain keys', () => {
    const doc = JSON.parse(
      '{"lockfileVersion":1,"workspaces":{"":{"name":"app"}},"packages":{},"catalogs":{"__proto__":{"a":"^1.0.0"},"x":{"b":"^2.0.0"}}}',
    ) as Record<string, unknown>;
    const lock = checkLockfile(doc);
    expect(Object.keys(lock.catalogs ?? {}).sort()).toEqual(['__proto__', 'x']);
    expect(Object.getOwnPropertyDescriptor(lock.catalogs, '__proto__')?.value).toEqual({ a: '^1.0.0' });
    // A group no catalog has is absent, whatever Object.prototype holds.
    expect(lock.catalogs?.constructor).toBeUndefined();
    expect(lock.catalogs?.x).toEqual({ b: '^2.0.0' });
  });
});
