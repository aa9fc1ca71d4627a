import type { Cluster, Redis } from 'ioredis';
import type { Order } from '../connectors/orders.js';
import type { OrderEvents, OrderStatusChange } from '../workflows/services.js';

/** What subscribers receive: the one status-change type, under the name this layer used. */
export type OrderStatusEvent = OrderStatusChange;

/** The Redis channel of one order's status changes. */
export function orderChannel(keyPrefix: string, orderId: string): string {
  return `${keyPrefix}orders:${orderId}:status`;
}

/** The Redis channel of every status change of one learner's orders. */
export function ownerChannel(keyPrefix: string, ownerId: string): string {
  return `${keyPrefix}owners:${ownerId}:order-status`;
}

export function toStatusEvent(order: Order): OrderStatusChange {
  return {
    orderId: order.id,
    ownerId: order.ownerId,
    status: order.status,
    lines: order.lines.map((line) => ({ id: line.id, status: line.status })),
    version: order.version,
    occurredAt: new Date().toISOString(),
    order,
  };
}

/**
 * Publishes order status changes on Redis pub/sub, so every process's subscribers hear them.
 *
 * In a Cluster it is sharded pub/sub (SPUBLISH, Redis 7): a channel lives on the shard of its
 * slot, so every change of one channel passes through one node, in the order it was published.
 * A classic PUBLISH goes to whichever node takes it and crosses the cluster bus to the others,
 * where two quick changes can arrive swapped: the stream then drops the older as stale, and a
 * learner never sees FULFILLING. `createOrderStatusFeed` subscribes to match (SSUBSCRIBE).
 */
export function createOrderEventPublisher(redis: Redis | Cluster, keyPrefix: string): OrderEvents {
  const send = (channel: string, message: string) =>
    redis.isCluster ? redis.spublish(channel, message) : redis.publish(channel, message);
  return {
    async publish(order) {
      const message = JSON.stringify(toStatusEvent(order));
      // The commands connection auto-pipelines (on one server or Sentinel): both go in one write.
      await Promise.all([
        send(orderChannel(keyPrefix, order.id), message),
        send(ownerChannel(keyPrefix, order.ownerId), message),
      ]);
    },
  };
}
