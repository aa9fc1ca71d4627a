import { UpstreamRejectedError } from '../connectors/errors.js';
import type { Order } from '../connectors/orders.js';
import type { Refund } from '../connectors/payments.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import {
  runModules,
  settleLines,
  TransientFulfillmentError,
  type FulfillmentModules,
  type RunOptions,
} from './fulfillment.js';
import { findOrder } from './orders.js';
import { changeOrder, readOrder } from './order-updates.js';
import { checkIdempotencyKey } from './purchase.js';
import type { CommerceServices } from './services.js';
import type { UserError } from './user-errors.js';

export interface RefundResult {
  order: Order | null;
  refund: Refund | null;
  userErrors: UserError[];
}

const MAX_REASON_LENGTH = 500;

/**
 * Refunds a fulfilled order: the order becomes REFUND_PENDING, the money is given back through
 * the processor (its idempotency key derives from the order, so it is given back once), and
 * RefundRequested is raised: its revocation handler revokes every fulfilled line. The same request key returns the same refund.
 */
export async function refundOrder(
  ctx: GatewayContext,
  input: { orderId: string; reason?: string | null; idempotencyKey: string },
): Promise<RefundResult> {
  requireViewer(ctx);
  checkIdempotencyKey(input.idempotencyKey);
  const reason = (input.reason ?? '').trim().slice(0, MAX_REASON_LENGTH);
  const found = await findOrder(ctx, input.orderId);
  if (!found) {
    return refused(null, 'ORDER_NOT_FOUND', 'No such order.', ['input', 'orderId']);
  }
  const order = await changeOrder(
    ctx,
    found.id,
    (current) =>
      current.status === 'FULFILLED'
        ? { status: 'REFUND_PENDING', refundRequestKey: input.idempotencyKey }
        : null,
    found,
  );
  if (order.refundRequestKey !== input.idempotencyKey) {
    return refused(
      order,
      'REFUND_NOT_ALLOWED',
      order.refundRequestKey
        ? 'This order is already being refunded, or was refunded.'
        : `Only a fulfilled order can be refunded; this one is ${order.status}.`,
      ['input', 'orderId'],
    );
  }
  ctx.logger.info({ orderId: order.id, reason }, 'refund requested');
  let refund: Refund | null = null;
  let current = order;
  try {
    ({ order: current, refund } = await ensureMoneyBack(ctx, order));
  } catch (error) {
    // The refund job asks again, with the same idempotency key, until the processor answers.
    ctx.logger.warn({ err: error, orderId: order.id }, 'refund not made yet; the job will retry');
  }
  if (current.status === 'REFUND_PENDING') await ctx.flow.raise('RefundRequested', current);
  return { order: current, refund, userErrors: [] };
}

/**
 * The revocation handler's half of a refund: make sure the money is back, then revoke every
 * fulfilled line. REFUNDED (and OrderRefunded raised) when all are revoked; REFUND_ERROR when the
 * refund or a revocation failed for good.
 */
export async function completeRefund(
  services: CommerceServices,
  orderId: string,
  modules: FulfillmentModules,
  options: RunOptions,
): Promise<Order> {
  const order = await readOrder(services, orderId);
  if (order.status === 'REFUNDED') await services.flow.raise('OrderRefunded', order);
  if (order.status !== 'REFUND_PENDING') return order;
  let withRefund: Order;
  try {
    ({ order: withRefund } = await ensureMoneyBack(services, order));
  } catch (error) {
    if (error instanceof UpstreamRejectedError || options.lastAttempt) {
      services.logger.error({ err: error, orderId }, 'the processor refused the refund');
      return changeOrder(services, orderId, (current) =>
        current.status === 'REFUND_PENDING' ? { status: 'REFUND_ERROR' } : null,
      );
    }
    throw new TransientFulfillmentError(`Order ${orderId}: refund not made yet`);
  }

  const fulfilled = withRefund.lines.filter((line) => line.status === 'FULFILLED');
  const results = await runModules(fulfilled, modules, (module, line) =>
    module.revoke(withRefund, line),
  );
  const { lineStatuses, transient } = settleLines(fulfilled, results, options, {
    success: 'REVOKED',
    failure: 'REVOCATION_ERROR',
  });
  const updated = await changeOrder(services, orderId, (current) => {
    if (current.status !== 'REFUND_PENDING') return null;
    const statuses = current.lines.map((line) => lineStatuses[line.id] ?? line.status);
    if (statuses.includes('FULFILLED')) return { lineStatuses };
    return {
      lineStatuses,
      status: statuses.includes('REVOCATION_ERROR') ? 'REFUND_ERROR' : 'REFUNDED',
    };
  });
  if (updated.status === 'REFUNDED') await services.flow.raise('OrderRefunded', updated);
  if (transient.length > 0 && !options.lastAttempt) {
    throw new TransientFulfillmentError(`Order ${orderId}: ${transient.length} line(s) to revoke`);
  }
  return updated;
}

/** Refunds the order's payment (idempotently) and records the refund on the order. */
async function ensureMoneyBack(
  services: CommerceServices,
  order: Order,
): Promise<{ order: Order; refund: Refund | null }> {
  if (!order.payment) return { order, refund: null };
  // Every attempt must send the same parameters: the processor refuses an idempotency key
  // reused with different ones. So only what the order itself holds goes along.
  const refund = await services.connectors.payments.refundPayment({
    paymentId: order.payment.id,
    idempotencyKey: `order-${order.id}-refund`,
    metadata: { order_id: order.id, order_number: order.number },
  });
  const updated = await changeOrder(
    services,
    order.id,
    (current) => (current.refundId ? null : { refundId: refund.id }),
    order,
  );
  return { order: updated, refund };
}

function refused(
  order: Order | null,
  code: UserError['code'],
  message: string,
  field: string[],
): RefundResult {
  return { order, refund: null, userErrors: [{ code, message, field }] };
}
