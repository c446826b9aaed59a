import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../src/core/ledger.js';
import {
  type DsseEnvelope,
  envelopeStatement,
  validateStatement,
  verifyEnvelope,
} from '../../src/ledger/attest.js';
import type { ChangeStory } from '../../src/ledger/story.js';
import { byName, createProject, type FixReportJson, git, lib, type Project } from '../helpers/fix.js';

/**
 * `patchpilot explain CHANGE` after a real `fix`: a git repository in a temp folder, the machine's
 * npm installing from a fake registry served by this process. good-lib's patch is tested (the test
 * loads it), proved and merged; brittle-lib's new version breaks the test and is held back. The
 * story of each is read back from the ledger and the commit.
 */

const testFile = [
  "'use strict';",
  "const { test } = require('node:test');",
  "const assert = require('node:assert');",
  "const good = require('good-lib');",
  "const brittle = require('brittle-lib');",
  "test('the app works', () => {",
  "  assert.strictEqual(good(), 'good');",
  "  assert.strictEqual(brittle(), 'v1');",
  '});',
  '',
].join('\n');

/** The project's configuration: the default policy plus one accepted risk. */
const config = [
  'exceptions:',
  '  - id: GHSA-test-acpt-0004',
  '    package: accepted-lib',
  '    reason: only reachable from an admin tool',
  '    expires: "2099-12-31"',
  '    author: Security Team',
  '',
].join('\n');

type StoryJson = ChangeStory & {
  schemaVersion: number;
  tool: { name: string; version: string };
  ledger: string;
};

