import type { Sandbox } from '../../sandbox/index.js';

export interface StripeRefundView {
  id: string;
  amount: number;
  status: string;
  metadata: Record<string, string>;
}

export interface StripeEventView {
  id: string;
  type: string;
  created: number;
  data: { object: { id: string; payment_intent?: string } };
}

/** A client of the sandbox Stripe's API, as the Stripe dashboard (or an operator's script) uses it. */
export function stripeAdmin(sandbox: Sandbox) {
  const headers = { authorization: `Bearer ${sandbox.credentials.stripeSecretKey}` };
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${sandbox.urls.stripe}${path}`, { headers });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    /** Every refund of the payment, newest first. */
    async refundsOf(paymentId: string): Promise<StripeRefundView[]> {
      const page = await get<{ data: StripeRefundView[] }>(
        `/v1/refunds?payment_intent=${encodeURIComponent(paymentId)}&limit=100`,
      );
      return page.data;
    },
    /** Refunds the payment (`amount` in cents, all of it when absent) from outside the gateway. */
    async refund(paymentId: string, amount?: number): Promise<{ status: number; body: unknown }> {
      const response = await fetch(`${sandbox.urls.stripe}/v1/refunds`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          payment_intent: paymentId,
          ...(amount === undefined ? {} : { amount: String(amount) }),
        }),
      });
      return { status: response.status, body: await response.json() };
    },
    /** The events about a payment (its own, its charge's, refunds' and disputes'), oldest first. */
    async eventsOf(paymentId: string): Promise<StripeEventView[]> {
      const page = await get<{ data: StripeEventView[] }>('/v1/events?limit=100');
      return page.data
        .filter(({ data: { object } }) => (object.payment_intent ?? object.id) === paymentId)
        .reverse();
    },
    /** The raw body of an event, as Stripe delivers it. */
    async eventBody(eventId: string): Promise<string> {
      const page = await get<{ data: StripeEventView[] }>('/v1/events?limit=100');
      const event = page.data.find((candidate) => candidate.id === eventId);
      if (!event) throw new Error(`no event ${eventId}`);
      return JSON.stringify(event);
    },
  };
}
