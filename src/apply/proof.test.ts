import { describe, expect, it } from 'vitest';
import { lock, patch } from '../../test/helpers/policy.js';
import type { Finding } from '../core/finding.js';
import { proveFix } from './proof.js';

const finding = (id: string, name: string, version: string, aliases: string[] = []): Finding =>
  ({
    id,
    aliases,
    advisories: [id],
    kind: 'vulnerability',
    severity: 'high',
    package: { name, version, purl: undefined },
    paths: [],
    pathCount: 1,
    scope: 'prod',
  }) as unknown as Finding;

const p = patch({
  changes: [lock('lib', '1.0.0', '1.0.1')],
  fixes: [{ id: 'GHSA-aaaa-bbbb-cccc', name: 'lib', version: '1.0.0' }],
});
const before = [
  finding('GHSA-aaaa-bbbb-cccc', 'lib', '1.0.0'),
  finding('GHSA-dddd-eeee-ffff', 'other', '2.0.0'),
];

describe('proveFix', () => {
  it('proves a finding gone from every path, whatever else stays', () => {
    const proof = proveFix(p, before, [finding('GHSA-dddd-eeee-ffff', 'other', '2.0.0')]);
    expect(proof).toEqual({
      proven: true,
      stillPresent: [],
      introduced: [],
      fixed: ['GHSA-aaaa-bbbb-cccc lib@1.0.0'],
    });
  });

  it('is not proven while the version stays on another path, named by an alias or not', () => {
    const proof = proveFix(p, before, [finding('CVE-2024-0001', 'lib', '1.0.0', ['GHSA-aaaa-bbbb-cccc'])]);
    expect(proof.proven).toBe(false);
    expect(proof.stillPresent).toEqual(['CVE-2024-0001 lib@1.0.0']);
    expect(proof.fixed).toEqual([]);
  });

  it('another copy at another version is another finding, not this one', () => {
    const older = finding('GHSA-aaaa-bbbb-cccc', 'lib', '0.9.0');
    const proof = proveFix(p, [...before, older], [older]);
    expect(proof.proven).toBe(true);
  });

  it('a finding the new tree has and the old did not makes it unproven', () => {
    const proof = proveFix(p, before, [finding('GHSA-gggg-hhhh-iiii', 'lib', '1.0.1')]);
    expect(proof).toMatchObject({
      proven: false,
      stillPresent: [],
      introduced: ['GHSA-gggg-hhhh-iiii lib@1.0.1'],
    });
  });

  it('a version the patch moved to that the targeted vulnerability still affects is no fix', () => {
    const proof = proveFix(p, before, [finding('GHSA-aaaa-bbbb-cccc', 'lib', '1.0.1')]);
    expect(proof).toMatchObject({ proven: false, stillPresent: ['GHSA-aaaa-bbbb-cccc lib@1.0.1'] });
  });

  it('a version the package manager picked that the plan did not name, still affected, is no fix', () => {
    const proof = proveFix(p, before, [finding('GHSA-aaaa-bbbb-cccc', 'lib', '1.0.5')]);
    expect(proof).toMatchObject({ proven: false, stillPresent: ['GHSA-aaaa-bbbb-cccc lib@1.0.5'] });
  });

  it('a vulnerability that affected the package before and still does is a stated risk, not new', () => {
    const both = [...before, finding('GHSA-mmmm-nnnn-oooo', 'lib', '1.0.0')];
    const proof = proveFix(p, both, [finding('GHSA-mmmm-nnnn-oooo', 'lib', '1.0.1')]);
    expect(proof).toMatchObject({ proven: true, introduced: [] });
  });

  it('in a group, a new finding is laid at the door of the patch that moved the package', () => {
    const q = patch({ id: 'p-0000000002', changes: [lock('dep', '1.0.0', '1.1.0')], fixes: [] });
    const after = [finding('GHSA-gggg-hhhh-iiii', 'dep', '1.1.0')];
    expect(proveFix(p, before, after, [p, q]).proven).toBe(true);
    expect(proveFix(q, before, after, [p, q]).introduced).toEqual(['GHSA-gggg-hhhh-iiii dep@1.1.0']);
    // Nobody moved it: everybody answers for it.
    const stray = [finding('GHSA-jjjj-kkkk-llll', 'stray', '1.0.0')];
    expect(proveFix(p, before, stray, [p, q]).proven).toBe(false);
  });
});