describe('explain CHANGE: the story of a change, from the ledger and the commit', () => {
  let project: Project;
  let report: FixReportJson;
  beforeAll(async () => {
    project = await createProject({
      packages: [
        { name: 'good-lib', versions: { '1.0.0': lib('good'), '1.0.1': lib('good') } },
        { name: 'brittle-lib', versions: { '3.0.0': lib('v1'), '3.0.1': lib('v2') } },
        { name: 'accepted-lib', versions: { '2.0.0': lib('accepted') } },
      ],
      dependencies: { 'good-lib': '^1.0.0', 'brittle-lib': '^3.0.0', 'accepted-lib': '^2.0.0' },
      locked: { 'good-lib': '1.0.0', 'brittle-lib': '3.0.0', 'accepted-lib': '2.0.0' },
      files: { 'test/app.test.js': testFile, '.patchpilot.yml': config },
      advisories: [
        { id: 'GHSA-test-good-0001', name: 'good-lib', fixed: '1.0.1', severity: 'HIGH' },
        { id: 'GHSA-test-brit-0003', name: 'brittle-lib', fixed: '3.0.1' },
        // No fixed release is published: the risk is accepted by an exception instead.
        { id: 'GHSA-test-acpt-0004', name: 'accepted-lib', fixed: '9.0.0' },
      ],
    });
    const run = await project.fix();
    report = run.report;
    expect(run.result.code, run.result.stderr).toBe(1);
  }, 300_000);
  afterAll(async () => {
    await project?.close();
  });

  const explain = (args: readonly string[]) => project.run(['explain', ...args, '--ledger', project.ledger]);
  const storyOf = async (id: string): Promise<StoryJson> => {
    const result = await explain([id, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as StoryJson;
  };

  it('tells the merged change: advisories, plan, decision, tests, proof, outcome and commit', async () => {
    const good = byName(report, 'good-lib');
    expect(good.status, good.reason).toBe('merged');
    const story = await storyOf(good.id);
    expect(story).toMatchObject({ schemaVersion: 1, kind: 'change', id: good.id, status: 'merged' });
    expect(story.tool.name).toBe('patchpilot');

    // Advisories: which, detected when and from which store snapshot.
    expect(story.advisories).toHaveLength(1);
    const advisory = story.advisories[0];
    expect(advisory).toMatchObject({
      id: 'GHSA-test-good-0001',
      name: 'good-lib',
      version: '1.0.0',
      advisories: [{ id: 'GHSA-test-good-0001', modified: '2024-01-01T00:00:00Z' }],
      severity: 'high',
      fixed: true,
    });
    expect(advisory?.detected?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(advisory?.detected?.storeSnapshot).toBeTruthy();
    expect(advisory?.detected?.storeSnapshot).toBe(story.plan?.storeSnapshot);
    expect(advisory?.detected?.commit).toBe(good.base);

    // Plan: what moved and the alternatives weighed (none here, but the list is there).
    expect(story.plan).toMatchObject({
      strategy: 'in-place',
      changes: [{ kind: 'lock', name: 'good-lib', from: '1.0.0', to: '1.0.1' }],
    });
    expect(Array.isArray(story.plan?.alternatives)).toBe(true);

    // Decision: level 3, the rules and their evidence.
    expect(story.decision?.level).toBe(3);
    expect(story.decision?.rules).toEqual(expect.arrayContaining(['tests-evidence', 'proof-of-fix']));
    expect(story.decision?.reasons.find((r) => r.rule === 'tests-evidence')?.evidence).toBeTruthy();

    // Tests: passed, and loaded good-lib.
    expect(story.tests).toMatchObject({ ran: true, passed: true, exercised: ['good-lib'], notExercised: [] });
    expect(story.tests?.commands.map((c) => c.code)).toEqual(story.tests?.commands.map(() => 0));
    expect(story.proof).toMatchObject({ proven: true, fixed: ['GHSA-test-good-0001 good-lib@1.0.0'] });

    // Outcome: merged by PatchPilot, its commit on main, with the change's trailer.
    expect(story.outcome).toMatchObject({ kind: 'merged', status: 'merged', commit: good.commit });
    expect(story.outcome?.actor).toMatch(/^patchpilot@\d/);
    expect(story.outcome?.merged?.branch).toBe('main');
    const sha = story.commit?.sha as string;
    expect(sha).toBe(good.commit);
    git(project.repo, 'merge-base', '--is-ancestor', sha, git(project.repo, 'rev-parse', 'main'));
    expect(story.commit).toMatchObject({ found: true, onBranch: { branch: 'main', contains: true } });
    expect(story.commit?.files).toContain('package-lock.json');
    expect(story.commit?.trailers).toContainEqual({ key: 'PatchPilot-Change', value: good.id });
    expect(git(project.repo, 'log', '-1', '--format=%B', sha)).toContain(`PatchPilot-Change: ${good.id}`);
    expect(story.afterwards).toEqual([]);
    expect(story.earlier).toEqual([]);

    // Every fact names the entry it came from.
    for (const seq of [
      advisory?.detected?.seq,
      story.plan?.seq,
      story.decision?.seq,
      story.tests?.seq,
      story.proof?.seq,
      story.outcome?.seq,
    ]) {
      expect(story.seqs).toContain(seq);
    }
  });

  it('reads as text under the headings of the story, in short lines', async () => {
    const good = byName(report, 'good-lib');
    const result = await explain([good.id]);
    expect(result.code, result.stderr).toBe(0);
    const text = result.stdout;
    expect(text).toContain(`Change ${good.id}: merged into main`);
    const headings = ['Advisories', 'Plan', 'Decision', 'Tests', 'Proof', 'Outcome', 'Afterwards'];
    const at = headings.map((h) => text.split('\n').indexOf(h));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain('GHSA-test-good-0001 in good-lib@1.0.0');
    expect(text).toMatch(/detected \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, entry \d+/);
    expect(text).toContain('from store snapshot');
    expect(text).toContain('good-lib 1.0.0 → 1.0.1');
    expect(text).toContain('alternatives weighed:');
    expect(text).toContain('level 3 (merge)');
    expect(text).toContain('tests-evidence');
    expect(text).toContain('exercised: good-lib');
    expect(text).toMatch(/\n {2}proven, entry \d+/);
    expect(text).toMatch(/merged by patchpilot@\d[^,]*, /);
    expect(text).toContain(`commit ${(good.commit as string).slice(0, 12)}`);
    expect(text).toContain(`PatchPilot-Change: ${good.id}`);
    expect(text).toContain('nothing since');
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('tells the held-back change: the tests failed, the reason, no commit', async () => {
    const brittle = byName(report, 'brittle-lib');
    expect(brittle.status).toBe('held-back');
    const story = await storyOf(brittle.id);
    expect(story.status).toBe('held-back');
    expect(story.advisories.map((a) => a.id)).toEqual(['GHSA-test-brit-0003']);
    expect(story.advisories[0]?.detected?.storeSnapshot).toBeTruthy();
    expect(story.tests).toMatchObject({ ran: true, passed: false, exercised: ['brittle-lib'] });
    expect(story.outcome).toMatchObject({ kind: 'failed', status: 'held-back' });
    expect(story.outcome?.reason).toContain('failed (exit');
    expect(story.outcome?.commit).toBeUndefined();
    expect(story.commit).toBeUndefined();
    expect(story.decision?.level).toBeLessThan(3);

    const text = (await explain([brittle.id])).stdout;
    expect(text).toContain(`Change ${brittle.id}: held back`);
    expect(text).toMatch(/\n {2}FAILED, entry \d+/);
    expect(text).toContain(story.outcome?.reason as string);
    expect(text).toContain('no commit: nothing was kept');
  });

  it('holds an entry of every stage for the merged change, and the detection of its finding', async () => {
    const good = byName(report, 'good-lib');
    const shown = await project.run(['ledger', 'show', '--ledger', project.ledger, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const entries = JSON.parse(shown.stdout) as LedgerEntry[];
    const kinds = entries.filter((e) => e.change === good.id).map((e) => e.kind);
    for (const kind of ['planned', 'tested', 'proved', 'decided', 'applied', 'merged'])
      expect(kinds).toContain(kind);
    expect(kinds.indexOf('planned')).toBeLessThan(kinds.indexOf('merged'));
    const detected = entries.filter((e) => e.kind === 'detected' && e.change === null);
    expect(detected.map((e) => e.subject)).toContain('GHSA-test-good-0001 good-lib@1.0.0');
    const brittle = byName(report, 'brittle-lib');
    const held = entries.filter((e) => e.change === brittle.id).map((e) => e.kind);
    for (const kind of ['planned', 'tested', 'decided', 'applied', 'failed']) expect(held).toContain(kind);
    // The proofs keep the whole scans. brittle-lib's change was made after good-lib's merged:
    // the scan before it is that of the new base, without good-lib's finding.
    const scans = (id: string) => {
      const proved = entries.find((e) => e.kind === 'proved' && e.change === id);
      const scan = proved?.outcome.scan as Record<'before' | 'after', { findings: { id: string }[] }>;
      return {
        before: scan.before.findings.map((f) => f.id).sort(),
        after: scan.after.findings.map((f) => f.id).sort(),
      };
    };
    expect(good.base).not.toBe(brittle.base);
    expect(scans(good.id)).toEqual({
      before: ['GHSA-test-acpt-0004', 'GHSA-test-brit-0003', 'GHSA-test-good-0001'],
      after: ['GHSA-test-acpt-0004', 'GHSA-test-brit-0003'],
    });
    expect(scans(brittle.id)).toEqual({
      before: ['GHSA-test-acpt-0004', 'GHSA-test-brit-0003'],
      after: ['GHSA-test-acpt-0004'],
    });
    // Every decision names the policy file it was taken under, by its SHA-256.
    const policyHash = createHash('sha256').update(config).digest('hex');
    const decided = entries.filter((e) => e.kind === 'decided');
    expect(decided.length).toBeGreaterThanOrEqual(2);
    for (const entry of decided) expect(entry.inputs.policyHash, entry.subject).toBe(policyHash);
    // The accepted risk is recorded where the exception was used, with who accepted it until when.
    const used = entries.filter((e) => e.kind === 'exception-used');
    expect(used).toHaveLength(1);
    expect(used[0]).toMatchObject({
      subject: 'GHSA-test-acpt-0004 accepted-lib@2.0.0',
      actor: expect.stringMatching(/^patchpilot@/),
      inputs: { policyHash },
      outcome: { exception: 'GHSA-test-acpt-0004', expires: '2099-12-31', author: 'Security Team' },
    });
  });

  it('says so when the repository does not have the commit', async () => {
    const good = byName(report, 'good-lib');
    const other = join(project.root, 'elsewhere');
    mkdirSync(other, { recursive: true });
    git(other, 'init', '--quiet', '-b', 'main');
    writeFileSync(join(other, 'README'), 'another repository\n');
    git(other, 'add', '-A');
    git(other, 'commit', '--quiet', '-m', 'other');
    const result = await project.run(['explain', good.id, other, '--ledger', project.ledger]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`commit ${(good.commit as string).slice(0, 12)} on \\S+: not in this repository`),
    );
    const json = await project.run(['explain', good.id, other, '--ledger', project.ledger, '--json']);
    expect((JSON.parse(json.stdout) as StoryJson).commit).toEqual({ sha: good.commit, found: false });
  });

  it('--plan explains from a new plan, as before', async () => {
    const brittle = byName(report, 'brittle-lib');
    const result = await project.run([
      'explain',
      brittle.id,
      '--plan',
      '--json',
      '--ledger',
      project.ledger,
      '--db',
      project.db,
      '--cache-dir',
      join(project.root, 'registry-cache'),
    ]);
    expect(result.code, result.stderr).toBe(0);
    const explained = JSON.parse(result.stdout) as {
      explanations: { kind: string; patch: { id: string } }[];
    };
    expect(explained.explanations[0]).toMatchObject({ kind: 'patch', patch: { id: brittle.id } });
  }, 120_000);

  it('ledger export: signed in-toto statements about the merged commit that verify', async () => {
    const good = byName(report, 'good-lib');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyFile = join(project.root, 'key.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const result = await project.run([
      'ledger',
      'export',
      '--format',
      'in-toto',
      good.id,
      '--ledger',
      project.ledger,
      '--key',
      keyFile,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const { envelopes } = JSON.parse(result.stdout) as { envelopes: DsseEnvelope[] };
    // The test run, the scan before (about the base commit) and the scan after.
    expect(envelopes).toHaveLength(3);
    const statements = envelopes.map((envelope) => {
      expect(verifyEnvelope(envelope, publicPem)).toBe(true);
      const statement = envelopeStatement(envelope) as {
        subject: { name: string; digest: { gitCommit: string } }[];
        predicateType: string;
        predicate: Record<string, unknown>;
      };
      expect(validateStatement(statement)).toEqual([]);
      return statement;
    });
    const about = statements.map((s) => [s.predicateType, s.subject.map((x) => x.digest.gitCommit)]);
    expect(about).toEqual([
      ['https://in-toto.io/attestation/test-result/v0.1', [good.commit]],
      ['https://in-toto.io/attestation/vulns/v0.2', [good.base]],
      ['https://in-toto.io/attestation/vulns/v0.2', [good.commit]],
    ]);
    expect(statements[0]?.predicate.result).toBe('PASSED');
    expect(statements[0]?.subject[0]?.name).toBe(`patchpilot/${good.id}`);
    // Whole scans: before, every finding of the base commit; after, those the change left.
    const ids = (statement: (typeof statements)[number] | undefined): string[] =>
      ((statement?.predicate.scanner as { result?: { id: string }[] } | undefined)?.result ?? [])
        .map((r) => r.id)
        .sort();
    expect(ids(statements[1])).toEqual(['GHSA-test-acpt-0004', 'GHSA-test-brit-0003', 'GHSA-test-good-0001']);
    expect(ids(statements[2])).toEqual(['GHSA-test-acpt-0004', 'GHSA-test-brit-0003']);
    // The advisory store the proof read, by its snapshot.
    expect(statements[2]?.predicate.scanner).toMatchObject({
      db: { version: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    // A tampered payload does not verify.
    const first = envelopes[0] as DsseEnvelope;
    const tampered = { ...first, payload: Buffer.from('{"_type":"x"}').toString('base64') };
    expect(verifyEnvelope(tampered, publicPem)).toBe(false);
  });
  it('tells what happened afterwards: the rollback, its reason and quarantine, the release', async () => {
    const good = byName(report, 'good-lib');
    const human = 'Jane Doe <jane@example.com>';
    const rolled = await project.run([
      'rollback',
      good.id,
      '--reason',
      'breaks the checkout page',
      '--author',
      human,
      '--ledger',
      project.ledger,
    ]);
    expect(rolled.code, rolled.stderr).toBe(0);
    const released = await project.run([
      'quarantine',
      'release',
      'good-lib@1.0.1',
      '--reason',
      'fixed upstream',
      '--author',
      human,
      '--ledger',
      project.ledger,
    ]);
    expect(released.code, released.stderr).toBe(0);
    const story = await storyOf(good.id);
    expect(story.status).toBe('merged');
    expect(story.afterwards).toMatchObject([
      {
        kind: 'rolled-back',
        actor: human,
        reason: 'breaks the checkout page',
        commit: good.commit,
        mode: 'merged',
        branch: 'main',
        quarantine: [{ name: 'good-lib', version: '1.0.1' }],
      },
      {
        kind: 'quarantine-released',
        actor: human,
        reason: 'fixed upstream',
        released: { name: 'good-lib', version: '1.0.1' },
      },
    ]);
    const revert = story.afterwards[0]?.revert as string;
    expect(git(project.repo, 'rev-parse', 'main')).toBe(revert);
    const text = (await explain([good.id])).stdout;
    expect(text).toContain(`  then rolled back by ${human}`);
    expect(text).toContain('    reason: breaks the checkout page');
    expect(text).toContain(`    revert ${revert.slice(0, 12)} landed on main`);
    expect(text).toContain('    quarantined: good-lib@1.0.1');
    expect(text).toContain(`  good-lib@1.0.1 released by ${human}`);
  });
});
