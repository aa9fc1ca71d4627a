import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { errorCodes, graphql } from '../support/client.js';
import { newLearner, payWithSandboxCard, waitForOrderStatus } from '../support/commerce.js';
import { commerceOperation } from '../support/commerce-contract.js';
import { commercetoolsAdmin, type CodeSpec } from '../support/discounts.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { stripeAdmin } from '../support/stripe-admin.js';

const ML301 = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified'); // 149.00 USD
const DS201 = demoSeat('course-v1:SandboxX+DS201+3T2026', 'verified'); // 99.00 USD
const UX120 = demoSeat('course-v1:SandboxX+UX120+3T2026', 'verified'); // 29.00 USD

interface Money {
  amount: string;
  currencyCode: string;
}
interface Preview {
  lines: { product: { sku: string }; price: Money; discount: Money }[];
  discount: { code: string; amount: Money } | null;
  total: Money | null;
  userErrors: { code: string; message: string; field: string[] | null }[];
}
interface Purchased {
  order: {
    id: string;
    status: string;
    total: Money;
    discount: { code: string; amount: Money } | null;
    lines: { id: string; status: string; price: Money; product: { sku: string } }[];
  } | null;
  payment: { id: string; status: string; clientSecret: string | null; amount: Money } | null;
  userErrors: { code: string; message: string; field: string[] | null }[];
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('discount codes', () => {
  let gw: TestGateway;
  let admin: Awaited<ReturnType<typeof commercetoolsAdmin>>;
  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
    admin = await commercetoolsAdmin(gw.sandbox);
  });
  afterAll(() => gw.close());

  const createCode = (spec: CodeSpec) => admin.createCode(spec);

  async function preview(token: string, skus: string[], discountCode: unknown) {
    const response = await graphql<{ checkoutPreview: Preview }>(
      gw.url,
      commerceOperation('CheckoutWithCode'),
      { skus, discountCode },
      { token },
    );
    return response;
  }

  async function buy(
    token: string,
    skus: string[],
    discountCode: string | null,
    key = randomUUID(),
    url = gw.url,
  ) {
    const response = await graphql<{ purchase: Purchased }>(
      url,
      commerceOperation('PurchaseWithCode'),
      { input: { skus, idempotencyKey: key, discountCode } },
      { token },
    );
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.purchase;
  }

  const stripeIntentPosts = () => gw.sandbox.stripe!.stats()['POST /v1/payment_intents'] ?? 0;

