import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import {
  newLearner,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { createTestHost, type TestHost } from '../support/test-host.js';
import { watch } from '../support/ws-client.js';
import { contractOperation } from '../support/client.js';
import { sample } from '../support/metrics.js';

const ENROLL = { method: 'POST', path: '/api/enrollment/v1/enrollment' };
const SEAT = demoSeat('course-v1:SandboxX+DS201+3T2026', 'verified');

describe('/metrics on the public port', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
  });
  afterAll(() => gw.close());

  it('counts a refused fulfillment as a failed job and a module failure', async () => {
    const learner = await newLearner('metrics');
    const placed = await purchase(gw.url, learner.token, [SEAT.sku], randomUUID());
    gw.sandbox.lms!.injectFault({ status: 400, count: 1, ...ENROLL });
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    await waitForOrderStatus(gw.url, learner.token, placed.order!.id, 'FULFILLMENT_ERROR');

    // The job is marked failed, and its duration recorded, just after the order is written: on a
    // busy machine a moment later, so wait for both before reading the rest.
    let text = '';
    const deadline = Date.now() + 10_000;
    do {
      text = await (await fetch(gw.gateway.metricsUrl)).text();
    } while (
      (sample(text, 'gateway_queue_jobs', { state: 'failed', kind: 'fulfillment' }) !== 1 ||
        sample(text, 'gateway_job_duration_seconds_count', {
          kind: 'fulfillment',
          outcome: 'failed',
        }) !== 1) &&
      Date.now() < deadline
    );
    expect(sample(text, 'gateway_queue_jobs', { state: 'failed', kind: 'fulfillment' })).toBe(1);
    expect(sample(text, 'gateway_queue_jobs', { state: 'failed', kind: 'revocation' })).toBe(0);
    expect(
      sample(text, 'gateway_fulfillment_failures_total', {
        module: 'enrollment',
        operation: 'fulfill',
        error_type: 'permanent',
      }),
    ).toBe(1);
    expect(
      sample(text, 'gateway_job_duration_seconds_count', {
        kind: 'fulfillment',
        outcome: 'failed',
      }),
    ).toBe(1);
    expect(
      sample(text, 'gateway_webhook_events_total', {
        type: 'payment_intent.succeeded',
        outcome: 'processed',
      }),
    ).toBe(1);
    expect(text).toMatch(/^gateway_websocket_connections 0$/m);
    expect(text).toMatch(/^gateway_active_subscriptions 0$/m);
  });

  it('counts open WebSockets and the subscriptions they hold, until they close', async () => {
    const learner = await newLearner('sockets');
    const placed = await purchase(gw.url, learner.token, [SEAT.sku], randomUUID());
    const scrape = async () => (await fetch(gw.gateway.metricsUrl)).text();
    const watched = watch(
      gw.url,
      contractOperation('OrderStatus'),
      { orderId: placed.order!.id },
      { token: learner.token },
    );
    await watched.until((results) => results.length > 0);
    const during = await scrape();
    expect(during).toMatch(/^gateway_websocket_connections 1$/m);
    expect(during).toMatch(/^gateway_active_subscriptions 1$/m);
    await watched.dispose();
    const deadline = Date.now() + 5_000;
    let after = await scrape();
    while (!/^gateway_active_subscriptions 0$/m.test(after) && Date.now() < deadline) {
      after = await scrape();
    }
    expect(after).toMatch(/^gateway_websocket_connections 0$/m);
    expect(after).toMatch(/^gateway_active_subscriptions 0$/m);
  });

  it('counts a webhook with a bad signature', async () => {
    const response = await fetch(`${gw.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'stripe-signature': 't=1,v1=00' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    const text = await (await fetch(gw.gateway.metricsUrl)).text();
    expect(
      sample(text, 'gateway_webhook_events_total', {
        type: 'unknown',
        outcome: 'invalid_signature',
      }),
    ).toBe(1);
  });

  it("echoes a well-formed X-Request-ID and replaces one that isn't", async () => {
    const given = await fetch(`${gw.url}/healthz`, { headers: { 'x-request-id': 'lb-4f2.9:a_b' } });
    expect(given.headers.get('x-request-id')).toBe('lb-4f2.9:a_b');
    for (const bad of ['a'.repeat(129), 'two words', '{"level":60}', '']) {
      const response = await fetch(`${gw.url}/healthz`, { headers: { 'x-request-id': bad } });
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('/metrics on the public port, from another host', () => {
  let host: TestHost | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    host = await createTestHost();
    gw = await startTestGateway({}, { host: host.listenAddress });
  });
  afterAll(async () => {
    try {
      await gw?.close();
    } finally {
      await host?.remove();
    }
  });

  it('refuses that caller, whatever X-Forwarded-For, X-Real-IP or Forwarded say', async () => {
    const { metricsUrl } = gw!.gateway;
    expect(await host!.get(metricsUrl)).toEqual({ status: 403, body: 'Forbidden\n' });
    const forgeries: Record<string, string>[] = [
      { 'x-forwarded-for': '127.0.0.1' },
      { 'x-real-ip': '127.0.0.1' },
      { forwarded: 'for=127.0.0.1' },
      { forwarded: 'for="[::1]"', 'x-forwarded-for': '::1' },
      { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1' },
    ];
    for (const headers of forgeries) {
      expect(await host!.get(metricsUrl, headers)).toEqual({ status: 403, body: 'Forbidden\n' });
    }
    // The same gateway answers that caller's other requests: only /metrics is closed to it.
    expect((await host!.get(metricsUrl.replace('/metrics', '/healthz'))).status).toBe(200);
  });
});

describe('/metrics with METRICS_PORT', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ METRICS_PORT: '0' });
  });
  afterAll(() => gw.close());

  it('serves /metrics on that port alone, and not on the public one', async () => {
    expect(new URL(gw.gateway.metricsUrl).port).not.toBe(new URL(gw.url).port);
    const scraped = await fetch(gw.gateway.metricsUrl);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^# TYPE gateway_queue_jobs gauge$/m);
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
    const other = await fetch(gw.gateway.metricsUrl.replace('/metrics', '/graphql'));
    expect(other.status).toBe(404);
  });
});
