/** Where OSV's exports live: no dependency, so `db`'s help loads nothing else. */
export const DEFAULT_OSV_BASE = 'https://osv-vulnerabilities.storage.googleapis.com';

/** `<base>/npm/all.zip`; undefined when `base` is not an http(s) URL. */
export const osvExportUrl = (base: string): string | undefined => {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) return undefined;
  return `${url.href.replace(/\/+$/, '')}/npm/all.zip`;
};
