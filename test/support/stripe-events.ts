import { randomUUID } from 'node:crypto';
import { signStripePayload } from '../../sandbox/index.js';
import type { TestGateway } from './gateway.js';

/** A `payment_intent.succeeded` event for the payment, with an event id of its own. */
export function paymentSucceededEvent(paymentId: string): string {
  return JSON.stringify({
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type: 'payment_intent.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: paymentId, object: 'payment_intent', status: 'succeeded' } },
  });
}

/** Delivers the event to the gateway's webhook, signed now, as Stripe (re)delivers it. */
export async function deliverStripeEvent(
  gw: TestGateway,
  body: string,
): Promise<{ status: number; body: string }> {
  const signature = signStripePayload(
    gw.sandbox.credentials.stripeWebhookSecret,
    body,
    Math.floor(Date.now() / 1000),
  );
  const response = await fetch(`${gw.url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body,
  });
  return { status: response.status, body: await response.text() };
}
