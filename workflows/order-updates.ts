import { UpstreamConflictError } from '../connectors/errors.js';
import type { Order, OrderChange } from '../connectors/orders.js';
import { recordOrderStatus } from './order-log.js';
import { canTransition, InvalidTransitionError } from './order-state.js';
import type { CommerceServices } from './services.js';

const MAX_ATTEMPTS = 8;

/** The order system no longer has an order that a job or webhook refers to. */
export class OrderNotFoundError extends Error {
  override name = 'OrderNotFoundError';
  constructor(orderId: string) {
    super(`Order ${orderId} was not found`);
  }
}

/**
 * The one way an order changes. `decide` looks at the order as it is now and returns the change
 * to make, or null for none; when another process changed the order first (a version conflict),
 * the order is read again and `decide` asked again. Every status change is then published.
 */
export async function changeOrder(
  services: Pick<CommerceServices, 'connectors' | 'events' | 'logger'>,
  orderId: string,
  decide: (order: Order) => OrderChange | null,
  known?: Order,
): Promise<Order> {
  let order = known ?? (await readOrder(services, orderId));
  for (let attempt = 1; ; attempt += 1) {
    const change = decide(order);
    if (!change || isNoOp(order, change)) return order;
    if (change.status && change.status !== order.status) {
      if (!canTransition(order.status, change.status)) {
        throw new InvalidTransitionError(order.status, change.status);
      }
    }
    try {
      const updated = await services.connectors.orders.updateOrder(order, change);
      if (updated.status !== order.status)
        recordOrderStatus(services.logger, updated, order.status);
      if (updated.status !== order.status || change.lineStatuses) {
        await services.events.publish(updated);
      }
      return updated;
    } catch (error) {
      if (!(error instanceof UpstreamConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      order = await readOrder(services, orderId);
    }
  }
}

/** The order as the order system has it now. */
export async function readOrder(
  services: Pick<CommerceServices, 'connectors'>,
  orderId: string,
): Promise<Order> {
  const order = (await services.connectors.orders.getOrders([orderId])).get(orderId);
  if (!order) throw new OrderNotFoundError(orderId);
  return order;
}

function isNoOp(order: Order, change: OrderChange): boolean {
  const lines = Object.entries(change.lineStatuses ?? {});
  return (
    (change.status === undefined || change.status === order.status) &&
    (change.payment === undefined || change.payment.id === order.payment?.id) &&
    (change.refundId === undefined || change.refundId === order.refundId) &&
    (change.refundRequestKey === undefined || change.refundRequestKey === order.refundRequestKey) &&
    (change.refundLineIds === undefined ||
      change.refundLineIds.join(',') === order.refundLineIds.join(',')) &&
    (change.refundAtProcessor === undefined ||
      change.refundAtProcessor === order.refundAtProcessor) &&
    (change.processorRefundedMinor === undefined ||
      change.processorRefundedMinor === order.processorRefundedMinor) &&
    lines.every(([id, status]) => order.lines.find((line) => line.id === id)?.status === status)
  );
}
