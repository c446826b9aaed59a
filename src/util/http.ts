import { open, rm } from 'node:fs/promises';
import { type Dispatcher, EnvHttpProxyAgent, fetch } from 'undici';
import { ioError, message } from './fs.js';
import type { Env } from './home.js';
import { printable } from './printable.js';

/**
 * The network edge: downloads one URL to one file, streamed, with a total and a stall timeout.
 * Proxies come from the environment passed in (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, lower case
 * first, as curl reads them), never from process globals. Network failures are data (`failed`,
 * with a reason that says what went wrong); only a failed write of the local file throws.
 */

export interface DownloadOptions {
  readonly env: Env;
  /** Extra request headers, e.g. If-None-Match / If-Modified-Since for a conditional GET. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Abort when the whole download takes longer than this. */
  readonly timeoutMs: number;
  /** Abort when no byte arrives for this long (headers included). */
  readonly stallTimeoutMs: number;
  /** Called once before the request, with the proxy it goes through (credentials hidden). */
  readonly onStart?: (proxy: string | undefined) => void;
  readonly onProgress?: (received: number, total: number | undefined) => void;
  /** Call `onProgress` each time this many more bytes have arrived. */
  readonly progressEveryBytes?: number;
  /** Stops the download (Ctrl-C); the partial file is removed. */
  readonly signal?: AbortSignal | undefined;
}

export type DownloadResult =
  | {
      readonly kind: 'downloaded';
      readonly bytes: number;
      readonly etag: string | undefined;
      readonly lastModified: string | undefined;
      readonly proxy: string | undefined;
    }
  | {
      readonly kind: 'not-modified';
      readonly etag: string | undefined;
      readonly lastModified: string | undefined;
    }
  | { readonly kind: 'failed'; readonly reason: string; readonly cause?: unknown };

export interface ProxySettings {
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  readonly noProxy: string | undefined;
}

const pick = (env: Env, name: string): string | undefined => {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

export const proxySettings = (env: Env): ProxySettings => ({
  httpProxy: pick(env, 'http_proxy'),
  httpsProxy: pick(env, 'https_proxy'),
  noProxy: pick(env, 'no_proxy'),
});

/** The proxy a request to `url` goes through, or undefined when it goes direct (NO_PROXY rules as undici's). */
export const proxyFor = (url: URL, settings: ProxySettings): string | undefined => {
  const proxy = url.protocol === 'https:' ? (settings.httpsProxy ?? settings.httpProxy) : settings.httpProxy;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  for (const raw of (settings.noProxy ?? '').split(/[,\s]/)) {
    if (!raw) continue;
    if (raw === '*') return undefined;
    const match = /^(.+):(\d+)$/.exec(raw);
    const entryHost = (match?.[1] ?? raw)
      .replace(/^\*?\./, '')
      .replace(/^\[|\]$/g, '')
      .toLowerCase();
    const entryPort = match ? Number(match[2]) : 0;
    if (entryPort && entryPort !== port) continue;
    if (host === entryHost || host.endsWith(`.${entryHost}`)) return undefined;
  }
  return proxy;
};

/** Always an explicit agent, so undici never falls back to reading process.env itself. */
const dispatcherFor = (settings: ProxySettings): Dispatcher =>
  new EnvHttpProxyAgent({
    httpProxy: settings.httpProxy ?? '',
    httpsProxy: settings.httpsProxy ?? settings.httpProxy ?? '',
    noProxy: settings.noProxy ?? '',
    // Plain-http targets go through an http proxy as absolute-form requests, as curl sends them;
    // https targets are tunnelled with CONNECT.
    proxyTunnel: false,
  });

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 10;

/**
 * Why a redirect from `from` to `location` is not followed, or undefined when it may be: only to
 * http(s), never from https down to plain http, never to a URL that carries credentials. The
 * target is shown without its query (a signed URL's query is a credential of its own).
 */
export const redirectRefusal = (from: string, location: string): string | undefined => {
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    return 'redirect to an invalid URL';
  }
  const shown = `${to.protocol}//${to.host}${to.pathname}`;
  if (to.protocol !== 'https:' && to.protocol !== 'http:') return `redirect to a ${to.protocol} URL refused`;
  if (to.username !== '' || to.password !== '')
    return `redirect to a URL with credentials refused (${to.host})`;
  if (new URL(from).protocol === 'https:' && to.protocol === 'http:') {
    return `redirect from https to plain http refused (${shown})`;
  }
  return undefined;
};

/**
 * Downloads `url` into `path` (created; it must not exist). On any outcome but `downloaded` the
 * file is removed. The caller removes it after use.
 */
