import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { DEMO_ORDERS } from '../../../sandbox/demo-data.js';
import type { Sandbox, SandboxStripeServer } from '../../../sandbox/index.js';
import { call, form, sandboxFor, started, waitFor } from './support.js';

interface PaymentIntent {
  id: string;
  status: string;
  amount: number;
  amount_received: number;
  currency: string;
  client_secret: string;
  metadata: Record<string, string>;
  latest_charge: string | null;
  last_payment_error: { code: string } | null;
}
interface StripeError {
  error: { type: string; code?: string; message: string };
}
interface Received {
  signature: string;
  raw: string;
  event: { id: string; type: string; data: { object: { id: string; status?: string } } };
}

let sandbox: Sandbox;
let stripe: SandboxStripeServer;
let receiver: http.Server;
let receiverStatus = 200;
/** Every delivery the receiver refused, by PaymentIntent id. */
const refused: string[] = [];
const received: Received[] = [];
const auth = { Authorization: `Bearer ${SANDBOX_CREDENTIALS.stripeSecretKey}` };

/** Verifies the header as the gateway must: HMAC-SHA256 of `${t}.${rawBody}`, 300 s tolerance. */
function signatureIsValid(header: string, raw: string): boolean {
  const parts = header.split(',').map((p) => p.split('=') as [string, string]);
  const t = parts.find(([k]) => k === 't')?.[1] ?? '';
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac('sha256', SANDBOX_CREDENTIALS.stripeWebhookSecret)
    .update(`${t}.${raw}`)
    .digest();
  return parts.some(([k, v]) => k === 'v1' && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

async function createIntent(amount: string, key?: string, extra: Record<string, string> = {}) {
  return call<PaymentIntent & StripeError>(`${stripe.url}/v1/payment_intents`, {
    method: 'POST',
    headers: { ...auth, ...(key ? { 'Idempotency-Key': key } : {}) },
    body: form({
      amount,
      currency: 'usd',
      'metadata[order_id]': 'order-1',
      'automatic_payment_methods[enabled]': 'true',
      ...extra,
    }),
  });
}

const confirm = (id: string, paymentMethod: string) =>
  call<PaymentIntent & StripeError>(`${stripe.url}/v1/payment_intents/${id}/confirm`, {
    method: 'POST',
    headers: auth,
    body: form({ payment_method: paymentMethod }),
  });

const refund = (fields: Record<string, string>, key?: string) =>
  call<{ id: string; amount: number; status: string } & StripeError>(`${stripe.url}/v1/refunds`, {
    method: 'POST',
    headers: { ...auth, ...(key ? { 'Idempotency-Key': key } : {}) },
    body: form(fields),
  });

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (receiverStatus !== 200) {
        refused.push((JSON.parse(raw) as Received['event']).data.object.id);
      } else {
        received.push({
          signature: String(req.headers['stripe-signature']),
          raw,
          event: JSON.parse(raw) as Received['event'],
        });
      }
      res.statusCode = receiverStatus;
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  sandbox = await sandboxFor({
    only: ['stripe'],
    webhookUrl: `http://127.0.0.1:${port}/webhooks/stripe`,
  });
  stripe = started(sandbox.stripe);
});
afterAll(async () => {
  await sandbox.close();
  await new Promise((resolve) => receiver.close(resolve));
});
beforeEach(() => {
  receiverStatus = 200;
});

