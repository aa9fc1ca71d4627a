import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoSeat } from '../../sandbox/demo-data.js';
import { contractOperation, graphql } from './client.js';
import {
  newLearner,
  payWithSandboxCard,
  waitForOrderStatus,
  type PurchaseView,
} from './commerce.js';
import type { TestGateway } from './gateway.js';

/** The seat every learner of a burst buys. */
export const BURST_SEAT = demoSeat('course-v1:SandboxX+PY101+3T2026', 'verified');
/** A client gives a purchase refused for a moment this long to go through with the same key. */
const RETRY_FOR_MS = 20_000;

export interface PlacedOrder {
  orderId: string;
  token: string;
  username: string;
  /** Purchase attempts the client needed (more than one when Redis was failing over). */
  attempts: number;
}

/**
 * Places a purchase as a careful client does: when the gateway answers UPSTREAM_UNAVAILABLE it
 * tries again with the same idempotency key, so at most one order can come of it.
 */
export async function placeAndPay(gw: TestGateway): Promise<PlacedOrder> {
  const learner = await newLearner('burst');
  const input = { skus: [BURST_SEAT.sku], idempotencyKey: randomUUID() };
  const deadline = Date.now() + RETRY_FOR_MS;
  for (let attempts = 1; ; attempts += 1) {
    const response = await graphql<{ purchase: PurchaseView }>(
      gw.url,
      contractOperation('Purchase'),
      { input },
      { token: learner.token },
    );
    const codes = (response.body.errors ?? []).map((error) => error.extensions?.['code']);
    const placed = response.body.data?.purchase;
    if (codes.length === 0 && placed?.order && placed.payment) {
      const paid = await payWithSandboxCard(gw.sandbox, placed.payment.id);
      if (paid !== 200) throw new Error(`paying ${placed.order.id} answered ${paid}`);
      return { orderId: placed.order.id, ...learner, attempts };
    }
    const retryable = codes.length > 0 && codes.every((code) => code === 'UPSTREAM_UNAVAILABLE');
    if (!retryable || Date.now() > deadline) {
      throw new Error(
        `purchase failed after ${attempts} attempts: ${JSON.stringify(response.body)}`,
      );
    }
    await sleep(200);
  }
}

/**
 * `count` purchases, `concurrency` at a time. When half have started, `midway` begins (say, a
 * failover) and resolves once it is under way, with the promise of its end; the second half
 * starts only then, so it certainly meets it, while the first half is still being fulfilled.
 * Resolves when `midway` has ended and every order is FULFILLED.
 */
export async function purchaseBurst(
  gw: TestGateway,
  options: {
    count: number;
    concurrency: number;
    midway: () => Promise<{ done: Promise<unknown> }>;
  },
): Promise<PlacedOrder[]> {
  const orders: PlacedOrder[] = [];
  const half = Math.ceil(options.count / 2);
  let started = 0;
  let underWay: Promise<{ done: Promise<unknown> }> | undefined;
  const lane = async () => {
    while (started < options.count) {
      started += 1;
      if (started === half) underWay = options.midway();
      if (started > half) await underWay;
      orders.push(await placeAndPay(gw));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  await (
    await underWay
  )?.done;
  // One at a time: by the time the first is FULFILLED most others are too, and 50 pollers at
  // once would be load of their own on a small machine.
  for (const order of orders) {
    await waitForOrderStatus(gw.url, order.token, order.orderId, 'FULFILLED', 60_000);
  }
  return orders;
}
