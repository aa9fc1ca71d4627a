/**
 * When a failed upstream call is tried again, and after how long. Only GET and HEAD are retried:
 * a POST that timed out may have been applied, and the workflows decide (with idempotency keys)
 * whether to repeat it.
 */

/** Attempts after the first. */
export const RETRY_LIMIT = 2;

const RETRY_METHODS = new Set(['GET', 'HEAD']);
const RETRY_STATUS_CODES = new Set([408, 429, 500, 502, 503, 504]);
const RETRY_ERROR_CODES = new Set([
  'ETIMEDOUT',
  'ECONNRESET',
  'EADDRINUSE',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

export interface RetryPolicy {
  /** The longest `Retry-After` worth waiting for; beyond it the call fails without retrying. */
  maxRetryAfterMs: number;
  /** First retry delay; doubles on each attempt, with jitter. */
  baseDelayMs: number;
}

/** What one attempt ended with: an answer's status and `Retry-After`, or a network error code. */
export type AttemptOutcome =
  { statusCode: number; retryAfter: string | undefined } | { errorCode: string };

/**
 * Milliseconds to wait before attempt `retryCount + 1`, or null when the call must fail now.
 * `retryCount` is how many retries were already made.
 */
export function retryDelayMs(
  method: string,
  retryCount: number,
  outcome: AttemptOutcome,
  policy: RetryPolicy,
): number | null {
  if (retryCount >= RETRY_LIMIT || !RETRY_METHODS.has(method)) return null;
  if ('errorCode' in outcome) {
    return RETRY_ERROR_CODES.has(outcome.errorCode)
      ? jitteredDelay(retryCount, policy.baseDelayMs)
      : null;
  }
  if (!RETRY_STATUS_CODES.has(outcome.statusCode)) return null;
  const asked = retryAfterMs(outcome.retryAfter);
  if (asked === null) return jitteredDelay(retryCount, policy.baseDelayMs);
  // Waiting longer would hold the learner's request open: failing fast is the better answer.
  return asked > policy.maxRetryAfterMs ? null : asked;
}

const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** `Retry-After` in ms (delta-seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | null {
  if (header === undefined) return null;
  const trimmed = header.trim();
  if (trimmed === '') return null;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only the IMF-fixdate form: Date.parse alone would read "1.5" as a day in 2001.
  if (!HTTP_DATE.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  // A date already past means "now"; 1 ms keeps the retry on the timer queue like any other.
  return Math.max(1, date - now);
}

function jitteredDelay(retryCount: number, baseDelayMs: number): number {
  const ceiling = baseDelayMs * 2 ** retryCount;
  // "Equal jitter": never zero, yet spread so callers do not stampede.
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
