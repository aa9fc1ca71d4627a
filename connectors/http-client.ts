import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';

import { UpstreamUnavailableError, type UpstreamName } from './errors.js';
import { networkErrorCode, noAnswerError, statusError } from './http-error-mapping.js';
import { retryDelayMs, type AttemptOutcome, type RetryPolicy } from './http-retry.js';

/** One finished upstream call (after any retries), for metrics. */
export interface UpstreamRequestEvent {
  upstream: UpstreamName;
  method: string;
  /** A low-cardinality label such as `GET /v1/payment_intents/{id}`, never the full URL. */
  route: string;
  /** The final status, or null when the upstream never answered. */
  statusCode: number | null;
  durationMs: number;
}

export type OnUpstreamRequest = (event: UpstreamRequestEvent) => void;

export interface HttpClientOptions {
  upstream: UpstreamName;
  /** Base URL with no trailing slash, e.g. `https://discovery.example.org`. */
  baseUrl: string;
  /** The longest one attempt (answer included) may take. */
  timeoutMs: number;
  headers?: Record<string, string>;
  /**
   * Sent as `User-Agent` (`commerce-gateway` unless given), so an upstream's logs and support
   * can tell the gateway's calls apart.
   */
  userAgent?: string;
  onRequest?: OnUpstreamRequest;
  /** The longest `Retry-After` worth waiting for; beyond it the call fails without retrying. */
  maxRetryAfterMs?: number;
  /** First retry delay; doubles on each attempt, with jitter. */
  retryBaseDelayMs?: number;
}

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  /** Values for `{name}` placeholders in the path template, URL-encoded here. */
  params?: Record<string, string>;
  /** Query parameters; pass URLSearchParams when a name repeats. */
  query?: URLSearchParams | Record<string, QueryValue>;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Resolve with undefined on an empty 2xx body instead of treating it as a fault. */
  allowEmptyBody?: boolean;
}

export interface HttpClient {
  readonly upstream: UpstreamName;
  get<T>(pathTemplate: string, options?: RequestOptions): Promise<T>;
  post<T>(pathTemplate: string, options?: RequestOptions): Promise<T>;
}

type Method = 'GET' | 'POST';

interface Answer {
  statusCode: number;
  retryAfter: string | undefined;
  body: string;
}

/**
 * What an attempt that ran past `timeoutMs` fails with, and its request is aborted with. Only
 * its code is ever reported (`networkErrorCode`), so one shared instance serves every call.
 */
const TIMED_OUT = Object.assign(new Error('upstream call timed out'), { code: 'ETIMEDOUT' });

