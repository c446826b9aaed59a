import { PatchPilotError } from '../core/errors.js';
import { createHttpClient, type HttpClient, type HttpGetResult } from '../util/http.js';
import { type CacheEntry, type CacheForm, readCacheEntry, writeCacheEntry } from './cache.js';
import {
  type Credential,
  credentialFor,
  displayUrl,
  type NpmConfig,
  nerfDart,
  packumentUrl,
  registryFor,
} from './npmrc.js';
import { readPackument } from './packument.js';
import type { GetPackageOptions, PackageMetadata, Registry } from './types.js';

/**
 * The npm registry as a `RegistrySource`: package documents over HTTP, through the disk cache,
 * with npm's configuration (registries, credentials, proxies). Requests are bounded in number,
 * retried with exponential backoff and jitter on 429, 5xx and network failures (Retry-After
 * honoured), and each has a timeout. One document is fetched once per run however often it is
 * asked for.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Backoff before the first retry; doubled for each next one. */
  readonly minDelayMs: number;
  /** Cap on any wait, a server's Retry-After included. */
  readonly maxDelayMs: number;
}

export interface NpmRegistryOptions {
  readonly config: NpmConfig;
  readonly cacheDir: string;
  /** Only the cache: a document not in it is an error. */
  readonly offline: boolean;
  /** A cached document younger than this is used without asking the registry. */
  readonly maxAgeMs: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Per request, body included. */
  readonly timeoutMs: number;
  /** A document (decompressed) longer than this is refused, not retried. */
  readonly maxDocumentBytes: number;
  readonly retry: RetryPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onWarning: (message: string) => void;
  /** Stops waiting requests and backoff waits (Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
}

const abbreviatedAccept = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const maxRedirects = 5;

type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/** At most `max` tasks at once; a finishing task hands its slot straight to the next waiting one. */
export const limiter = (wanted: number): Limit => {
  // NaN or 0 would never admit a task: every request would wait forever.
  const max = Number.isFinite(wanted) && wanted >= 1 ? Math.floor(wanted) : 1;
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active < max) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
};

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
export const retryAfterMs = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; Date.parse would also read "1.5" as a date in 2001.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

const backoffMs = (policy: RetryPolicy, attempt: number): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
};

const isRetriedStatus = (status: number): boolean => status === 429 || status >= 500;
const isRedirect = (status: number): boolean => [301, 302, 303, 307, 308].includes(status);

