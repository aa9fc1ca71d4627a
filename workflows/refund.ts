import type { Order } from '../connectors/orders.js';
import type { Refund } from '../connectors/payments.js';
import { MAX_SKUS_PER_ORDER } from './checkout.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import { BadInputError } from './errors.js';
import { findOrder } from './orders.js';
import { changeOrder } from './order-updates.js';
import { checkIdempotencyKey } from './purchase.js';
import { ensureMoneyBack, startRevocation } from './refund-completion.js';
import type { UserError } from './user-errors.js';

export interface RefundResult {
  order: Order | null;
  refund: Refund | null;
  userErrors: UserError[];
}

const MAX_REASON_LENGTH = 500;

/**
 * Refunds lines of a fulfilled (or partly refunded) order, every fulfilled line when none are
 * named: the order becomes REFUND_PENDING, the money of those lines (after the discount) is given
 * back through the processor under an idempotency key derived from the order and the lines, and
 * the revocation handler revokes them. The same request key returns the same refund.
 */
export async function refundOrder(
  ctx: GatewayContext,
  input: {
    orderId: string;
    lineIds?: readonly string[] | null;
    reason?: string | null;
    idempotencyKey: string;
  },
): Promise<RefundResult> {
  requireViewer(ctx);
  checkIdempotencyKey(input.idempotencyKey);
  const named = checkLineIds(input.lineIds);
  const reason = (input.reason ?? '').trim().slice(0, MAX_REASON_LENGTH);
  const found = await findOrder(ctx, input.orderId);
  if (!found) {
    return refused(null, 'ORDER_NOT_FOUND', 'No such order.', ['input', 'orderId']);
  }
  const unknown =
    input.lineIds?.findIndex((id) => !found.lines.some((line) => line.id === id)) ?? -1;
  if (unknown >= 0) {
    return refused(found, 'LINE_NOT_FOUND', 'This order has no such line.', [
      'input',
      'lineIds',
      String(unknown),
    ]);
  }

  let refusal: UserError | null = null;
  let started = false;
  const order = await changeOrder(
    ctx,
    found.id,
    (current) => {
      refusal = null;
      started = false;
      if (current.refundRequestKey === input.idempotencyKey) return null;
      if (current.status !== 'FULFILLED' && current.status !== 'PARTIALLY_REFUNDED') {
        refusal = notAllowed(
          current.status === 'REFUND_PENDING'
            ? 'This order is already being refunded.'
            : `Only a fulfilled order can be refunded; this one is ${current.status}.`,
          ['input', 'orderId'],
        );
        return null;
      }
      const lineIds =
        named ?? current.lines.filter((line) => line.status === 'FULFILLED').map((l) => l.id);
      const taken = lineIds.find(
        (id) => current.lines.find((line) => line.id === id)?.status !== 'FULFILLED',
      );
      if (taken !== undefined) {
        refusal = notAllowed('This line is not fulfilled, or was refunded already.', [
          'input',
          'lineIds',
          String(input.lineIds?.indexOf(taken) ?? 0),
        ]);
        return null;
      }
      started = true;
      return {
        status: 'REFUND_PENDING',
        refundRequestKey: input.idempotencyKey,
        refundLineIds: lineIds,
        refundAtProcessor: false,
        refundId: null,
      };
    },
    found,
  );
  if (refusal) return { order, refund: null, userErrors: [refusal] };
  if (order.refundRequestKey !== input.idempotencyKey) {
    return refused(order, 'REFUND_NOT_ALLOWED', 'This order was refunded already.', [
      'input',
      'orderId',
    ]);
  }
  if (started) ctx.logger.info({ orderId: order.id, reason }, 'refund requested');
  let refund: Refund | null = null;
  let current = order;
  try {
    ({ order: current, refund } = await ensureMoneyBack(ctx, order));
  } catch (error) {
    // The revocation job asks again, with the same idempotency key, until the processor answers.
    ctx.logger.warn({ err: error, orderId: order.id }, 'refund not made yet; the job will retry');
  }
  // Only the request that started this refund starts its job: a refund of other lines before
  // it left a finished job behind, which only starting again runs again.
  if (started) await startRevocation(ctx, current);
  return { order: current, refund, userErrors: [] };
}

/** The named lines, each once; null when none are named (every fulfilled line). */
function checkLineIds(lineIds: readonly string[] | null | undefined): string[] | null {
  if (lineIds === null || lineIds === undefined) return null;
  if (lineIds.length === 0) {
    throw new BadInputError('lineIds names no line; leave it out to refund every line.');
  }
  if (lineIds.length > MAX_SKUS_PER_ORDER) {
    throw new BadInputError(`lineIds may name at most ${MAX_SKUS_PER_ORDER} lines.`);
  }
  return [...new Set(lineIds)];
}

function notAllowed(message: string, field: string[]): UserError {
  return { code: 'REFUND_NOT_ALLOWED', message, field };
}

function refused(
  order: Order | null,
  code: UserError['code'],
  message: string,
  field: string[],
): RefundResult {
  return { order, refund: null, userErrors: [{ code, message, field }] };
}
