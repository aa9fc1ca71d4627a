import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Order, OrderStatus } from '../connectors/orders.js';

/**
 * The one line written for each status an order takes (its placing included), also naming the
 * order on the span of the request or job that changed it, so a trace can be found by order.
 */
export function recordOrderStatus(logger: Logger, order: Order, from: OrderStatus | null): void {
  trace.getActiveSpan()?.setAttributes({ 'order.id': order.id, 'order.status': order.status });
  logger.info(
    { orderId: order.id, orderNumber: order.number, from, to: order.status },
    'order status changed',
  );
}
