import { toMinorUnits } from '../connectors/money.js';
import type { Order, OrderLine, OrderStatus } from '../connectors/orders.js';
import type { Payment, ProcessorRefund } from '../connectors/payments.js';
import { changeOrder, readOrder } from './order-updates.js';
import { startRevocation } from './refund-completion.js';
import type { CommerceServices } from './services.js';

/**
 * The order cannot take a refund or dispute made at the processor yet (it is being paid,
 * fulfilled or refunded): the event must be handled again later, by a redelivery or the
 * reconciler.
 */
export class ReversalDeferredError extends Error {
  override name = 'ReversalDeferredError';
}

/** Orders that will reach FULFILLED or PARTIALLY_REFUNDED by themselves. */
const MOVING: ReadonlySet<OrderStatus> = new Set([
  'PENDING_PAYMENT',
  'PAYMENT_FAILED',
  'PAID',
  'FULFILLING',
  'REFUND_PENDING',
]);
/** More lines than this are not searched for a set matching a refund's amount. */
const MAX_MATCHED_LINES = 20;

/**
 * Brings an order in line with the money moved back on its payment at the processor (a refund
 * from the dashboard, a chargeback), as the processor reports it now: never as an event said it
 * was, so that events arriving twice, late or in any order have one effect. A dispute makes the
 * order DISPUTED and revokes its fulfilled lines. Refunds the gateway did not make (they carry no
 * order id) are matched to lines by amount: the whole payment refunded takes every line; a part
 * takes the set of lines whose price after the discount adds up to it exactly, and a part that
 * matches no set (a goodwill refund) takes nothing. Those lines are then revoked like a refund
 * the gateway made, with no refund of its own. True when the order moved on.
 */
export async function settleReversals(
  services: CommerceServices,
  paymentId: string,
): Promise<boolean> {
  const { payments } = services.connectors;
  const payment = await payments.getFreshPayment(paymentId);
  if (!payment?.orderId) {
    services.logger.warn({ paymentId }, 'refund or dispute of a payment that names no order');
    return false;
  }
  const reversals = await payments.getReversals(paymentId);
  const order = await readOrder(services, payment.orderId);
  if (order.payment?.id !== paymentId) return false;
  if (reversals.disputeIds.length > 0) return disputed(services, order);
  return refundedAtProcessor(services, order, payment, reversals.refunds);
}

async function disputed(services: CommerceServices, order: Order): Promise<boolean> {
  let started = false;
  const updated = await changeOrder(
    services,
    order.id,
    (current) => {
      started = false;
      if (current.status !== 'FULFILLED' && current.status !== 'PARTIALLY_REFUNDED') return null;
      started = true;
      return {
        status: 'DISPUTED',
        refundLineIds: standingLines(current).map((line) => line.id),
        refundAtProcessor: true,
      };
    },
    order,
  );
  if (started) {
    services.logger.warn({ orderId: updated.id }, 'the payment was disputed: access revoked');
    await startRevocation(services, updated);
    return true;
  }
  if (MOVING.has(updated.status)) {
    throw new ReversalDeferredError(`order ${updated.id} is ${updated.status}`);
  }
  if (updated.status !== 'DISPUTED' && updated.status !== 'REFUNDED') {
    services.logger.error(
      { orderId: updated.id, status: updated.status },
      'a disputed payment’s order is in an error state: support must revoke its access',
    );
  }
  return false;
}

async function refundedAtProcessor(
  services: CommerceServices,
  order: Order,
  payment: Payment,
  refunds: readonly ProcessorRefund[],
): Promise<boolean> {
  const counted = refunds.filter((r) => r.status === 'SUCCEEDED' || r.status === 'PENDING');
  // Oldest first: the order records how much of them, from the oldest on, it has taken in.
  const external = counted.filter((refund) => refund.orderId === null).reverse();
  const externalMinor = sumMinor(external);
  const whole = sumMinor(counted) >= toMinorUnits(payment.amount);
  let started = false;
  const updated = await changeOrder(
    services,
    order.id,
    (current) => {
      started = false;
      if (externalMinor <= current.processorRefundedMinor) return null;
      if (current.status !== 'FULFILLED' && current.status !== 'PARTIALLY_REFUNDED') return null;
      const standing = standingLines(current);
      const chosen = whole
        ? standing
        : linesOfNewRefunds(standing, external, current.processorRefundedMinor);
      if (chosen.length === 0) {
        // Goodwill refunds (matching no line) are taken in, and access is kept.
        return { processorRefundedMinor: externalMinor };
      }
      started = true;
      return {
        status: 'REFUND_PENDING',
        refundLineIds: chosen.map((line) => line.id),
        refundAtProcessor: true,
        refundId: external.at(-1)?.id ?? null,
        processorRefundedMinor: externalMinor,
      };
    },
    order,
  );
  if (started) {
    services.logger.warn(
      { orderId: updated.id, lines: updated.refundLineIds },
      'refunded at the processor: revoking the lines it covers',
    );
    await startRevocation(services, updated);
    return true;
  }
  if (externalMinor <= updated.processorRefundedMinor) return false;
  if (MOVING.has(updated.status)) {
    throw new ReversalDeferredError(`order ${updated.id} is ${updated.status}`);
  }
  services.logger.error(
    { orderId: updated.id, status: updated.status },
    'refunded at the processor while in an error state: support must revoke its access',
  );
  return false;
}

/**
 * The lines the refunds not taken in yet cover, each refund matched on its own to the lines
 * still standing. A refund matching no set of lines (a goodwill refund) takes none.
 */
function linesOfNewRefunds(
  standing: readonly OrderLine[],
  oldestFirst: readonly ProcessorRefund[],
  takenInMinor: number,
): OrderLine[] {
  let left = [...standing];
  const chosen: OrderLine[] = [];
  let seen = 0;
  for (const refund of oldestFirst) {
    const minor = toMinorUnits(refund.amount);
    seen += minor;
    if (seen <= takenInMinor) continue;
    const matched = matchLines(left, minor);
    if (!matched) continue;
    chosen.push(...matched);
    left = left.filter((line) => !matched.includes(line));
  }
  return chosen;
}

function standingLines(order: Order): OrderLine[] {
  return order.lines.filter((line) => line.status === 'FULFILLED');
}

function sumMinor(refunds: readonly ProcessorRefund[]): number {
  return refunds.reduce((sum, refund) => sum + toMinorUnits(refund.amount), 0);
}

/**
 * The smallest set of lines (the first in line order among equals) whose prices after the
 * discount add up to exactly `minor`; null when none does. Free lines are never matched.
 */
export function matchLines(lines: readonly OrderLine[], minor: number): OrderLine[] | null {
  const priced = lines
    .map((line) => ({ line, minor: toMinorUnits(line.price) - toMinorUnits(line.discount) }))
    .filter((entry) => entry.minor > 0)
    .slice(0, MAX_MATCHED_LINES);
  for (let size = 1; size <= priced.length; size += 1) {
    const found = combination(priced, size, 0, minor);
    if (found) return found.map((index) => priced[index]!.line);
  }
  return null;
}

function combination(
  priced: readonly { minor: number }[],
  size: number,
  from: number,
  left: number,
): number[] | null {
  if (size === 0) return left === 0 ? [] : null;
  for (let i = from; i <= priced.length - size; i += 1) {
    const entry = priced[i]!;
    if (entry.minor > left) continue;
    const rest = combination(priced, size - 1, i + 1, left - entry.minor);
    if (rest) return [i, ...rest];
  }
  return null;
}
