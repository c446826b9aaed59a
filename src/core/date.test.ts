import { describe, expect, it } from 'vitest';
import { compareTimestamps, isoTimeMs, rfc3339TimeMs } from './date.js';

describe('isoTimeMs', () => {
  it.each([
    ['2025-01-31', '2025-01-31T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000Z'],
    ['2025-03-01T10:00:02.5+01:00', '2025-03-01T09:00:02.500Z'],
    ['2025-03-01t10:00:00z', '2025-03-01T10:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(new Date(isoTimeMs(text) as number).toISOString()).toBe(iso);
  });

  it('reads a date-time without an offset as UTC, as a date is, whatever the time zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(new Date(isoTimeMs('2025-01-31T10:00') as number).toISOString()).toBe(
        '2025-01-31T10:00:00.000Z',
      );
      expect(new Date(isoTimeMs('2025-01-31 10:00:30.25') as number).toISOString()).toBe(
        '2025-01-31T10:00:30.250Z',
      );
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it.each([
    '2026-02-30',
    '2025-02-29',
    '1900-02-29T00:00:00Z',
    '2025-04-31T12:00:00Z',
    '2025-13-45',
    '2025-01-31T25:00:00Z',
    '2025-1-5',
    '2025-01',
    'March 7',
    '1',
    '',
  ])('refuses %j, which Date.parse would take for some day or none', (text) => {
    expect(isoTimeMs(text)).toBeUndefined();
  });
});

describe('rfc3339TimeMs and compareTimestamps', () => {
  it('read RFC 3339 only, and order times to their last fraction digit', () => {
    expect(rfc3339TimeMs('2024-01-01T10:00:00.5+02:00')).toBe(Date.parse('2024-01-01T08:00:00.500Z'));
    for (const text of ['March 7, 2024', '1', '2024', '2024-01-01T10:00:00Zjunk', '+275760-09-13T00:00:00Z'])
      expect(rfc3339TimeMs(text), text).toBeUndefined();
    expect(compareTimestamps('2024-06-01T00:00:15.693100Z', '2024-06-01T00:00:15.6939Z')).toBeLessThan(0);
    expect(compareTimestamps('2024-06-01T00:00:15.6939Z', '2024-06-01T00:00:15.693900Z')).toBe(0);
    expect(compareTimestamps('2024-06-01T02:00:00+02:00', '2024-06-01T00:00:00Z')).toBe(0);
    expect(compareTimestamps('2024-06-02T00:00:00Z', '2024-06-01T23:59:59.999999Z')).toBeGreaterThan(0);
  });
});
