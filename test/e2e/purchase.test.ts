import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { contractOperation, errorCodes, graphql, tokenFor } from '../support/client.js';
import {
  lmsEnrollment,
  newLearner,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const ML301 = 'course-v1:SandboxX+ML301+3T2026';
const UX120 = 'course-v1:SandboxX+UX120+3T2026';

describe('buying a course', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
  });
  afterAll(() => gw.close());

  it('takes a paid purchase to FULFILLED, with the LMS holding the enrollment', async () => {
    const { token, username } = await newLearner();
    const seat = demoSeat(ML301, 'verified');
    const placed = await purchase(gw.url, token, [seat.sku], randomUUID());
    expect(placed.userErrors).toEqual([]);
    expect(placed.order).toMatchObject({
      status: 'PENDING_PAYMENT',
      total: { amount: '149.00', currencyCode: 'USD' },
      lines: [{ status: 'PENDING', product: { sku: seat.sku } }],
    });
    expect(placed.payment).toMatchObject({ status: 'REQUIRES_PAYMENT_METHOD' });
    expect(placed.payment!.clientSecret).toMatch(/_secret_/);

    expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id)).toBe(200);
    const order = await waitForOrderStatus(gw.url, token, placed.order!.id, 'FULFILLED');
    expect(order.lines.map((line) => line.status)).toEqual(['FULFILLED']);
    expect(await lmsEnrollment(gw.sandbox, username, ML301)).toMatchObject({
      mode: 'verified',
      is_active: true,
    });
  });

  it('takes a declined card to PAYMENT_FAILED, with no enrollment', async () => {
    const { token, username } = await newLearner();
    const placed = await purchase(gw.url, token, [demoSeat(ML301, 'verified').sku], randomUUID());
    expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id, 'pm_card_chargeDeclined')).toBe(
      402,
    );
    await waitForOrderStatus(gw.url, token, placed.order!.id, 'PAYMENT_FAILED');
    expect(await lmsEnrollment(gw.sandbox, username, ML301)).toBeNull();
  });

  it('takes a free purchase straight to FULFILLED with no payment', async () => {
    const { token, username } = await newLearner();
    const placed = await purchase(gw.url, token, [demoSeat(UX120, 'audit').sku], randomUUID());
    expect(placed.payment).toBeNull();
    expect(placed.order?.total).toEqual({ amount: '0.00', currencyCode: 'USD' });
    const order = await waitForOrderStatus(gw.url, token, placed.order!.id, 'FULFILLED');
    const byId = await graphql<{ order: { payment: null } }>(
      gw.url,
      contractOperation('OrderById'),
      { id: order.id },
      { token },
    );
    expect(byId.body.data?.order.payment).toBeNull();
    expect(await lmsEnrollment(gw.sandbox, username, UX120)).toMatchObject({
      mode: 'audit',
      is_active: true,
    });
  });

  it('answers ALREADY_PURCHASED for a course the learner holds, creating nothing', async () => {
    const token = await tokenFor('alice');
    const held = demoSeat('course-v1:SandboxX+PY101+3T2026', 'verified');
    const before = gw.sandbox.commercetools!.stats()['POST /:projectKey/orders/import'] ?? 0;
    const result = await purchase(gw.url, token, [held.sku], randomUUID());
    expect(result).toMatchObject({
      order: null,
      payment: null,
      userErrors: [{ code: 'ALREADY_PURCHASED' }],
    });
    expect(gw.sandbox.commercetools!.stats()['POST /:projectKey/orders/import'] ?? 0).toBe(before);
  });

  it('answers SKU_NOT_FOUND and MIXED_CURRENCIES as userErrors, creating nothing', async () => {
    const { token } = await newLearner();
    const unknown = await purchase(gw.url, token, ['NOSUCH1'], randomUUID());
    expect(unknown.userErrors.map((error) => error.code)).toEqual(['SKU_NOT_FOUND']);
    const mixed = await purchase(
      gw.url,
      token,
      [
        demoSeat(ML301, 'verified').sku,
        demoSeat('course-v1:SandboxX+EU200+3T2026', 'verified').sku,
      ],
      randomUUID(),
    );
    expect(mixed.userErrors.map((error) => error.code)).toEqual(['MIXED_CURRENCIES']);
    expect(mixed.order).toBeNull();
  });

  it('returns the same order and payment for the same key sent 5 times at once', async () => {
    const { token } = await newLearner();
    const stats = () => ({
      orders: gw.sandbox.commercetools!.stats()['POST /:projectKey/orders/import'] ?? 0,
      intents: gw.sandbox.stripe!.stats()['POST /v1/payment_intents'] ?? 0,
    });
    const before = stats();
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        purchase(gw.url, token, [demoSeat(UX120, 'verified').sku], key),
      ),
    );
    const orderIds = new Set(results.map((result) => result.order?.id));
    const paymentIds = new Set(results.map((result) => result.payment?.id));
    expect(orderIds.size).toBe(1);
    expect(paymentIds.size).toBe(1);
    expect([...orderIds][0]).toBeTruthy();
    const after = stats();
    expect(after.orders - before.orders).toBe(1);
    expect(after.intents - before.intents).toBe(1);
    const again = await purchase(gw.url, token, [demoSeat(UX120, 'verified').sku], key);
    expect(again.order?.id).toBe([...orderIds][0]);
  });

  it('leaves nothing half-done when Stripe is down: the same key later completes the purchase', async () => {
    const { token } = await newLearner();
    const key = randomUUID();
    const sku = demoSeat(ML301, 'verified').sku;
    gw.sandbox.stripe!.injectFault({
      status: 503,
      count: 1,
      method: 'POST',
      path: '/v1/payment_intents',
    });
    const failed = await graphql(
      gw.url,
      contractOperation('Purchase'),
      {
        input: { skus: [sku], idempotencyKey: key },
      },
      { token },
    );
    expect(errorCodes(failed)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(JSON.stringify(failed.body)).not.toContain('127.0.0.1');

    const retried = await purchase(gw.url, token, [sku], key);
    expect(retried.order?.status).toBe('PENDING_PAYMENT');
    expect(retried.payment?.status).toBe('REQUIRES_PAYMENT_METHOD');
    const again = await purchase(gw.url, token, [sku], key);
    expect(again.order?.id).toBe(retried.order?.id);
    expect(again.payment?.id).toBe(retried.payment?.id);
  });

  it('gives every concurrent request of a refused basket the same userErrors', async () => {
    const { token } = await newLearner();
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 3 }, () => purchase(gw.url, token, ['NOSUCH2'], key)),
    );
    for (const result of results) {
      expect(result.order).toBeNull();
      expect(result.userErrors.map((error) => error.code)).toEqual(['SKU_NOT_FOUND']);
    }
  });

  it('refuses the same key for a different basket', async () => {
    const { token } = await newLearner();
    const key = randomUUID();
    await purchase(gw.url, token, [demoSeat(UX120, 'verified').sku], key);
    const response = await graphql(
      gw.url,
      contractOperation('Purchase'),
      {
        input: { skus: [demoSeat(ML301, 'verified').sku], idempotencyKey: key },
      },
      { token },
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it.each([
    ['empty', ''],
    ['too long', 'k'.repeat(129)],
    ['with a space', 'a b'],
    ['with a quote', 'a"b'],
  ])('refuses an idempotency key that is %s', async (_name, key) => {
    const { token } = await newLearner();
    const response = await graphql(
      gw.url,
      contractOperation('Purchase'),
      {
        input: { skus: [demoSeat(UX120, 'verified').sku], idempotencyKey: key },
      },
      { token },
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('needs credentials', async () => {
    const response = await graphql(gw.url, contractOperation('Purchase'), {
      input: { skus: [demoSeat(UX120, 'verified').sku], idempotencyKey: randomUUID() },
    });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.data).toEqual({ purchase: null });
  });
});
