import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { UpstreamRejectedError } from '../../../connectors/errors.js';
import type { Money } from '../../../connectors/money.js';
import { WebhookSignatureError, type PaymentEvent } from '../../../connectors/payments.js';
import { toRefund } from '../../../connectors/stripe/stripe-payments.js';
import type { StripeRefund } from '../../../connectors/stripe/wire-types.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { signStripePayload } from '../../../sandbox/index.js';
import { startWorld, type ConnectorWorld } from './support.js';

const CREATE_INTENT = 'POST /v1/payment_intents';
const GET_INTENT = 'GET /v1/payment_intents/:id';
const CREATE_REFUND = 'POST /v1/refunds';
const SECRET = SANDBOX_CREDENTIALS.stripeWebhookSecret;
const USD_49: Money = { amount: '49.00', currencyCode: 'USD' };

let world: ConnectorWorld;

/** Calls the Stripe sandbox directly, as the payer's browser or a test would. */
async function stripeCall(
  method: 'GET' | 'POST',
  path: string,
  form?: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${world.sandbox.urls.stripe}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${SANDBOX_CREDENTIALS.stripeSecretKey}`,
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(form ? { body: new URLSearchParams(form) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const confirm = (id: string, paymentMethod: string) =>
  stripeCall('POST', `/v1/payment_intents/${id}/confirm`, { payment_method: paymentMethod });

function create(overrides: { idempotencyKey?: string; amount?: Money; orderId?: string } = {}) {
  return world.connectors.payments.createPayment({
    amount: overrides.amount ?? USD_49,
    idempotencyKey: overrides.idempotencyKey ?? randomUUID(),
    orderId: overrides.orderId ?? randomUUID(),
    metadata: { order_number: 'EDX-1', lms_user_id: '1001' },
  });
}

async function paidPayment(): Promise<string> {
  const payment = await create();
  expect((await confirm(payment.id, 'pm_card_visa')).status).toBe(200);
  return payment.id;
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

describe('creating payments', () => {
  it('creates an intent awaiting a payment method, with the order and metadata recorded', async () => {
    const orderId = randomUUID();
    const payment = await create({ orderId });
    expect(payment).toEqual({
      id: expect.stringMatching(/^pi_/),
      provider: 'stripe',
      status: 'REQUIRES_PAYMENT_METHOD',
      amount: USD_49,
      clientSecret: expect.stringMatching(/^pi_\w+_secret_/),
      orderId,
      lastErrorCode: null,
    });
    const { body } = await stripeCall('GET', `/v1/payment_intents/${payment.id}`);
    expect(body).toMatchObject({
      amount: 4900,
      currency: 'usd',
      metadata: { order_id: orderId, order_number: 'EDX-1', lms_user_id: '1001' },
      automatic_payment_methods: { enabled: true },
    });
  });

  it('converts the amount to minor units of the currency', async () => {
    const yen = await create({ amount: { amount: '5000', currencyCode: 'JPY' } });
    expect(yen.amount).toEqual({ amount: '5000', currencyCode: 'JPY' });
    const { body } = await stripeCall('GET', `/v1/payment_intents/${yen.id}`);
    expect(body).toMatchObject({ amount: 5000, currency: 'jpy' });
  });

  it('returns the same payment for the same idempotency key, and never retries a POST', async () => {
    const idempotencyKey = randomUUID();
    const orderId = randomUUID();
    const first = await create({ idempotencyKey, orderId });
    // The same purchase retried, its metadata built in another order.
    const again = await world.connectors.payments.createPayment({
      amount: USD_49,
      idempotencyKey,
      orderId,
      metadata: { lms_user_id: '1001', order_number: 'EDX-1' },
    });
    expect(again).toEqual(first);
    const other = await create({ orderId });
    expect(other.id).not.toBe(first.id);
    expect(world.sandbox.stripe.stats()[CREATE_INTENT]).toBe(3);

    const conflicting = await create({
      idempotencyKey,
      orderId,
      amount: { ...USD_49, amount: '1' },
    })
      .then(() => null)
      .catch((e: unknown) => e);
    expect(conflicting).toBeInstanceOf(UpstreamRejectedError);
    expect(conflicting).toMatchObject({ statusCode: 400, detail: 'idempotency_error' });

    world.sandbox.stripe.resetStats();
    world.sandbox.stripe.injectFault({ status: 503, count: 1, method: 'POST' });
    const failed = await create().catch((e: unknown) => e);
    expect(failed).toMatchObject({ name: 'UpstreamUnavailableError', upstream: 'payments' });
    expect(world.sandbox.stripe.stats()[CREATE_INTENT]).toBe(1);
  });
});

describe('reading a payment fresh', () => {
  it('shows a confirmed payment at once, ignoring the cache, and caches it once terminal', async () => {
    const orderId = randomUUID();
    const payment = await create({ orderId });
    const key = `${world.keyPrefix}payments:stripe:pi:${payment.id}`;
    // A cache entry saying otherwise must not be believed.
    await world.redis.set(key, JSON.stringify({ ...payment, status: 'CANCELED' }));
    expect(await world.connectors.payments.getFreshPayment(payment.id)).toEqual(payment);
    await world.redis.del(key);

    expect((await confirm(payment.id, 'pm_card_visa')).status).toBe(200);
    world.sandbox.stripe.resetStats();
    const paid = await world.connectors.payments.getFreshPayment(payment.id);
    expect(paid).toEqual({
      ...payment,
      status: 'SUCCEEDED',
      clientSecret: null,
      orderId,
      lastErrorCode: null,
    });
    await world.connectors.payments.getFreshPayment(payment.id);
    expect(world.sandbox.stripe.stats()[GET_INTENT]).toBe(2);

    // What it read, being terminal, now serves getPayments from the cache.
    const cached = await world.connectors.payments.getPayments([payment.id]);
    expect(cached.get(payment.id)).toEqual(paid);
    expect(world.sandbox.stripe.stats()[GET_INTENT]).toBe(2);
    expect(await world.redis.get(key)).not.toContain('secret');
  });

  it('gives the code of a declined card, and caches nothing that can still change', async () => {
    const payment = await create();
    const declined = await confirm(payment.id, 'pm_card_chargeDeclined');
    expect(declined.status).toBe(402);
    const fresh = await world.connectors.payments.getFreshPayment(payment.id);
    expect(fresh).toEqual({
      ...payment,
      status: 'REQUIRES_PAYMENT_METHOD',
      lastErrorCode: 'card_declined',
    });
    expect(await world.redis.exists(`${world.keyPrefix}payments:stripe:pi:${payment.id}`)).toBe(0);
  });

  it('is null for an unknown payment', async () => {
    expect(await world.connectors.payments.getFreshPayment('pi_doesnotexist')).toBeNull();
    expect(await world.connectors.payments.getFreshPayment('')).toBeNull();
  });

  it('treats a cache entry from before orderId and lastErrorCode as a miss', async () => {
    const id = await paidPayment();
    const {
      orderId: _o,
      lastErrorCode: _l,
      ...old
    } = (await world.connectors.payments.getFreshPayment(id)) ?? {};
    await world.redis.set(`${world.keyPrefix}payments:stripe:pi:${id}`, JSON.stringify(old));
    world.sandbox.stripe.resetStats();
    // As a process started after a deploy: nothing in memory yet, the old entry in Redis.
    const restarted = world.connect({ keyPrefix: world.keyPrefix });
    const payment = (await restarted.payments.getPayments([id])).get(id);
    expect(payment).toMatchObject({ status: 'SUCCEEDED', orderId: expect.any(String) });
    expect(world.sandbox.stripe.stats()[GET_INTENT]).toBe(1);
  });
});

describe('money moved back at the processor', () => {
  it('lists a payment’s refunds, telling the gateway’s (order_id) from the dashboard’s', async () => {
    const paymentId = await paidPayment();
    const ours = await world.connectors.payments.refundPayment({
      paymentId,
      idempotencyKey: randomUUID(),
      amount: { amount: '10.00', currencyCode: 'USD' },
      metadata: { order_id: 'o-1' },
    });
    expect(ours.amount).toEqual({ amount: '10.00', currencyCode: 'USD' });
    expect(
      (await stripeCall('POST', '/v1/refunds', { payment_intent: paymentId, amount: '500' }))
        .status,
    ).toBe(200);
    const reversals = await world.connectors.payments.getReversals(paymentId);
    expect(reversals.disputeIds).toEqual([]);
    expect(
      reversals.refunds.map((refund) => [refund.amount.amount, refund.orderId]).sort(),
    ).toEqual([
      ['10.00', 'o-1'],
      ['5.00', null],
    ]);
    expect(await world.connectors.payments.getRefund(ours.id)).toMatchObject({ id: ours.id });
    expect(await world.connectors.payments.getRefund('re_unknown')).toBeNull();
  });

  it('reads back refund and dispute events page after page', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const disputed = await create();
    await confirm(disputed.id, 'pm_card_createDispute');
    const refunded = await paidPayment();
    for (const amount of ['100', '200', '300']) {
      await stripeCall('POST', '/v1/refunds', { payment_intent: refunded, amount });
    }
    await expect
      .poll(async () => (await world.connectors.payments.listReversalEvents(since, 1000)).length)
      .toBeGreaterThanOrEqual(4);
    const events = await world.connectors.payments.listReversalEvents(since, 1000);
    expect(events.every((event) => event.kind === 'reversal')).toBe(true);
    expect(events.filter((event) => event.paymentId === refunded)).toHaveLength(3);
    expect(
      events.filter((event) => event.type === 'charge.dispute.created').map((e) => e.paymentId),
    ).toContain(disputed.id);
    // A smaller limit stops early.
    expect(await world.connectors.payments.listReversalEvents(since, 2)).toHaveLength(2);
  });
});

describe('refunds', () => {
  it('refunds a succeeded payment in full, once per idempotency key', async () => {
    const paymentId = await paidPayment();
    const idempotencyKey = randomUUID();
    const args = { paymentId, idempotencyKey, metadata: { order_id: 'o-1', reason: 'asked' } };
    const refund = await world.connectors.payments.refundPayment(args);
    expect(refund).toEqual({
      id: expect.stringMatching(/^re_/),
      paymentId,
      status: 'SUCCEEDED',
      amount: USD_49,
    });
    expect(await world.connectors.payments.refundPayment(args)).toEqual(refund);
    expect(world.sandbox.stripe.stats()[CREATE_REFUND]).toBe(2);
    const { body } = await stripeCall('GET', `/v1/refunds/${refund.id}`);
    expect(body).toMatchObject({
      payment_intent: paymentId,
      amount: 4900,
      metadata: { order_id: 'o-1', reason: 'asked' },
    });

    const twice = await world.connectors.payments
      .refundPayment({ ...args, idempotencyKey: randomUUID() })
      .catch((e: unknown) => e);
    expect(twice).toBeInstanceOf(UpstreamRejectedError);
    expect(twice).toMatchObject({ statusCode: 400, detail: 'charge_already_refunded' });
  });

  it('is refused for a payment that did not succeed', async () => {
    const payment = await create();
    const error = await world.connectors.payments
      .refundPayment({ paymentId: payment.id, idempotencyKey: randomUUID(), metadata: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ statusCode: 400, detail: 'charge_not_refundable' });
  });

  it('maps every Stripe refund status', () => {
    const base: StripeRefund = {
      id: 're_1',
      object: 'refund',
      amount: 1999,
      currency: 'eur',
      payment_intent: 'pi_1',
      status: 'succeeded',
      created: 0,
      metadata: {},
    };
    const statuses = {
      pending: 'PENDING',
      requires_action: 'PENDING',
      succeeded: 'SUCCEEDED',
      failed: 'FAILED',
      canceled: 'CANCELED',
      something_new: 'PENDING',
    } as const;
    for (const [wire, status] of Object.entries(statuses)) {
      const refund = toRefund({ ...base, status: wire as StripeRefund['status'] }, 'pi_1');
      expect(refund).toEqual({
        id: 're_1',
        paymentId: 'pi_1',
        status,
        amount: { amount: '19.99', currencyCode: 'EUR' },
      });
    }
  });
});

describe('webhooks', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const eventBody = (type: string, object: Record<string, unknown>): string =>
    JSON.stringify({
      id: `evt_${randomUUID().replace(/-/g, '')}`,
      object: 'event',
      api_version: '2024-06-20',
      type,
      created: now(),
      data: { object },
    });
  const parse = (body: string, header: string | undefined): PaymentEvent =>
    world.connectors.payments.parseWebhook(Buffer.from(body), header);
  const rejection = (body: string, header: string | undefined): unknown => {
    try {
      parse(body, header);
    } catch (error) {
      return error;
    }
    return null;
  };
  const body = eventBody('payment_intent.succeeded', { id: 'pi_123', object: 'payment_intent' });

  it('accepts a correctly signed event and names the payment it concerns', () => {
    for (const type of [
      'payment_intent.succeeded',
      'payment_intent.payment_failed',
      'payment_intent.canceled',
      'payment_intent.processing',
    ]) {
      const signed = eventBody(type, { id: 'pi_abc', object: 'payment_intent' });
      const event = parse(signed, signStripePayload(SECRET, signed, now()));
      expect(event).toEqual({
        id: (JSON.parse(signed) as { id: string }).id,
        type,
        paymentId: 'pi_abc',
        kind: 'payment',
        created: expect.any(Number),
      });
    }
    // Money moved back at the processor: a Charge or a Dispute names its PaymentIntent.
    for (const [type, object] of [
      ['charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_abc' }],
      ['charge.dispute.created', { id: 'dp_1', object: 'dispute', payment_intent: 'pi_abc' }],
    ] as const) {
      const signed = eventBody(type, object);
      expect(parse(signed, signStripePayload(SECRET, signed, now()))).toMatchObject({
        type,
        paymentId: 'pi_abc',
        kind: 'reversal',
      });
    }
    // A charge made without a PaymentIntent is none of the gateway's; one naming a bad one is no event.
    const bare = eventBody('charge.refunded', {
      id: 'ch_2',
      object: 'charge',
      payment_intent: null,
    });
    expect(parse(bare, signStripePayload(SECRET, bare, now())).paymentId).toBeNull();
    const bad = eventBody('charge.dispute.created', { id: 'dp_2', payment_intent: 42 });
    expect(() => parse(bad, signStripePayload(SECRET, bad, now()))).toThrow(WebhookSignatureError);
    for (const [type, id] of [
      ['refund.created', 're_1'],
      ['payment_intent.created', 'pi_1'],
      ['customer.created', 'cus_1'],
    ] as const) {
      const signed = eventBody(type, { id });
      expect(parse(signed, signStripePayload(SECRET, signed, now()))).toMatchObject({
        type,
        paymentId: null,
      });
    }
  });

  it('accepts a header with several v1 signatures when one of them is right', () => {
    const good = signStripePayload(SECRET, body, now());
    const [t, v1] = good.split(',');
    const header = `${t},v1=${'0'.repeat(64)},${v1},v0=${'1'.repeat(64)}`;
    expect(parse(body, header).paymentId).toBe('pi_123');
    // A timestamp a little in the past is within the 300 s tolerance.
    expect(parse(body, signStripePayload(SECRET, body, now() - 240)).paymentId).toBe('pi_123');
  });

  it('refuses a wrong secret, a missing or malformed header, an old timestamp, another body', () => {
    const t = now();
    const [, goodV1] = signStripePayload(SECRET, body, t).split(',');
    const cases: [string, string, string | undefined][] = [
      ['wrong secret', body, signStripePayload('whsec_other', body, t)],
      ['no header', body, undefined],
      ['empty header', body, ''],
      ['garbage header', body, 'garbage'],
      ['no timestamp', body, goodV1 ?? ''],
      ['only another scheme', body, `t=${t},v0=${goodV1?.slice(3) ?? ''}`],
      ['ten minutes old', body, signStripePayload(SECRET, body, t - 600)],
      ['signature for another timestamp', body, `t=${t - 1},${goodV1 ?? ''}`],
      [
        're-serialized body',
        JSON.stringify(JSON.parse(body), null, 2),
        signStripePayload(SECRET, body, t),
      ],
      ['empty body', '', signStripePayload(SECRET, '', t)],
    ];
    for (const [name, payload, header] of cases) {
      const error = rejection(payload, header);
      expect(error, name).toBeInstanceOf(WebhookSignatureError);
      expect((error as Error).message, name).not.toContain('pi_123');
      expect((error as Error).message, name).not.toContain(SECRET);
    }
  });

  it('refuses a correctly signed body that is not a Stripe event', () => {
    for (const payload of ['not json', '[]', '{"id":1}', '{"id":"evt_1"}', 'null']) {
      const error = rejection(payload, signStripePayload(SECRET, payload, now()));
      expect(error, payload).toBeInstanceOf(WebhookSignatureError);
    }
    const nameless = eventBody('payment_intent.succeeded', { object: 'payment_intent' });
    expect(rejection(nameless, signStripePayload(SECRET, nameless, now()))).toBeInstanceOf(
      WebhookSignatureError,
    );
  });

  describe('delivered by the sandbox', () => {
    const received: { body: Buffer; signature: string | undefined }[] = [];
    let server: Server;

    beforeAll(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const signature = req.headers['stripe-signature'];
          received.push({
            body: Buffer.concat(chunks),
            signature: Array.isArray(signature) ? signature[0] : signature,
          });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      world.sandbox.stripe.setWebhookUrl(`http://127.0.0.1:${port}/webhooks/stripe`);
    });
    afterAll(async () => {
      world.sandbox.stripe.pauseWebhooks();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    /** The events received about an object, once `count` of them have arrived. */
    async function eventsOf(objectId: string, count: number): Promise<PaymentEvent[]> {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const about = received.filter(({ body: raw }) => raw.includes(objectId));
        if (about.length >= count || Date.now() > deadline) {
          return about
            .map(({ body: raw, signature }) =>
              world.connectors.payments.parseWebhook(raw, signature),
            )
            .sort((a, b) => a.type.localeCompare(b.type));
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }

    it('verifies the events the sandbox signs', async () => {
      const paid = await paidPayment();
      const declined = await create();
      await confirm(declined.id, 'pm_card_chargeDeclined');
      await world.connectors.payments.refundPayment({
        paymentId: paid,
        idempotencyKey: randomUUID(),
        metadata: {},
      });

      expect(await eventsOf(declined.id, 1)).toEqual([
        {
          id: expect.stringMatching(/^evt_/),
          type: 'payment_intent.payment_failed',
          paymentId: declined.id,
          kind: 'payment',
          created: expect.any(Number),
        },
      ]);
      const ofPaid = await eventsOf(paid, 3);
      expect(ofPaid.map((event) => [event.type, event.paymentId])).toEqual([
        ['charge.refunded', paid],
        ['payment_intent.succeeded', paid],
        ['refund.created', null],
      ]);
    });
  });
});
