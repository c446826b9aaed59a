import { describe, expect, it } from 'vitest';
import type { ConfigException } from '../config/normalize.js';
import type { Finding } from '../core/finding.js';
import { applyExceptions, isExcepted, isExpired, unusedExceptions } from './exceptions.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  id: 'GHSA-aaaa-bbbb-cccc',
  aliases: ['CVE-2020-1'],
  advisories: ['GHSA-aaaa-bbbb-cccc', 'OSV-2020-9'],
  kind: 'vulnerability',
  severity: 'high',
  cvssScore: undefined,
  cvssVector: undefined,
  summary: undefined,
  package: { name: '@scope/lib', version: '1.2.3', purl: 'pkg:npm/%40scope/lib@1.2.3' },
  fixedIn: ['1.2.4'],
  paths: [['app', '@scope/lib@1.2.3']],
  pathCount: 1,
  pathsComplete: true,
  scope: 'prod',
  direct: true,
  workspaces: ['app'],
  locations: ['node_modules/@scope/lib'],
  ...over,
});

const exception = (over: Partial<ConfigException> = {}): ConfigException => ({
  id: 'GHSA-aaaa-bbbb-cccc',
  package: undefined,
  reason: 'not reachable',
  expires: '2025-06-30',
  author: 'Jane',
  ...over,
});

const today = '2025-06-01';
const applied = (e: ConfigException[], f = finding(), day = today) =>
  applyExceptions([f], e, day, '.patchpilot.yml')[0]?.exception;

describe('applyExceptions', () => {
  it.each<[string, Partial<ConfigException>, boolean]>([
    ['the id', {}, true],
    ['an alias, any case', { id: 'cve-2020-1' }, true],
    ["one of the records' ids", { id: 'OSV-2020-9' }, true],
    ['another vulnerability', { id: 'GHSA-xxxx-xxxx-xxxx' }, false],
    ['the package by name', { package: '@scope/lib' }, true],
    ['the package by name and version', { package: '@scope/lib@1.2.3' }, true],
    ['another version', { package: '@scope/lib@1.2.4' }, false],
    ['another package', { package: 'lib' }, false],
    ['a purl with an encoded scope', { package: 'pkg:npm/%40scope/lib@1.2.3' }, true],
    ['a purl without version', { package: 'pkg:npm/@scope/lib' }, true],
    ['a purl of another version', { package: 'pkg:npm/%40scope/lib@2.0.0' }, false],
  ])('matches by %s: %s', (_what, over, matches) => {
    expect(applied([exception(over)]) !== undefined).toBe(matches);
  });

  it('holds through its expiry day and expires the day after', () => {
    expect(isExpired('2025-06-30', '2025-06-30')).toBe(false);
    expect(isExpired('2025-06-30', '2025-07-01')).toBe(true);
    const holding = applied([exception()], finding(), '2025-06-30');
    expect(holding).toEqual({
      id: 'GHSA-aaaa-bbbb-cccc',
      reason: 'not reachable',
      expires: '2025-06-30',
      author: 'Jane',
      expired: false,
      source: '.patchpilot.yml',
    });
    const lapsed = applyExceptions([finding()], [exception()], '2025-07-01', '.patchpilot.yml')[0] as Finding;
    expect(lapsed.exception?.expired).toBe(true);
    expect(isExcepted(lapsed)).toBe(false);
  });

  it('prefers an exception that holds over an expired one, then the one that expires last', () => {
    const old = exception({ expires: '2025-01-01', reason: 'old' });
    const soon = exception({ expires: '2025-06-15', reason: 'soon' });
    const later = exception({ expires: '2025-12-31', reason: 'later', package: '@scope/lib' });
    expect(applied([old, soon])?.reason).toBe('soon');
    expect(applied([later, soon, old])?.reason).toBe('later');
    expect(applied([old])?.expired).toBe(true);
  });

  it('leaves findings alone without exceptions, and lists exceptions that name nothing', () => {
    const f = finding();
    expect(applyExceptions([f], [], today, 'x')).toEqual([f]);
    const stale = exception({ id: 'GHSA-gone-gone-gone' });
    expect(unusedExceptions([f], [exception(), stale])).toEqual([stale]);
  });
});
