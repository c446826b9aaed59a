import { describe, expect, it } from 'vitest';
import { matchOverride, parseOverrides } from './overrides.js';

describe('npm overrides', () => {
  const rules = parseOverrides(
    {
      foo: '1.0.0',
      'bar@^2': '2.5.0',
      parent: { '.': '3.0.0', baz: '$baz' },
      other: { deep: { leaf: '0.1.0' } },
    },
    { baz: '^4.1.0' },
  );

  it('reads plain, ranged, scoped, "." and "$" entries', () => {
    expect(rules.map((r) => [r.key, r.value])).toEqual([
      ['foo', '1.0.0'],
      ['bar@^2', '2.5.0'],
      ['parent', '3.0.0'],
      ['parent > baz', '^4.1.0'],
      ['other > deep > leaf', '0.1.0'],
    ]);
  });

  it('matches by name, by the range of the key, and by the parents above', () => {
    const none = () => new Set<string>();
    expect(matchOverride(rules, 'foo', '^1.0.0', none)?.value).toBe('1.0.0');
    expect(matchOverride(rules, 'bar', '^2.1.0', none)?.value).toBe('2.5.0');
    expect(matchOverride(rules, 'bar', '^1.0.0', none)).toBeUndefined();
    expect(matchOverride(rules, 'baz', '^4.0.0', none)).toBeUndefined();
    expect(matchOverride(rules, 'baz', '^4.0.0', () => new Set(['parent']))?.value).toBe('^4.1.0');
    expect(matchOverride(rules, 'leaf', '*', () => new Set(['other']))).toBeUndefined();
    expect(matchOverride(rules, 'leaf', '*', () => new Set(['deep', 'other']))?.key).toBe(
      'other > deep > leaf',
    );
  });
});
