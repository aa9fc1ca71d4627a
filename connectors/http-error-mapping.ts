/**
 * Upstream answers and network failures mapped to the connectors' errors. The HTTP client's own
 * error is never kept as `cause`: it can carry the URL and the request headers (API keys, bearer
 * tokens), which a logger serialising the cause chain would write out.
 */
import {
  UpstreamConflictError,
  UpstreamRejectedError,
  UpstreamUnavailableError,
  type UpstreamName,
} from './errors.js';

/** The error for a final non-2xx answer. */
export function statusError(upstream: UpstreamName, status: number, body: string): Error {
  if (status === 429 || status >= 500 || status === 408 || status < 400) {
    return new UpstreamUnavailableError(upstream, `${upstream} answered ${status}`);
  }
  const detail = errorDetail(body);
  if (status === 409) return new UpstreamConflictError(upstream, status, detail);
  return new UpstreamRejectedError(upstream, status, detail);
}

/** The error for a call that got no answer, named by its code only. */
export function noAnswerError(upstream: UpstreamName, code: string): Error {
  return new UpstreamUnavailableError(upstream, `${upstream} did not answer (${code})`);
}

/** undici's own names for what the rest of the code (and the retry rules) call by errno. */
const UNDICI_CODES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_HEADERS_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_BODY_TIMEOUT: 'ETIMEDOUT',
  // The peer closed the connection before the answer was complete.
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_CLOSED: 'ECONNRESET',
};

/** A network failure's code (`ECONNREFUSED`, `ETIMEDOUT`, …); `ERR_UPSTREAM` when it has none. */
export function networkErrorCode(error: unknown): string {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (typeof code !== 'string') return 'ERR_UPSTREAM';
  return UNDICI_CODES[code] ?? code;
}

const MAX_DETAIL_LENGTH = 200;

/** The upstream's machine-readable error code where it has one (Stripe, commercetools, OAuth). */
function errorDetail(body: string): string {
  if (body.length === 0) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
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
