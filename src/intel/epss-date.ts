import { basename } from 'node:path';

/** `2025-01-01T00:00:00+0000` → `2025-01-01`; else the date in FIRST's file name, if any. */
export const epssDate = (
  snapshot: { readonly scoreDate?: string | undefined },
  path: string,
): string | undefined =>
  /^\d{4}-\d{2}-\d{2}/.exec(snapshot.scoreDate ?? '')?.[0] ??
  /epss_scores-(\d{4}-\d{2}-\d{2})/.exec(basename(path))?.[1];
