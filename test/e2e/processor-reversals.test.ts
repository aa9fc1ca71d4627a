import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { graphql } from '../support/client.js';
import {
  enrollmentPosts,
  lmsEnrollment,
  newLearner,
  payWithSandboxCard,
  waitForOrderStatus,
} from '../support/commerce.js';
import { commerceOperation } from '../support/commerce-contract.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { stripeAdmin, type StripeEventView } from '../support/stripe-admin.js';
import { deliverStripeEvent } from '../support/stripe-events.js';

const ML301 = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified'); // 149.00 USD
const DS201 = demoSeat('course-v1:SandboxX+DS201+3T2026', 'verified'); // 99.00 USD

interface Learner {
  token: string;
  username: string;
}
interface Placed {
  orderId: string;
  paymentId: string;
}

/** Until the order is DISPUTED and its access revoked (the status comes first). */
async function waitForDisputed(gw: TestGateway, learner: Learner, orderId: string) {
  for (let attempt = 0; ; attempt += 1) {
    const order = await waitForOrderStatus(gw.url, learner.token, orderId, 'DISPUTED');
    if (order.lines.every((line) => line.status !== 'FULFILLED') || attempt > 200) return order;
    await sleep(50);
  }
}

async function place(gw: TestGateway, learner: Learner, skus: string[]): Promise<Placed> {
  const response = await graphql<{
    purchase: { order: { id: string } | null; payment: { id: string } | null };
  }>(
    gw.url,
    commerceOperation('PurchaseWithCode'),
    { input: { skus, idempotencyKey: randomUUID() } },
    { token: learner.token },
  );
  const placed = response.body.data!.purchase;
  return { orderId: placed.order!.id, paymentId: placed.payment!.id };
}

async function fulfilled(gw: TestGateway, learner: Learner, skus: string[]): Promise<Placed> {
  const placed = await place(gw, learner, skus);
  await payWithSandboxCard(gw.sandbox, placed.paymentId);
  await waitForOrderStatus(gw.url, learner.token, placed.orderId, 'FULFILLED');
  return placed;
}

/** Until the sandbox has emitted events of each type about the payment. */
async function eventsOf(
  gw: TestGateway,
  paymentId: string,
  types: readonly string[],
): Promise<StripeEventView[]> {
  const stripe = stripeAdmin(gw.sandbox);
  for (let attempt = 0; ; attempt += 1) {
    const events = await stripe.eventsOf(paymentId);
    if (types.every((type) => events.some((event) => event.type === type))) return events;
    if (attempt > 100) throw new Error(`no ${types.join(', ')} about ${paymentId}`);
    await sleep(50);
  }
}

/**
 * Delivers the events newest first, twice over, as a processor that retries may: each delivery
 * the gateway asks to repeat (a 5xx) is made again at the end, until every one is taken.
 */
async function deliverTwiceInReverse(gw: TestGateway, events: StripeEventView[]): Promise<void> {
  const queue = [...events].reverse();
  queue.push(...queue);
  for (let rounds = 0; queue.length > 0; rounds += 1) {
    if (rounds > 400) throw new Error('the gateway never took every event');
    const event = queue.shift()!;
    const { status } = await deliverStripeEvent(gw, JSON.stringify(event));
    if (status >= 500) {
      queue.push(event);
      await sleep(25);
    } else expect(status).toBe(200);
  }
}

