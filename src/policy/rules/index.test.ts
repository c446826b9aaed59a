import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { policyRules } from './index.js';

/**
 * The rule registry's contract: every rule is one file named by its id, registered once, with a
 * table test beside it, a one-line description, options that default, and a line in the docs
 * (src/policy/README.md with its description, and README.md's policy section).
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const policyReadme = readFileSync(join(here, '../README.md'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const readmePolicy = (() => {
  const start = readme.indexOf('\n## Policy');
  const end = readme.indexOf('\n## ', start + 1);
  return start === -1 ? '' : readme.slice(start, end === -1 ? undefined : end);
})();

describe('policy rules registry', () => {
  it('registers every rule file once, in a file named by its id', () => {
    const files = readdirSync(here)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts')
      .map((f) => f.slice(0, -3))
      .sort();
    const ids = policyRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(files);
  });

  it('README.md has a policy section', () => {
    expect(readmePolicy).not.toBe('');
  });

  describe.each(policyRules.map((r) => [r.id, r] as const))('%s', (id, rule) => {
    it('has a kebab-case id and a table test beside it', () => {
      expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(existsSync(join(here, `${id}.test.ts`))).toBe(true);
      expect(readFileSync(join(here, `${id}.test.ts`), 'utf8')).toMatch(/it\.each/);
    });

    it('exports the registered rule from its own file', async () => {
      const module = (await import(`./${id}.js`)) as Record<string, unknown>;
      expect(Object.values(module)).toContain(rule);
    });

    it('has a one-line description', () => {
      expect(rule.description.trim()).toBe(rule.description);
      expect(rule.description).not.toMatch(/\n/);
      expect(rule.description.length).toBeGreaterThan(10);
      expect(rule.description.length).toBeLessThanOrEqual(160);
    });

    it('runs on its defaults: every option has one', () => {
      expect(() => rule.options.parse({})).not.toThrow();
    });

    it('is listed, with its description, in src/policy/README.md and in README.md', () => {
      expect(policyReadme).toContain(`\`${id}\``);
      expect(policyReadme.replace(/\s+/g, ' ')).toContain(rule.description);
      expect(readmePolicy).toContain(`\`${id}\``);
    });
  });
});
