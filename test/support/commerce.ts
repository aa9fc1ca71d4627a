import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Sandbox } from '../../sandbox/index.js';
import { contractOperation, graphql, signToken } from './client.js';
import { watch, type Watched } from './ws-client.js';

export interface OrderView {
  id: string;
  number: string;
  status: string;
  total: { amount: string; currencyCode: string };
  lines: { id: string; status: string; product: { sku: string } }[];
}

export interface PurchaseView {
  order: OrderView | null;
  payment: { id: string; status: string; clientSecret: string | null } | null;
  userErrors: { code: string; message: string; field: string[] | null }[];
}

/** Sends the contract's Purchase mutation. */
export async function purchase(
  url: string,
  token: string,
  skus: string[],
  idempotencyKey: string,
): Promise<PurchaseView> {
  const response = await graphql<{ purchase: PurchaseView }>(
    url,
    contractOperation('Purchase'),
    { input: { skus, idempotencyKey } },
    { token },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.purchase;
}

/** Pays a PaymentIntent in the sandbox Stripe, as the payer's browser does with Stripe.js. */
export async function payWithSandboxCard(
  sandbox: Sandbox,
  paymentId: string,
  paymentMethod:
    'pm_card_visa' | 'pm_card_chargeDeclined' | 'pm_card_createDispute' = 'pm_card_visa',
): Promise<number> {
  const response = await fetch(`${sandbox.urls.stripe}/v1/payment_intents/${paymentId}/confirm`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${sandbox.credentials.stripeSecretKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ payment_method: paymentMethod }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Reads the order (OrderById) until it has the status, or fails with the last one seen. */
export async function waitForOrderStatus(
  url: string,
  token: string,
  orderId: string,
  status: string,
  timeoutMs = 15_000,
): Promise<OrderView & { lines: { status: string; enrollment: { isActive: boolean } | null }[] }> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    const response = await graphql<{ order: (OrderView & { lines: never[] }) | null }>(
      url,
      contractOperation('OrderById'),
      { id: orderId },
      { token },
    );
    const order = response.body.data?.order;
    last = order?.status;
    if (order && last === status) return order;
    if (Date.now() > deadline) {
      throw new Error(`order ${orderId} is ${String(last)}, not ${status}, after ${timeoutMs} ms`);
    }
    await sleep(50);
  }
}

/** The sandbox LMS's count of enrollment POSTs so far. */
export function enrollmentPosts(sandbox: Sandbox): number {
  return sandbox.lms!.stats()['POST /api/enrollment/v1/enrollment'] ?? 0;
}

/** One learner's enrollment in a course run, as the sandbox LMS holds it. */
export async function lmsEnrollment(
  sandbox: Sandbox,
  username: string,
  courseRunKey: string,
): Promise<{ mode: string; is_active: boolean } | null> {
  const response = await fetch(
    `${sandbox.urls.lms}/api/enrollment/v1/enrollment/${encodeURIComponent(username)},${encodeURIComponent(courseRunKey)}`,
    { headers: { 'x-edx-api-key': sandbox.credentials.lmsApiKey } },
  );
  const text = await response.text();
  return text ? (JSON.parse(text) as { mode: string; is_active: boolean }) : null;
}

let learnerCount = 0;

/** A learner of the test's own (a fresh user id and username), so it starts with nothing. */
export async function newLearner(prefix = 'learner'): Promise<{ token: string; username: string }> {
  learnerCount += 1;
  const id = 100_000 + process.pid * 100 + learnerCount;
  const username = `${prefix}${id}`;
  return {
    username,
    token: await signToken({
      user_id: id,
      preferred_username: username,
      email: `${username}@example.com`,
    }),
  };
}

/** What the contract's OrderStatus subscription sends, as far as these tests read it. */
export type OrderStatusData = { orderStatusChanged: { order: { status: string } } };

/** The statuses a subscriber sees for a purchase that is paid and fulfilled, in order. */
export const PAID_AND_FULFILLED = ['PENDING_PAYMENT', 'PAID', 'FULFILLING', 'FULFILLED'];

/** Subscribes to the contract's OrderStatus for one order (it sends the status at once). */
export function watchOrderStatus(
  url: string,
  token: string,
  orderId: string,
): Watched<OrderStatusData> {
  return watch<OrderStatusData>(url, contractOperation('OrderStatus'), { orderId }, { token });
}

/** Waits until the subscription has delivered FULFILLED; returns every status it delivered. */
export async function statusesUntilFulfilled(
  watched: Watched<OrderStatusData>,
): Promise<(string | undefined)[]> {
  await watched.until((results) =>
    results.some((result) => result.data?.orderStatusChanged.order.status === 'FULFILLED'),
  );
  return watched.results.map((result) => result.data?.orderStatusChanged.order.status);
}
