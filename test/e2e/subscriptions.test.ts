import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { demoOrdersOf, demoSeat } from '../../sandbox/demo-data.js';
import { orderChannel, ownerChannel } from '../../subscriptions/order-events.js';
import { contractOperation, graphql, signToken, tokenFor } from '../support/client.js';
import { payWithSandboxCard, purchase, waitForOrderStatus } from '../support/commerce.js';
import { startTestGateway, TEST_REDIS_URL, type TestGateway } from '../support/gateway.js';
import { watch } from '../support/ws-client.js';

const ORDER_STATUS = contractOperation('OrderStatus');
type StatusData = {
  orderStatusChanged: { order: { id: string; status: string; lines: { status: string }[] } };
};
const statuses = (results: { data?: StatusData | null }[]) =>
  results.map((result) => result.data?.orderStatusChanged.order.status);

describe('live order status over graphql-ws', () => {
  let gw: TestGateway;
  let token: string;
  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
    token = await signToken({
      user_id: 9101,
      preferred_username: 'watcher',
      email: 'w@example.com',
    });
  });
  afterAll(() => gw.close());

  async function placeOrder(courseRunKey: string) {
    return purchase(gw.url, token, [demoSeat(courseRunKey, 'verified').sku], randomUUID());
  }

  it('shows a paid purchase as PAID, FULFILLING, FULFILLED, in that order, after its current state', async () => {
    const placed = await placeOrder('course-v1:SandboxX+ETH100+3T2026');
    const watched = watch<StatusData>(
      gw.url,
      ORDER_STATUS,
      { orderId: placed.order!.id },
      { token },
    );
    await watched.until((results) => results.length >= 1);
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    await watched.until((results) => statuses(results).includes('FULFILLED'));
    expect(statuses(watched.results)).toEqual([
      'PENDING_PAYMENT',
      'PAID',
      'FULFILLING',
      'FULFILLED',
    ]);
    expect(watched.results.at(-1)?.data?.orderStatusChanged.order.lines).toEqual([
      { id: expect.any(String), status: 'FULFILLED' },
    ]);
    await watched.dispose();
  });

  it('shows a refund as REFUND_PENDING, REFUNDED, and a late subscriber the current state first', async () => {
    const placed = await placeOrder('course-v1:SandboxX+UX120+3T2026');
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    await waitForOrderStatus(gw.url, token, placed.order!.id, 'FULFILLED');

    const late = watch<StatusData>(gw.url, ORDER_STATUS, { orderId: placed.order!.id }, { token });
    await late.until((results) => results.length >= 1);
    expect(statuses(late.results)).toEqual(['FULFILLED']);

    await graphql(
      gw.url,
      contractOperation('RefundOrder'),
      {
        input: { orderId: placed.order!.id, idempotencyKey: randomUUID() },
      },
      { token },
    );
    await late.until((results) => statuses(results).includes('REFUNDED'));
    expect(statuses(late.results)).toEqual(['FULFILLED', 'REFUND_PENDING', 'REFUNDED']);
    await late.dispose();
  });

  it('lets staff watch any order, and holds one Redis subscription per order however many watch', async () => {
    const placed = await placeOrder('course-v1:SandboxX+CS50X+3T2026');
    const staff = await tokenFor('staff');
    const watchers = [token, token, staff].map((t) =>
      watch<StatusData>(gw.url, ORDER_STATUS, { orderId: placed.order!.id }, { token: t }),
    );
    await Promise.all(watchers.map((w) => w.until((results) => results.length >= 1)));
    const redis = new Redis(TEST_REDIS_URL);
    const [, subscribers] = (await redis.pubsub(
      'NUMSUB',
      orderChannel(gw.keyPrefix, placed.order!.id),
    )) as [string, number];
    redis.disconnect();
    expect(subscribers).toBe(1);
    await Promise.all(watchers.map((w) => w.dispose()));
  });

  it('subscribes with the edX cookies on the upgrade, and with "Authorization" in any case', async () => {
    const placed = await placeOrder('course-v1:SandboxX+SQL150+3T2026');
    const [header, payload, signature] = token.split('.');
    const byCookie = watch<StatusData>(
      gw.url,
      ORDER_STATUS,
      { orderId: placed.order!.id },
      {
        cookie: `edx-jwt-cookie-header-payload=${header}.${payload}; edx-jwt-cookie-signature=${signature}`,
      },
    );
    const byParams = watch<StatusData>(
      gw.url,
      ORDER_STATUS,
      { orderId: placed.order!.id },
      {
        connectionParams: { Authorization: `Bearer ${token}` },
      },
    );
    await byCookie.until((results) => statuses(results).includes('PENDING_PAYMENT'));
    await byParams.until((results) => statuses(results).includes('PENDING_PAYMENT'));
    await Promise.all([byCookie.dispose(), byParams.dispose()]);
  });
});

