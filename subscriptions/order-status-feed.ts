import type { Cluster, Redis } from 'ioredis';
import type { OrderConnector } from '../connectors/orders.js';
import type { OrderStatusChange, OrderStatusFeed } from '../workflows/services.js';
import { orderChannel, ownerChannel } from './order-events.js';
import { createSharedOrderReads } from './order-reads.js';

type Listener = (change: OrderStatusChange) => void;

/**
 * The status feed of one process: one Redis connection in subscriber mode and one Redis
 * subscription per channel, however many clients watch it. The first watcher of a channel
 * subscribes (and waits for Redis to confirm), the last one to leave unsubscribes.
 *
 * In a Cluster these are sharded subscriptions (SSUBSCRIBE), to match the publisher's SPUBLISH
 * (see `createOrderEventPublisher` for why): ioredis keeps one subscriber connection per master
 * (`shardedSubscribers`) and, when a shard fails over, subscribes again on its new master.
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

  const sharded = subscriber.isCluster;
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
      entry = {
        listeners: new Set(),
        ready: sharded ? subscriber.ssubscribe(channel) : subscriber.subscribe(channel),
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
      (sharded ? subscriber.sunsubscribe(channel) : subscriber.unsubscribe(channel)).catch(onError);
    };
  };

  const feed: OrderStatusFeed = {
    watchOrder: (orderId, listener) => watch(orderChannel(keyPrefix, orderId), listener),
    watchOwner: (ownerId, listener) => watch(ownerChannel(keyPrefix, ownerId), listener),
    readOrder: (orderId) => reads.read(orderId),
  };
  return {
    feed,
    close: () => subscriber.disconnect(),
  };
}
