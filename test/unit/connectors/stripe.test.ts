import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { UpstreamRejectedError } from '../../../connectors/errors.js';
import { createConnectors } from '../../../connectors/index.js';
import { toPayment } from '../../../connectors/stripe/stripe-payments.js';
import type { StripePaymentIntent } from '../../../connectors/stripe/wire-types.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { DEMO_ORDERS } from '../../../sandbox/demo-data.js';
import { keysUnder, settingsFor, startWorld, type ConnectorWorld } from './support.js';

const GET_INTENT = 'GET /v1/payment_intents/:id';

let world: ConnectorWorld;

const paidOrders = DEMO_ORDERS.filter((order) => order.payment !== null);

async function stripePost(
  path: string,
  form: Record<string, string>,
): Promise<StripePaymentIntent> {
  const response = await fetch(`${world.sandbox.urls.stripe}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${SANDBOX_CREDENTIALS.stripeSecretKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as StripePaymentIntent;
}

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(() => {
  world.sandbox.stripe.resetStats();
});

describe('Stripe payments', () => {
  it('maps succeeded intents, leaves unknown ids out, and caches the terminal ones', async () => {
    const [first, second] = paidOrders;
    const ids = [first?.payment?.paymentIntentId ?? '', second?.payment?.paymentIntentId ?? ''];
    const payments = await world.connectors.payments.getPayments([...ids, 'pi_doesnotexist']);
    expect(world.sandbox.stripe.stats()[GET_INTENT]).toBe(3);
    expect([...payments.keys()]).toEqual(ids);
    expect(payments.get(ids[0] ?? '')).toEqual({
      id: ids[0],
      provider: 'stripe',
      status: 'SUCCEEDED',
      amount: {
        amount: ((first?.totalCents ?? 0) / 100).toFixed(2),
        currencyCode: first?.currency,
      },
      clientSecret: null,
      orderId: first?.id,
      lastErrorCode: null,
    });

    world.sandbox.stripe.resetStats();
    const again = await world.connectors.payments.getPayments(ids);
    expect(world.sandbox.stripe.totalRequests()).toBe(0);
    expect(again).toEqual(new Map([...payments].filter(([id]) => ids.includes(id))));

    const cached = await keysUnder(world.redis, `${world.keyPrefix}payments:stripe:pi:`);
    expect(cached.sort()).toEqual(
      ids.map((id) => `${world.keyPrefix}payments:stripe:pi:${id}`).sort(),
    );
    const stored = await world.redis.mget(cached);
    expect(stored.join()).not.toContain('secret');
  });

  it('never caches an intent that can still change', async () => {
    const created = await stripePost('/v1/payment_intents', {
      amount: '12345',
      currency: 'eur',
      'automatic_payment_methods[enabled]': 'true',
    });
    const first = (await world.connectors.payments.getPayments([created.id])).get(created.id);
    expect(first).toEqual({
      id: created.id,
      provider: 'stripe',
      status: 'REQUIRES_PAYMENT_METHOD',
      amount: { amount: '123.45', currencyCode: 'EUR' },
      clientSecret: created.client_secret,
      orderId: null,
      lastErrorCode: null,
    });
    await world.connectors.payments.getPayments([created.id]);
    expect(world.sandbox.stripe.stats()[GET_INTENT]).toBe(2);

    await stripePost(`/v1/payment_intents/${created.id}/confirm`, {
      payment_method: 'pm_card_visa',
    });
    const paid = (await world.connectors.payments.getPayments([created.id])).get(created.id);
    expect(paid).toMatchObject({ status: 'SUCCEEDED', clientSecret: null });
    await world.connectors.payments.getPayments([created.id]);
    expect(world.sandbox.stripe.stats()[GET_INTENT]).toBe(3);
  });

  it('is refused with a wrong secret key', async () => {
    const settings = settingsFor(world.sandbox);
    const wrong = createConnectors(
      { ...settings, stripe: { ...settings.stripe, secretKey: 'sk_test_wrong' } },
      {
        redis: world.redis,
        keyPrefix: world.keyPrefix,
        timeoutMs: 2_000,
        catalogCacheTtlSeconds: 60,
      },
    );
    const error = await wrong.payments.getPayments(['pi_whatever']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ upstream: 'payments', statusCode: 401 });
    expect((error as Error).message).not.toContain('sk_test');
  });

  it('maps every Stripe status', () => {
    const base: StripePaymentIntent = {
      id: 'pi_1',
      object: 'payment_intent',
      amount: 500,
      amount_received: 0,
      currency: 'jpy',
      status: 'requires_capture',
      client_secret: 'pi_1_secret_x',
      created: 0,
      latest_charge: null,
      metadata: {},
      last_payment_error: null,
    };
    const statuses = {
      requires_payment_method: 'REQUIRES_PAYMENT_METHOD',
      requires_confirmation: 'REQUIRES_CONFIRMATION',
      requires_action: 'REQUIRES_ACTION',
      processing: 'PROCESSING',
      requires_capture: 'PROCESSING',
      succeeded: 'SUCCEEDED',
      canceled: 'CANCELED',
    } as const;
    for (const [wire, status] of Object.entries(statuses)) {
      const payment = toPayment({ ...base, status: wire as StripePaymentIntent['status'] });
      expect(payment.status).toBe(status);
      expect(payment.clientSecret).toBe(
        status === 'SUCCEEDED' || status === 'CANCELED' ? null : 'pi_1_secret_x',
      );
    }
    expect(toPayment(base).amount).toEqual({ amount: '500', currencyCode: 'JPY' });
  });

  it('checks /v1/balance', async () => {
    await world.connectors.payments.checkReachable();
    expect(world.sandbox.stripe.stats()['GET /v1/balance']).toBe(1);
  });
});