describe('WebSocket security', () => {
  let gw: TestGateway;
  let aliceOrder: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    aliceOrder = demoOrdersOf('alice')[0]!.id;
  });
  afterAll(() => gw.close());

  it('refuses a subscription POSTed over HTTP with 400, saying where subscriptions are', async () => {
    const response = await graphql(
      gw.url,
      ORDER_STATUS,
      { orderId: aliceOrder },
      { token: await tokenFor('alice') },
    );
    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toEqual([
      {
        message: 'Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP.',
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
  });

  it('refuses a connection without credentials: closed 4403, no data', async () => {
    const watched = watch(gw.url, ORDER_STATUS, { orderId: aliceOrder });
    await watched.done;
    expect(watched.closes.map((close) => close.code)).toEqual([4403]);
    expect(watched.results.every((result) => !result.data)).toBe(true);
  });

  it('refuses a connection with an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await signToken({
      user_id: 1001,
      preferred_username: 'alice',
      iat: now - 7200,
      exp: now - 3600,
    });
    const watched = watch(gw.url, ORDER_STATUS, { orderId: aliceOrder }, { token: expired });
    await watched.done;
    expect(watched.closes.map((close) => close.code)).toEqual([4403]);
  });

  it('closes a socket when its credentials expire (4401), after serving it until then', async () => {
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await signToken({
      user_id: 1001,
      preferred_username: 'alice',
      iat: now,
      exp: now + 2,
    });
    const watched = watch(gw.url, ORDER_STATUS, { orderId: aliceOrder }, { token: shortLived });
    await watched.until((results) => results.length === 1);
    expect(watched.results[0]?.data).toBeTruthy();
    await watched.until(() => watched.closes.length > 0, 5000);
    expect(watched.closes.map((close) => close.code)).toEqual([4401]);
  });

  it('refuses the upgrade from a foreign Origin', async () => {
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(
        `${gw.url.replace('http', 'ws')}/graphql`,
        'graphql-transport-ws',
        {
          headers: { origin: 'https://evil.example' },
        },
      );
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => resolve(101));
      socket.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });

  it('accepts an allowed Origin', async () => {
    const watched = watch(
      gw.url,
      ORDER_STATUS,
      { orderId: aliceOrder },
      {
        token: await tokenFor('alice'),
        origin: 'http://localhost:3000',
      },
    );
    await watched.until((results) => results.length >= 1);
    await watched.dispose();
  });

  /** A raw socket speaking graphql-transport-ws, to misbehave as a client library would not. */
  function rawSocket(protocol = 'graphql-transport-ws') {
    const socket = new WebSocket(`${gw.url.replace('http', 'ws')}/graphql`, protocol);
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    const opened = new Promise<void>((resolve) => socket.on('open', () => resolve()));
    socket.on('error', () => undefined);
    return { socket, closed, opened };
  }

  it('closes a connection that sends no connection_init in time with 4408', async () => {
    const { closed } = rawSocket();
    expect(await closed).toBe(4408);
  });

  it('closes a connection that sends an oversized message', async () => {
    const { socket, opened, closed } = rawSocket();
    await opened;
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(64 * 1024) } }),
    );
    expect(await closed).toBe(1009);
  });

  it.each([
    ['not JSON', 'not json at all'],
    ['an unknown message type', JSON.stringify({ type: 'bogus' })],
    [
      'a subscribe before connection_init',
      JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } }),
    ],
  ])('closes a connection that sends %s', async (_name, message) => {
    const { socket, opened, closed } = rawSocket();
    await opened;
    socket.send(message);
    expect([4400, 4401]).toContain(await closed);
  });

  it('refuses a subprotocol other than graphql-transport-ws', async () => {
    const { closed } = rawSocket('graphql-ws');
    // The server selects no subprotocol: the client aborts the handshake (1006), or, if it goes
    // on, graphql-ws closes with 4406. Either way nothing is exchanged.
    expect([1006, 4406]).toContain(await closed);
  });

  it('gives learner B an error and no event for learner A’s order', async () => {
    const watched = watch<StatusData>(
      gw.url,
      ORDER_STATUS,
      { orderId: aliceOrder },
      { token: await tokenFor('bob') },
    );
    await watched.done;
    expect(watched.results).toHaveLength(1);
    expect(watched.results[0]?.data?.orderStatusChanged ?? null).toBeNull();
    expect(watched.results[0]?.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it('applies the query limits over the socket too', async () => {
    let selection = 'id';
    for (let depth = 0; depth < 12; depth += 1) selection = `order { ${selection} }`;
    const deep = watch(
      gw.url,
      `subscription { orderStatusChanged(orderId: "x") { ${selection} } }`,
      {},
      { token: await tokenFor('alice') },
    );
    await deep.done;
    const error = deep.results[0]?.errors?.[0];
    expect(error?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('serves only subscriptions over the socket', async () => {
    const query = watch(
      gw.url,
      '{ courses(first: 1) { totalCount } }',
      {},
      { token: await tokenFor('alice') },
    );
    await query.done;
    expect(query.results[0]?.errors?.[0]?.message).toMatch(/Only subscriptions/);
  });
});

describe('shutting a gateway down', () => {
  it('closes its sockets; a client retrying on another gateway gets the current state again', async () => {
    const first = await startTestGateway({ JOB_BACKOFF_MS: '50' });
    const second = await startTestGateway({}, { sharing: first });
    try {
      const token = await signToken({
        user_id: 9202,
        preferred_username: 'mover',
        email: 'm@example.com',
      });
      const placed = await purchase(
        first.url,
        token,
        [demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified').sku],
        randomUUID(),
      );
      let target = first.url;
      const watched = watch<StatusData>(
        first.url,
        ORDER_STATUS,
        { orderId: placed.order!.id },
        {
          token,
          url: () => target,
          retryAttempts: 5,
        },
      );
      await watched.until((results) => results.length === 1);

      target = second.url;
      await first.gateway.close();
      await watched.until((results) => results.length === 2);
      expect(watched.closes.map((close) => close.code)).toContain(1001);
      expect(statuses(watched.results)).toEqual(['PENDING_PAYMENT', 'PENDING_PAYMENT']);
      await watched.dispose();
    } finally {
      await second.close();
      await first.close().catch(() => undefined);
    }
  });
});

describe('all of a learner’s orders (myOrderStatusChanged)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
  });
  afterAll(() => gw.close());

  it('streams every change of the learner’s own orders, and none of another’s', async () => {
    const token = await signToken({
      user_id: 9404,
      preferred_username: 'follower',
      email: 'f@example.com',
    });
    const other = await signToken({
      user_id: 9405,
      preferred_username: 'stranger',
      email: 's@example.com',
    });
    type MyData = {
      myOrderStatusChanged: { order: { id: string; status: string; number: string } };
    };
    const watched = watch<MyData>(
      gw.url,
      'subscription { myOrderStatusChanged { order { id number status } } }',
      {},
      { token },
    );
    // Wait until the gateway listens on the learner's channel: from then on nothing is missed.
    const redis = new Redis(TEST_REDIS_URL);
    for (;;) {
      const [, listeners] = (await redis.pubsub('NUMSUB', ownerChannel(gw.keyPrefix, '9404'))) as [
        string,
        number,
      ];
      if (listeners > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    redis.disconnect();
    await purchase(
      gw.url,
      other,
      [demoSeat('course-v1:SandboxX+UX120+3T2026', 'audit').sku],
      randomUUID(),
    );
    const placed = await purchase(
      gw.url,
      token,
      [demoSeat('course-v1:SandboxX+PY101+3T2026', 'verified').sku],
      randomUUID(),
    );
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    await watched.until((results) =>
      results.some((result) => result.data?.myOrderStatusChanged.order.status === 'FULFILLED'),
    );
    const orders = watched.results.map((result) => result.data?.myOrderStatusChanged.order);
    expect(orders.map((order) => order?.status)).toEqual([
      'PENDING_PAYMENT',
      'PAID',
      'FULFILLING',
      'FULFILLED',
    ]);
    expect(new Set(orders.map((order) => order?.id))).toEqual(new Set([placed.order!.id]));
    expect(orders[0]?.number).toBe(placed.order!.number);
    await watched.dispose();
  });
});
