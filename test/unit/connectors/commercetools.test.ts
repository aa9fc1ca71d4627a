import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { UpstreamRejectedError } from '../../../connectors/errors.js';
import { createConnectors } from '../../../connectors/index.js';
import type { Order, OrderPosition } from '../../../connectors/orders.js';
import { DEMO_USERS, demoOrdersOf } from '../../../sandbox/demo-data.js';
import { requestsTo, settingsFor, startWorld, type ConnectorWorld } from './support.js';

let world: ConnectorWorld;

const tokenRequests = () => requestsTo(world.sandbox.commercetools.stats(), 'POST /oauth/token');
const orderQueries = () =>
  Object.entries(world.sandbox.commercetools.stats())
    .filter(([route]) => /^GET \/.*\/orders$/.test(route))
    .reduce((sum, [, n]) => sum + n, 0);

/** Fresh connectors, so each test starts without a cached token. */
const fresh = () => world.connect().orders;

const INVALID_TOKEN = {
  statusCode: 401,
  message: 'invalid_token',
  errors: [{ code: 'invalid_token', message: 'The token is invalid.' }],
};

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(() => {
  world.sandbox.commercetools.resetStats();
  world.sandbox.commercetools.clearFaults();
});

describe('commercetools token', () => {
  it('shares one token between many concurrent and later calls', async () => {
    const orders = fresh();
    const ownerId = String(DEMO_USERS.alice.userId);
    await Promise.all(
      Array.from({ length: 10 }, () => orders.listCustomerOrders({ ownerId, first: 1 })),
    );
    await orders.listCustomerOrders({ ownerId, first: 1 });
    expect(tokenRequests()).toBe(1);
    expect(orderQueries()).toBe(11);
  });

  it('renews the token once when the API says it is no longer valid', async () => {
    const orders = fresh();
    const ownerId = String(DEMO_USERS.alice.userId);
    await orders.listCustomerOrders({ ownerId, first: 1 });
    world.sandbox.commercetools.injectFault({
      status: 401,
      count: 1,
      method: 'GET',
      body: INVALID_TOKEN,
    });
    const page = await orders.listCustomerOrders({ ownerId, first: 1 });
    expect(page.orders).toHaveLength(1);
    expect(tokenRequests()).toBe(2);
    expect(orderQueries()).toBe(3);
  });

  it('gives up when the renewed token is refused too', async () => {
    const orders = fresh();
    world.sandbox.commercetools.injectFault({
      status: 401,
      count: 2,
      method: 'GET',
      body: INVALID_TOKEN,
    });
    const error = await orders.getOrders(['x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ upstream: 'orders', statusCode: 401, detail: 'invalid_token' });
    expect(tokenRequests()).toBe(2);
  });

  it('reports wrong client credentials as a rejection', async () => {
    const settings = settingsFor(world.sandbox);
    const wrong = createConnectors(
      { ...settings, commercetools: { ...settings.commercetools, clientSecret: 'nope' } },
      {
        redis: world.redis,
        keyPrefix: world.keyPrefix,
        timeoutMs: 2_000,
        catalogCacheTtlSeconds: 60,
      },
    );
    const error = await wrong.orders.checkReachable().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ statusCode: 401, detail: 'invalid_client' });
  });

  it('checks reachability with the cached token', async () => {
    const orders = fresh();
    await orders.checkReachable();
    await orders.checkReachable();
    expect(tokenRequests()).toBe(1);
  });
});

describe('customer orders', () => {
  const alice = String(DEMO_USERS.alice.userId);
  const expected = demoOrdersOf('alice').sort((x, y) =>
    x.createdAt !== y.createdAt ? (x.createdAt < y.createdAt ? 1 : -1) : x.id < y.id ? 1 : -1,
  );

  it('pages through every order, newest first, each once, one request per page', async () => {
    expect(expected.length).toBeGreaterThanOrEqual(26);
    const orders = fresh();
    const seen: Order[] = [];
    let after: OrderPosition | undefined;
    let pages = 0;
    for (;;) {
      const page = await orders.listCustomerOrders({
        ownerId: alice,
        first: 5,
        ...(after ? { after } : {}),
      });
      pages += 1;
      seen.push(...page.orders);
      const last = page.orders.at(-1);
      if (!page.hasNextPage || !last) break;
      after = { placedAt: last.placedAt, id: last.id };
    }
    expect(seen.map((o) => o.id)).toEqual(expected.map((o) => o.id));
    expect(pages).toBe(Math.ceil(expected.length / 5));
    expect(orderQueries()).toBe(pages);
  });

  it('maps an order, its payment and its lines', async () => {
    const [newest] = expected;
    const { orders } = await fresh().listCustomerOrders({ ownerId: alice, first: 1 });
    const order = orders[0];
    expect(order).toMatchObject({
      id: newest?.id,
      number: newest?.number,
      ownerId: alice,
      ownerUsername: 'alice',
      status: newest?.status,
      placedAt: newest?.createdAt,
      total: {
        amount: ((newest?.totalCents ?? 0) / 100).toFixed(2),
        currencyCode: newest?.currency,
      },
      payment: newest?.payment ? { provider: 'stripe', id: newest.payment.paymentIntentId } : null,
    });
    expect(typeof order?.version).toBe('number');
    expect(order?.lines).toEqual(
      newest?.lines.map((line) => ({
        id: line.id,
        sku: line.sku,
        courseRunKey: line.courseRunKey,
        mode: line.mode,
        price: { amount: line.price, currencyCode: line.currency },
        discount: { amount: '0.00', currencyCode: line.currency },
        status: line.status,
      })),
    );
  });

  it('finds nothing for a customer without orders, and survives quotes in the id', async () => {
    const orders = fresh();
    expect(
      await orders.listCustomerOrders({ ownerId: String(DEMO_USERS.carol.userId), first: 10 }),
    ).toEqual({
      orders: [],
      hasNextPage: false,
    });
    expect(await orders.listCustomerOrders({ ownerId: '1001" or id != "', first: 10 })).toEqual({
      orders: [],
      hasNextPage: false,
    });
    expect(await orders.listCustomerOrders({ ownerId: 'a\\"b', first: 10 })).toEqual({
      orders: [],
      hasNextPage: false,
    });
  });

  it('gets many orders by id in one request', async () => {
    const orders = fresh();
    const ids = expected.slice(0, 20).map((o) => o.id);
    const found = await orders.getOrders([
      ...ids,
      '00000000-0000-4000-8000-000000000000',
      ids[0] ?? '',
    ]);
    expect(orderQueries()).toBe(1);
    expect([...found.keys()].sort()).toEqual([...ids].sort());
    expect(found.get(ids[3] ?? '')?.number).toBe(expected[3]?.number);
    expect((await orders.getOrders([])).size).toBe(0);
    expect(orderQueries()).toBe(1);
  });
});