export const downloadToFile = async (
  url: string,
  path: string,
  options: DownloadOptions,
): Promise<DownloadResult> => {
  const settings = proxySettings(options.env);
  // The proxy of the URL being asked for: a redirect may lead to a host that goes direct.
  let proxy = proxyFor(new URL(url), settings);
  const dispatcher = dispatcherFor(settings);
  const controller = new AbortController();
  let aborted: string | undefined;
  const abort = (why: string) => {
    aborted ??= why;
    controller.abort(new Error(why));
  };
  const total = setTimeout(() => abort(`timed out after ${seconds(options.timeoutMs)}`), options.timeoutMs);
  const onInterrupt = (): void => abort('interrupted');
  if (options.signal?.aborted) onInterrupt();
  options.signal?.addEventListener('abort', onInterrupt, { once: true });
  let stall: NodeJS.Timeout | undefined;
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(
      () => abort(`no data for ${seconds(options.stallTimeoutMs)} (stalled)`),
      options.stallTimeoutMs,
    );
  };
  let via = proxy ? ` via proxy ${redact(proxy)}` : '';
  let received = 0;
  let expected: number | undefined;
  let keep = false;
  const file = await open(path, 'wx').catch((cause: unknown) => {
    throw ioError(path, cause);
  });
  try {
    options.onStart?.(proxy && redact(proxy));
    armStall();
    let response: Awaited<ReturnType<typeof fetch>>;
    // Redirects are followed here, each one checked: never from https down to plain http (what
    // arrives over it could be anything), never to another scheme or to credentials in a URL.
    let current = url;
    for (let hops = 0; ; hops++) {
      try {
        response = await fetch(current, {
          dispatcher,
          signal: controller.signal,
          redirect: 'manual',
          // The length check below compares bytes on the wire with Content-Length.
          headers: { 'accept-encoding': 'identity', 'user-agent': 'patchpilot', ...options.headers },
        });
      } catch (cause) {
        return { kind: 'failed', reason: `${aborted ?? `request failed: ${describe(cause)}`}${via}`, cause };
      }
      if (!redirectStatuses.has(response.status)) break;
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get('location');
      const refused =
        location === null
          ? `HTTP ${response.status} redirect without a Location`
          : hops >= maxRedirects
            ? `more than ${maxRedirects} redirects`
            : redirectRefusal(current, location);
      if (refused !== undefined) return { kind: 'failed', reason: `${refused}${via}` };
      current = new URL(location as string, current).href;
      proxy = proxyFor(new URL(current), settings);
      via = proxy ? ` via proxy ${redact(proxy)}` : '';
    }
    const etag = response.headers.get('etag') ?? undefined;
    const lastModified = response.headers.get('last-modified') ?? undefined;
    if (response.status === 304) {
      await response.body?.cancel().catch(() => undefined);
      return { kind: 'not-modified', etag, lastModified };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const text = response.statusText ? ` ${printable(response.statusText)}` : '';
      return { kind: 'failed', reason: `HTTP ${response.status}${text}${via}` };
    }
    const length = response.headers.get('content-length');
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    expected = length !== null && !encoded && /^\d+$/.test(length) ? Number(length) : undefined;
    const every = options.progressEveryBytes ?? 8 * 1024 * 1024;
    let nextReport = every;
    try {
      if (response.body) {
        for await (const chunk of response.body) {
          armStall();
          const bytes = chunk as Uint8Array;
          await file.write(bytes).catch((cause: unknown) => {
            throw new WriteFailed(cause);
          });
          received += bytes.byteLength;
          if (received >= nextReport) {
            options.onProgress?.(received, expected);
            nextReport = received + every;
          }
        }
      }
    } catch (cause) {
      if (cause instanceof WriteFailed) throw ioError(path, cause.cause);
      const truncated = expected !== undefined ? `truncated: got ${received} of ${expected} bytes, ` : '';
      const what = aborted ?? `connection failed: ${describe(cause)}`;
      return { kind: 'failed', reason: `${truncated}${what}${via}`, cause };
    }
    if (expected !== undefined && received !== expected) {
      return { kind: 'failed', reason: `truncated: got ${received} of ${expected} bytes${via}` };
    }
    await file.sync().catch((cause: unknown) => {
      throw ioError(path, cause);
    });
    keep = true;
    return { kind: 'downloaded', bytes: received, etag, lastModified, proxy: proxy && redact(proxy) };
  } finally {
    clearTimeout(total);
    clearTimeout(stall);
    options.signal?.removeEventListener('abort', onInterrupt);
    await file.close().catch(() => undefined);
    if (!keep) await rm(path, { force: true }).catch(() => undefined);
    await dispatcher.destroy().catch(() => undefined);
  }
};

class WriteFailed extends Error {
  constructor(cause: unknown) {
    super(message(cause), { cause });
  }
}

