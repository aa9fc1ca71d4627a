import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { contractOperation, errorCodes, graphql, tokenFor } from '../support/client.js';
import {
  enrollmentPosts,
  newLearner,
  lmsEnrollment,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const ENROLL = { method: 'POST', path: '/api/enrollment/v1/enrollment' };
const DS201 = 'course-v1:SandboxX+DS201+3T2026';

describe('fulfillment under faults', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      JOB_BACKOFF_MS: '50',
      RECONCILE_INTERVAL_SECONDS: '0.3',
      RECONCILE_AFTER_SECONDS: '0.5',
    });
  });
  afterAll(() => gw.close());

  async function paidOrder(mode = 'verified') {
    const learner = await newLearner();
    const placed = await purchase(gw.url, learner.token, [demoSeat(DS201, mode).sku], randomUUID());
    return { ...learner, orderId: placed.order!.id, paymentId: placed.payment!.id };
  }

  it('retries an LMS that answers 503 twice, then ends FULFILLED', async () => {
    const order = await paidOrder();
    gw.sandbox.lms!.injectFault({ status: 503, count: 2, ...ENROLL });
    const before = enrollmentPosts(gw.sandbox);
    await payWithSandboxCard(gw.sandbox, order.paymentId);
    await waitForOrderStatus(gw.url, order.token, order.orderId, 'FULFILLED');
    expect(enrollmentPosts(gw.sandbox) - before).toBe(3);
    expect(await lmsEnrollment(gw.sandbox, order.username, DS201)).toMatchObject({
      is_active: true,
    });
  });

  it('fails a line the LMS refuses at once, then support retries it once the LMS accepts', async () => {
    const order = await paidOrder('professional');
    gw.sandbox.lms!.injectFault({ status: 400, count: 1, ...ENROLL });
    const before = enrollmentPosts(gw.sandbox);
    await payWithSandboxCard(gw.sandbox, order.paymentId);
    const failed = await waitForOrderStatus(
      gw.url,
      order.token,
      order.orderId,
      'FULFILLMENT_ERROR',
    );
    expect(failed.lines.map((line) => line.status)).toEqual(['FULFILLMENT_ERROR']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(enrollmentPosts(gw.sandbox) - before).toBe(1);

    const retry = (token: string) =>
      graphql<{
        retryFulfillment: { order: { status: string } | null; userErrors: { code: string }[] };
      }>(gw.url, contractOperation('RetryFulfillment'), { orderId: order.orderId }, { token });
    const byLearner = await retry(order.token);
    expect(errorCodes(byLearner)).toEqual(['FORBIDDEN']);

    const byStaff = await retry(await tokenFor('staff'));
    expect(byStaff.body.data?.retryFulfillment).toMatchObject({
      order: { status: 'FULFILLING' },
      userErrors: [],
    });
    const done = await waitForOrderStatus(gw.url, order.token, order.orderId, 'FULFILLED');
    expect(done.lines.map((line) => line.status)).toEqual(['FULFILLED']);
    expect(await lmsEnrollment(gw.sandbox, order.username, DS201)).toMatchObject({
      mode: 'professional',
      is_active: true,
    });

    const again = await retry(await tokenFor('staff'));
    expect(again.body.data?.retryFulfillment?.userErrors.map((error) => error.code)).toEqual([
      'RETRY_NOT_ALLOWED',
    ]);
  });

  it('brings an order whose webhook never came to FULFILLED through the reconciler', async () => {
    const order = await paidOrder();
    gw.sandbox.stripe!.pauseWebhooks();
    try {
      await payWithSandboxCard(gw.sandbox, order.paymentId);
      await waitForOrderStatus(gw.url, order.token, order.orderId, 'FULFILLED', 20_000);
    } finally {
      gw.sandbox.stripe!.resumeWebhooks();
    }
    // The gateway never heard of the payment from the processor: the reconciler asked for it.
    const events = gw.sandbox
      .stripe!.sentEvents()
      .filter((event) => event.objectId === order.paymentId);
    expect(events.map((event) => event.type)).toContain('payment_intent.succeeded');
    expect(events.every((event) => event.delivery === 'withheld')).toBe(true);
  });
});
