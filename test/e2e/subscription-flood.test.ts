import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { contractOperation, graphql, signToken } from '../support/client.js';
import { purchase } from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { openRawSocket, type RawSocket } from '../support/raw-socket.js';
import { watch } from '../support/ws-client.js';

const ORDER_STATUS = contractOperation('OrderStatus');
const SKU = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified').sku;
/** The order system answers in a few ms, as a real one nearby would. */
const ORDER_SYSTEM_LATENCY_MS = 5;

const learnerToken = (userId: number) =>
  signToken({
    user_id: userId,
    preferred_username: `flood-${userId}`,
    email: `${userId}@example.com`,
  });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const errorsFor = (raw: RawSocket, id: string) =>
  raw.messages.filter((message) => message.id === id && message.type === 'error');

/** Answered "No such order": the subscribe resolver's error, sent as a result with errors. */
const noSuchOrder = (raw: RawSocket, id: string) =>
  raw.messages.some(
    (message) =>
      message.id === id &&
      message.type === 'next' &&
      /No such order/.test(JSON.stringify(message.payload)),
  );

describe('a flood of subscribes from one learner', () => {
  let gw: TestGateway;
  let victim: { token: string; orderId: string };
  beforeAll(async () => {
    gw = await startTestGateway();
    gw.sandbox.commercetools?.setLatency(ORDER_SYSTEM_LATENCY_MS);
    const token = await learnerToken(9301);
    const placed = await purchase(gw.url, token, [SKU], randomUUID());
    victim = { token, orderId: placed.order!.id };
  });
  afterAll(() => gw.close());

  /** Median ms of unrelated HTTP queries and of other learners' subscriptions' first answer. */
  async function othersLatency(): Promise<{ http: number; subscription: number }> {
    const http: number[] = [];
    const subscription: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const startedAt = performance.now();
      const response = await graphql(
        gw.url,
        contractOperation('MyOrders'),
        { first: 5 },
        {
          token: victim.token,
        },
      );
      expect(response.body.errors).toBeUndefined();
      http.push(performance.now() - startedAt);

      const subscribedAt = performance.now();
      const watched = watch(
        gw.url,
        ORDER_STATUS,
        { orderId: victim.orderId },
        {
          token: victim.token,
        },
      );
      await watched.until((results) => results.length > 0);
      subscription.push(performance.now() - subscribedAt);
      await watched.dispose();
    }
    return { http: median(http), subscription: median(subscription) };
  }

  it('costs the order system a handful of requests, closes the socket 4429, and keeps others within 2× of idle', async () => {
    await othersLatency(); // warm: connections, JIT, caches
    const idle = await othersLatency();

    const attacker = await openRawSocket(gw.url, await learnerToken(9302));
    const requestsBefore = gw.sandbox.commercetools!.totalRequests();
    for (let i = 0; i < 1000; i += 1) {
      attacker.subscribe(String(i), ORDER_STATUS, { orderId: randomUUID() });
    }
    const during = await othersLatency();
    const closed = await attacker.closed;

    expect(closed.code).toBe(4429);
    expect(closed.reason).toMatch(/Too many subscribe requests/);
    // The victim's own reads (16 subscriptions, 8 order lists) and a few batched reads of guesses.
    expect(gw.sandbox.commercetools!.totalRequests() - requestsBefore).toBeLessThan(60);
    expect(during.http, `idle ${idle.http} ms`).toBeLessThanOrEqual(2 * idle.http);
    expect(during.subscription, `idle ${idle.subscription} ms`).toBeLessThanOrEqual(
      2 * idle.subscription,
    );
  });

  it('reads the orders of subscribes that arrive together in one request, and remembers unknown ids', async () => {
    const raw = await openRawSocket(gw.url, await learnerToken(9303));
    const unknown = randomUUID();
    const before = gw.sandbox.commercetools!.totalRequests();
    for (let i = 0; i < 10; i += 1) raw.subscribe(`u${i}`, ORDER_STATUS, { orderId: unknown });
    await until(() =>
      Array.from({ length: 10 }, (_, i) => `u${i}`).every((id) => noSuchOrder(raw, id)),
    );
    expect(gw.sandbox.commercetools!.totalRequests() - before).toBe(1);

    raw.subscribe('again', ORDER_STATUS, { orderId: unknown });
    await until(() => noSuchOrder(raw, 'again'));
    expect(gw.sandbox.commercetools!.totalRequests() - before).toBe(1);
    raw.socket.close();
  });
});

describe('subscription caps', () => {
  let gw: TestGateway;
  let orderId: string;
  let token: string;
  beforeAll(async () => {
    gw = await startTestGateway({
      SUBSCRIPTIONS_PER_SOCKET: '3',
      SUBSCRIPTIONS_PER_LEARNER: '5',
      SUBSCRIBES_PER_SECOND: '100',
    });
    token = await learnerToken(9311);
    orderId = (await purchase(gw.url, token, [SKU], randomUUID())).order!.id;
  });
  afterAll(() => gw.close());

  const subscribed = (raw: RawSocket, id: string) =>
    raw.messages.some((message) => message.id === id && message.type === 'next');

  it('refuses a subscription over the per-socket cap with an error that says so, and serves the rest', async () => {
    const raw = await openRawSocket(gw.url, token);
    for (const id of ['a', 'b', 'c', 'd']) raw.subscribe(id, ORDER_STATUS, { orderId });
    await until(() => ['a', 'b', 'c'].every((id) => subscribed(raw, id)));
    await until(() => errorsFor(raw, 'd').length === 1);
    expect(JSON.stringify(errorsFor(raw, 'd')[0]?.payload)).toMatch(
      /At most 3 subscriptions per connection/,
    );
    // Completing one frees its place.
    raw.socket.send(JSON.stringify({ id: 'a', type: 'complete' }));
    await sleep(50);
    raw.subscribe('e', ORDER_STATUS, { orderId });
    await until(() => subscribed(raw, 'e'));
    raw.socket.close();
    await raw.closed;
  });

  it('refuses a subscription over the per-learner cap across sockets', async () => {
    const first = await openRawSocket(gw.url, token);
    const second = await openRawSocket(gw.url, token);
    for (const id of ['a', 'b', 'c']) first.subscribe(id, ORDER_STATUS, { orderId });
    await until(() => ['a', 'b', 'c'].every((id) => subscribed(first, id)));
    for (const id of ['x', 'y', 'z']) second.subscribe(id, ORDER_STATUS, { orderId });
    await until(() => errorsFor(second, 'z').length === 1);
    expect(JSON.stringify(errorsFor(second, 'z')[0]?.payload)).toMatch(
      /At most 5 subscriptions per learner/,
    );
    // Another learner is not held back by this one.
    const other = await learnerToken(9312);
    const otherOrder = (await purchase(gw.url, other, [SKU], randomUUID())).order!.id;
    const watched = watch(gw.url, ORDER_STATUS, { orderId: otherOrder }, { token: other });
    await watched.until((results) => results.length > 0);
    await watched.dispose();
    first.socket.close();
    second.socket.close();
  });
});
