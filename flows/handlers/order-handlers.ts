import { fulfillOrder } from '../../workflows/fulfillment.js';
import type { Order } from '../../connectors/orders.js';
import { completeRefund } from '../../workflows/refund-completion.js';
import { defineHandler, PermanentHandlerError } from '../plugin-api.js';

/**
 * The handlers that move an order through its state machine: every flow has them on OrderPaid
 * and RefundRequested. An order they leave in an error status is a permanent failure, kept for
 * support to see and retry.
 */
export const fulfillmentHandler = defineHandler({
  name: 'fulfillment',
  create: (_settings, deps) => async (run) => {
    const order = await fulfillOrder(
      run.services,
      run.event.orderId,
      deps.fulfillmentModules,
      { lastAttempt: run.lastAttempt },
      run.snapshot,
    );
    if (order.status === 'FULFILLMENT_ERROR') {
      throw new PermanentHandlerError(`order ${order.id} ended ${order.status}: ${linesOf(order)}`);
    }
    return `${order.status}: ${linesOf(order)}`;
  },
});

export const revocationHandler = defineHandler({
  name: 'revocation',
  create: (_settings, deps) => async (run) => {
    const order = await completeRefund(run.services, run.event.orderId, deps.fulfillmentModules, {
      lastAttempt: run.lastAttempt,
    });
    // A disputed order stays DISPUTED whatever its revocations did: a line left with its access
    // fails the job, for support to see in the console.
    const stuck = order.lines.some((line) => line.status === 'REVOCATION_ERROR');
    if (order.status === 'REFUND_ERROR' || (order.status === 'DISPUTED' && stuck)) {
      throw new PermanentHandlerError(`order ${order.id} ended ${order.status}: ${linesOf(order)}`);
    }
    return `${order.status}: ${linesOf(order)}`;
  },
});

/** What the modules made of each line, e.g. `verified seat SKU-1 FULFILLED`. */
function linesOf(order: Order): string {
  return order.lines.map((line) => `${line.mode} seat ${line.sku} ${line.status}`).join(', ');
}
