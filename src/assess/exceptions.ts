import type { ConfigException } from '../config/normalize.js';
import { parsePackageSelector } from '../config/package-selector.js';
import type { Finding, FindingException } from '../core/finding.js';

/**
 * Findings × the configuration's exceptions → findings carrying `exception`. Pure; `today`
 * (`YYYY-MM-DD`, UTC) is passed in.
 *
 * An exception names a finding when its `id` is the finding's id, one of its aliases or one of its
 * records' ids (case-insensitive), and, when it has a `package`, that package is the finding's: the
 * same name, and the same version when one is given (a purl is read the same way).
 *
 * It holds through its `expires` day and is expired from the next day on. Of several exceptions
 * naming one finding, one that holds wins over an expired one, and among those the one that
 * expires last. An expired exception is still attached, marked `expired`, so that reports can say
 * it expired; it excepts nothing.
 */
export const applyExceptions = (
  findings: readonly Finding[],
  exceptions: readonly ConfigException[],
  today: string,
  source: string,
): Finding[] => {
  if (exceptions.length === 0) return [...findings];
  return findings.map((finding) => {
    let chosen: FindingException | undefined;
    for (const exception of exceptions) {
      if (!namesFinding(exception, finding)) continue;
      const candidate = findingException(exception, today, source);
      if (chosen === undefined || better(candidate, chosen)) chosen = candidate;
    }
    return chosen === undefined ? finding : { ...finding, exception: chosen };
  });
};

const better = (a: FindingException, b: FindingException): boolean =>
  a.expired !== b.expired ? !a.expired : a.expires > b.expires;

/** Whether the exception's id and package name the finding. */
export const namesFinding = (exception: ConfigException, finding: Finding): boolean => {
  const id = exception.id.toUpperCase();
  const ids = [finding.id, ...finding.aliases, ...finding.advisories];
  if (!ids.some((x) => x.toUpperCase() === id)) return false;
  if (exception.package === undefined) return true;
  const selector = parsePackageSelector(exception.package);
  if (!selector) return false;
  return (
    selector.name === finding.package.name.toLowerCase() &&
    (selector.version === undefined || selector.version === finding.package.version)
  );
};

/** Whether an exception that expires on `expires` (the last day it holds) has expired on `today`. */
export const isExpired = (expires: string, today: string): boolean => expires < today;

const findingException = (exception: ConfigException, today: string, source: string): FindingException => ({
  id: exception.id,
  ...(exception.package !== undefined ? { package: exception.package } : {}),
  reason: exception.reason,
  expires: exception.expires,
  author: exception.author,
  expired: isExpired(exception.expires, today),
  source,
});

/** Whether an exception that holds excepts the finding (it is listed, but never fails a gate). */
export const isExcepted = (finding: Finding): boolean =>
  finding.exception !== undefined && !finding.exception.expired;

/** The exceptions that name none of the findings (stale entries the configuration can drop). */
export const unusedExceptions = (
  findings: readonly Finding[],
  exceptions: readonly ConfigException[],
): ConfigException[] => exceptions.filter((e) => !findings.some((f) => namesFinding(e, f)));
