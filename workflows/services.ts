import type { Logger } from 'pino';
import type { Connectors } from '../connectors/index.js';
import type { Order } from '../connectors/orders.js';

/**
 * What the commerce workflows need besides the connectors. Each is an interface here and is
 * implemented at the edges (jobs/, subscriptions/, Redis), so workflows stay free of them.
 */
export interface CommerceServices {
  connectors: Connectors;
  jobs: OrderJobs;
  events: OrderEvents;
  purchases: PurchaseRegistry;
  logger: Logger;
  /** A paid order unfulfilled for longer than this needs support's attention. */
  attentionAfterMs: number;
}

export type OrderJobKind = 'fulfillment' | 'refund';

/** Background work per order; each job's id derives from the order, so adding it twice adds nothing. */
export interface OrderJobs {
  /**
   * Makes sure the order's job of that kind exists (waiting, running, or finished). `snapshot`
   * is the order as the caller just wrote it: the job starts from it instead of reading it again
   * (and reads it only when someone changed it since).
   */
  enqueue(kind: OrderJobKind, orderId: string, snapshot?: Order): Promise<void>;
  /** Runs the order's job of that kind again, whatever state it ended in. */
  rerun(kind: OrderJobKind, orderId: string): Promise<void>;
  /** Whether the order's job of that kind is waiting, delayed or running. */
  isPending(kind: OrderJobKind, orderId: string): Promise<boolean>;
}

/** Publishes every status change of an order, to whoever listens in any process. */
export interface OrderEvents {
  publish(order: Order): Promise<void>;
}

/**
 * Coordinates concurrent purchases with the same idempotency key: one request creates the order,
 * the others wait for it. The order system stays the source of truth (the order carries its key).
 */
export interface PurchaseRegistry {
  /** The order id recorded for the key, or null. */
  find(ownerId: string, idempotencyKey: string): Promise<string | null>;
  /** Claims the right to create the order; false when another request holds the claim. */
  claim(ownerId: string, idempotencyKey: string): Promise<boolean>;
  /** Records the order created for the key and gives up the claim. */
  complete(ownerId: string, idempotencyKey: string, orderId: string): Promise<void>;
  /** Gives up the claim without an order (nothing was created). */
  release(ownerId: string, idempotencyKey: string): Promise<void>;
  /** Drops the key's record if it still names this order (one the order system no longer has). */
  forget(ownerId: string, idempotencyKey: string, orderId: string): Promise<void>;
  /** Waits until the key has an order or its claim lapses; null when it lapsed. */
  waitFor(ownerId: string, idempotencyKey: string, timeoutMs: number): Promise<string | null>;
}

/** A status event as published for an order (see subscriptions/order-events.ts). */
export interface OrderStatusChange {
  orderId: string;
  ownerId: string;
  status: Order['status'];
  lines: { id: string; status: Order['lines'][number]['status'] }[];
  version: number;
  /** The whole order after the change. */
  order: Order;
}

/**
 * Status changes as they happen, from any process. `watch` resolves once listening has begun,
 * so a state read after it cannot miss a change; it returns the way to stop listening.
 */
export interface OrderStatusFeed {
  watchOrder(orderId: string, listener: (change: OrderStatusChange) => void): Promise<() => void>;
  watchOwner(ownerId: string, listener: (change: OrderStatusChange) => void): Promise<() => void>;
  /**
   * The order as the order system has it now, or null: the state a subscription starts from.
   * Concurrent reads share requests and unknown ids are remembered a moment (a flood of guesses).
   */
  readOrder(orderId: string): Promise<Order | null>;
}
