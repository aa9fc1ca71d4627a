import { describe, expect, it } from 'vitest';

import { retryAfterMs, retryDelayMs } from '../../../connectors/http-retry.js';

const policy = { maxRetryAfterMs: 1_500, baseDelayMs: 100 };
const NOW = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');

describe('retryAfterMs', () => {
  it('reads delta-seconds and IMF-fixdate', () => {
    expect(retryAfterMs('2')).toBe(2_000);
    expect(retryAfterMs(' 0 ')).toBe(0);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:03 GMT', NOW)).toBe(3_000);
  });

  it('takes a date already past as "now"', () => {
    expect(retryAfterMs('Wed, 21 Oct 2026 07:27:00 GMT', NOW)).toBe(1);
  });

  for (const bad of ['', '  ', 'soon', '-1', '1.5', '1e3', 'Wed, 99 Foo 2026 07:28:00 GMT']) {
    it(`ignores the unreadable value ${JSON.stringify(bad)}`, () => {
      expect(retryAfterMs(bad, NOW)).toBeNull();
    });
  }
});

describe('retryDelayMs', () => {
  const answer = (statusCode: number, retryAfter?: string) => ({ statusCode, retryAfter });

  it('retries GET and HEAD only, at most twice', () => {
    expect(retryDelayMs('GET', 0, answer(503), policy)).toBeGreaterThan(0);
    expect(retryDelayMs('HEAD', 1, answer(503), policy)).toBeGreaterThan(0);
    expect(retryDelayMs('GET', 2, answer(503), policy)).toBeNull();
    expect(retryDelayMs('POST', 0, answer(503), policy)).toBeNull();
    expect(retryDelayMs('POST', 0, { errorCode: 'ECONNRESET' }, policy)).toBeNull();
  });

  it('retries the transient statuses and network errors only', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) {
      expect(retryDelayMs('GET', 0, answer(status), policy)).not.toBeNull();
    }
    for (const status of [301, 400, 404, 409, 413, 501]) {
      expect(retryDelayMs('GET', 0, answer(status), policy)).toBeNull();
    }
    expect(retryDelayMs('GET', 0, { errorCode: 'ETIMEDOUT' }, policy)).not.toBeNull();
    expect(retryDelayMs('GET', 0, { errorCode: 'ERR_UPSTREAM' }, policy)).toBeNull();
  });

  it('backs off with equal jitter: half the doubled ceiling, plus up to half again', () => {
    for (let i = 0; i < 50; i += 1) {
      const first = retryDelayMs('GET', 0, answer(503), policy) ?? 0;
      const second = retryDelayMs('GET', 1, answer(503), policy) ?? 0;
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      expect(second).toBeGreaterThanOrEqual(100);
      expect(second).toBeLessThanOrEqual(200);
    }
  });

  it('waits as long as Retry-After asks within the cap, and not at all beyond it', () => {
    expect(retryDelayMs('GET', 0, answer(429, '1'), policy)).toBe(1_000);
    expect(retryDelayMs('GET', 0, answer(429, '30'), policy)).toBeNull();
  });

  it('backs off as usual when Retry-After is unreadable', () => {
    const delay = retryDelayMs('GET', 0, answer(503, 'soon'), policy);
    expect(delay).toBeGreaterThanOrEqual(50);
    expect(delay).toBeLessThanOrEqual(100);
  });
});