/** undici wraps the interesting part ("other side closed", ECONNREFUSED) in `cause`. */
const describe = (error: unknown): string => {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const text = message(current);
    const code = (current as { code?: unknown }).code;
    const part = typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
    if (part && !parts.includes(part)) parts.push(part);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(': ') || 'unknown error';
};

/** Proxy URLs may carry credentials; never print them. */
export const redact = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '***';
      parsed.password = '';
    }
    return parsed.href.replace(/\/$/, '');
  } catch {
    return '(unparsable proxy URL)';
  }
};

export interface HttpGetOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Abort when the request, body included, takes longer than this. */
  readonly timeoutMs: number;
  /**
   * Refuse a body longer than this many bytes, counted after decompression (a small gzip body can
   * inflate without bound). Default: no limit.
   */
  readonly maxBytes?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export type HttpGetResult =
  | {
      readonly kind: 'response';
      readonly status: number;
      /** Control characters shown escaped (`\u001b`), so that a message may quote it. */
      readonly statusText: string;
      /** Lower-case names. */
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    }
  | {
      readonly kind: 'failed';
      readonly reason: string;
      readonly timedOut: boolean;
      /** The body was longer than `maxBytes`: asking again would give the same answer. */
      readonly tooLarge?: boolean;
      readonly cause?: unknown;
    };

/** Thrown inside `get` when the body passes `maxBytes`; never escapes it. */
class TooLarge extends Error {}

/** Reads a body as UTF-8 text, stopping at `maxBytes` decoded bytes. */
const readBodyText = async (
  response: Awaited<ReturnType<typeof fetch>>,
  maxBytes: number,
): Promise<string> => {
  if (!response.body) return '';
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let received = 0;
  for await (const chunk of response.body) {
    const bytes = chunk as Uint8Array;
    received += bytes.byteLength;
    if (received > maxBytes) throw new TooLarge();
    parts.push(decoder.decode(bytes, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
};

/**
 * A client for many small GETs (registry documents): one connection pool for its lifetime, bodies
 * read whole as text (compressed on the wire), redirects returned rather than followed so that
 * the caller decides what each hop may carry (credentials belong to one host). Network failures
 * and timeouts are data, as for `downloadToFile`.
 */
export interface HttpClient {
  get(url: string, options: HttpGetOptions): Promise<HttpGetResult>;
  /** The proxy a request to `url` goes through (credentials hidden), or undefined. */
  proxyFor(url: string): string | undefined;
  close(): Promise<void>;
}

export const createHttpClient = (settings: ProxySettings): HttpClient => {
  const dispatcher = dispatcherFor(settings);
  const viaProxy = (url: string): string | undefined => {
    const proxy = proxyFor(new URL(url), settings);
    return proxy && redact(proxy);
  };
  return {
    proxyFor: viaProxy,
    get: async (url, options) => {
      const controller = new AbortController();
      let aborted: string | undefined;
      const abort = (why: string): void => {
        aborted ??= why;
        controller.abort(new Error(why));
      };
      const timer = setTimeout(
        () => abort(`timed out after ${seconds(options.timeoutMs)}`),
        options.timeoutMs,
      );
      const onInterrupt = (): void => abort('interrupted');
      if (options.signal?.aborted) onInterrupt();
      options.signal?.addEventListener('abort', onInterrupt, { once: true });
      const proxy = viaProxy(url);
      const via = proxy ? ` via proxy ${proxy}` : '';
      try {
        const response = await fetch(url, {
          dispatcher,
          signal: controller.signal,
          redirect: 'manual',
          headers: { 'user-agent': 'patchpilot', ...options.headers },
        });
        const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
        const length = response.headers.get('content-length');
        const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
        // Without content coding the length is known before a byte is read.
        if (!encoded && length !== null && /^\d+$/.test(length) && Number(length) > maxBytes) {
          throw new TooLarge();
        }
        const body = await readBodyText(response, maxBytes);
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name.toLowerCase()] = value;
        });
        return {
          kind: 'response',
          status: response.status,
          statusText: printable(response.statusText),
          headers,
          body,
        };
      } catch (cause) {
        if (cause instanceof TooLarge) {
          // Stop the transfer: the connection is not reused for the rest of a body nobody reads.
          controller.abort(cause);
          return {
            kind: 'failed',
            reason: `the answer is larger than ${options.maxBytes} bytes${via}`,
            timedOut: false,
            tooLarge: true,
          };
        }
        const timedOut = aborted !== undefined && aborted !== 'interrupted';
        return {
          kind: 'failed',
          reason: `${aborted ?? `request failed: ${describe(cause)}`}${via}`,
          timedOut,
          cause,
        };
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onInterrupt);
      }
    },
    close: () => dispatcher.close().catch(() => dispatcher.destroy().catch(() => undefined)),
  };
};
