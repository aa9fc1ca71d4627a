import { setTimeout as sleep } from 'node:timers/promises';
import type { DiscountCode, DiscountUse } from '../connectors/discounts.js';
import { UpstreamConflictError, UpstreamUnavailableError } from '../connectors/errors.js';
import type { Order, OrderStatus } from '../connectors/orders.js';
import { invalidCode, limitReached } from './discounts.js';
import type { CommerceServices } from './services.js';
import type { UserError } from './user-errors.js';

/** Statuses of an order whose payment succeeded and still stands. */
const PAID_FOR: ReadonlySet<OrderStatus> = new Set([
  'PAID',
  'FULFILLING',
  'FULFILLED',
  'FULFILLMENT_ERROR',
]);
/** Concurrent purchases of one code each win a round in turn; this many rounds covers a burst. */
const MAX_ATTEMPTS = 20;
const RETRY_DELAY_MS = 15;

/**
 * Takes one of the code's uses for this purchase, or says why none is left. The uses are
 * recorded on the code in the order system and written only at the version just read, so of
 * purchases racing for the last use exactly one writes; the others read again and find none.
 * Taking the same purchase's use twice takes it once.
 */
export async function takeDiscountUse(
  services: Pick<CommerceServices, 'connectors'>,
  codeId: string,
  use: DiscountUse,
): Promise<UserError | null> {
  const outcome: { error: UserError | null; found: boolean } = { error: null, found: false };
  await changeUses(services, codeId, (code) => {
    outcome.found = true;
    if (code.uses.some((held) => sameUse(held, use))) return null;
    outcome.error = limitReached(code, use.ownerId);
    return outcome.error ? null : [...code.uses, use];
  });
  // Deleted between the quote and now: as if it had never existed.
  if (!outcome.found) return invalidCode();
  return outcome.error;
}

/** Gives a purchase's use back (its payment failed, or nothing was ordered). Safe to repeat. */
export async function returnDiscountUse(
  services: Pick<CommerceServices, 'connectors'>,
  codeId: string,
  use: DiscountUse,
): Promise<void> {
  await changeUses(services, codeId, (code) =>
    code.uses.some((held) => sameUse(held, use))
      ? code.uses.filter((held) => !sameUse(held, use))
      : null,
  );
}

/** The use an order placed with a code holds, or null for an order without one. */
export function useOf(order: Order): { codeId: string; use: DiscountUse } | null {
  if (!order.discount || !order.idempotencyKey) return null;
  return {
    codeId: order.discount.codeId,
    use: { ownerId: order.ownerId, purchaseKey: order.idempotencyKey },
  };
}

/**
 * Keeps the code's uses in step with the order's money: a failed payment or a full refund gives
 * its use back; a payment that succeeds after all (the learner retried a declined card) takes it
 * again, over the limit if it must, since the learner has paid the discounted price. Safe to
 * repeat; whoever moves an order to one of these statuses calls it afterwards.
 */
export async function settleDiscountUse(
  services: Pick<CommerceServices, 'connectors' | 'logger'>,
  order: Order,
): Promise<void> {
  const held = useOf(order);
  if (!held) return;
  if (order.status === 'PAYMENT_FAILED' || order.status === 'REFUNDED') {
    await returnDiscountUse(services, held.codeId, held.use);
  } else if (PAID_FOR.has(order.status)) {
    await changeUses(services, held.codeId, (code) => {
      if (code.uses.some((use) => sameUse(use, held.use))) return null;
      if (limitReached(code, held.use.ownerId)) {
        services.logger.warn(
          { orderId: order.id, code: code.code },
          'a paid order takes back a discount use beyond the code limit',
        );
      }
      return [...code.uses, held.use];
    });
  }
}

/** Reads the code, asks `decide` for its new uses (null: no change), writes them at that version. */
async function changeUses(
  services: Pick<CommerceServices, 'connectors'>,
  codeId: string,
  decide: (code: DiscountCode) => DiscountUse[] | null,
): Promise<void> {
  const { discounts } = services.connectors;
  for (let attempt = 1; ; attempt += 1) {
    const code = await discounts.getCode(codeId);
    const uses = code ? decide(code) : null;
    if (!code || !uses) return;
    try {
      await discounts.setUses(code, uses);
      return;
    } catch (error) {
      if (!(error instanceof UpstreamConflictError)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        // Busy rather than broken: the client may try again (with the same idempotency key).
        throw new UpstreamUnavailableError('orders', 'discount code too contended to update', {
          cause: error,
        });
      }
      // Spread the retries so that a burst does not collide again in lockstep.
      await sleep(Math.random() * RETRY_DELAY_MS * Math.min(attempt, 5));
    }
  }
}

function sameUse(a: DiscountUse, b: DiscountUse): boolean {
  return a.ownerId === b.ownerId && a.purchaseKey === b.purchaseKey;
}
