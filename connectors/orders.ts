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
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const LINE_STATUSES = [
  'PENDING',
  'FULFILLED',
  'FULFILLMENT_ERROR',
  'REVOKED',
  'REVOCATION_ERROR',
] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

export interface OrderLine {
  id: string;
  sku: string;
  courseRunKey: string;
  mode: string;
  price: Money;
  status: LineStatus;
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
  status: OrderStatus;
  placedAt: string;
  total: Money;
  payment: PaymentReference | null;
  lines: OrderLine[];
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
  checkReachable(): Promise<void>;
}
