import type { OrderStatus } from '../connectors/orders.js';

/**
 * The order state machine of the contract. A free order is created PAID; a payment that failed
 * may still succeed on a later attempt with the same payment, and money taken must be fulfilled.
 * A dispute opened while a refund is in progress waits for it to end (see reversals.ts).
 */
const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING_PAYMENT: ['PAID', 'PAYMENT_FAILED'],
  PAYMENT_FAILED: ['PAID'],
  PAID: ['FULFILLING'],
  FULFILLING: ['FULFILLED', 'FULFILLMENT_ERROR'],
  FULFILLMENT_ERROR: ['FULFILLING'],
  FULFILLED: ['REFUND_PENDING', 'DISPUTED'],
  REFUND_PENDING: ['REFUNDED', 'PARTIALLY_REFUNDED', 'REFUND_ERROR'],
  PARTIALLY_REFUNDED: ['REFUND_PENDING', 'DISPUTED'],
  REFUNDED: [],
  REFUND_ERROR: [],
  DISPUTED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A workflow tried a transition the state machine forbids: a bug, never a user's doing. */
export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
  constructor(from: OrderStatus, to: OrderStatus) {
    super(`An order cannot go from ${from} to ${to}`);
  }
}
