import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Order } from '../../../connectors/orders.js';
import {
  returnDiscountUse,
  settleDiscountUse,
  takeDiscountUse,
} from '../../../workflows/discount-uses.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { startWorld, type ConnectorWorld } from '../connectors/support.js';

const { projectKey, clientId, clientSecret } = SANDBOX_CREDENTIALS.commercetools;
let world: ConnectorWorld;
let createCode: (limits: Record<string, number>) => Promise<string>;

beforeAll(async () => {
  world = await startWorld();
  const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
  const answer = await fetch(`${world.sandbox.urls.commercetoolsAuth}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await answer.json()) as { access_token: string };
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${world.sandbox.urls.commercetoolsApi}/${projectKey}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { id: string };
  };
  let count = 0;
  createCode = async (limits) => {
    count += 1;
    const discount = await post('/cart-discounts', {
      name: { en: 'Race' },
      value: { type: 'relative', permyriad: 1000 },
      cartPredicate: '1 = 1',
      target: { type: 'lineItems', predicate: '1 = 1' },
      sortOrder: `0.${count}1`,
    });
    const code = await post('/discount-codes', {
      code: `RACE-${count}`,
      cartDiscounts: [{ typeId: 'cart-discount', id: discount.id }],
      ...limits,
    });
    return code.id;
  };
});
afterAll(() => world.close());

const services = () => ({ connectors: world.connectors });
const use = (ownerId: string, purchaseKey = `key-${ownerId}`) => ({ ownerId, purchaseKey });

describe('discount uses', () => {
  it('gives exactly maxApplications uses to twelve purchases racing for them', async () => {
    const codeId = await createCode({ maxApplications: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => takeDiscountUse(services(), codeId, use(String(i)))),
    );
    expect(outcomes.filter((outcome) => outcome === null)).toHaveLength(3);
    expect(outcomes.filter((outcome) => outcome?.code === 'DISCOUNT_CODE_USED_UP')).toHaveLength(9);
    const code = await world.connectors.discounts.getCode(codeId);
    expect(code?.uses).toHaveLength(3);
  });

  it('takes a purchase’s use once however often it asks, and gives it back once', async () => {
    const codeId = await createCode({ maxApplications: 5, maxApplicationsPerCustomer: 2 });
    const mine = use('42', 'purchase-1');
    expect(await takeDiscountUse(services(), codeId, mine)).toBeNull();
    expect(await takeDiscountUse(services(), codeId, mine)).toBeNull();
    expect((await world.connectors.discounts.getCode(codeId))?.uses).toEqual([mine]);
    expect(await takeDiscountUse(services(), codeId, use('42', 'purchase-2'))).toBeNull();
    expect(await takeDiscountUse(services(), codeId, use('42', 'purchase-3'))).toMatchObject({
      code: 'DISCOUNT_CODE_USED_UP',
    });
    await returnDiscountUse(services(), codeId, mine);
    await returnDiscountUse(services(), codeId, mine);
    expect((await world.connectors.discounts.getCode(codeId))?.uses).toEqual([
      use('42', 'purchase-2'),
    ]);
    expect(await takeDiscountUse(services(), codeId, use('42', 'purchase-3'))).toBeNull();
  });

  it('answers DISCOUNT_CODE_INVALID for a code that no longer exists', async () => {
    expect(await takeDiscountUse(services(), 'gone', use('1'))).toMatchObject({
      code: 'DISCOUNT_CODE_INVALID',
    });
  });

  it('settles the use with the order: back on a failed payment or a full refund, kept when paid', async () => {
    const codeId = await createCode({ maxApplications: 1 });
    const order = (status: Order['status']): Order => ({
      id: 'order-1',
      version: 1,
      number: 'EDX-1',
      ownerId: '77',
      ownerUsername: 'learner77',
      ownerEmail: 'learner77@example.org',
      status,
      placedAt: new Date().toISOString(),
      total: { amount: '10.00', currencyCode: 'USD' },
      payment: null,
      lines: [],
      discount: { code: 'X', codeId, amount: { amount: '1.00', currencyCode: 'USD' } },
      idempotencyKey: 'purchase-77',
      refundId: null,
      refundRequestKey: null,
      refundLineIds: [],
      refundAtProcessor: false,
      processorRefundedMinor: 0,
    });
    const withLogger = { connectors: world.connectors, logger: pino({ level: 'silent' }) };
    const uses = async () => (await world.connectors.discounts.getCode(codeId))?.uses;
    expect(await takeDiscountUse(services(), codeId, use('77', 'purchase-77'))).toBeNull();
    await settleDiscountUse(withLogger, order('PAYMENT_FAILED'));
    expect(await uses()).toEqual([]);
    await settleDiscountUse(withLogger, order('FULFILLED'));
    expect(await uses()).toEqual([use('77', 'purchase-77')]);
    await settleDiscountUse(withLogger, order('PENDING_PAYMENT'));
    expect(await uses()).toHaveLength(1);
    await settleDiscountUse(withLogger, order('REFUNDED'));
    expect(await uses()).toEqual([]);
    await settleDiscountUse(withLogger, { ...order('PAYMENT_FAILED'), discount: null });
    expect(await uses()).toEqual([]);
  });
});
