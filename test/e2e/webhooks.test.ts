import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { signStripePayload } from '../../sandbox/index.js';
import { signToken } from '../support/client.js';
import {
  enrollmentPosts,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
  type PurchaseView,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const WEB110 = 'course-v1:SandboxX+WEB110+3T2026';

describe('the Stripe webhook', () => {
  let gw: TestGateway;
  let token: string;
  let placed: PurchaseView;
  let body: string;

  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
    token = await signToken({
      user_id: 5151,
      preferred_username: 'hooked',
      email: 'h@example.com',
    });
    placed = await purchase(gw.url, token, [demoSeat(WEB110, 'verified').sku], randomUUID());
    // Paid at the processor, but its own webhook is held back: only ours arrive.
    gw.sandbox.stripe!.pauseWebhooks();
    expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id)).toBe(200);
    body = JSON.stringify({
      id: `evt_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: placed.payment!.id, object: 'payment_intent', status: 'succeeded' } },
    });
  });
  afterAll(() => gw.close());

  const deliver = async (payload: string, signature?: string) => {
    const response = await fetch(`${gw.url}/webhooks/stripe`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature === undefined ? {} : { 'stripe-signature': signature }),
      },
      body: payload,
    });
    return { status: response.status, body: await response.text() };
  };
  const now = () => Math.floor(Date.now() / 1000);
  const secret = () => gw.sandbox.credentials.stripeWebhookSecret;

  it.each([
    ['no signature', () => deliver(body)],
    ['an empty signature', () => deliver(body, '')],
    ['a malformed signature', () => deliver(body, 'v1=abc,t=notanumber')],
    [
      'a signature made with a wrong secret',
      () => deliver(body, signStripePayload('whsec_wrong', body, now())),
    ],
    [
      'a timestamp 10 minutes old',
      () => deliver(body, signStripePayload(secret(), body, now() - 600)),
    ],
    [
      'a timestamp 10 minutes ahead',
      () => deliver(body, signStripePayload(secret(), body, now() + 600)),
    ],
    [
      'a re-serialized body',
      () =>
        deliver(
          JSON.stringify(JSON.parse(body), null, 2),
          signStripePayload(secret(), body, now()),
        ),
    ],
    [
      'a body that is not JSON',
      () => deliver('not json', signStripePayload(secret(), 'not json', now())),
    ],
    [
      'a body over 256 kB',
      () => {
        const huge = JSON.stringify({ ...(JSON.parse(body) as object), pad: 'x'.repeat(300_000) });
        return deliver(huge, signStripePayload(secret(), huge, now()));
      },
    ],
  ])('refuses %s and changes nothing', async (_name, send) => {
    const response = await send();
    expect([400, 413]).toContain(response.status);
    expect(response.body).not.toMatch(/whsec|stack|at /);
    const order = await waitForOrderStatus(gw.url, token, placed.order!.id, 'PENDING_PAYMENT', 0);
    expect(order.status).toBe('PENDING_PAYMENT');
  });

  it('accepts a signature among several v1 values, and acts once on an event delivered 5 times at once', async () => {
    const good = signStripePayload(secret(), body, now());
    const [timestamp, v1] = good.split(',');
    const several = `${timestamp},v1=${'0'.repeat(64)},${v1}`;
    const before = enrollmentPosts(gw.sandbox);
    const responses = await Promise.all(Array.from({ length: 5 }, () => deliver(body, several)));
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    await waitForOrderStatus(gw.url, token, placed.order!.id, 'FULFILLED');
    // Later deliveries of the same event change nothing either.
    expect((await deliver(body, signStripePayload(secret(), body, now()))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(enrollmentPosts(gw.sandbox) - before).toBe(1);
  });

  it('answers 200 to an event type it ignores', async () => {
    const ignored = JSON.stringify({
      id: `evt_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      type: 'customer.created',
      data: { object: { id: 'cus_123', object: 'customer' } },
    });
    const response = await deliver(ignored, signStripePayload(secret(), ignored, now()));
    expect(response.status).toBe(200);
  });
});