describe('money moved at the processor', () => {
  let gw: TestGateway;
  let stripe: ReturnType<typeof stripeAdmin>;

  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
    stripe = stripeAdmin(gw.sandbox);
  });
  afterAll(() => gw.close());

  it('a refund made at Stripe refunds the order and revokes access, with no refund of its own', async () => {
    const learner = await newLearner('dashref');
    const order = await fulfilled(gw, learner, [DS201.sku]);
    expect((await stripe.refund(order.paymentId)).status).toBe(200);

    const refunded = await waitForOrderStatus(gw.url, learner.token, order.orderId, 'REFUNDED');
    expect(refunded.lines.map((line) => line.status)).toEqual(['REFUNDED']);
    expect(await lmsEnrollment(gw.sandbox, learner.username, DS201.courseRunKey)).toMatchObject({
      is_active: false,
    });
    await sleep(300);
    const refunds = await stripe.refundsOf(order.paymentId);
    expect(refunds.map((refund) => [refund.amount, refund.metadata])).toEqual([[9900, {}]]);
  });

  it('a partial refund at Stripe takes the line it matches; one matching no line takes none', async () => {
    const learner = await newLearner('dashpart');
    const order = await fulfilled(gw, learner, [ML301.sku, DS201.sku]);
    // A goodwill refund matching no line's price: access stays.
    expect((await stripe.refund(order.paymentId, 1000)).status).toBe(200);
    await sleep(800);
    const kept = await waitForOrderStatus(gw.url, learner.token, order.orderId, 'FULFILLED');
    expect(kept.lines.map((line) => line.status)).toEqual(['FULFILLED', 'FULFILLED']);

    // Exactly DS201's price: that line is refunded and revoked, ML301 stays.
    expect((await stripe.refund(order.paymentId, 9900)).status).toBe(200);
    const partial = await waitForOrderStatus(
      gw.url,
      learner.token,
      order.orderId,
      'PARTIALLY_REFUNDED',
    );
    expect(
      Object.fromEntries(partial.lines.map((line) => [line.product.sku, line.status])),
    ).toEqual({ [ML301.sku]: 'FULFILLED', [DS201.sku]: 'REFUNDED' });
    expect(await lmsEnrollment(gw.sandbox, learner.username, DS201.courseRunKey)).toMatchObject({
      is_active: false,
    });
    expect(await lmsEnrollment(gw.sandbox, learner.username, ML301.courseRunKey)).toMatchObject({
      is_active: true,
    });

    // The rest of the payment: every line is gone.
    expect((await stripe.refund(order.paymentId)).status).toBe(200);
    await waitForOrderStatus(gw.url, learner.token, order.orderId, 'REFUNDED');
    expect(await stripe.refundsOf(order.paymentId)).toHaveLength(3);
  });

  it('a dispute (pm_card_createDispute) makes the order DISPUTED and revokes access', async () => {
    const learner = await newLearner('disputer');
    const order = await place(gw, learner, [ML301.sku, DS201.sku]);
    await payWithSandboxCard(gw.sandbox, order.paymentId, 'pm_card_createDispute');
    const disputed = await waitForDisputed(gw, learner, order.orderId);
    expect(disputed.lines.map((line) => line.status)).toEqual(['REVOKED', 'REVOKED']);
    for (const seat of [ML301, DS201]) {
      expect(await lmsEnrollment(gw.sandbox, learner.username, seat.courseRunKey)).toMatchObject({
        is_active: false,
      });
    }
    // A disputed order cannot be refunded again.
    const refund = await graphql<{ refundOrder: { userErrors: { code: string }[] } }>(
      gw.url,
      commerceOperation('RefundLines'),
      { input: { orderId: order.orderId, idempotencyKey: randomUUID() } },
      { token: learner.token },
    );
    expect(refund.body.data!.refundOrder.userErrors.map((e) => e.code)).toEqual([
      'REFUND_NOT_ALLOWED',
    ]);
  });

  it('a dispute whose revocation the LMS refuses leaves the line REVOCATION_ERROR', async () => {
    const learner = await newLearner('stuckdisp');
    const order = await place(gw, learner, [DS201.sku]);
    gw.sandbox.stripe!.pauseWebhooks();
    try {
      await payWithSandboxCard(gw.sandbox, order.paymentId, 'pm_card_createDispute');
      const events = await eventsOf(gw, order.paymentId, [
        'payment_intent.succeeded',
        'charge.dispute.created',
      ]);
      const [paid, dispute] = ['payment_intent.succeeded', 'charge.dispute.created'].map((type) =>
        events.find((event) => event.type === type)!,
      );
      expect((await deliverStripeEvent(gw, JSON.stringify(paid))).status).toBe(200);
      await waitForOrderStatus(gw.url, learner.token, order.orderId, 'FULFILLED');
      gw.sandbox.lms!.injectFault({
        status: 400,
        count: 1,
        method: 'POST',
        path: '/api/enrollment/v1/enrollment',
      });
      expect((await deliverStripeEvent(gw, JSON.stringify(dispute))).status).toBe(200);
      const disputed = await waitForDisputed(gw, learner, order.orderId);
      expect(disputed.lines.map((line) => line.status)).toEqual(['REVOCATION_ERROR']);
      expect(await lmsEnrollment(gw.sandbox, learner.username, DS201.courseRunKey)).toMatchObject({
        is_active: true,
      });
    } finally {
      gw.sandbox.stripe!.resumeWebhooks();
    }
  });

  it('believes Stripe, not the event: forged, unknown and untrue events change nothing', async () => {
    const learner = await newLearner('forged');
    const order = await fulfilled(gw, learner, [DS201.sku]);
    const event = (type: string, object: Record<string, unknown>) =>
      JSON.stringify({
        id: `evt_${randomUUID().replaceAll('-', '')}`,
        object: 'event',
        type,
        created: Math.floor(Date.now() / 1000),
        data: { object },
      });
    const refundedCharge = { id: 'ch_x', object: 'charge', payment_intent: order.paymentId };
    // Signed with another secret: refused.
    const forged = await fetch(`${gw.url}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
      },
      body: event('charge.refunded', refundedCharge),
    });
    expect(forged.status).toBe(400);
    // Genuinely signed, but Stripe has no refund or dispute of this payment: nothing happens.
    for (const [type, object] of [
      ['charge.refunded', refundedCharge],
      [
        'charge.dispute.created',
        { id: 'dp_x', object: 'dispute', payment_intent: order.paymentId },
      ],
      ['charge.refunded', { id: 'ch_y', object: 'charge', payment_intent: 'pi_unknown' }],
      ['charge.refunded', { id: 'ch_z', object: 'charge', payment_intent: null }],
    ] as const) {
      expect((await deliverStripeEvent(gw, event(type, object))).status).toBe(200);
    }
    // Naming no payment in a way Stripe never would: refused as not a Stripe event.
    const malformed = await deliverStripeEvent(
      gw,
      event('charge.dispute.created', { id: 'dp_y', payment_intent: 42 }),
    );
    expect(malformed.status).toBe(400);
    const after = await waitForOrderStatus(gw.url, learner.token, order.orderId, 'FULFILLED');
    expect(after.lines.map((line) => line.status)).toEqual(['FULFILLED']);
    expect(await lmsEnrollment(gw.sandbox, learner.username, DS201.courseRunKey)).toMatchObject({
      is_active: true,
    });
  });

  it('a refund’s events delivered twice and in reverse order have one effect', async () => {
    const learner = await newLearner('reverseref');
    const order = await fulfilled(gw, learner, [DS201.sku]);
    gw.sandbox.stripe!.pauseWebhooks();
    try {
      expect((await stripe.refund(order.paymentId)).status).toBe(200);
      const events = (await eventsOf(gw, order.paymentId, ['charge.refunded'])).filter(
        (event) => event.type !== 'payment_intent.succeeded',
      );
      const postsBefore = enrollmentPosts(gw.sandbox);
      await deliverTwiceInReverse(gw, events);
      await waitForOrderStatus(gw.url, learner.token, order.orderId, 'REFUNDED');
      await sleep(300);
      // One unenrollment, no refund by the gateway.
      expect(enrollmentPosts(gw.sandbox) - postsBefore).toBe(1);
      expect(await stripe.refundsOf(order.paymentId)).toHaveLength(1);
    } finally {
      gw.sandbox.stripe!.resumeWebhooks();
    }
  });

  it('a disputed payment’s events delivered twice and in reverse order have one effect', async () => {
    const learner = await newLearner('reversedisp');
    const order = await place(gw, learner, [DS201.sku]);
    gw.sandbox.stripe!.pauseWebhooks();
    try {
      const postsBefore = enrollmentPosts(gw.sandbox);
      await payWithSandboxCard(gw.sandbox, order.paymentId, 'pm_card_createDispute');
      const events = await eventsOf(gw, order.paymentId, [
        'payment_intent.succeeded',
        'charge.dispute.created',
      ]);
      // The dispute first: the order is not paid yet, so the gateway asks for it again later.
      await deliverTwiceInReverse(gw, events);
      const disputed = await waitForDisputed(gw, learner, order.orderId);
      expect(disputed.lines.map((line) => line.status)).toEqual(['REVOKED']);
      await sleep(300);
      // One enrollment and one unenrollment.
      expect(enrollmentPosts(gw.sandbox) - postsBefore).toBe(2);
      expect(await lmsEnrollment(gw.sandbox, learner.username, DS201.courseRunKey)).toMatchObject({
        is_active: false,
      });
    } finally {
      gw.sandbox.stripe!.resumeWebhooks();
    }
  });
});

describe('the reconciler and money moved at the processor', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      JOB_BACKOFF_MS: '50',
      RECONCILE_INTERVAL_SECONDS: '0.3',
      RECONCILE_AFTER_SECONDS: '0.5',
    });
  });
  afterAll(() => gw.close());

  it('catches a refund and a dispute whose webhooks never came', async () => {
    const stripe = stripeAdmin(gw.sandbox);
    const refundee = await newLearner('lostref');
    const refunded = await fulfilled(gw, refundee, [DS201.sku]);
    const disputer = await newLearner('lostdisp');
    const disputed = await place(gw, disputer, [ML301.sku]);
    gw.sandbox.stripe!.pauseWebhooks();
    try {
      expect((await stripe.refund(refunded.paymentId)).status).toBe(200);
      // The payment's own webhook is lost too: the reconciler settles it first.
      await payWithSandboxCard(gw.sandbox, disputed.paymentId, 'pm_card_createDispute');
      await waitForOrderStatus(gw.url, refundee.token, refunded.orderId, 'REFUNDED');
      await waitForDisputed(gw, disputer, disputed.orderId);
      expect(await lmsEnrollment(gw.sandbox, refundee.username, DS201.courseRunKey)).toMatchObject({
        is_active: false,
      });
      expect(await lmsEnrollment(gw.sandbox, disputer.username, ML301.courseRunKey)).toMatchObject({
        is_active: false,
      });
      const sent = gw.sandbox.stripe!.sentEvents();
      expect(sent.filter((event) => event.delivery === 'delivered')).toEqual(
        sent.filter((event) => event.delivery === 'delivered' && event.type.startsWith('payment')),
      );
    } finally {
      gw.sandbox.stripe!.resumeWebhooks();
    }
  });
});
