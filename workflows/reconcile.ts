import type { Order, OrderStatus } from '../connectors/orders.js';
import { FULFILLMENT_JOB, REVOCATION_JOB } from '../flows/events.js';
import { settlePayment } from './payments.js';
import { isRevoking } from './refund-completion.js';
import { settleReversals } from './reversals.js';
import type { CommerceServices } from './services.js';

/**
 * Orders that must move on by themselves: a job should be at work on each (on a disputed one,
 * while it still has lines to revoke).
 */
const IN_PROGRESS: readonly OrderStatus[] = ['PAID', 'FULFILLING', 'REFUND_PENDING', 'DISPUTED'];
/**
 * Orders that wait for the payer. Most are abandoned checkouts: those of the last day (and of the
 * checkout expiry, when longer) are asked about, so the older ones cannot crowd out the rest, and
 * an unpaid one past the expiry is ended.
 */
const AWAITING_PAYMENT: readonly OrderStatus[] = ['PENDING_PAYMENT', 'PAYMENT_FAILED'];
const PAYMENT_WINDOW_MS = 24 * 3600 * 1000;
/** Rounds after its expiry in which an abandoned checkout is still looked at (and ended). */
const EXPIRY_GRACE_MS = 3600 * 1000;
const PAGE = 100;
/** At most this many orders of each kind a round; the next round goes on where this one ends. */
const MAX_PER_ROUND = 1000;

/** Refunds and disputes made at the processor in this window are looked at again. */
const REVERSAL_WINDOW_SECONDS = 24 * 3600;
const REVERSAL_EVENTS_PER_ROUND = 1000;

export interface ReconcileReport {
  examined: number;
  paymentsSettled: number;
  jobsRequeued: number;
  /** Payments whose refund or dispute at the processor moved their order on. */
  reversalsSettled: number;
  /** Unpaid checkouts past their expiry, ended at the processor. */
  checkoutsExpired: number;
}

/**
 * Finds orders left behind and moves them on: a payment whose webhook never came is asked of the
 * processor; a paid, fulfilling or refunding order whose job was lost (Redis lost it, a worker
 * died mid-way) gets its job again, under the same deterministic id. Only orders untouched for
 * `quietForMs` are looked at, so work in progress is left alone.
 */
export async function reconcileOrders(
  services: CommerceServices,
  options: { quietForMs: number; checkoutExpiresAfterMs: number },
): Promise<ReconcileReport> {
  const now = Date.now();
  const modifiedBefore = new Date(now - options.quietForMs).toISOString();
  const report: ReconcileReport = {
    examined: 0,
    paymentsSettled: 0,
    jobsRequeued: 0,
    reversalsSettled: 0,
    checkoutsExpired: 0,
  };
  const awaitingWindowMs = Math.max(
    PAYMENT_WINDOW_MS,
    options.checkoutExpiresAfterMs + EXPIRY_GRACE_MS,
  );
  const expiredBefore = now - options.checkoutExpiresAfterMs;
  const passes = [
    { statuses: IN_PROGRESS, window: { modifiedBefore } },
    {
      statuses: AWAITING_PAYMENT,
      window: { modifiedBefore, modifiedAfter: new Date(now - awaitingWindowMs).toISOString() },
    },
  ];
  for (const pass of passes) {
    for (let offset = 0; offset < MAX_PER_ROUND; offset += PAGE) {
      const orders = await services.connectors.orders.listOrdersInStatus(pass.statuses, {
        ...pass.window,
        limit: PAGE,
        offset,
      });
      report.examined += orders.length;
      for (const order of orders) {
        try {
          await reconcileOne(services, order, report, expiredBefore);
        } catch (error) {
          services.logger.warn({ err: error, orderId: order.id }, 'could not reconcile an order');
        }
      }
      if (orders.length < PAGE) break;
    }
  }
  await reconcileReversals(services, now - options.quietForMs, report);
  if (
    report.paymentsSettled +
      report.jobsRequeued +
      report.reversalsSettled +
      report.checkoutsExpired >
    0
  ) {
    services.logger.info(report, 'reconciled orders left behind');
  }
  return report;
}

async function reconcileOne(
  services: CommerceServices,
  order: Order,
  report: ReconcileReport,
  expiredBefore: number,
): Promise<void> {
  switch (order.status) {
    case 'PENDING_PAYMENT':
    case 'PAYMENT_FAILED': {
      if (!order.payment) return;
      const expired =
        order.status === 'PENDING_PAYMENT' && Date.parse(order.placedAt) < expiredBefore;
      if (expired) await cancelAbandonedPayment(services, order, order.payment.id);
      const settled = await settlePayment(services, order.payment.id);
      if (settled && settled.status !== order.status) {
        if (expired && settled.status === 'PAYMENT_FAILED') report.checkoutsExpired += 1;
        else report.paymentsSettled += 1;
      }
      return;
    }
    case 'PAID':
    case 'FULFILLING':
    case 'REFUND_PENDING':
    case 'DISPUTED': {
      if (order.status === 'DISPUTED' && !isRevoking(order)) return;
      const which = isRevoking(order) ? REVOCATION_JOB : FULFILLMENT_JOB;
      const job = { ...which, orderId: order.id };
      if (await services.jobs.isPending(job)) return;
      // The process that changed the status may have died before raising the event: raising it
      // again adds only the handlers' jobs that are missing (their ids derive from the event).
      await services.flow.raise(which.event, order);
      await services.jobs.rerun(job);
      report.jobsRequeued += 1;
      return;
    }
    default:
      return;
  }
}

/**
 * Refunds and disputes made at the processor whose webhook never came (or came while the order
 * could not take it): the processor's recent events are read back and each payment settled again.
 * Settling is idempotent, so an event already handled changes nothing. Only events older than the
 * quiet period are looked at, leaving the webhook its chance first.
 */
async function reconcileReversals(
  services: CommerceServices,
  quietSinceMs: number,
  report: ReconcileReport,
): Promise<void> {
  const since = Math.floor(quietSinceMs / 1000) - REVERSAL_WINDOW_SECONDS;
  let events;
  try {
    events = await services.connectors.payments.listReversalEvents(
      since,
      REVERSAL_EVENTS_PER_ROUND,
    );
  } catch (error) {
    services.logger.warn({ err: error }, 'could not list the processor’s refunds and disputes');
    return;
  }
  const payments = new Set<string>();
  for (const event of events) {
    if (event.paymentId && event.created * 1000 <= quietSinceMs) payments.add(event.paymentId);
  }
  for (const paymentId of payments) {
    try {
      if (await settleReversals(services, paymentId)) report.reversalsSettled += 1;
    } catch (error) {
      services.logger.warn({ err: error, paymentId }, 'could not reconcile a refund or dispute');
    }
  }
}

/**
 * Ends the payment of a checkout left unpaid past its expiry, so that it can no longer be paid
 * and the order can fail (giving back its discount use). A payment that moved on meanwhile (paid
 * at the last moment, being paid) refuses: the order is then settled by the payment as it is.
 */
async function cancelAbandonedPayment(
  services: CommerceServices,
  order: Order,
  paymentId: string,
): Promise<void> {
  try {
    await services.connectors.payments.cancelPayment(paymentId);
  } catch (error) {
    services.logger.info(
      { orderId: order.id, paymentId, err: error },
      'an expired checkout’s payment could not be cancelled; settled as it is',
    );
  }
}