/**
 * A JSON client for one upstream, on its own undici pool: a slow upstream cannot starve the
 * sockets of the others, and keep-alive connections are reused. No pipelining: a POST must never
 * wait behind (or be replayed with) another request on the same connection. Redirects are not
 * followed; see `http-retry.ts` for what is retried.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { upstream, onRequest, timeoutMs } = options;
  const policy: RetryPolicy = {
    maxRetryAfterMs: options.maxRetryAfterMs ?? 2_000,
    baseDelayMs: options.retryBaseDelayMs ?? 100,
  };
  const base = new URL(options.baseUrl);
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  // Connecting counts against the attempt's time too (undici would otherwise wait 10 s).
  const pool = new Pool(base.origin, { connect: { timeout: timeoutMs } });
  const baseHeaders: Record<string, string> = {
    accept: 'application/json',
    'user-agent': options.userAgent ?? 'commerce-gateway',
    ...options.headers,
  };

  // One attempt through undici's dispatch API: the body is gathered straight into a string,
  // with none of `pool.request`'s per-call stream, async resource and AbortSignal (together
  // about half of the client's CPU per call: bench/README.md, session 21).
  function attempt(
    method: Method,
    path: string,
    headers: Record<string, string>,
    body: string | null,
  ): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | undefined;
      let settled = false;
      let statusCode = 0;
      let retryAfter: string | undefined;
      const chunks: Buffer[] = [];
      const settle = (outcome: Answer | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      // The deadline holds while the call waits for a connection too: it fails then, and is
      // dropped when a connection takes it up.
      const timer = setTimeout(() => {
        controller?.abort(TIMED_OUT);
        settle(TIMED_OUT);
      }, timeoutMs);
      pool.dispatch(
        { method, path, headers, body },
        {
          onRequestStart(started) {
            controller = started;
            if (settled) started.abort(TIMED_OUT);
          },
          onResponseStart(_controller, status, responseHeaders) {
            if (status < 200) return; // 1xx: the real answer follows
            statusCode = status;
            const value = responseHeaders['retry-after'];
            retryAfter = typeof value === 'string' ? value : undefined;
          },
          onResponseData(_controller, chunk) {
            chunks.push(chunk);
          },
          onResponseEnd() {
            const [only] = chunks;
            const text =
              chunks.length === 1 && only ? only.toString() : Buffer.concat(chunks).toString();
            settle({ statusCode, retryAfter, body: text });
          },
          onResponseError(_controller, error) {
            settle(error);
          },
        },
      );
    });
  }

  async function request<T>(method: Method, template: string, opts: RequestOptions): Promise<T> {
    const route = `${method} ${template}`;
    const started = performance.now();
    let statusCode: number | null = null;
    try {
      const path = pathPrefix + expandPath(template, opts.params) + queryString(opts.query);
      const { headers, body } = requestBody(baseHeaders, opts);
      for (let retries = 0; ; retries += 1) {
        let outcome: AttemptOutcome;
        let answer: Answer | undefined;
        try {
          answer = await attempt(method, path, headers, body);
          statusCode = answer.statusCode;
          if (statusCode >= 200 && statusCode <= 299) {
            return parseBody<T>(upstream, answer.body, opts.allowEmptyBody ?? false);
          }
          outcome = answer;
        } catch (error) {
          if (error instanceof UpstreamUnavailableError) throw error;
          statusCode = null;
          outcome = { errorCode: networkErrorCode(error) };
        }
        const delay = retryDelayMs(method, retries, outcome, policy);
        if (delay === null) {
          throw answer
            ? statusError(upstream, answer.statusCode, answer.body)
            : noAnswerError(upstream, 'errorCode' in outcome ? outcome.errorCode : 'ERR_UPSTREAM');
        }
        await sleep(delay);
      }
    } finally {
      report(onRequest, {
        upstream,
        method,
        route,
        statusCode,
        durationMs: performance.now() - started,
      });
    }
  }

  return {
    upstream,
    get: (template, opts = {}) => request('GET', template, opts),
    post: (template, opts = {}) => request('POST', template, opts),
  };
}

function expandPath(template: string, params: Record<string, string> = {}): string {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`Missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
  return `/${path.replace(/^\/+/, '')}`;
}

function queryString(query: RequestOptions['query']): string {
  if (query === undefined) return '';
  let params = query;
  if (!(params instanceof URLSearchParams)) {
    params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) params.set(name, String(value));
    }
  }
  const encoded = params.toString();
  return encoded === '' ? '' : `?${encoded}`;
}

function requestBody(
  baseHeaders: Record<string, string>,
  opts: RequestOptions,
): { headers: Record<string, string>; body: string | null } {
  let contentType: string | undefined;
  let body: string | null = null;
  if (opts.json !== undefined) {
    contentType = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form !== undefined) {
    contentType = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  // Most calls are GETs with the client's own headers: those share one object.
  if (contentType === undefined && opts.headers === undefined)
    return { headers: baseHeaders, body };
  return {
    headers: {
      ...baseHeaders,
      ...(contentType !== undefined ? { 'content-type': contentType } : {}),
      ...opts.headers,
    },
    body,
  };
}

function parseBody<T>(upstream: UpstreamName, body: string, allowEmpty: boolean): T {
  if (body.length === 0) {
    if (allowEmpty) return undefined as T;
    throw new UpstreamUnavailableError(upstream, `${upstream} answered with an empty body`);
  }
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new UpstreamUnavailableError(upstream, `${upstream} answered with malformed JSON`);
  }
}

function report(onRequest: OnUpstreamRequest | undefined, event: UpstreamRequestEvent): void {
  if (!onRequest) return;
  try {
    onRequest(event);
  } catch {
    // A broken metrics hook must never fail a learner's request.
  }
}

/** Runs `task` over `items` with at most `concurrency` in flight, results in input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** Splits `items` into arrays of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
