const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `text` is a real calendar date written `YYYY-MM-DD` (2025-02-30 is not). */
export const isCalendarDate = (text: string): boolean => {
  const match = isoDate.exec(text);
  if (!match) return false;
  // setUTCFullYear, not Date.UTC: Date.UTC reads a year below 100 as 19xx.
  const date = new Date(0);
  date.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return date.toISOString().slice(0, 10) === text;
};

/**
 * The time an ISO 8601 date (UTC midnight) or date-time names, in milliseconds since the epoch;
 * undefined for anything else. A date-time without an offset is UTC too, as a date is, whatever
 * the machine's time zone. Date.parse alone rolls 2025-02-30 over to 2 March, reads free text
 * such as "March 7" or "1" as some day of 2001, and a date-time without offset as local time.
 */
export const isoTimeMs = (text: string): number | undefined => {
  const day = /^\d{4}-\d{2}-\d{2}(?=$|[Tt ])/.exec(text)?.[0];
  if (day === undefined || !isCalendarDate(day)) return undefined;
  const local = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(text);
  const ms = Date.parse(local ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
};

const rfc3339 = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * `isoTimeMs` of an RFC 3339 date-time (a bare date, a missing offset or seconds tolerated);
 * undefined for any other text, however Date.parse would read it.
 */
export const rfc3339TimeMs = (text: string): number | undefined =>
  rfc3339.test(text) ? isoTimeMs(text) : undefined;

/**
 * Orders two RFC 3339 date-times by the time they name, to the last digit they give: two times
 * in the same millisecond are told apart by their further fraction digits (OSV writes
 * microseconds). Negative, zero or positive, as for sort.
 */
export const compareTimestamps = (a: string, b: string): number => {
  const ms = (rfc3339TimeMs(a) ?? Number.NaN) - (rfc3339TimeMs(b) ?? Number.NaN);
  if (ms !== 0 && !Number.isNaN(ms)) return ms;
  const beyondMs = (text: string): string => (/\.(\d+)/.exec(text)?.[1] ?? '').slice(3).padEnd(30, '0');
  const x = beyondMs(a);
  const y = beyondMs(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
