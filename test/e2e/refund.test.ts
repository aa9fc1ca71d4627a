import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoOrdersOf, demoSeat } from '../../sandbox/demo-data.js';
import { contractOperation, errorCodes, graphql, signToken, tokenFor } from '../support/client.js';
import {
  lmsEnrollment,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const SQL150 = 'course-v1:SandboxX+SQL150+3T2026';

interface RefundView {
  order: { id: string; status: string; lines: { id: string; status: string }[] } | null;
  refund: { id: string; status: string; amount: { amount: string; currencyCode: string } } | null;
  userErrors: { code: string }[];
}

describe('refunding an order', () => {
  let gw: TestGateway;
  let learner: { token: string; username: string };

  beforeAll(async () => {
    gw = await startTestGateway({
      JOB_BACKOFF_MS: '50',
      LOG_LEVEL: process.env['DEBUG_LOG'] ?? 'silent',
    });
    learner = {
      username: 'refundee',
      token: await signToken({
        user_id: 4242,
        preferred_username: 'refundee',
        email: 'r@example.com',
      }),
    };
  });
  afterAll(() => gw.close());

  const refund = async (orderId: string, idempotencyKey: string, token = learner.token) => {
    const response = await graphql<{ refundOrder: RefundView }>(
      gw.url,
      contractOperation('RefundOrder'),
      { input: { orderId, reason: 'changed my mind', idempotencyKey } },
      { token },
    );
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.refundOrder;
  };

  async function fulfilledOrder(courseRunKey = SQL150): Promise<string> {
    const placed = await purchase(
      gw.url,
      learner.token,
      [demoSeat(courseRunKey, 'verified').sku],
      randomUUID(),
    );
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    await waitForOrderStatus(gw.url, learner.token, placed.order!.id, 'FULFILLED');
    return placed.order!.id;
  }

  it('gives the money back, revokes the enrollment and ends REFUNDED', async () => {
    const orderId = await fulfilledOrder();
    const key = randomUUID();
    const result = await refund(orderId, key);
    expect(result.userErrors).toEqual([]);
    expect(result.order?.status).toBe('REFUND_PENDING');
    expect(result.refund).toMatchObject({
      status: 'SUCCEEDED',
      amount: { amount: '69.00', currencyCode: 'USD' },
    });

    const order = await waitForOrderStatus(gw.url, learner.token, orderId, 'REFUNDED');
    expect(order.lines.map((line) => line.status)).toEqual(['REFUNDED']);
    expect(await lmsEnrollment(gw.sandbox, learner.username, SQL150)).toMatchObject({
      is_active: false,
      mode: 'verified',
    });

    const stripeRefund = await fetch(`${gw.sandbox.urls.stripe}/v1/refunds/${result.refund!.id}`, {
      headers: { authorization: `Bearer ${gw.sandbox.credentials.stripeSecretKey}` },
    });
    expect(await stripeRefund.json()).toMatchObject({ status: 'succeeded', amount: 6900 });

    // The same request again: the same refund, nothing new.
    const again = await refund(orderId, key);
    expect(again.userErrors).toEqual([]);
    expect(again.refund?.id).toBe(result.refund!.id);
    // Another refund of a refunded order is not allowed.
    const other = await refund(orderId, randomUUID());
    expect(other.userErrors.map((error) => error.code)).toEqual(['REFUND_NOT_ALLOWED']);
  });

  it('answers REFUND_NOT_ALLOWED for an order that is not fulfilled', async () => {
    const placed = await purchase(
      gw.url,
      learner.token,
      [demoSeat('course-v1:SandboxX+FIN210+3T2026', 'verified').sku],
      randomUUID(),
    );
    const result = await refund(placed.order!.id, randomUUID());
    expect(result.userErrors.map((error) => error.code)).toEqual(['REFUND_NOT_ALLOWED']);
    expect(result.order?.status).toBe('PENDING_PAYMENT');
  });

  it('treats another learner’s order as missing', async () => {
    const alicesOrder = demoOrdersOf('alice').find((order) => order.status === 'FULFILLED')!;
    const result = await refund(alicesOrder.id, randomUUID(), await tokenFor('bob'));
    expect(result).toMatchObject({ order: null, refund: null });
    expect(result.userErrors.map((error) => error.code)).toEqual(['ORDER_NOT_FOUND']);
  });

  it('lets staff refund any learner’s order', async () => {
    const orderId = await fulfilledOrder('course-v1:SandboxX+CS50X+3T2026');
    const result = await refund(orderId, randomUUID(), await tokenFor('staff'));
    expect(result.userErrors).toEqual([]);
    await waitForOrderStatus(gw.url, learner.token, orderId, 'REFUNDED');
  });

  it('needs credentials', async () => {
    const response = await graphql(gw.url, contractOperation('RefundOrder'), {
      input: { orderId: 'x', idempotencyKey: 'k' },
    });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });
});