  it('takes 20 % off: the preview, the order and the Stripe amount agree to the cent', async () => {
    const code = await createCode({ value: { type: 'relative', permyriad: 2000 } });
    const { token } = await newLearner();
    const skus = [ML301.sku, UX120.sku];

    const quoted = await preview(token, skus, code);
    expect(quoted.body.errors).toBeUndefined();
    expect(quoted.body.data!.checkoutPreview).toEqual({
      lines: [
        {
          product: { sku: ML301.sku },
          price: { amount: '149.00', currencyCode: 'USD' },
          discount: { amount: '29.80', currencyCode: 'USD' },
        },
        {
          product: { sku: UX120.sku },
          price: { amount: '29.00', currencyCode: 'USD' },
          discount: { amount: '5.80', currencyCode: 'USD' },
        },
      ],
      discount: { code, amount: { amount: '35.60', currencyCode: 'USD' } },
      total: { amount: '142.40', currencyCode: 'USD' },
      userErrors: [],
    });

    const placed = await buy(token, skus, code);
    expect(placed.userErrors).toEqual([]);
    expect(placed.order).toMatchObject({
      status: 'PENDING_PAYMENT',
      total: { amount: '142.40', currencyCode: 'USD' },
      discount: { code, amount: { amount: '35.60', currencyCode: 'USD' } },
    });
    expect(placed.payment?.amount).toEqual({ amount: '142.40', currencyCode: 'USD' });

    const intent = await fetch(
      `${gw.sandbox.urls.stripe}/v1/payment_intents/${placed.payment!.id}`,
      {
        headers: { authorization: `Bearer ${gw.sandbox.credentials.stripeSecretKey}` },
      },
    );
    expect(await intent.json()).toMatchObject({ amount: 14240, currency: 'usd' });

    // The order system keeps the code and each line's discounted total, as commercetools does.
    const stored = await admin.call<{
      totalPrice: { centAmount: number };
      custom: { fields: Record<string, unknown> };
      lineItems: { price: { value: { centAmount: number } }; totalPrice: { centAmount: number } }[];
    }>('GET', `/orders/${placed.order!.id}`);
    expect(stored.body.totalPrice.centAmount).toBe(14240);
    expect(stored.body.custom.fields).toMatchObject({ discountCode: code });
    expect(
      stored.body.lineItems.map((line) => [
        line.price.value.centAmount,
        line.totalPrice.centAmount,
      ]),
    ).toEqual([
      [14900, 11920],
      [2900, 2320],
    ]);

    expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id)).toBe(200);
    const fulfilled = await waitForOrderStatus(gw.url, token, placed.order!.id, 'FULFILLED');
    expect(fulfilled.total).toEqual({ amount: '142.40', currencyCode: 'USD' });
  });

  it('makes a free order of an absolute code bigger than the total: no PaymentIntent, FULFILLED', async () => {
    const code = await createCode({ value: { type: 'absolute', centAmount: 50_000 } });
    const { token } = await newLearner();
    const intentsBefore = stripeIntentPosts();
    const placed = await buy(token, [DS201.sku], code);
    expect(placed.userErrors).toEqual([]);
    expect(placed.payment).toBeNull();
    expect(placed.order).toMatchObject({
      total: { amount: '0.00', currencyCode: 'USD' },
      discount: { code, amount: { amount: '99.00', currencyCode: 'USD' } },
    });
    await waitForOrderStatus(gw.url, token, placed.order!.id, 'FULFILLED');
    expect(stripeIntentPosts()).toBe(intentsBefore);
  });

  it('answers each userError, and orders nothing', async () => {
    const { token } = await newLearner();
    const inactive = await createCode({
      value: { type: 'relative', permyriad: 1000 },
      isActive: false,
    });
    const expired = await createCode({
      value: { type: 'relative', permyriad: 1000 },
      validUntil: new Date(Date.now() - 60_000).toISOString(),
    });
    const notYet = await createCode({
      value: { type: 'relative', permyriad: 1000 },
      validFrom: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const otherSku = await createCode({
      value: { type: 'relative', permyriad: 1000 },
      predicate: `sku = "${DS201.sku}"`,
    });
    const cases: [string, string][] = [
      ['NOSUCHCODE', 'DISCOUNT_CODE_INVALID'],
      [inactive, 'DISCOUNT_CODE_INVALID'],
      [notYet, 'DISCOUNT_CODE_INVALID'],
      [expired, 'DISCOUNT_CODE_EXPIRED'],
      [otherSku, 'DISCOUNT_CODE_NOT_APPLICABLE'],
    ];
    const imports = () => gw.sandbox.commercetools!.stats()['POST /:projectKey/orders/import'] ?? 0;
    const before = imports();
    for (const [code, expected] of cases) {
      const quoted = await preview(token, [ML301.sku], code);
      expect(quoted.body.data!.checkoutPreview).toMatchObject({
        total: null,
        discount: null,
        userErrors: [{ code: expected, field: ['discountCode'] }],
      });
      const placed = await buy(token, [ML301.sku], code);
      expect(placed).toMatchObject({ order: null, userErrors: [{ code: expected }] });
    }
    expect(imports()).toBe(before);

    // The same SKU-targeted code applies when the basket holds that SKU, to that line only.
    const both = await preview(token, [ML301.sku, DS201.sku], otherSku);
    expect(both.body.data!.checkoutPreview.lines.map((line) => line.discount.amount)).toEqual([
      '0.00',
      '9.90',
    ]);
  });

  it('gives the last use of a code to exactly one of five learners buying at once', async () => {
    const code = await createCode({
      value: { type: 'relative', permyriad: 5000 },
      maxApplications: 1,
    });
    const learners = await Promise.all([1, 2, 3, 4, 5].map(() => newLearner('racer')));
    const results = await Promise.all(learners.map(({ token }) => buy(token, [UX120.sku], code)));
    const winners = results.filter((result) => result.order?.discount?.code === code);
    expect(winners).toHaveLength(1);
    const losers = results.filter((result) => result.order === null);
    expect(losers).toHaveLength(4);
    for (const loser of losers) {
      expect(loser.userErrors).toEqual([
        expect.objectContaining({ code: 'DISCOUNT_CODE_USED_UP', field: ['discountCode'] }),
      ]);
    }
    const { body } = await admin.call<{
      results: { custom?: { fields: Record<string, unknown> } }[];
    }>('GET', `/discount-codes?where=${encodeURIComponent(`code = "${code}"`)}`);
    expect(body.results[0]?.custom?.fields['gatewayUses']).toHaveLength(1);
  });

  it('refuses a second use by the same learner under maxApplicationsPerCustomer: 1', async () => {
    const code = await createCode({
      value: { type: 'relative', permyriad: 1000 },
      maxApplicationsPerCustomer: 1,
    });
    const { token } = await newLearner();
    const first = await buy(token, [UX120.sku], code);
    expect(first.userErrors).toEqual([]);
    const again = await buy(token, [ML301.sku], code);
    expect(again).toMatchObject({ order: null, userErrors: [{ code: 'DISCOUNT_CODE_USED_UP' }] });
    // Another learner still may.
    const other = await newLearner();
    expect((await buy(other.token, [ML301.sku], code)).userErrors).toEqual([]);
    // Repeating the first purchase (same key) is the same order, not a second use.
    const key = randomUUID();
    const third = await newLearner();
    const once = await buy(third.token, [UX120.sku], code, key);
    const twice = await buy(third.token, [UX120.sku], code, key);
    expect(twice.order?.id).toBe(once.order?.id);
    expect(twice.userErrors).toEqual([]);
  });

  it('gives the use back when the payment fails', async () => {
    const code = await createCode({
      value: { type: 'relative', permyriad: 1000 },
      maxApplications: 1,
    });
    const first = await newLearner();
    const placed = await buy(first.token, [ML301.sku], code);
    expect(placed.userErrors).toEqual([]);

    const second = await newLearner();
    expect(await buy(second.token, [ML301.sku], code)).toMatchObject({
      userErrors: [{ code: 'DISCOUNT_CODE_USED_UP' }],
    });

    expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id, 'pm_card_chargeDeclined')).toBe(
      402,
    );
    await waitForOrderStatus(gw.url, first.token, placed.order!.id, 'PAYMENT_FAILED');
    // The webhook settles the order, then the use: wait for the code to be free again.
    const retried: Purchased[] = [];
    await waitUntil(async () => {
      const attempt = await buy(second.token, [ML301.sku], code);
      retried.push(attempt);
      return attempt.order !== null;
    });
    expect(retried.at(-1)?.userErrors).toEqual([]);
    expect(retried.at(-1)?.order?.discount?.code).toBe(code);
  });

  it('takes the use again when the learner pays with another card after a decline', async () => {
    const code = await createCode({
      value: { type: 'relative', permyriad: 1000 },
      maxApplications: 1,
    });
    const uses = async () => {
      const { body } = await admin.call<{
        results: { custom?: { fields: Record<string, unknown> } }[];
      }>('GET', `/discount-codes?where=${encodeURIComponent(`code = "${code}"`)}`);
      return (body.results[0]?.custom?.fields['gatewayUses'] as string[] | undefined) ?? [];
    };
    const { token } = await newLearner();
    const placed = await buy(token, [UX120.sku], code);
    expect(await uses()).toHaveLength(1);
    await payWithSandboxCard(gw.sandbox, placed.payment!.id, 'pm_card_chargeDeclined');
    await waitForOrderStatus(gw.url, token, placed.order!.id, 'PAYMENT_FAILED');
    await waitUntil(async () => (await uses()).length === 0);

    expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id)).toBe(200);
    await waitForOrderStatus(gw.url, token, placed.order!.id, 'FULFILLED');
    await waitUntil(async () => (await uses()).length === 1);
    const other = await newLearner();
    expect(await buy(other.token, [UX120.sku], code)).toMatchObject({
      userErrors: [{ code: 'DISCOUNT_CODE_USED_UP' }],
    });
  });

  it('refuses malformed and over-long codes without asking commercetools', async () => {
    const { token } = await newLearner();
    const lookups = () => gw.sandbox.commercetools!.stats()['GET /:projectKey/discount-codes'] ?? 0;
    const before = lookups();
    for (const malformed of ['NO SUCH', 'x" or code != "', 'co\nde', 'ÉTÉ2026']) {
      const quoted = await preview(token, [ML301.sku], malformed);
      expect(quoted.body.data!.checkoutPreview.userErrors).toEqual([
        expect.objectContaining({ code: 'DISCOUNT_CODE_INVALID' }),
      ]);
    }
    expect(lookups()).toBe(before);

    const tooLong = 'A'.repeat(65);
    const quoted = await preview(token, [ML301.sku], tooLong);
    expect(errorCodes(quoted)).toEqual(['BAD_USER_INPUT']);
    const bought = await graphql(
      gw.url,
      commerceOperation('PurchaseWithCode'),
      { input: { skus: [ML301.sku], idempotencyKey: randomUUID(), discountCode: tooLong } },
      { token },
    );
    expect(errorCodes(bought)).toEqual(['BAD_USER_INPUT']);

    const wrongType = await preview(token, [ML301.sku], 42);
    expect(errorCodes(wrongType)).toEqual(['BAD_USER_INPUT']);

    // An empty code is no code.
    const blank = await preview(token, [ML301.sku], '  ');
    expect(blank.body.data!.checkoutPreview).toMatchObject({
      discount: null,
      total: { amount: '149.00' },
      userErrors: [],
    });
  });

  it('needs credentials to preview with a code', async () => {
    const response = await preview('', [ML301.sku], 'ANY');
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });

  describe('held by a checkout left unpaid', () => {
    let expiring: TestGateway;
    beforeAll(async () => {
      expiring = await startTestGateway({
        CHECKOUT_EXPIRES_AFTER_SECONDS: '2',
        RECONCILE_INTERVAL_SECONDS: '0.5',
        RECONCILE_AFTER_SECONDS: '0',
      });
    });
    afterAll(() => expiring?.close());

    it('comes back once CHECKOUT_EXPIRES_AFTER_SECONDS have passed: the payment is cancelled at Stripe and the order fails', async () => {
      const code = await (
        await commercetoolsAdmin(expiring.sandbox)
      ).createCode({ value: { type: 'relative', permyriad: 5000 }, maxApplications: 1 });
      const [leaver, next, payer] = await Promise.all([newLearner(), newLearner(), newLearner()]);
      const abandoned = await buy(leaver.token, [UX120.sku], code, randomUUID(), expiring.url);
      expect(abandoned.userErrors).toEqual([]);
      const whileHeld = await buy(next.token, [UX120.sku], code, randomUUID(), expiring.url);
      expect(whileHeld.userErrors.map((error) => error.code)).toEqual(['DISCOUNT_CODE_USED_UP']);
      // A checkout of the same age that was paid is left alone.
      const paid = await buy(payer.token, [ML301.sku], null, randomUUID(), expiring.url);
      expect(await payWithSandboxCard(expiring.sandbox, paid.payment!.id)).toBe(200);

      await waitForOrderStatus(expiring.url, leaver.token, abandoned.order!.id, 'PAYMENT_FAILED');
      const events = await stripeAdmin(expiring.sandbox).eventsOf(abandoned.payment!.id);
      expect(events.map((event) => event.type)).toContain('payment_intent.canceled');
      // Too late to pay it now; the use is free for the next learner.
      expect(await payWithSandboxCard(expiring.sandbox, abandoned.payment!.id)).toBe(400);
      const afterwards = await buy(next.token, [UX120.sku], code, randomUUID(), expiring.url);
      expect(afterwards.userErrors).toEqual([]);
      expect(afterwards.order?.discount?.code).toBe(code);
      await waitForOrderStatus(expiring.url, payer.token, paid.order!.id, 'FULFILLED');
    }, 30_000);
  });
});
