import { describe, expect, it } from 'vitest';
import type { RiskFacts } from '../../core/plan.js';
import { riskText } from './plan-text.js';

const risk = (facts: Partial<RiskFacts>): RiskFacts => ({
  step: 'patch',
  downgrade: false,
  inRange: true,
  stillAffectedBy: [],
  ...facts,
});

describe('riskText', () => {
  it('gives a release its age, or says it came after the day ages are counted to (--today)', () => {
    expect(riskText(risk({ publishedAt: '2026-01-01T00:00:00Z', ageDays: 3 }))).toContain(
      'released 2026-01-01 (3 days ago)',
    );
    expect(riskText(risk({ publishedAt: '2026-01-05T00:00:00Z', ageDays: -4 }))).toContain(
      'released 2026-01-05 (after the day ages are counted to)',
    );
  });
});
