import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { orderChannel } from '../../subscriptions/order-events.js';
import { contractOperation, graphql } from '../support/client.js';
import {
  enrollmentPosts,
  newLearner,
  PAID_AND_FULFILLED,
  payWithSandboxCard,
  purchase,
  statusesUntilFulfilled,
  waitForOrderStatus,
  watchOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { purchaseBurst } from '../support/purchase-burst.js';
import { RedisClusterFixture } from '../support/redis-cluster.js';
import { onServer } from '../support/redis-servers.js';
import { deliverStripeEvent, paymentSucceededEvent } from '../support/stripe-events.js';

const SEAT = demoSeat('course-v1:SandboxX+WEB110+3T2026', 'verified');
describe('on a Redis Cluster of 3 masters and 3 replicas', () => {
  let cluster: RedisClusterFixture;
  let gw: TestGateway;
  beforeAll(async () => {
    cluster = await RedisClusterFixture.start(3);
    gw = await startTestGateway({ REDIS_CLUSTER_NODES: cluster.seedNodes, JOB_BACKOFF_MS: '50' });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await cluster?.destroy();
  });

  /** Keys under the gateway's prefix on each master, by master. */
  const keysByMaster = () =>
    Promise.all(
      cluster.masters.map((server) =>
        onServer(server.port, (redis) => redis.keys(`${gw.keyPrefix}*`)),
      ),
    );

  it('takes a purchase to FULFILLED with its live events, once per webhook event and per idempotency key', async () => {
    const learner = await newLearner('cluster');
    const idempotencyKey = randomUUID();
    const placed = await purchase(gw.url, learner.token, [SEAT.sku], idempotencyKey);
    const again = await purchase(gw.url, learner.token, [SEAT.sku], idempotencyKey);
    expect(again.order?.id).toBe(placed.order!.id);

    const watched = watchOrderStatus(gw.url, learner.token, placed.order!.id);
    await watched.until((results) => results.length >= 1);
    // The processor's own webhook is held back: the same event is delivered by hand, 4 times.
    gw.sandbox.stripe!.pauseWebhooks();
    try {
      expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id)).toBe(200);
      const posts = enrollmentPosts(gw.sandbox);
      const event = paymentSucceededEvent(placed.payment!.id);
      const deliveries = await Promise.all(
        Array.from({ length: 3 }, () => deliverStripeEvent(gw, event)),
      );
      expect(deliveries.map((delivery) => delivery.status)).toEqual([200, 200, 200]);
      await waitForOrderStatus(gw.url, learner.token, placed.order!.id, 'FULFILLED');
      expect((await deliverStripeEvent(gw, event)).status).toBe(200);
      expect(await statusesUntilFulfilled(watched)).toEqual(PAID_AND_FULFILLED);
      expect(enrollmentPosts(gw.sandbox) - posts).toBe(1);
    } finally {
      gw.sandbox.stripe!.resumeWebhooks();
      await watched.dispose();
    }
  });

  it('serves the catalog from its cache, spread over the shards, with the queue on one slot', async () => {
    const first = await graphql(gw.url, contractOperation('CourseCatalog'), { first: 10 });
    expect(first.body.errors).toBeUndefined();
    const fetches = () => gw.sandbox.discovery!.stats()['GET /api/v1/course_runs/'] ?? 0;
    const before = fetches();
    const second = await graphql(gw.url, contractOperation('CourseCatalog'), { first: 10 });
    expect(second.body).toEqual(first.body);
    expect(fetches()).toBe(before);

    const byMaster = await keysByMaster();
    const withCatalog = byMaster.filter((keys) => keys.some((key) => key.includes(':catalog:')));
    expect(withCatalog.length).toBeGreaterThan(1);
    const withQueue = byMaster.filter((keys) => keys.some((key) => key.includes('{bull}')));
    expect(withQueue).toHaveLength(1);
  });

  /** An order placed by a new learner whose status channel hashes to the first master's slots. */
  const orderOnFirstMaster = async () => {
    const lastSlotOfFirst = Math.floor(16_384 / cluster.masters.length) - 1;
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const learner = await newLearner('shard');
      const placed = await purchase(gw.url, learner.token, [SEAT.sku], randomUUID());
      const channel = orderChannel(gw.keyPrefix, placed.order!.id);
      const slot = await onServer(cluster.masters[1]!.port, (redis) =>
        redis.cluster('KEYSLOT', channel),
      );
      if (slot <= lastSlotOfFirst) return { learner, placed };
    }
    throw new Error('no order channel on the first master in 40 tries');
  };

  it('fulfills every order of a burst of 50, once each, across a CLUSTER FAILOVER in its middle, and a live subscription on the failed-over shard goes on', async () => {
    // Sharded pub/sub: the channel lives on the shard that fails over; the subscriber must
    // follow it to the promoted replica.
    const { learner, placed } = await orderOnFirstMaster();
    const watched = watchOrderStatus(gw.url, learner.token, placed.order!.id);
    await watched.until((results) => results.length >= 1);
    const channel = orderChannel(gw.keyPrefix, placed.order!.id);
    expect(
      await onServer(cluster.masters[0]!.port, (redis) =>
        redis.call('PUBSUB', 'SHARDCHANNELS', channel),
      ),
    ).toEqual([channel]);

    const posts = enrollmentPosts(gw.sandbox);
    let promotedPort = 0;
    const orders = await purchaseBurst(gw, {
      count: 50,
      concurrency: 10,
      midway: async () => {
        const failover = await cluster.startFailover();
        return { done: failover.done.then((promoted) => (promotedPort = promoted.port)) };
      },
    });
    expect(promotedPort).toBe(cluster.replicas[0]!.port);
    expect(new Set(orders.map((order) => order.orderId)).size).toBe(50);
    // Late duplicates would show up as extra enrollment calls: give them a moment to appear.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(enrollmentPosts(gw.sandbox) - posts).toBe(50);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(((await ready.json()) as { checks: { redis: string } }).checks.redis).toBe('ok');

    try {
      expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id)).toBe(200);
      expect(await statusesUntilFulfilled(watched)).toEqual(PAID_AND_FULFILLED);
    } finally {
      await watched.dispose();
    }
  }, 120_000);
});
