import { describe, expect, it } from 'vitest';
import type { AffectedPackage, RangeEvent } from '../core/advisory.js';
import { matchAffected } from './ranges.js';

const pkg = (events: RangeEvent[][], versions: string[] = []): AffectedPackage => ({
  name: 'x',
  ranges: events.map((e) => ({ type: 'SEMVER', events: e })),
  versions,
});

describe('OSV range evaluation for npm', () => {
  it.each([
    // [events, version, affected]
    [[{ introduced: '0' }, { fixed: '1.2.3' }], '1.2.2', true],
    [[{ introduced: '0' }, { fixed: '1.2.3' }], '1.2.3', false],
    [[{ introduced: '0' }, { fixed: '1.2.3' }], '1.2.3-rc.1', true],
    [[{ introduced: '0' }, { fixed: '1.2.3' }], '0.0.0', true],
    [[{ introduced: '1.0.0' }, { fixed: '1.2.3' }], '0.9.9', false],
    [[{ introduced: '1.0.0' }, { fixed: '1.2.3' }], '1.0.0-beta', false],
    [[{ introduced: '1.0.0' }], '99.0.0', true],
    [[{ introduced: '0' }, { last_affected: '2.0.0' }], '2.0.0', true],
    [[{ introduced: '0' }, { last_affected: '2.0.0' }], '2.0.1-0', false],
    [[{ introduced: '0' }, { last_affected: '2.0.0' }], '2.0.1', false],
    // Several introduced/fixed pairs in one range, given out of order.
    [[{ fixed: '2.5.0' }, { introduced: '2.0.0' }, { fixed: '1.0.0' }, { introduced: '0' }], '1.5.0', false],
    [[{ fixed: '2.5.0' }, { introduced: '2.0.0' }, { fixed: '1.0.0' }, { introduced: '0' }], '2.1.0', true],
    [[{ fixed: '2.5.0' }, { introduced: '2.0.0' }, { fixed: '1.0.0' }, { introduced: '0' }], '0.5.0', true],
    // limit: versions at or above every limit are outside the range.
    [[{ introduced: '0' }, { limit: '1.5.0' }], '1.4.9', true],
    [[{ introduced: '0' }, { limit: '1.5.0' }], '1.5.0', false],
    [[{ introduced: '0' }, { limit: '*' }], '9.0.0', true],
    // GitHub's raw ECOSYSTEM ranges may write 1.78 for 1.78.0.
    [[{ introduced: '1.78' }, { fixed: '1.80' }], '1.79.3', true],
    [[{ introduced: '1.78' }, { fixed: '1.80' }], '1.80.0', false],
  ] as [RangeEvent[], string, boolean][])('%j contains %s: %s', (events, version, expected) => {
    expect(matchAffected(pkg([events]), version).affected).toBe(expected);
  });

  it('matches explicit versions lists', () => {
    expect(matchAffected(pkg([], ['1.0.0', '1.0.1']), '1.0.1').affected).toBe(true);
    expect(matchAffected(pkg([], ['1.0.0', '1.0.1']), '1.0.2').affected).toBe(false);
  });

  it('an affected version in any range counts, and reports the fixes above it', () => {
    const match = matchAffected(
      pkg([
        [{ introduced: '0' }, { fixed: '2.5.1' }],
        [{ introduced: '3.0.0' }, { fixed: '4.6.2' }],
      ]),
      '4.0.0',
    );
    expect(match).toEqual({ affected: true, fixed: ['4.6.2'] });
    expect(
      matchAffected(
        pkg([[{ introduced: '0' }, { fixed: '1.0.0' }, { introduced: '2.0.0' }, { fixed: '3.0.0' }]]),
        '2.1.0',
      ).fixed,
    ).toEqual(['3.0.0']);
  });

  it('an unaffected version reports no fix', () => {
    expect(matchAffected(pkg([[{ introduced: '0' }, { fixed: '1.0.0' }]]), '1.0.0')).toEqual({
      affected: false,
      fixed: [],
    });
  });

  it('gives the same answers when one record is evaluated again for other versions', () => {
    // A range is prepared once and kept with its record; later versions must not see earlier ones.
    const shared = pkg([
      [{ fixed: '2.5.0' }, { introduced: '2.0.0' }, { fixed: '1.0.0' }, { introduced: '0' }],
      [{ introduced: '3.0.0' }, { limit: '3.5.0' }, { fixed: '3.4.0' }],
    ]);
    const versions = [
      '0.5.0',
      '1.0.0',
      '1.5.0',
      '2.0.0-rc.1',
      '2.1.0',
      '2.5.0',
      '3.0.0',
      '3.3.9',
      '3.4.0',
      '3.6.0',
    ];
    const fresh = versions.map((version) =>
      matchAffected(
        pkg([
          [{ fixed: '2.5.0' }, { introduced: '2.0.0' }, { fixed: '1.0.0' }, { introduced: '0' }],
          [{ introduced: '3.0.0' }, { limit: '3.5.0' }, { fixed: '3.4.0' }],
        ]),
        version,
      ),
    );
    expect(fresh.map((m) => m.affected)).toEqual([
      true,
      false,
      false,
      false,
      true,
      false,
      true,
      true,
      false,
      false,
    ]);
    // Fixes listed in the record's order: 2.5.0 before 1.0.0.
    expect(fresh[0]?.fixed).toEqual(['2.5.0', '1.0.0']);
    for (let round = 0; round < 2; round++) {
      expect(versions.map((version) => matchAffected(shared, version))).toEqual(fresh);
    }
  });
});
