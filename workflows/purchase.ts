import { randomBytes } from 'node:crypto';
import { UpstreamRejectedError } from '../connectors/errors.js';
import { toMinorUnits } from '../connectors/money.js';
import type { Order } from '../connectors/orders.js';
import type { Payment } from '../connectors/payments.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import { quoteCheckout } from './checkout.js';
import { returnDiscountUse, takeDiscountUse } from './discount-uses.js';
import { BadInputError } from './errors.js';
import { recordOrderStatus } from './order-log.js';
import { changeOrder } from './order-updates.js';
import type { UserError } from './user-errors.js';

export interface PurchaseResult {
  order: Order | null;
  payment: Payment | null;
  userErrors: UserError[];
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_\-:.]{1,128}$/;
const WAIT_FOR_CONCURRENT_MS = 20_000;
const MAX_ATTEMPTS = 3;

/** Checks a client-chosen idempotency key before it goes into any key or query. */
export function checkIdempotencyKey(key: string): void {
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new BadInputError('idempotencyKey must be 1 to 128 of A-Z a-z 0-9 _ - : .');
  }
}

/**
 * Places an order at catalog prices and opens its payment. The same (learner, key) returns the
 * same order and payment, also when the requests arrive together: one creates, the others wait.
 */
export async function purchase(
  ctx: GatewayContext,
  input: { skus: readonly string[]; idempotencyKey: string; discountCode?: string | null },
  attempt = 1,
): Promise<PurchaseResult> {
  const viewer = requireViewer(ctx);
  checkIdempotencyKey(input.idempotencyKey);
  const { purchases } = ctx;

  const recorded = await purchases.find(viewer.userId, input.idempotencyKey);
  if (recorded) {
    const order = await recordedOrder(ctx, recorded);
    if (order) return resume(ctx, order, input.skus);
    // The record outlived its order (the order system was reset): the key is free again.
    await purchases.forget(viewer.userId, input.idempotencyKey, recorded);
  }

  if (!(await purchases.claim(viewer.userId, input.idempotencyKey))) {
    const orderId = await purchases.waitFor(
      viewer.userId,
      input.idempotencyKey,
      WAIT_FOR_CONCURRENT_MS,
    );
    const order = orderId ? await recordedOrder(ctx, orderId) : null;
    if (order) return resume(ctx, order, input.skus);
    if (orderId) await purchases.forget(viewer.userId, input.idempotencyKey, orderId);
    // The other request gave up or crashed: look in the order system, the source of truth.
    const placed = await ctx.connectors.orders.findOrderByIdempotencyKey(
      viewer.userId,
      input.idempotencyKey,
    );
    if (placed) return resume(ctx, placed, input.skus);
    // Nothing was placed (the other request found userErrors, or died early): try afresh.
    if (attempt < MAX_ATTEMPTS) return purchase(ctx, input, attempt + 1);
    throw new BadInputError('A purchase with this idempotencyKey is still being placed; retry.');
  }

  let orderId: string | null = null;
  try {
    // The claim may follow a crashed attempt whose order exists although Redis forgot it.
    let order = await ctx.connectors.orders.findOrderByIdempotencyKey(
      viewer.userId,
      input.idempotencyKey,
    );
    if (!order) {
      const quote = await quoteCheckout(ctx, input.skus, input.discountCode);
      if (quote.userErrors.length > 0 || !quote.total) {
        return { order: null, payment: null, userErrors: quote.userErrors };
      }
      const refusal = await ctx.flow.screen('purchase', {
        buyer: {
          userId: viewer.userId,
          username: viewer.username,
          email: viewer.email,
          name: viewer.name,
        },
        skus: input.skus,
      });
      if (refusal) return { order: null, payment: null, userErrors: [refusal] };
      const use = { ownerId: viewer.userId, purchaseKey: input.idempotencyKey };
      if (quote.discount) {
        const usedUp = await takeDiscountUse(ctx, quote.discount.codeId, use);
        if (usedUp) return { order: null, payment: null, userErrors: [usedUp] };
      }
      const free = toMinorUnits(quote.total) === 0;
      const placing = ctx.connectors.orders.createOrder({
        number: newOrderNumber(),
        ownerId: viewer.userId,
        ownerUsername: viewer.username,
        ownerEmail: viewer.email,
        status: free ? 'PAID' : 'PENDING_PAYMENT',
        total: quote.total,
        idempotencyKey: input.idempotencyKey,
        lines: quote.lines.map((line) => ({
          sku: line.product.sku,
          courseRunKey: line.product.courseRunKey,
          mode: line.product.mode,
          title: line.title,
          price: line.price,
          discount: line.discount,
        })),
        ...(quote.discount
          ? { discountCode: { id: quote.discount.codeId, code: quote.discount.code } }
          : {}),
      });
      // A refused order was certainly not stored, so its use goes back; after a timeout it may
      // have been, and the use stays with the key (a retry of the purchase finds the order).
      const codeId = quote.discount?.codeId;
      order = await placing.catch(async (error: unknown) => {
        if (codeId && error instanceof UpstreamRejectedError) {
          await returnDiscountUse(ctx, codeId, use);
        }
        throw error;
      });
      recordOrderStatus(ctx.logger, order, null);
      await ctx.events.publish(order);
      await ctx.flow.raise('OrderPlaced', order);
    }
    const result = await resume(ctx, order, input.skus);
    orderId = order.id;
    return result;
  } finally {
    if (orderId) await purchases.complete(viewer.userId, input.idempotencyKey, orderId);
    else await purchases.release(viewer.userId, input.idempotencyKey);
  }
}

/**
 * Brings a placed order to where the purchase leaves it: a paid order's payment opened (with a
 * processor idempotency key derived from the order, so it is opened once), a free order's
 * OrderPaid raised. Safe to run any number of times.
 */
async function resume(
  ctx: GatewayContext,
  placed: Order,
  skus: readonly string[],
): Promise<PurchaseResult> {
  const asked = new Set(skus.map((sku) => sku.trim()));
  const ordered = new Set(placed.lines.map((line) => line.sku));
  if (asked.size !== ordered.size || [...asked].some((sku) => !ordered.has(sku))) {
    throw new BadInputError('This idempotencyKey was already used for a different purchase.');
  }
  let order = placed;
  let payment: Payment | null = null;
  if (toMinorUnits(order.total) === 0) {
    if (order.status === 'PAID') await ctx.flow.raise('OrderPaid', order);
  } else if (!order.payment) {
    payment = await ctx.connectors.payments.createPayment({
      amount: order.total,
      idempotencyKey: `order-${order.id}-payment`,
      orderId: order.id,
      metadata: { order_number: order.number, lms_user_id: order.ownerId },
    });
    const opened = payment;
    order = await changeOrder(
      ctx,
      order.id,
      (current) =>
        current.payment ? null : { payment: { provider: opened.provider, id: opened.id } },
      order,
    );
  } else {
    payment = await ctx.connectors.payments.getFreshPayment(order.payment.id);
  }
  return { order, payment, userErrors: [] };
}

/** The order a purchase record names, or null when the order system no longer has it. */
async function recordedOrder(ctx: GatewayContext, orderId: string): Promise<Order | null> {
  return (await ctx.connectors.orders.getOrders([orderId])).get(orderId) ?? null;
}

/** Unique without coordination: time-ordered, with randomness against two in one millisecond. */
function newOrderNumber(): string {
  const time = Date.now().toString(36).toUpperCase();
  return `EDX-${time}-${randomBytes(3).toString('hex').toUpperCase()}`;
}
