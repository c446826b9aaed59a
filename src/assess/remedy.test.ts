import { describe, expect, it } from 'vitest';
import type { AffectedPackage } from '../core/advisory.js';
import { describeAffected, malwareRemedy } from './remedy.js';

const entry = (over: Partial<AffectedPackage> = {}): AffectedPackage => ({
  name: 'p',
  ranges: [],
  versions: [],
  ...over,
});
const semver = (...events: AffectedPackage['ranges'][number]['events']) => ({
  type: 'SEMVER' as const,
  events,
});

describe('malwareRemedy', () => {
  it('says remove when every version is malicious', () => {
    const remedy = malwareRemedy('p', '1.0.0', [entry({ ranges: [semver({ introduced: '0' })] })], []);
    expect(remedy).toMatchObject({ action: 'remove', affected: '>=0' });
    expect(remedy.version).toBeUndefined();
    expect(remedy.text).toContain('every version of p is malicious');
  });

  it('treats introduced 0.0.0 with no end as every version too', () => {
    const remedy = malwareRemedy('p', '2.0.0', [entry({ ranges: [semver({ introduced: '0.0.0' })] })], []);
    expect(remedy.action).toBe('remove');
  });

  it('names the fixed version of a hijacked release', () => {
    const affected = [
      entry({ name: 'debug', ranges: [semver({ introduced: '4.4.2' }, { fixed: '4.4.3' })] }),
    ];
    const remedy = malwareRemedy('debug', '4.4.2', affected, ['4.4.3']);
    expect(remedy).toMatchObject({ action: 'upgrade', version: '4.4.3', affected: '>=4.4.2 <4.4.3' });
    expect(remedy.text).toContain('4.4.3 is outside the affected set');
  });

  it('skips a fixed version that another record of the vulnerability still lists', () => {
    const affected = [
      entry({ ranges: [semver({ introduced: '1.0.0' }, { fixed: '1.0.1' })] }),
      entry({ versions: ['1.0.1'] }),
      entry({ ranges: [semver({ introduced: '1.0.0' }, { fixed: '1.0.2' })] }),
    ];
    expect(malwareRemedy('p', '1.0.0', affected, ['1.0.1', '1.0.2'])).toMatchObject({
      action: 'upgrade',
      version: '1.0.2',
    });
  });

  it('says replace when the affected set is bounded but no clean version is named', () => {
    const remedy = malwareRemedy('p', '1.0.0', [entry({ versions: ['1.0.0', '1.0.1'] })], []);
    expect(remedy).toMatchObject({ action: 'replace', affected: '1.0.0, 1.0.1' });
    expect(remedy.text).toContain('outside that set if there is one, else remove the package');
  });

  it('ignores entries of other packages', () => {
    const affected = [
      entry({ name: 'other', ranges: [semver({ introduced: '0' })] }),
      entry({ versions: ['1.0.0'] }),
    ];
    expect(malwareRemedy('p', '1.0.0', affected, []).action).toBe('replace');
  });
});

describe('describeAffected', () => {
  it.each([
    [
      'one interval',
      [entry({ ranges: [semver({ introduced: '0' }, { last_affected: '1.0.2' })] })],
      '>=0 <=1.0.2',
    ],
    [
      'two intervals in one range',
      [
        entry({
          ranges: [
            semver({ introduced: '1.0.0' }, { fixed: '1.0.1' }, { introduced: '2.0.0' }, { fixed: '2.0.3' }),
          ],
        }),
      ],
      '>=1.0.0 <1.0.1 || >=2.0.0 <2.0.3',
    ],
    [
      'many listed versions',
      [entry({ versions: ['1.0.5', '1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.10'] })],
      '1.0.0, 1.0.1, 1.0.2, 1.0.3, 1.0.4 and 2 more',
    ],
    [
      'listed versions beside a range',
      [entry({ ranges: [semver({ introduced: '2.0.0' })], versions: ['2.0.0'] })],
      '>=2.0.0 || 2.0.0',
    ],
    ['nothing stated', [entry()], 'unstated'],
  ])('%s', (_, entries, expected) => {
    expect(describeAffected(entries)).toBe(expected);
  });
});
