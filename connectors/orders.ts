import type { Money } from './money.js';

export const ORDER_STATUSES = [
  'PENDING_PAYMENT',
  'PAID',
  'PAYMENT_FAILED',
  'FULFILLING',
  'FULFILLED',
  'FULFILLMENT_ERROR',
  'REFUND_PENDING',
  'REFUNDED',
  'REFUND_ERROR',
  'PARTIALLY_REFUNDED',
  'DISPUTED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const LINE_STATUSES = [
  'PENDING',
  'FULFILLED',
  'FULFILLMENT_ERROR',
  'REVOKED',
  'REVOCATION_ERROR',
  'REFUNDED',
] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

export interface OrderLine {
  id: string;
  sku: string;
  courseRunKey: string;
  mode: string;
  /** The catalog price when the order was placed. */
  price: Money;
  /** What a discount code took off the price (zero when none did). */
  discount: Money;
  status: LineStatus;
}

/** The discount code an order was placed with, and what it took off in all. */
export interface OrderDiscount {
  code: string;
  codeId: string;
  amount: Money;
}

export interface PaymentReference {
  provider: string;
  id: string;
}

export interface Order {
  id: string;
  /** The order system's optimistic-concurrency version, needed for every update. */
  version: number;
  number: string;
  /** The LMS user id of the learner who placed it. */
  ownerId: string;
  ownerUsername: string;
  /** Where the learner's receipts go; null when the token carried no email. */
  ownerEmail: string | null;
  status: OrderStatus;
  placedAt: string;
  total: Money;
  payment: PaymentReference | null;
  lines: OrderLine[];
  discount: OrderDiscount | null;
  /** The purchase's idempotency key, unique per owner. */
  idempotencyKey: string | null;
  /** The processor's refund, once one was made. */
  refundId: string | null;
  /** The idempotency key of the refund request that last moved it to REFUND_PENDING. */
  refundRequestKey: string | null;
  /**
   * The lines the refund (or dispute) in progress gives back and revokes; empty when none is in
   * progress, and on a refund requested before refunds of lines, which covers every line.
   */
  refundLineIds: string[];
  /** The money of the refund in progress moved at the processor: the gateway makes no refund. */
  refundAtProcessor: boolean;
  /** Minor units refunded at the processor, not by the gateway, already matched to lines. */
  processorRefundedMinor: number;
}

export interface NewOrderLine {
  sku: string;
  courseRunKey: string;
  mode: string;
  /** The product's name, shown by the order system. */
  title: string;
  price: Money;
  /** Taken off the price by the order's discount code; absent when nothing was. */
  discount?: Money;
}

/** An order as the gateway computed it from the catalog, before the order system stores it. */
export interface NewOrder {
  number: string;
  ownerId: string;
  ownerUsername: string;
  ownerEmail: string | null;
  status: OrderStatus;
  total: Money;
  idempotencyKey: string;
  lines: NewOrderLine[];
  /** The code the lines' discounts come from. */
  discountCode?: { id: string; code: string };
}

/** The fields an update may change; absent fields stay as they are. */
export interface OrderChange {
  status?: OrderStatus;
  payment?: PaymentReference;
  /** null forgets the previous refund's id (a new refund of other lines starts). */
  refundId?: string | null;
  refundRequestKey?: string;
  refundLineIds?: string[];
  refundAtProcessor?: boolean;
  processorRefundedMinor?: number;
  /** New statuses of some lines, by line id. */
  lineStatuses?: Record<string, LineStatus>;
}

/** Where a page of a customer's orders starts: just after this order, newest first. */
export interface OrderPosition {
  placedAt: string;
  id: string;
}

export interface OrderPage {
  orders: Order[];
  hasNextPage: boolean;
}

/** The order-management system (first implementation: commercetools). */
export interface OrderConnector {
  /** A customer's orders, newest first (ties broken by id), starting after `after`. */
  listCustomerOrders(args: {
    ownerId: string;
    first: number;
    after?: OrderPosition;
  }): Promise<OrderPage>;
  /** Orders by id, in one upstream request; unknown ids are absent from the map. */
  getOrders(ids: readonly string[]): Promise<Map<string, Order>>;
  /** Stores a new order; the order system assigns its id. */
  createOrder(order: NewOrder): Promise<Order>;
  /**
   * Applies the change to exactly this version of the order. Throws UpstreamConflictError when
   * the order changed since: the caller re-reads it and decides again.
   */
  updateOrder(order: Pick<Order, 'id' | 'version'>, change: OrderChange): Promise<Order>;
  /** The owner's order placed with this purchase idempotency key, or null. */
  findOrderByIdempotencyKey(ownerId: string, idempotencyKey: string): Promise<Order | null>;
  /**
   * Orders in one of the statuses, last modified in the given window, oldest change first: what
   * the reconciler looks at to move orders left behind. `offset` pages through more than `limit`.
   */
  listOrdersInStatus(
    statuses: readonly OrderStatus[],
    args: { modifiedBefore: string; modifiedAfter?: string; limit: number; offset?: number },
  ): Promise<Order[]>;
  /**
   * Orders support should look at, newest first (ties broken by id), starting after `after`:
   * those in one of `failed`, and those in one of `stuck` unchanged since `stuckSince`.
   */
  listOrdersNeedingAttention(args: {
    failed: readonly OrderStatus[];
    stuck: readonly OrderStatus[];
    stuckSince: string;
    first: number;
    after?: OrderPosition;
  }): Promise<OrderPage>;
  checkReachable(): Promise<void>;
}
