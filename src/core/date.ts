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
 * undefined for anything else. Date.parse alone rolls 2025-02-30 over to 2 March and reads free
 * text such as "March 7" or "1" as some day of 2001.
 */
export const isoTimeMs = (text: string): number | undefined => {
  const day = /^\d{4}-\d{2}-\d{2}(?=$|[Tt ])/.exec(text)?.[0];
  if (day === undefined || !isCalendarDate(day)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
};
