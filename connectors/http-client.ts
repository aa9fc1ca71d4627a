import http from 'node:http';
import https from 'node:https';
import { got, HTTPError, RequestError, type Got, type Method, type RetryObject } from 'got';

import {
  UpstreamConflictError,
  UpstreamRejectedError,
  UpstreamUnavailableError,
  type UpstreamName,
} from './errors.js';

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
  timeoutMs: number;
  headers?: Record<string, string>;
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

const RETRY_STATUS_CODES = [408, 429, 500, 502, 503, 504];
const RETRY_ERROR_CODES = [
  'ETIMEDOUT',
  'ECONNRESET',
  'EADDRINUSE',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'ENETUNREACH',
  'EAI_AGAIN',
];

/**
 * A JSON client for one upstream. Only GET and HEAD are retried: a POST that timed out may
 * have been applied, and the workflows decide (with idempotency keys) whether to repeat it.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { upstream, onRequest } = options;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 2_000;
  const baseDelayMs = options.retryBaseDelayMs ?? 100;

  const instance: Got = got.extend({
    prefixUrl: options.baseUrl,
    timeout: { request: options.timeoutMs },
    headers: { accept: 'application/json', ...options.headers },
    // One pool per upstream, so a slow upstream cannot starve the sockets of the others.
    agent: {
      http: new http.Agent({ keepAlive: true }),
      https: new https.Agent({ keepAlive: true }),
    },
    responseType: 'buffer',
    followRedirect: false,
    retry: {
      limit: 2,
      methods: ['GET', 'HEAD'],
      statusCodes: RETRY_STATUS_CODES,
      errorCodes: RETRY_ERROR_CODES,
      enforceRetryRules: true,
      maxRetryAfter: maxRetryAfterMs,
      calculateDelay: (retry: RetryObject) => retryDelay(retry, baseDelayMs),
    },
  });

  async function request<T>(method: Method, template: string, opts: RequestOptions): Promise<T> {
    const route = `${method} ${template}`;
    const started = performance.now();
    let statusCode: number | null = null;
    try {
      const response = await instance(expandPath(template, opts.params), {
        method,
        searchParams: toSearchParams(opts.query),
        ...(opts.json !== undefined ? { json: opts.json } : {}),
        ...(opts.form !== undefined ? { form: opts.form } : {}),
        ...(opts.headers !== undefined ? { headers: opts.headers } : {}),
      });
      statusCode = response.statusCode;
      if (statusCode < 200 || statusCode > 299) {
        throw new UpstreamUnavailableError(upstream, `${upstream} answered ${statusCode}`);
      }
      return parseBody<T>(upstream, response.rawBody, opts.allowEmptyBody ?? false);
    } catch (error) {
      if (error instanceof HTTPError) statusCode = error.response.statusCode;
      throw toUpstreamError(upstream, error);
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

function retryDelay(retry: RetryObject, baseDelayMs: number): number {
  // got has already refused to retry when Retry-After exceeds maxRetryAfter: waiting that long
  // would hold the learner's request open, so failing fast is the better answer.
  if (retry.retryAfter !== undefined) return retry.retryAfter;
  const ceiling = baseDelayMs * 2 ** (retry.attemptCount - 1);
  // "Equal jitter": never zero (0 would cancel the retry), yet spread so callers do not stampede.
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function expandPath(template: string, params: Record<string, string> = {}): string {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`Missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
  // got's prefixUrl refuses a leading slash.
  return path.replace(/^\/+/, '');
}

function toSearchParams(query: RequestOptions['query']): URLSearchParams | undefined {
  if (query === undefined || query instanceof URLSearchParams) return query;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  return params;
}

function parseBody<T>(upstream: UpstreamName, body: Buffer, allowEmpty: boolean): T {
  if (body.length === 0) {
    if (allowEmpty) return undefined as T;
    throw new UpstreamUnavailableError(upstream, `${upstream} answered with an empty body`);
  }
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new UpstreamUnavailableError(upstream, `${upstream} answered with malformed JSON`);
  }
}

/**
 * The got error is deliberately not kept as `cause`: it carries the URL and the request headers
 * (API keys, bearer tokens), which a logger serialising the cause chain would write out.
 */
function toUpstreamError(upstream: UpstreamName, error: unknown): Error {
  if (error instanceof UpstreamUnavailableError) return error;
  if (error instanceof HTTPError) {
    const status = error.response.statusCode;
    if (status === 429 || status >= 500 || status === 408) {
      return new UpstreamUnavailableError(upstream, `${upstream} answered ${status}`);
    }
    const detail = errorDetail(error.response.rawBody);
    if (status === 409) return new UpstreamConflictError(upstream, status, detail);
    return new UpstreamRejectedError(upstream, status, detail);
  }
  if (error instanceof RequestError) {
    return new UpstreamUnavailableError(upstream, `${upstream} did not answer (${error.code})`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

const MAX_DETAIL_LENGTH = 200;

/** The upstream's machine-readable error code where it has one (Stripe, commercetools, OAuth). */
function errorDetail(body: Buffer | undefined): string {
  if (!body || body.length === 0) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return '';
  }
  if (!isRecord(parsed)) return '';
  const { error, errors } = parsed;
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  const candidates: unknown[] = [
    isRecord(error) ? error['code'] : undefined,
    isRecord(error) ? error['type'] : undefined,
    isRecord(first) ? first['code'] : undefined,
    error,
    parsed['message'],
    parsed['detail'],
  ];
  const found = candidates.find((value): value is string => typeof value === 'string');
  return (found ?? '').slice(0, MAX_DETAIL_LENGTH);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
