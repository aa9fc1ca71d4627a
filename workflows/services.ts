import type { Logger } from 'pino';
import type { Connectors } from '../connectors/index.js';
import type { Order } from '../connectors/orders.js';
import type { FilterPoint, FlowEventType, HandlerJob } from '../flows/events.js';
import type { UserError } from './user-errors.js';

/**
 * What the commerce workflows need besides the connectors. Each is an interface here and is
 * implemented at the edges (flows/, jobs/, subscriptions/, Redis), so workflows stay free of them.
 */
export interface CommerceServices {
  connectors: Connectors;
  jobs: OrderJobs;
  flow: OrderFlow;
  timelines: OrderTimelines;
  events: OrderEvents;
  purchases: PurchaseRegistry;
  logger: Logger;
  /** A paid order unfulfilled for longer than this needs support's attention. */
  attentionAfterMs: number;
}

/**
 * Background work per order: one job per (event, order, handler), whose id derives from the three,
 * so adding it twice adds nothing.
 */
export interface OrderJobs {
  /**
   * Makes sure the handler's job exists (waiting, running, or finished). `snapshot` is the order
   * as the caller just wrote it: the job starts from it instead of reading it again (and reads
   * it only when someone changed it since).
   */
  enqueue(job: HandlerJob, snapshot?: Order): Promise<void>;
  /** Runs the handler's job again, whatever state it ended in. */
  rerun(job: HandlerJob): Promise<void>;
  /** Whether the handler's job is waiting, delayed or running. */
  isPending(job: HandlerJob): Promise<boolean>;
}

/** One line of an order's timeline (CONTRACT §7). */
export interface TimelineEntry {
  at: string;
  kind: 'EVENT' | 'HANDLER' | 'FILTER';
  name: string;
  outcome: 'RAISED' | 'SUCCEEDED' | 'RETRYING' | 'FAILED' | 'ALLOWED';
  detail: string | null;
  /** The detail is for staff only (an upstream's error, a retry's reason). */
  staffOnly: boolean;
}

/** One entry for a timeline, with the key that keeps it from being added twice. */
export interface TimelineItem {
  entry: TimelineEntry;
  onceKey: string;
}

/** Each order's timeline: appended as things happen, kept across restarts, bounded in length. */
export interface OrderTimelines {
  /**
   * Appends each entry, in order, unless an entry with the same `onceKey` was appended before:
   * an event raised many times (a webhook delivered five times) shows once. All of them go in
   * one round trip, atomically.
   */
  append(orderId: string, items: readonly TimelineItem[]): Promise<void>;
  /** Oldest first. */
  list(orderId: string): Promise<TimelineEntry[]>;
}

/** What a filter point is asked about: the buyer and what they are about to buy. */
export interface PurchaseCheck {
  buyer: { userId: string; username: string; email: string | null; name: string | null };
  skus: readonly string[];
}

/** The order flow as the flows file configures it (implemented in flows/engine.ts). */
export interface OrderFlow {
  /** Raises the event: each handler configured for it runs once, as its own job. Idempotent. */
  raise(type: FlowEventType, order: Order): Promise<void>;
  /** Runs the point's filters in order; the first refusal is returned, null when all allow. */
  screen(point: FilterPoint, check: PurchaseCheck): Promise<UserError | null>;
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

/** An order's status change, as published to every process (see subscriptions/order-events.ts). */
export interface OrderStatusChange {
  orderId: string;
  ownerId: string;
  status: Order['status'];
  lines: { id: string; status: Order['lines'][number]['status'] }[];
  /** The order system's version: newer changes carry higher versions, so stale ones can be dropped. */
  version: number;
  occurredAt: string;
  /** The whole order after the change, so no subscriber has to read it again. */
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
