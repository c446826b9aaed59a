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
