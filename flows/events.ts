/**
 * The events of an order's flow (CONTRACT §7). Workflows raise them; the flows file names the
 * handlers that run after each. This file imports nothing, so workflows may depend on it while
 * the rest of flows/ depends on workflows.
 */
export const FLOW_EVENTS = [
  'OrderPlaced',
  'OrderPaid',
  'PaymentFailed',
  'OrderFulfilled',
  'FulfillmentFailed',
  'RefundRequested',
  'OrderRefunded',
] as const;
export type FlowEventType = (typeof FLOW_EVENTS)[number];

/** The synchronous decision points where filters may refuse. */
export const FILTER_POINTS = ['purchase'] as const;
export type FilterPoint = (typeof FILTER_POINTS)[number];

export function isFlowEventType(name: string): name is FlowEventType {
  return (FLOW_EVENTS as readonly string[]).includes(name);
}

/**
 * An event's id derives from its order and type: each type happens once per order, so every
 * handler, and every retry of one, sees the same id (what a webhook receiver deduplicates by).
 */
export function flowEventId(type: FlowEventType, orderId: string): string {
  return `evt_${orderId}_${type}`;
}

/** One handler's job: (event, order, handler) is done once, whatever raises the event again. */
export interface HandlerJob {
  event: FlowEventType;
  /** The handler's id in the flows file: its name, with `#2`, `#3`… for a repeated name. */
  handler: string;
  orderId: string;
}

/**
 * The handlers that move an order through its state machine. They are part of every flow (the
 * flows file cannot drop them or make them optional), so the workflows may name them.
 */
export const FULFILLMENT_JOB = { event: 'OrderPaid', handler: 'fulfillment' } as const;
export const REVOCATION_JOB = { event: 'RefundRequested', handler: 'revocation' } as const;
