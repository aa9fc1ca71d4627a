import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import type { Sandbox, SandboxStripeServer } from '../../../sandbox/index.js';
import { call, form, sandboxFor, started, waitFor } from './support.js';

interface List<T> {
  object: string;
  data: T[];
  has_more: boolean;
}
interface StripeError {
  error: { type: string; code?: string; param?: string };
}

const auth = { Authorization: `Bearer ${SANDBOX_CREDENTIALS.stripeSecretKey}` };

describe('the sandbox Stripe: refunds made at it, disputes, and its lists', () => {
  let sandbox: Sandbox;
  let stripe: SandboxStripeServer;

  beforeAll(async () => {
    sandbox = await sandboxFor({ only: ['stripe'] });
    stripe = started(sandbox.stripe);
  });
  afterAll(() => sandbox.close());

  async function paidIntent(card = 'pm_card_visa'): Promise<string> {
    const created = await call<{ id: string }>(`${stripe.url}/v1/payment_intents`, {
      method: 'POST',
      headers: auth,
      body: form({ amount: '5000', currency: 'usd' }),
    });
    const confirmed = await call<{ status: string }>(
      `${stripe.url}/v1/payment_intents/${created.body.id}/confirm`,
      { method: 'POST', headers: auth, body: form({ payment_method: card }) },
    );
    expect(confirmed.body.status).toBe('succeeded');
    return created.body.id;
  }
  const get = <T>(path: string) => call<T>(`${stripe.url}${path}`, { headers: auth });

  it('lists a payment’s refunds, newest first, and refuses more than is left', async () => {
    const intent = await paidIntent();
    for (const amount of ['1000', '1500']) {
      const refund = await call(`${stripe.url}/v1/refunds`, {
        method: 'POST',
        headers: auth,
        body: form({ payment_intent: intent, amount }),
      });
      expect(refund.status).toBe(200);
    }
    const tooMuch = await call<StripeError>(`${stripe.url}/v1/refunds`, {
      method: 'POST',
      headers: auth,
      body: form({ payment_intent: intent, amount: '2501' }),
    });
    expect(tooMuch.body.error.code).toBe('amount_too_large');
    const refunds = await get<List<{ amount: number; payment_intent: string }>>(
      `/v1/refunds?payment_intent=${intent}&limit=100`,
    );
    expect(refunds.body.object).toBe('list');
    expect(refunds.body.data.map((refund) => refund.amount).sort()).toEqual([1000, 1500]);
    expect((await get<List<unknown>>(`/v1/disputes?payment_intent=${intent}`)).body.data).toEqual(
      [],
    );
  });

  it('pages with limit and starting_after', async () => {
    const intent = await paidIntent();
    for (const amount of ['100', '200', '300']) {
      await call(`${stripe.url}/v1/refunds`, {
        method: 'POST',
        headers: auth,
        body: form({ payment_intent: intent, amount }),
      });
    }
    const first = await get<List<{ id: string }>>(`/v1/refunds?payment_intent=${intent}&limit=2`);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.has_more).toBe(true);
    const second = await get<List<{ id: string }>>(
      `/v1/refunds?payment_intent=${intent}&limit=2&starting_after=${first.body.data[1]!.id}`,
    );
    expect(second.body.data).toHaveLength(1);
    expect(second.body.has_more).toBe(false);
    const ids = [...first.body.data, ...second.body.data].map((refund) => refund.id);
    expect(new Set(ids).size).toBe(3);
    const unknown = await get<List<unknown>>(
      `/v1/refunds?payment_intent=${intent}&starting_after=re_unknown`,
    );
    expect(unknown.body.data).toEqual([]);
  });

  it('disputes a payment made with pm_card_createDispute, and sends charge.dispute.created', async () => {
    const intent = await paidIntent('pm_card_createDispute');
    await waitFor(() =>
      stripe.sentEvents().some((event) => event.type === 'charge.dispute.created'),
    );
    const disputes = await get<List<{ id: string; payment_intent: string; status: string }>>(
      `/v1/disputes?payment_intent=${intent}`,
    );
    expect(disputes.body.data).toEqual([
      expect.objectContaining({ payment_intent: intent, status: 'needs_response' }),
    ]);
    const events = await get<List<{ type: string; data: { object: { id: string } } }>>(
      '/v1/events?types[]=charge.dispute.created&types[]=charge.refunded&limit=100',
    );
    expect(events.body.data.map((event) => event.type)).toContain('charge.dispute.created');
    expect(events.body.data.every((event) => event.type !== 'payment_intent.succeeded')).toBe(true);
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect((await get<List<unknown>>(`/v1/events?created[gte]=${future}`)).body.data).toEqual([]);
  });

  it('refuses a bad limit, a repeated payment_intent, a bad created[gte], and no key', async () => {
    for (const path of [
      '/v1/refunds?limit=0',
      '/v1/refunds?limit=101',
      '/v1/disputes?limit=ten',
      '/v1/refunds?payment_intent=pi_1&payment_intent=pi_2',
      '/v1/events?created[gte]=yesterday',
      '/v1/events?limit=-1',
    ]) {
      const answer = await get<StripeError>(path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.error.type, path).toBe('invalid_request_error');
    }
    expect((await call(`${stripe.url}/v1/events`)).status).toBe(401);
  });
});
