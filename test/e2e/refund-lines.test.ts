import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { errorCodes, graphql } from '../support/client.js';
import {
  lmsEnrollment,
  newLearner,
  payWithSandboxCard,
  waitForOrderStatus,
} from '../support/commerce.js';
import { commerceOperation } from '../support/commerce-contract.js';
import { commercetoolsAdmin } from '../support/discounts.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { stripeAdmin } from '../support/stripe-admin.js';

const ML301 = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified'); // 149.00 USD
const DS201 = demoSeat('course-v1:SandboxX+DS201+3T2026', 'verified'); // 99.00 USD

interface Money {
  amount: string;
  currencyCode: string;
}
interface RefundLinesView {
  order: { id: string; status: string; lines: { id: string; status: string }[] } | null;
  refund: { id: string; status: string; amount: Money } | null;
  userErrors: { code: string; message: string; field: string[] | null }[];
}
interface Placed {
  orderId: string;
  paymentId: string;
  /** Line ids by SKU. */
  lines: Record<string, string>;
}

describe('refunds of lines', () => {
  let gw: TestGateway;
  let admin: Awaited<ReturnType<typeof commercetoolsAdmin>>;
  let stripe: ReturnType<typeof stripeAdmin>;

  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
    admin = await commercetoolsAdmin(gw.sandbox);
    stripe = stripeAdmin(gw.sandbox);
  });
  afterAll(() => gw.close());

  async function fulfilledOrder(
    token: string,
    discountCode: string | null = null,
    skus = [ML301.sku, DS201.sku],
  ): Promise<Placed> {
    const response = await graphql<{
      purchase: {
        order: { id: string; lines: { id: string; product: { sku: string } }[] } | null;
        payment: { id: string } | null;
        userErrors: unknown[];
      };
    }>(
      gw.url,
      commerceOperation('PurchaseWithCode'),
      { input: { skus, idempotencyKey: randomUUID(), discountCode } },
      { token },
    );
    const placed = response.body.data!.purchase;
    expect(placed.userErrors).toEqual([]);
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    await waitForOrderStatus(gw.url, token, placed.order!.id, 'FULFILLED');
    return {
      orderId: placed.order!.id,
      paymentId: placed.payment!.id,
      lines: Object.fromEntries(placed.order!.lines.map((line) => [line.product.sku, line.id])),
    };
  }

  async function refundLines(token: string, input: Record<string, unknown>) {
    return graphql<{ refundOrder: RefundLinesView }>(
      gw.url,
      commerceOperation('RefundLines'),
      { input: { reason: 'changed my mind', idempotencyKey: randomUUID(), ...input } },
      { token },
    );
  }

  async function codeUsable(token: string, code: string): Promise<boolean> {
    const response = await graphql<{ checkoutPreview: { userErrors: { code: string }[] } }>(
      gw.url,
      commerceOperation('CheckoutWithCode'),
      { skus: [DS201.sku], discountCode: code },
      { token },
    );
    return response.body.data!.checkoutPreview.userErrors.length === 0;
  }

  it('refunds one line at its discounted price, revokes it alone, then the other: REFUNDED', async () => {
    const learner = await newLearner('partial');
    const other = await newLearner('codeuser');
    const code = await admin.createCode({
      value: { type: 'relative', permyriad: 2000 },
      maxApplications: 1,
    });
    const order = await fulfilledOrder(learner.token, code);

    const first = await refundLines(learner.token, {
      orderId: order.orderId,
      lineIds: [order.lines[DS201.sku]],
    });
    expect(first.body.errors).toBeUndefined();
    const result = first.body.data!.refundOrder;
    expect(result.userErrors).toEqual([]);
    // 99.00 less 20 %.
    expect(result.refund).toMatchObject({
      status: 'SUCCEEDED',
      amount: { amount: '79.20', currencyCode: 'USD' },
    });
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
    expect((await stripe.refundsOf(order.paymentId)).map((refund) => refund.amount)).toEqual([
      7920,
    ]);
    // A partial refund keeps the code's use.
    expect(await codeUsable(other.token, code)).toBe(false);

    const second = await refundLines(learner.token, {
      orderId: order.orderId,
      lineIds: [order.lines[ML301.sku]],
    });
    expect(second.body.data!.refundOrder).toMatchObject({
      userErrors: [],
      refund: { amount: { amount: '119.20' } },
    });
    const refunded = await waitForOrderStatus(gw.url, learner.token, order.orderId, 'REFUNDED');
    expect(refunded.lines.map((line) => line.status)).toEqual(['REFUNDED', 'REFUNDED']);
    expect(await lmsEnrollment(gw.sandbox, learner.username, ML301.courseRunKey)).toMatchObject({
      is_active: false,
    });
    expect((await stripe.refundsOf(order.paymentId)).map((refund) => refund.amount).sort()).toEqual(
      [11920, 7920],
    );
    // The full refund gave the code's only use back.
    await expect.poll(() => codeUsable(other.token, code)).toBe(true);
  });

  it('makes one Stripe refund for the same request sent five times at once', async () => {
    const learner = await newLearner('fivefold');
    const order = await fulfilledOrder(learner.token);
    const input = {
      orderId: order.orderId,
      lineIds: [order.lines[ML301.sku]],
      idempotencyKey: randomUUID(),
    };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => refundLines(learner.token, input)),
    );
    const refundIds = new Set(
      answers.map((answer) => {
        expect(answer.body.data!.refundOrder.userErrors).toEqual([]);
        return answer.body.data!.refundOrder.refund?.id;
      }),
    );
    expect(refundIds.size).toBe(1);
    await waitForOrderStatus(gw.url, learner.token, order.orderId, 'PARTIALLY_REFUNDED');
    expect((await stripe.refundsOf(order.paymentId)).map((refund) => refund.amount)).toEqual([
      14900,
    ]);
  });

  it('refuses lines it cannot refund, and changes nothing', async () => {
    const learner = await newLearner('badlines');
    const order = await fulfilledOrder(learner.token);
    const another = await fulfilledOrder(learner.token, null, [
      demoSeat('course-v1:SandboxX+UX120+3T2026', 'verified').sku,
    ]);
    const codesOf = async (input: Record<string, unknown>) => {
      const response = await refundLines(learner.token, { orderId: order.orderId, ...input });
      return response.body.errors
        ? errorCodes(response)
        : response.body.data!.refundOrder.userErrors;
    };

    expect(await codesOf({ lineIds: ['no-such-line'] })).toEqual([
      expect.objectContaining({ code: 'LINE_NOT_FOUND', field: ['input', 'lineIds', '0'] }),
    ]);
    // A line of another order of the same learner is not a line of this one.
    const foreign = Object.values(another.lines)[0]!;
    expect(await codesOf({ lineIds: [order.lines[ML301.sku], foreign] })).toEqual([
      expect.objectContaining({ code: 'LINE_NOT_FOUND', field: ['input', 'lineIds', '1'] }),
    ]);
    expect(await codesOf({ lineIds: [] })).toEqual(['BAD_USER_INPUT']);
    expect(await codesOf({ lineIds: Array.from({ length: 21 }, (_, i) => `l${i}`) })).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(await stripe.refundsOf(order.paymentId)).toEqual([]);

    // A line already refunded cannot be refunded again, alone or with another.
    const first = await refundLines(learner.token, {
      orderId: order.orderId,
      lineIds: [order.lines[DS201.sku]],
    });
    expect(first.body.data!.refundOrder.userErrors).toEqual([]);
    await waitForOrderStatus(gw.url, learner.token, order.orderId, 'PARTIALLY_REFUNDED');
    expect(await codesOf({ lineIds: [order.lines[ML301.sku], order.lines[DS201.sku]] })).toEqual([
      expect.objectContaining({ code: 'REFUND_NOT_ALLOWED', field: ['input', 'lineIds', '1'] }),
    ]);
    expect(await stripe.refundsOf(order.paymentId)).toHaveLength(1);
    const after = await waitForOrderStatus(
      gw.url,
      learner.token,
      order.orderId,
      'PARTIALLY_REFUNDED',
    );
    expect(after.lines.map((line) => line.status).sort()).toEqual(['FULFILLED', 'REFUNDED']);

    // Without lineIds, every line still standing is refunded.
    const rest = await refundLines(learner.token, { orderId: order.orderId });
    expect(rest.body.data!.refundOrder).toMatchObject({
      userErrors: [],
      refund: { amount: { amount: '149.00' } },
    });
    await waitForOrderStatus(gw.url, learner.token, order.orderId, 'REFUNDED');
  });
});
