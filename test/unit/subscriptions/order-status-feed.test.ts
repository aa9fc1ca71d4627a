import { setImmediate as nextTurn } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderChannel } from '../../../subscriptions/order-events.js';
import { createOrderStatusFeed } from '../../../subscriptions/order-status-feed.js';
import type { OrderStatusChange } from '../../../workflows/services.js';
import { RedisServer, waitFor } from '../../support/redis-servers.js';

// A server of its own: the test counts the UNSUBSCRIBE commands Redis received, which on the
// shared Redis every other test's gateway sends too.
let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

/** The feed on a subscriber connection of its own; these tests never read an order. */
function startFeed(errors: unknown[]) {
  const orders = {
    getOrders: () => Promise.reject(new Error('the feed tests read no order')),
  };
  return createOrderStatusFeed(new Redis(server.url), 'feed-test:', (e) => errors.push(e), orders);
}

async function unsubscribeCalls(): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/^cmdstat_unsubscribe:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

/** Waits until Redis counts `expected` subscribers of the channel. */
function subscribersOf(channel: string, expected: number): Promise<void> {
  return waitFor(`${expected} subscribers of ${channel}`, async () => {
    const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
    return count === expected;
  });
}

describe('the order status feed', () => {
  it('unsubscribes the channels left in one turn of the loop with one command per thousand', async () => {
    const errors: unknown[] = [];
    const { feed, close } = startFeed(errors);
    try {
      const ids = Array.from({ length: 1500 }, (_, i) => `order-${i}`);
      const releases = await Promise.all(ids.map((id) => feed.watchOrder(id, () => {})));
      expect(await redis.pubsub('NUMPAT')).toBe(0);
      expect(((await redis.pubsub('CHANNELS', 'feed-test:*')) as string[]).length).toBe(1500);
      const before = await unsubscribeCalls();
      for (const release of releases) release();
      await subscribersOf(orderChannel('feed-test:', ids.at(-1)!), 0);
      expect(await redis.pubsub('CHANNELS', 'feed-test:*')).toEqual([]);
      expect((await unsubscribeCalls()) - before).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      close();
    }
  });

  it('keeps delivering to a channel watched again before its UNSUBSCRIBE went out', async () => {
    const errors: unknown[] = [];
    const { feed, close } = startFeed(errors);
    try {
      const channel = orderChannel('feed-test:', 'order-again');
      const release = await feed.watchOrder('order-again', () => {});
      const before = await unsubscribeCalls();
      release();
      const received: OrderStatusChange[] = [];
      const watching = feed.watchOrder('order-again', (change) => received.push(change));
      // The flush has had its turn: nothing was left to unsubscribe.
      await nextTurn();
      await watching;
      expect((await unsubscribeCalls()) - before).toBe(0);
      await subscribersOf(channel, 1);
      const change = { orderId: 'order-again', version: 7 } as OrderStatusChange;
      await redis.publish(channel, JSON.stringify(change));
      await waitFor('the change delivered', () => Promise.resolve(received.length > 0), 2000);
      expect(received).toEqual([change]);
      // Released for good, it is unsubscribed.
      (await watching)();
      await subscribersOf(channel, 0);
      expect(errors).toEqual([]);
    } finally {
      close();
    }
  });
});
