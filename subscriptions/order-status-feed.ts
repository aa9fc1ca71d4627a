import type { Cluster, Redis } from 'ioredis';
import type { OrderConnector } from '../connectors/orders.js';
import type { OrderStatusChange, OrderStatusFeed } from '../workflows/services.js';
import { orderChannel, ownerChannel } from './order-events.js';
import { createSharedOrderReads } from './order-reads.js';

type Listener = (change: OrderStatusChange) => void;

/** Channels one UNSUBSCRIBE names at most. */
const UNSUBSCRIBE_BATCH = 1000;

/**
 * The status feed of one process: one Redis connection in subscriber mode and one Redis
 * subscription per channel, however many clients watch it. The first watcher of a channel
 * subscribes (and waits for Redis to confirm), the last one to leave unsubscribes.
 *
 * In a Cluster these are sharded subscriptions (SSUBSCRIBE), to match the publisher's SPUBLISH
 * (see `createOrderEventPublisher` for why): ioredis keeps one subscriber connection per master
 * (`shardedSubscribers`) and, when a shard fails over, subscribes again on its new master.
 *
 * Unsubscribing waits for the end of the event loop's turn and names every channel left in it at
 * once: when thousands of clients go together (a load balancer restarting, a network blip), one
 * UNSUBSCRIBE each held the loop for half a second of socket writes with 20,000 clients (the
 * fan-out bench's teardown, in a CPU profile). Sharded unsubscribes stay one per channel: one
 * SUNSUBSCRIBE may only name channels of one slot.
 *
 * graphql-redis-subscriptions does the same reference counting, but it brings its own ioredis 5
 * whose typings refuse this project's ioredis 6 clients; this is the little of it we need.
 */
export function createOrderStatusFeed(
  /** A connection of its own: it is put in subscriber mode. */
  subscriber: Redis | Cluster,
  keyPrefix: string,
  onError: (error: unknown) => void,
  orders: Pick<OrderConnector, 'getOrders'>,
) {
  const reads = createSharedOrderReads(orders);
  const channels = new Map<string, { listeners: Set<Listener>; ready: Promise<unknown> }>();
  /** Channels no one watches any more, still subscribed until the next flush. */
  const leaving = new Set<string>();
  let flushing: NodeJS.Immediate | null = null;

  const sharded = subscriber.isCluster;
  const flushLeaving = () => {
    flushing = null;
    const batch = [...leaving];
    leaving.clear();
    for (let i = 0; i < batch.length; i += UNSUBSCRIBE_BATCH) {
      subscriber.unsubscribe(...batch.slice(i, i + UNSUBSCRIBE_BATCH)).catch(onError);
    }
  };
  const unsubscribe = (channel: string) => {
    if (sharded) {
      subscriber.sunsubscribe(channel).catch(onError);
      return;
    }
    leaving.add(channel);
    flushing ??= setImmediate(flushLeaving);
  };

  subscriber.on(sharded ? 'smessage' : 'message', (channel: string, message: string) => {
    const entry = channels.get(channel);
    if (!entry) return;
    let event: OrderStatusChange;
    try {
      event = JSON.parse(message) as OrderStatusChange;
    } catch (error) {
      onError(error);
      return;
    }
    for (const listener of entry.listeners) listener(event);
  });

  const watch = async (channel: string, listener: Listener): Promise<() => void> => {
    let entry = channels.get(channel);
    if (!entry) {
      // Watched again before its UNSUBSCRIBE went out: Redis never stopped sending it.
      const stillSubscribed = leaving.delete(channel);
      entry = {
        listeners: new Set(),
        ready: stillSubscribed
          ? Promise.resolve()
          : sharded
            ? subscriber.ssubscribe(channel)
            : subscriber.subscribe(channel),
      };
      channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    try {
      await entry.ready;
    } catch (error) {
      entry.listeners.delete(listener);
      if (entry.listeners.size === 0) channels.delete(channel);
      throw error;
    }
    const watched = entry;
    return () => {
      if (!watched.listeners.delete(listener) || watched.listeners.size > 0) return;
      channels.delete(channel);
      unsubscribe(channel);
    };
  };

  const feed: OrderStatusFeed = {
    watchOrder: (orderId, listener) => watch(orderChannel(keyPrefix, orderId), listener),
    watchOwner: (ownerId, listener) => watch(ownerChannel(keyPrefix, ownerId), listener),
    readOrder: (orderId) => reads.read(orderId),
  };
  return {
    feed,
    close: () => {
      if (flushing) clearImmediate(flushing);
      subscriber.disconnect();
    },
  };
}
