import { createHash } from 'node:crypto';
import { UpstreamRejectedError } from '../connectors/errors.js';
import { fromMinorUnits, toMinorUnits, type Money } from '../connectors/money.js';
import type { Order, OrderLine } from '../connectors/orders.js';
import type { Refund } from '../connectors/payments.js';
import { REVOCATION_JOB } from '../flows/events.js';
import { settleDiscountUse } from './discount-uses.js';
import {
  runModules,
  settleLines,
  TransientFulfillmentError,
  type FulfillmentModules,
  type RunOptions,
} from './fulfillment.js';
import { changeOrder, readOrder } from './order-updates.js';
import type { CommerceServices } from './services.js';

/**
 * The lines the refund or dispute in progress takes back. A refund requested before refunds of
 * lines existed names none: it covers every fulfilled line.
 */
export function linesBeingRefunded(order: Order): OrderLine[] {
  if (order.refundLineIds.length === 0) {
    return order.lines.filter((line) => line.status === 'FULFILLED');
  }
  return order.lines.filter((line) => order.refundLineIds.includes(line.id));
}

/** Whether the order has lines to revoke: a refund in progress, or a dispute not done yet. */
export function isRevoking(order: Order): boolean {
  if (order.status === 'REFUND_PENDING') return true;
  return (
    order.status === 'DISPUTED' &&
    order.refundLineIds.some(
      (id) => order.lines.find((line) => line.id === id)?.status === 'FULFILLED',
    )
  );
}

/**
 * Raises RefundRequested and makes sure its revocation job runs for this refund: an earlier
 * refund of other lines of the same order left a finished job under the same id.
 */
export async function startRevocation(services: CommerceServices, order: Order): Promise<void> {
  if (!isRevoking(order)) return;
  await services.flow.raise('RefundRequested', order);
  try {
    await services.jobs.rerun({ ...REVOCATION_JOB, orderId: order.id });
  } catch (error) {
    // The job is busy (a previous refund's run finishing): the reconciler starts it again.
    services.logger.warn({ err: error, orderId: order.id }, 'revocation job not restarted');
  }
}

/**
 * The revocation handler's half of a refund or dispute: make sure the money is back, then revoke
 * the lines it covers. A refund ends REFUNDED when no line stands any more (OrderRefunded raised,
 * the discount code's use given back), PARTIALLY_REFUNDED otherwise, REFUND_ERROR when the refund
 * or a revocation failed for good. A dispute stays DISPUTED, its lines REVOKED.
 */
export async function completeRefund(
  services: CommerceServices,
  orderId: string,
  modules: FulfillmentModules,
  options: RunOptions,
): Promise<Order> {
  const order = await readOrder(services, orderId);
  if (order.status === 'REFUNDED') await refunded(services, order);
  if (!isRevoking(order)) return order;
  let withRefund = order;
  if (order.status === 'REFUND_PENDING') {
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
  }

  const status = withRefund.status;
  const targets = linesBeingRefunded(withRefund).filter((line) => line.status === 'FULFILLED');
  const results = await runModules(targets, modules, (module, line) =>
    module.revoke(withRefund, line),
  );
  const { lineStatuses, transient } = settleLines(targets, results, options, {
    success: status === 'DISPUTED' ? 'REVOKED' : 'REFUNDED',
    failure: 'REVOCATION_ERROR',
  });
  const updated = await changeOrder(services, orderId, (current) => {
    if (current.status !== status) return null;
    const after = linesBeingRefunded(current).map((line) => lineStatuses[line.id] ?? line.status);
    if (after.includes('FULFILLED') || current.status === 'DISPUTED') return { lineStatuses };
    if (after.includes('REVOCATION_ERROR')) return { lineStatuses, status: 'REFUND_ERROR' };
    const standing = current.lines.some(
      (line) => (lineStatuses[line.id] ?? line.status) === 'FULFILLED',
    );
    return { lineStatuses, status: standing ? 'PARTIALLY_REFUNDED' : 'REFUNDED' };
  });
  if (updated.status === 'REFUNDED') await refunded(services, updated);
  if (transient.length > 0 && !options.lastAttempt) {
    throw new TransientFulfillmentError(`Order ${orderId}: ${transient.length} line(s) to revoke`);
  }
  // A refund of other lines requested while this job was finishing found it still running and
  // could not start it again: this job's retry takes it on (the reconciler, should this be the
  // last attempt).
  if (
    !options.lastAttempt &&
    !isRevoking(updated) &&
    isRevoking(await readOrder(services, orderId))
  ) {
    throw new TransientFulfillmentError(`Order ${orderId}: another refund started meanwhile`);
  }
  return updated;
}

async function refunded(services: CommerceServices, order: Order): Promise<void> {
  await services.flow.raise('OrderRefunded', order);
  await settleDiscountUse(services, order);
}

/**
 * Gives back the money of the refund in progress (idempotently) and records the refund on the
 * order; once the refund is over, only reads it again. Nothing is asked of the processor for a
 * refund made at the processor, nor for lines that cost nothing.
 */
export async function ensureMoneyBack(
  services: CommerceServices,
  order: Order,
): Promise<{ order: Order; refund: Refund | null }> {
  const { payments } = services.connectors;
  if (!order.payment || order.refundAtProcessor) return { order, refund: null };
  if (order.status !== 'REFUND_PENDING') {
    // Idempotency keys lapse at the processor after a day: asking again then would refund twice.
    const made = order.refundId ? await payments.getRefund(order.refundId) : null;
    return { order, refund: made };
  }
  const request = refundRequest(order);
  if (!request) return { order, refund: null };
  // Every attempt must send the same parameters: the processor refuses an idempotency key
  // reused with different ones. So only what the order itself holds goes along.
  const refund = await payments.refundPayment({
    paymentId: order.payment.id,
    ...request,
    metadata: { order_id: order.id, order_number: order.number },
  });
  const updated = await changeOrder(
    services,
    order.id,
    (current) =>
      current.status === 'REFUND_PENDING' && !current.refundId ? { refundId: refund.id } : null,
    order,
  );
  return { order: updated, refund };
}

/**
 * The processor request for the refund in progress: the lines' price after the discount, under a
 * key derived from the order and the lines. A refund requested before refunds of lines keeps its
 * key and refunds the whole payment, as it was first asked for.
 */
function refundRequest(order: Order): { idempotencyKey: string; amount?: Money } | null {
  if (order.refundLineIds.length === 0) return { idempotencyKey: `order-${order.id}-refund` };
  const lines = linesBeingRefunded(order);
  const minor = lines.reduce(
    (sum, line) => sum + toMinorUnits(line.price) - toMinorUnits(line.discount),
    0,
  );
  if (minor <= 0) return null;
  const fingerprint = createHash('sha256')
    .update([...order.refundLineIds].sort().join(','))
    .digest('hex')
    .slice(0, 32);
  return {
    idempotencyKey: `order-${order.id}-refund-${fingerprint}`,
    amount: fromMinorUnits(minor, order.total.currencyCode),
  };
}