describe('stripe sandbox', () => {
  it('refuses a wrong or missing API key', async () => {
    const wrong = await call<StripeError>(`${stripe.url}/v1/balance`, {
      headers: { Authorization: 'Bearer sk_test_wrongwrongwrong' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.type).toBe('invalid_request_error');
    expect(wrong.body.error.message).toMatch(/^Invalid API Key provided: sk_test_\*\*\*\*/);
    expect((await call(`${stripe.url}/v1/balance`)).status).toBe(401);
    expect(
      (await call<{ object: string }>(`${stripe.url}/v1/balance`, { headers: auth })).body.object,
    ).toBe('balance');
  });

  it('creates a PaymentIntent once per Idempotency-Key', async () => {
    const first = await createIntent('4900', 'create-1');
    expect(first.status).toBe(200);
    expect(first.body.id).toMatch(/^pi_[A-Za-z0-9]{24}$/);
    expect(first.body.client_secret.startsWith(`${first.body.id}_secret_`)).toBe(true);
    expect(first.body).toMatchObject({
      status: 'requires_payment_method',
      amount: 4900,
      currency: 'usd',
      metadata: { order_id: 'order-1' },
    });

    const again = await createIntent('4900', 'create-1');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const other = await createIntent('4900', 'create-2');
    expect(other.body.id).not.toBe(first.body.id);

    const mismatch = await createIntent('5000', 'create-1');
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.type).toBe('idempotency_error');
  });

  it('validates create parameters', async () => {
    expect((await createIntent('49.5')).status).toBe(400);
    const unknown = await createIntent('100', undefined, { confirm: 'true' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('parameter_unknown');
    const missing = await call<PaymentIntent & StripeError>(
      `${stripe.url}/v1/payment_intents/pi_missing`,
      { headers: auth },
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      code: 'resource_missing',
      message: "No such payment_intent: 'pi_missing'",
    });
  });

  it('confirms with pm_card_visa and sends a signed payment_intent.succeeded', async () => {
    const { body: intent } = await createIntent('9900');
    const confirmed = await confirm(intent.id, 'pm_card_visa');
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      status: 'succeeded',
      amount_received: 9900,
      last_payment_error: null,
    });
    expect(confirmed.body.latest_charge).toMatch(/^ch_/);

    await waitFor(() => received.some((r) => r.event.data.object.id === intent.id));
    const delivery = received.find((r) => r.event.data.object.id === intent.id);
    expect(delivery?.event.type).toBe('payment_intent.succeeded');
    expect(delivery?.event.data.object.status).toBe('succeeded');
    expect(signatureIsValid(delivery?.signature ?? '', delivery?.raw ?? '')).toBe(true);
    expect(signatureIsValid(delivery?.signature ?? '', `${delivery?.raw ?? ''} `)).toBe(false);
    await waitFor(() =>
      stripe.sentEvents().some((e) => e.id === delivery?.event.id && e.delivery === 'delivered'),
    );

    const twice = await confirm(intent.id, 'pm_card_visa');
    expect(twice.status).toBe(400);
  });

  it('declines pm_card_chargeDeclined with a 402 card_error and payment_failed webhook', async () => {
    const { body: intent } = await createIntent('4900');
    const declined = await confirm(intent.id, 'pm_card_chargeDeclined');
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ type: 'card_error', code: 'card_declined' });
    const after = await call<PaymentIntent>(`${stripe.url}/v1/payment_intents/${intent.id}`, {
      headers: auth,
    });
    expect(after.body.status).toBe('requires_payment_method');
    expect(after.body.last_payment_error?.code).toBe('card_declined');
    await waitFor(() => received.some((r) => r.event.data.object.id === intent.id));
    expect(received.find((r) => r.event.data.object.id === intent.id)?.event.type).toBe(
      'payment_intent.payment_failed',
    );

    const retried = await confirm(intent.id, 'pm_card_visa');
    expect(retried.body.status).toBe('succeeded');
  });

  it('cancels a PaymentIntent awaiting its payer once, with payment_intent.canceled, and no other', async () => {
    const cancel = (id: string, fields: Record<string, string>) =>
      call<PaymentIntent & StripeError & { cancellation_reason: string | null }>(
        `${stripe.url}/v1/payment_intents/${id}/cancel`,
        { method: 'POST', headers: auth, body: form(fields) },
      );
    const { body: intent } = await createIntent('4900');
    expect((await cancel(intent.id, { cancellation_reason: 'sometime' })).body.error).toMatchObject(
      { type: 'invalid_request_error', code: 'parameter_invalid' },
    );
    const canceled = await cancel(intent.id, { cancellation_reason: 'abandoned' });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    await waitFor(() => received.some((r) => r.event.data.object.id === intent.id));
    expect(received.find((r) => r.event.data.object.id === intent.id)?.event.type).toBe(
      'payment_intent.canceled',
    );
    // Neither paid nor cancelled again.
    expect((await confirm(intent.id, 'pm_card_visa')).status).toBe(400);
    const again = await cancel(intent.id, {});
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('payment_intent_unexpected_state');

    const { body: paid } = await createIntent('4900');
    await confirm(paid.id, 'pm_card_visa');
    expect((await cancel(paid.id, {})).body.error.code).toBe('payment_intent_unexpected_state');
  });

  it('retries a webhook the receiver refused', async () => {
    receiverStatus = 500;
    const { body: intent } = await createIntent('1500');
    await confirm(intent.id, 'pm_card_visa');
    // Switch the receiver back only once it has refused a delivery, not while one is in flight.
    await waitFor(() => refused.includes(intent.id));
    receiverStatus = 200;
    await waitFor(() => received.some((r) => r.event.data.object.id === intent.id));
    const event = stripe.sentEvents().find((e) => e.objectId === intent.id);
    expect(event?.attempts).toBeGreaterThanOrEqual(2);
    expect(event?.delivery).toBe('delivered');
  });

  it('withholds events while paused and does not send them on resume', async () => {
    stripe.pauseWebhooks();
    const { body: intent } = await createIntent('2500');
    await confirm(intent.id, 'pm_card_visa');
    stripe.resumeWebhooks();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.some((r) => r.event.data.object.id === intent.id)).toBe(false);
    expect(stripe.sentEvents().find((e) => e.objectId === intent.id)).toMatchObject({
      type: 'payment_intent.succeeded',
      delivery: 'withheld',
    });
  });

  it('refunds a succeeded intent once per key and refuses the rest', async () => {
    const { body: intent } = await createIntent('4900');
    const early = await refund({ payment_intent: intent.id });
    expect(early.status).toBe(400);
    expect(early.body.error.type).toBe('invalid_request_error');

    await confirm(intent.id, 'pm_card_visa');
    const tooMuch = await refund({ payment_intent: intent.id, amount: '5000' });
    expect(tooMuch.status).toBe(400);

    const first = await refund(
      { payment_intent: intent.id, 'metadata[reason]': 'test' },
      `refund-${intent.id}`,
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ amount: 4900, status: 'succeeded' });
    expect(first.body.id).toMatch(/^re_/);
    const again = await refund(
      { payment_intent: intent.id, 'metadata[reason]': 'test' },
      `refund-${intent.id}`,
    );
    expect(again.body.id).toBe(first.body.id);
    const more = await refund({ payment_intent: intent.id });
    expect(more.status).toBe(400);
    expect(more.body.error.code).toBe('charge_already_refunded');

    const stored = await call<{ id: string; payment_intent: string }>(
      `${stripe.url}/v1/refunds/${first.body.id}`,
      { headers: auth },
    );
    expect(stored.body.payment_intent).toBe(intent.id);
    const refundEvents = () =>
      received.filter(
        (r) => r.event.type !== 'payment_intent.succeeded' && r.raw.includes(intent.id),
      );
    await waitFor(() => refundEvents().length >= 2);
    expect(
      refundEvents()
        .map((r) => r.event.type)
        .sort(),
    ).toEqual(['charge.refunded', 'refund.created']);
  });

  it('holds the demo orders’ PaymentIntents and refund', async () => {
    const paid = DEMO_ORDERS.filter((o) => o.payment);
    for (const order of paid.slice(0, 5)) {
      const pi = await call<PaymentIntent>(
        `${stripe.url}/v1/payment_intents/${order.payment?.paymentIntentId ?? ''}`,
        { headers: auth },
      );
      expect(pi.body).toMatchObject({
        status: 'succeeded',
        amount: order.totalCents,
        currency: order.currency.toLowerCase(),
        metadata: { order_id: order.id },
      });
    }
    const refunded = DEMO_ORDERS.find((o) => o.status === 'REFUNDED');
    const re = await call<{ payment_intent: string }>(
      `${stripe.url}/v1/refunds/${refunded?.payment?.refundId ?? ''}`,
      { headers: auth },
    );
    expect(re.body.payment_intent).toBe(refunded?.payment?.paymentIntentId);
  });
});