/** A wait that ends early when `signal` aborts. */
const pause = async (
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> => {
  if (!signal) return sleep(ms);
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([sleep(ms), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
};

/**
 * Whether a hop may carry a credential: never over plain http once the request started over https
 * (a redirect that downgrades would put the token on the wire in clear).
 */
export const mayCarryCredential = (first: URL, hop: URL): boolean =>
  first.protocol !== 'https:' || hop.protocol === 'https:';

type Response = Extract<HttpGetResult, { kind: 'response' }>;

interface Answer {
  /** The URL that answered, after redirects. */
  readonly url: string;
  readonly response: Response;
  /** The credential sent to `url`, if any. */
  readonly sent: Credential | undefined;
  /** A credential configured for `url` but withheld (a redirect from https to http). */
  readonly withheld: Credential | undefined;
}

export const createNpmRegistry = (options: NpmRegistryOptions): Registry => {
  const { config, cacheDir } = options;
  let http: HttpClient | undefined;
  const client = (): HttpClient => {
    http ??= createHttpClient(config.proxy);
    return http;
  };
  const limit = limiter(options.concurrency);
  const memo = new Map<string, Promise<PackageMetadata | undefined>>();
  let cacheWriteFailed = false;

  const save = (entry: CacheEntry): void => {
    try {
      writeCacheEntry(cacheDir, entry);
    } catch (error) {
      // The cache only saves time: a run goes on without it, and says so once.
      if (!cacheWriteFailed) {
        cacheWriteFailed = true;
        options.onWarning(`cannot write the registry cache: ${(error as Error).message}`);
      }
    }
  };

  const failed = (url: string, what: string, hint?: string, cause?: unknown): PatchPilotError =>
    new PatchPilotError('REGISTRY_FAILED', `GET ${displayUrl(url)}: ${what}`, {
      hint:
        hint ?? 'check the registry URL and the network, or rerun with --offline to use the cached documents',
      cause,
    });

  const interrupted = (url: string, cause?: unknown): PatchPilotError =>
    failed(url, 'interrupted', 'rerun when ready', cause);

  /**
   * One URL, following redirects (each hop gets its own host's credential, none over a downgrade
   * to http) and retrying.
   */
  const request = async (url: string, headers: Record<string, string>): Promise<Answer> => {
    const first = new URL(url);
    let target = first;
    let redirects = 0;
    for (let attempt = 0; ; attempt++) {
      if (options.signal?.aborted) throw interrupted(target.href);
      const configured = credentialFor(config, target.href);
      const credential = configured && mayCarryCredential(first, target) ? configured : undefined;
      const result = await client().get(target.href, {
        headers: credential ? { ...headers, authorization: credential.authorization } : headers,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxDocumentBytes,
        signal: options.signal,
      });
      const attempts = attempt + 1;
      if (result.kind === 'failed') {
        if (options.signal?.aborted) throw interrupted(target.href, result.cause);
        if (result.tooLarge) {
          throw failed(
            target.href,
            result.reason,
            'a registry document this large is not a package document',
          );
        }
        if (attempt < options.retry.retries) {
          await pause(options.sleep, backoffMs(options.retry, attempt), options.signal);
          continue;
        }
        const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
        throw failed(target.href, `${result.reason}${tries}`, undefined, result.cause);
      }
      if (isRedirect(result.status) && result.headers.location) {
        if (++redirects > maxRedirects) throw failed(url, `more than ${maxRedirects} redirects`);
        let next: URL | undefined;
        try {
          next = new URL(result.headers.location, target);
        } catch {
          next = undefined;
        }
        // Only http(s), and never credentials in the URL: fetch would refuse them and print them.
        if (
          !next ||
          (next.protocol !== 'https:' && next.protocol !== 'http:') ||
          next.username ||
          next.password
        ) {
          throw failed(
            target.href,
            `HTTP ${result.status} to a location that is not an http(s) URL without credentials`,
          );
        }
        target = next;
        attempt--;
        continue;
      }
      if (isRetriedStatus(result.status) && attempt < options.retry.retries) {
        const asked = retryAfterMs(result.headers['retry-after'], Date.now());
        await pause(
          options.sleep,
          Math.min(options.retry.maxDelayMs, asked ?? backoffMs(options.retry, attempt)),
          options.signal,
        );
        continue;
      }
      return {
        url: target.href,
        response: result,
        sent: credential,
        withheld: credential ? undefined : configured,
      };
    }
  };

  const fetchDocument = async (
    name: string,
    url: string,
    form: CacheForm,
    stale: CacheEntry | undefined,
  ): Promise<PackageMetadata | undefined> => {
    const headers: Record<string, string> = {
      accept: form === 'full' ? 'application/json' : abbreviatedAccept,
    };
    if (stale?.etag) headers['if-none-match'] = stale.etag;
    if (stale?.lastModified) headers['if-modified-since'] = stale.lastModified;
    const { url: answered, response, sent, withheld } = await request(url, headers);
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    // A fresh answer, kept with its validators: a document, or (undefined) a recorded absence.
    const record = (metadata: PackageMetadata | undefined): PackageMetadata | undefined => {
      save({
        url,
        form,
        fetchedAt: Date.now(),
        etag: response.headers.etag,
        lastModified: response.headers['last-modified'],
        metadata,
      });
      return metadata;
    };
    if (response.status === 304 && stale) {
      save({
        ...stale,
        fetchedAt: Date.now(),
        etag: response.headers.etag ?? stale.etag,
        lastModified: response.headers['last-modified'] ?? stale.lastModified,
      });
      return stale.metadata;
    }
    if (response.status === 404 || response.status === 410) {
      // Recorded, so that the same plan made offline meets the same absence.
      return record(undefined);
    }
    if (response.status === 401 || response.status === 403) {
      const hint = sent
        ? `the registry refused the credential configured for ${sent.nerfDart} in ${sent.source}; renew it (npm login --registry …)`
        : withheld
          ? `the credential configured for ${withheld.nerfDart} is not sent over plain http after a redirect from https; fix the registry's redirect or configure its https URL`
          : `no credential is configured for ${nerfDart(answered)}; add "${nerfDart(answered)}:_authToken=\${TOKEN}" to the project or user .npmrc`;
      throw new PatchPilotError(
        'REGISTRY_AUTH',
        `GET ${displayUrl(answered)}: ${status}: not authorised to read ${name}`,
        {
          hint,
        },
      );
    }
    if (response.status !== 200) {
      const after = isRetriedStatus(response.status) ? ` (${options.retry.retries + 1} attempts)` : '';
      throw failed(answered, `${status}${after}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch (cause) {
      // The parser's message quotes the body; the cause is kept for --debug only.
      throw failed(
        answered,
        `the answer is not JSON (${Buffer.byteLength(response.body)} bytes)`,
        undefined,
        cause,
      );
    }
    const read = readPackument(json, name, form);
    if (!read.ok) throw failed(answered, read.reason);
    return record(read.metadata);
  };

  const load = async (name: string, form: CacheForm): Promise<PackageMetadata | undefined> => {
    const url = packumentUrl(registryFor(config, name), name);
    if (url === undefined) return undefined;
    const own = readCacheEntry(cacheDir, url, form);
    // A full document answers an abbreviated question as well.
    const fuller = form === 'abbreviated' ? readCacheEntry(cacheDir, url, 'full') : undefined;
    if (options.offline) {
      // A document, else a recorded absence: both are the answer the online run had.
      if (own?.metadata || fuller?.metadata) return own?.metadata ?? fuller?.metadata;
      if (own || fuller) return undefined;
      throw new PatchPilotError(
        'REGISTRY_OFFLINE_MISS',
        `offline: no cached ${form === 'full' ? 'full ' : ''}document for ${name} (${displayUrl(url)}) in ${cacheDir}`,
        { hint: 'run once without --offline to fill the cache, or give --universe FILE' },
      );
    }
    const now = Date.now();
    const isFresh = (entry: CacheEntry | undefined): entry is CacheEntry =>
      entry !== undefined && entry.fetchedAt <= now && now - entry.fetchedAt < options.maxAgeMs;
    // A recorded absence is never fresh online: the package may be published since, or the
    // 404 may have been the registry's answer to a credential that was missing then.
    if (isFresh(own) && own.metadata) return own.metadata;
    if (isFresh(fuller) && fuller.metadata) return fuller.metadata;
    return limit(() => fetchDocument(name, url, form, own));
  };

  return {
    kind: 'npm',
    getPackage: (name: string, request: GetPackageOptions = {}) => {
      const form: CacheForm = request.full ? 'full' : 'abbreviated';
      const key = `${form} ${name}`;
      const known = memo.get(key) ?? (form === 'abbreviated' ? memo.get(`full ${name}`) : undefined);
      if (known) return known;
      const pending = load(name, form);
      memo.set(key, pending);
      // A failure is not remembered: asking again asks the registry again.
      pending.catch(() => memo.delete(key));
      return pending;
    },
    close: async () => {
      await http?.close();
    },
  };
};
