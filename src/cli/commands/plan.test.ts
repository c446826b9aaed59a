import { describe, expect, it } from 'vitest';
import { planOptionsFrom } from './plan.js';

describe('plan options', () => {
  it('map the flags osv-scanner fix users know', () => {
    expect(
      planOptionsFrom({
        strategy: ['override,in-place', 'relax'],
        'max-depth': '3',
        'min-severity': 'medium',
        'ignore-dev': true,
        'upgrade-config': ['*:minor', 'lodash:patch', '@scope/pkg:none'],
        prefer: 'highest',
      }),
    ).toEqual({
      // Always in the order they run, whatever order they were given in.
      strategies: ['in-place', 'relax', 'override'],
      maxDepth: 3,
      minSeverity: 'moderate',
      ignoreDev: true,
      upgradeConfig: { default: 'minor', packages: { lodash: 'patch', '@scope/pkg': 'none' } },
      preferHighest: true,
      nodeVersion: process.versions.node,
    });
    expect(planOptionsFrom({ 'min-severity': '7.5', 'upgrade-config': ['patch'] })).toEqual({
      minSeverity: 7.5,
      upgradeConfig: { default: 'patch', packages: {} },
      nodeVersion: process.versions.node,
    });
    expect(planOptionsFrom({})).toEqual({ nodeVersion: process.versions.node });
    expect(planOptionsFrom({ 'node-version': 'v22.11.0' })).toEqual({ nodeVersion: '22.11.0' });
    // A nightly or release-candidate build's version, as process.versions.node gives it.
    expect(planOptionsFrom({ 'node-version': '23.0.0-nightly20240101abcdef' })).toEqual({
      nodeVersion: '23.0.0-nightly20240101abcdef',
    });
  });

  it('refuse what they cannot mean', () => {
    expect(() => planOptionsFrom({ strategy: ['in-place,upgrade'] })).toThrow(/unknown --strategy "upgrade"/);
    expect(() => planOptionsFrom({ 'max-depth': '-1' })).toThrow(/--max-depth takes a whole number/);
    expect(() => planOptionsFrom({ 'max-depth': '' })).toThrow(/--max-depth/);
    expect(() => planOptionsFrom({ 'min-severity': '11' })).toThrow(/unknown --min-severity "11"/);
    expect(() => planOptionsFrom({ 'upgrade-config': ['lodash'] })).toThrow(/write PKG:LEVEL or LEVEL/);
    expect(() => planOptionsFrom({ 'upgrade-config': ['lodash:sometimes'] })).toThrow(/must be one of/);
    expect(() => planOptionsFrom({ prefer: 'newest' })).toThrow(/unknown --prefer "newest"/);
    expect(() => planOptionsFrom({ 'node-version': '22' })).toThrow(/--node-version takes a Node.js version/);
  });

  it('name the command that was given them, and its help', () => {
    for (const command of ['fix', 'explain']) {
      for (const values of [{ 'max-depth': 'x' }, { 'min-severity': 'zzz' }, { strategy: ['nope'] }]) {
        let thrown: unknown;
        try {
          planOptionsFrom(values, command);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toMatchObject({
          code: 'USAGE',
          message: expect.stringMatching(new RegExp(`^${command}: `)),
          hint: `see \`patchpilot ${command} --help\``,
        });
      }
    }
    expect(() => planOptionsFrom({ prefer: 'newest' })).toThrow(/^plan: /);
  });
});
