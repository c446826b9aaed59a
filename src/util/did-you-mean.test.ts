import { describe, expect, it } from 'vitest';
import { closestName } from './did-you-mean.js';

describe('closestName', () => {
  const commands = ['scan', 'plan', 'fix', 'gate', 'rollback', 'quarantine'];
  it.each([
    ['sacn', 'scan'],
    ['SCAN', 'scan'],
    ['fx', 'fix'],
    ['rolback', 'rollback'],
    ['quarantien', 'quarantine'],
    ['frobnicate', undefined],
    ['', undefined],
  ])('%j → %j', (word, expected) => {
    expect(closestName(word, commands)).toBe(expected);
  });
  it('finds nothing among no names', () => {
    expect(closestName('scan', [])).toBeUndefined();
  });
});
