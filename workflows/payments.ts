import type { Order } from '../connectors/orders.js';
import type { Payment } from '../connectors/payments.js';
import { settleDiscountUse } from './discount-uses.js';
import { changeOrder } from './order-updates.js';
import type { CommerceServices } from './services.js';

/**
 * Moves an order on according to its payment, as the processor reports it now (never as a
 * webhook said it was: events arrive late, twice and out of order). A succeeded payment makes the
 * order PAID and raises OrderPaid; a failed attempt makes it PAYMENT_FAILED. Idempotent.
 */
export async function settlePayment(
  services: CommerceServices,
  paymentId: string,
): Promise<Order | null> {
  const payment = await services.connectors.payments.getFreshPayment(paymentId);
  if (!payment?.orderId) {
    services.logger.warn({ paymentId }, 'payment event for a payment that names no order');
    return null;
  }
  const order = await changeOrder(services, payment.orderId, (current) =>
    current.payment?.id === payment.id ? settledChange(current, payment) : null,
  );
  if (order.status === 'PAID') await services.flow.raise('OrderPaid', order);
  else if (order.status === 'PAYMENT_FAILED') await services.flow.raise('PaymentFailed', order);
  // After the order's handlers are queued, so that the discount code's upstream never delays
  // them; a failure here fails the settlement, which the webhook's redelivery or the reconciler
  // repeats.
  await settleDiscountUse(services, order);
  return order;
}

function settledChange(order: Order, payment: Payment) {
  if (payment.status === 'SUCCEEDED') {
    return order.status === 'PENDING_PAYMENT' || order.status === 'PAYMENT_FAILED'
      ? { status: 'PAID' as const }
      : null;
  }
  const failed =
    payment.status === 'CANCELED' ||
    (payment.status === 'REQUIRES_PAYMENT_METHOD' && payment.lastErrorCode !== null);
  return failed && order.status === 'PENDING_PAYMENT'
    ? { status: 'PAYMENT_FAILED' as const }
    : null;
}
