import { describe, expect, it } from 'vitest';
import { effectiveSeverity, primaryCvss } from './advisory.js';

const v3 = { type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 };
const v3low = { type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', score: 3.1 };
const v4 = {
  type: 'CVSS_V4',
  vector: 'CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:P/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N',
  score: 5.0,
};

describe('severity and score come from one rule', () => {
  it('takes the newest CVSS version present, then its highest score', () => {
    expect(primaryCvss([v3, v4])).toBe(v4);
    expect(primaryCvss([v3low, v3])).toBe(v3);
    expect(primaryCvss([{ ...v4, score: undefined }, v3])).toBe(v3);
    expect(primaryCvss([])).toBeUndefined();
  });

  it('rates the primary score when GitHub gives no label, and prefers the label when it does', () => {
    expect(effectiveSeverity({ kind: 'vulnerability', severityLabel: undefined, cvss: [v3, v4] })).toBe(
      'moderate',
    );
    expect(effectiveSeverity({ kind: 'vulnerability', severityLabel: undefined, cvss: [v3] })).toBe(
      'critical',
    );
    expect(effectiveSeverity({ kind: 'vulnerability', severityLabel: 'low', cvss: [v3] })).toBe('low');
    expect(effectiveSeverity({ kind: 'vulnerability', severityLabel: undefined, cvss: [] })).toBe('unknown');
    expect(effectiveSeverity({ kind: 'malicious', severityLabel: undefined, cvss: [] })).toBe('critical');
  });
});
