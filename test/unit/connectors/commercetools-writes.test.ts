import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { CT_STATES, toUpdateActions } from '../../../connectors/commercetools/mapping.js';
import type { CtOrder } from '../../../connectors/commercetools/wire-types.js';
import { UpstreamConflictError, UpstreamRejectedError } from '../../../connectors/errors.js';
import {
  ORDER_STATUSES,
  type NewOrder,
  type Order,
  type OrderConnector,
  type OrderStatus,
} from '../../../connectors/orders.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { requestsTo, startWorld, type ConnectorWorld } from './support.js';

const { projectKey, clientId, clientSecret } = SANDBOX_CREDENTIALS.commercetools;

let world: ConnectorWorld;
let orders: OrderConnector;

const stats = () => world.sandbox.commercetools.stats();
const imports = () => requestsTo(stats(), 'POST /:projectKey/orders/import');
const updates = () => requestsTo(stats(), 'POST /:projectKey/orders/:id');
const queries = () => requestsTo(stats(), 'GET /:projectKey/orders');
const tokens = () => requestsTo(stats(), 'POST /oauth/token');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function newOrder(overrides: Partial<NewOrder> = {}): NewOrder {
  return {
    number: `GW-${randomUUID()}`,
    ownerId: '4242',
    ownerUsername: 'tester',
    ownerEmail: 'tester@example.com',
    status: 'PENDING_PAYMENT',
    total: { amount: '148.00', currencyCode: 'USD' },
    idempotencyKey: randomUUID(),
    lines: [
      {
        sku: 'SKU-A',
        courseRunKey: 'course-v1:TestX+A+1T2026',
        mode: 'verified',
        title: 'Course A',
        price: { amount: '49.00', currencyCode: 'USD' },
      },
      {
        sku: 'SKU-B',
        courseRunKey: 'course-v1:TestX+B+1T2026',
        mode: 'professional',
        title: 'Course B',
        price: { amount: '99.00', currencyCode: 'USD' },
      },
    ],
    ...overrides,
  };
}

/** The order as commercetools stores it, read straight from the sandbox. */
async function rawOrder(id: string): Promise<CtOrder> {
  const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
  const tokenResponse = await fetch(`${world.sandbox.urls.commercetoolsAuth}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const { access_token } = (await tokenResponse.json()) as { access_token: string };
  const response = await fetch(
    `${world.sandbox.urls.commercetoolsApi}/${projectKey}/orders/${id}`,
    { headers: { authorization: `Bearer ${access_token}` } },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as CtOrder;
}

async function statesOf(id: string): Promise<{ orderState: string; paymentState: unknown }> {
  const { orderState, paymentState } = await rawOrder(id);
  return { orderState, paymentState };
}

beforeAll(async () => {
  world = await startWorld();
  orders = world.connectors.orders;
});
afterAll(async () => {
  await world.close();
});
beforeEach(() => {
  world.sandbox.commercetools.resetStats();
  world.sandbox.commercetools.clearFaults();
});

describe('creating orders', () => {
  it('imports an order that reads back the same, its lines pending', async () => {
    const draft = newOrder();
    const created = await orders.createOrder(draft);
    expect(imports()).toBe(1);
    expect(created).toEqual({
      id: expect.any(String),
      version: 1,
      number: draft.number,
      ownerId: '4242',
      ownerUsername: 'tester',
      ownerEmail: draft.ownerEmail,
      status: 'PENDING_PAYMENT',
      placedAt: expect.any(String),
      total: { amount: '148.00', currencyCode: 'USD' },
      payment: null,
      lines: draft.lines.map((line) => ({
        id: expect.any(String),
        sku: line.sku,
        courseRunKey: line.courseRunKey,
        mode: line.mode,
        price: line.price,
        discount: { amount: '0.00', currencyCode: 'USD' },
        status: 'PENDING',
      })),
      discount: null,
      idempotencyKey: draft.idempotencyKey,
      refundId: null,
      refundRequestKey: null,
      refundLineIds: [],
      refundAtProcessor: false,
      processorRefundedMinor: 0,
    });
    expect((await orders.getOrders([created.id])).get(created.id)).toEqual(created);

    const raw = await rawOrder(created.id);
    expect(raw).toMatchObject({
      orderNumber: draft.number,
      customerEmail: 'tester@example.com',
      orderState: 'Open',
      paymentState: 'Pending',
      totalPrice: { type: 'centPrecision', currencyCode: 'USD', centAmount: 14800 },
      custom: {
        type: { key: 'commerce-gateway-order' },
        fields: {
          lmsUserId: '4242',
          lmsUsername: 'tester',
          status: 'PENDING_PAYMENT',
          idempotencyKey: draft.idempotencyKey,
        },
      },
    });
    expect(raw.lineItems[1]).toMatchObject({
      productId: 'SKU-B',
      name: { en: 'Course B' },
      variant: { sku: 'SKU-B' },
      quantity: 1,
      price: { value: { centAmount: 9900, fractionDigits: 2 } },
      totalPrice: { centAmount: 9900 },
      custom: {
        type: { key: 'commerce-gateway-line' },
        fields: { courseRunKey: 'course-v1:TestX+B+1T2026', mode: 'professional' },
      },
    });
  });

  it('records a discount code: the line totals after the discount, the code on the order', async () => {
    const base = newOrder();
    const draft = newOrder({
      total: { amount: '118.40', currencyCode: 'USD' },
      lines: base.lines.map((line, index) => ({
        ...line,
        discount: { amount: index === 0 ? '9.80' : '19.80', currencyCode: 'USD' },
      })),
      discountCode: { id: 'code-id-1', code: 'SPRING20' },
    });
    const created = await orders.createOrder(draft);
    expect(created.discount).toEqual({
      code: 'SPRING20',
      codeId: 'code-id-1',
      amount: { amount: '29.60', currencyCode: 'USD' },
    });
    expect(created.lines.map((line) => [line.price.amount, line.discount.amount])).toEqual([
      ['49.00', '9.80'],
      ['99.00', '19.80'],
    ]);
    const raw = await rawOrder(created.id);
    expect(raw.custom?.fields).toMatchObject({
      discountCode: 'SPRING20',
      discountCodeId: 'code-id-1',
    });
    expect(raw.lineItems.map((line) => line.totalPrice.centAmount)).toEqual([3920, 7920]);
  });

  it('stores a free order as paid, a zero-decimal currency, and no email when there is none', async () => {
    const draft = newOrder({
      status: 'PAID',
      ownerEmail: null,
      total: { amount: '0', currencyCode: 'JPY' },
      lines: [
        {
          sku: 'SKU-F',
          courseRunKey: 'course-v1:TestX+F+1T2026',
          mode: 'audit',
          title: 'Free course',
          price: { amount: '0', currencyCode: 'JPY' },
        },
      ],
    });
    const created = await orders.createOrder(draft);
    expect(created).toMatchObject({ status: 'PAID', total: { amount: '0', currencyCode: 'JPY' } });
    const raw = await rawOrder(created.id);
    expect(raw).toMatchObject({ orderState: 'Confirmed', paymentState: 'Paid' });
    expect(raw.totalPrice).toMatchObject({ centAmount: 0, fractionDigits: 0 });
    expect(raw.customerEmail).toBeUndefined();
  });

  it('is not retried, and a refused one is a rejection', async () => {
    world.sandbox.commercetools.injectFault({
      status: 503,
      count: 1,
      method: 'POST',
      path: `/${projectKey}/orders`,
    });
    const failed = await orders.createOrder(newOrder()).catch((e: unknown) => e);
    expect(failed).toMatchObject({ name: 'UpstreamUnavailableError', upstream: 'orders' });
    expect(imports()).toBe(1);

    const draft = newOrder();
    await orders.createOrder(draft);
    const duplicate = await orders
      .createOrder({ ...draft, idempotencyKey: randomUUID() })
      .catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(UpstreamRejectedError);
    expect(duplicate).toMatchObject({ statusCode: 400, detail: 'DuplicateField' });
  });

  it('renews the token once on 401 for a write too', async () => {
    const fresh = world.connect().orders;
    await fresh.checkReachable();
    world.sandbox.commercetools.injectFault({
      status: 401,
      count: 1,
      method: 'POST',
      path: `/${projectKey}/orders`,
      body: { statusCode: 401, message: 'invalid_token', errors: [{ code: 'invalid_token' }] },
    });
    const created = await fresh.createOrder(newOrder());
    expect(created.version).toBe(1);
    expect(tokens()).toBe(2);
    expect(imports()).toBe(2);
  });
});

describe('updating orders', () => {
  it('changes status, payment, refund fields and lines in one request per change', async () => {
    const created = await orders.createOrder(newOrder());
    const [a, b] = created.lines;
    if (!a || !b) throw new Error('expected two lines');

    const paid = await orders.updateOrder(created, {
      status: 'PAID',
      payment: { provider: 'stripe', id: 'pi_test' },
    });
    expect(paid).toEqual({
      ...created,
      version: 2,
      status: 'PAID',
      payment: { provider: 'stripe', id: 'pi_test' },
    });
    expect(await statesOf(created.id)).toEqual({ orderState: 'Confirmed', paymentState: 'Paid' });

    // Only id and version: the connector does not know the current status.
    const fulfilled = await orders.updateOrder(
      { id: paid.id, version: paid.version },
      { status: 'FULFILLED', lineStatuses: { [a.id]: 'FULFILLED', [b.id]: 'FULFILLED' } },
    );
    expect(fulfilled.version).toBe(3);
    expect(fulfilled.status).toBe('FULFILLED');
    expect(fulfilled.lines.map((line) => line.status)).toEqual(['FULFILLED', 'FULFILLED']);
    expect(await statesOf(created.id)).toEqual({ orderState: 'Complete', paymentState: 'Paid' });

    const pending = await orders.updateOrder(fulfilled, {
      status: 'REFUND_PENDING',
      refundRequestKey: 'refund-key-1',
    });
    expect(pending).toMatchObject({ version: 4, refundRequestKey: 'refund-key-1', refundId: null });
    expect(await statesOf(created.id)).toEqual({
      orderState: 'Complete',
      paymentState: 'CreditOwed',
    });

    const refunded = await orders.updateOrder(pending, {
      status: 'REFUNDED',
      refundId: 're_test',
      lineStatuses: { [b.id]: 'REVOKED' },
    });
    expect(refunded).toMatchObject({
      version: 5,
      status: 'REFUNDED',
      refundId: 're_test',
      refundRequestKey: 'refund-key-1',
      payment: { provider: 'stripe', id: 'pi_test' },
      idempotencyKey: created.idempotencyKey,
    });
    expect(refunded.lines.map((line) => line.status)).toEqual(['FULFILLED', 'REVOKED']);
    expect(await statesOf(created.id)).toEqual({ orderState: 'Cancelled', paymentState: 'Paid' });

    expect(updates()).toBe(4);
    expect((await orders.getOrders([created.id])).get(created.id)).toEqual(refunded);
  });

  it('refuses a stale version with UpstreamConflictError and changes nothing', async () => {
    const created = await orders.createOrder(newOrder());
    const paid = await orders.updateOrder(created, { status: 'PAID' });
    const error = await orders
      .updateOrder(created, { status: 'PAYMENT_FAILED' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamConflictError);
    expect(error).toMatchObject({ upstream: 'orders', statusCode: 409 });
    expect((await orders.getOrders([created.id])).get(created.id)).toEqual(paid);
    expect(updates()).toBe(2);
  });

  it('refuses a line the order does not have, all or nothing', async () => {
    const created = await orders.createOrder(newOrder());
    const error = await orders
      .updateOrder(created, { status: 'FULFILLING', lineStatuses: { nope: 'FULFILLED' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ statusCode: 400 });
    expect((await orders.getOrders([created.id])).get(created.id)).toEqual(created);
  });

  it('sends only the actions a change needs', () => {
    expect(toUpdateActions({ status: 'FULFILLING' }, 'PAID')).toEqual([
      { action: 'setCustomField', name: 'status', value: 'FULFILLING' },
    ]);
    expect(toUpdateActions({ status: 'FULFILLED' }, 'FULFILLING')).toEqual([
      { action: 'setCustomField', name: 'status', value: 'FULFILLED' },
      { action: 'changeOrderState', orderState: 'Complete' },
    ]);
    expect(toUpdateActions({ status: 'PAID' })).toEqual([
      { action: 'setCustomField', name: 'status', value: 'PAID' },
      { action: 'changeOrderState', orderState: 'Confirmed' },
      { action: 'changePaymentState', paymentState: 'Paid' },
    ]);
    expect(
      toUpdateActions(
        { payment: { provider: 'stripe', id: 'pi_1' }, lineStatuses: { l1: 'FULFILLED' } },
        'PENDING_PAYMENT',
      ),
    ).toEqual([
      { action: 'setCustomField', name: 'paymentProvider', value: 'stripe' },
      { action: 'setCustomField', name: 'paymentId', value: 'pi_1' },
      { action: 'setLineItemCustomField', lineItemId: 'l1', name: 'status', value: 'FULFILLED' },
    ]);
    expect(toUpdateActions({ status: 'PAID' }, 'PAID')).toEqual([]);
    for (const status of ORDER_STATUSES) expect(CT_STATES[status]).toBeDefined();
  });
});

describe('finding orders', () => {
  it('finds the owner’s order by idempotency key, in one request, and nobody else’s', async () => {
    const mine = await orders.createOrder(newOrder({ idempotencyKey: 'key "1" \\ x' }));
    const theirs = await orders.createOrder(newOrder({ ownerId: '4343', ownerUsername: 'other' }));
    world.sandbox.commercetools.resetStats();

    expect(await orders.findOrderByIdempotencyKey('4242', 'key "1" \\ x')).toEqual(mine);
    expect(queries()).toBe(1);
    expect(await orders.findOrderByIdempotencyKey('4242', theirs.idempotencyKey ?? '')).toBeNull();
    expect(
      await orders.findOrderByIdempotencyKey('4343', theirs.idempotencyKey ?? ''),
    ).toMatchObject({ id: theirs.id });
    expect(await orders.findOrderByIdempotencyKey('4242', 'key "1')).toBeNull();
    expect(await orders.findOrderByIdempotencyKey('4242" or lmsUserId != "', 'x')).toBeNull();
  });

  it('lists orders in some statuses last modified before a time, least recently modified first', async () => {
    const place = async (status: OrderStatus): Promise<Order> => {
      const order = await orders.createOrder(newOrder({ status, ownerId: '5151' }));
      await sleep(5);
      return order;
    };
    const before = new Date().toISOString();
    await sleep(5);
    const a = await place('PENDING_PAYMENT');
    const b = await place('PENDING_PAYMENT');
    const c = await place('PAYMENT_FAILED');
    const d = await place('PENDING_PAYMENT');
    const f = await place('FULFILLING');
    // Modified after d was created, so it now comes after d.
    const a2 = await orders.updateOrder(a, { payment: { provider: 'stripe', id: 'pi_a' } });
    await sleep(5);
    const cutoff = new Date().toISOString();
    await sleep(5);
    await place('PENDING_PAYMENT'); // created after the cutoff
    await orders.updateOrder(b, { status: 'PAID' }); // no longer pending, and modified since
    const ours = new Set([a, b, c, d, f].map((order) => order.id));
    world.sandbox.commercetools.resetStats();

    const listed = await orders.listOrdersInStatus(['PENDING_PAYMENT', 'PAYMENT_FAILED'], {
      modifiedBefore: cutoff,
      limit: 100,
    });
    expect(queries()).toBe(1);
    expect(
      listed.every(
        (order) => order.status === 'PENDING_PAYMENT' || order.status === 'PAYMENT_FAILED',
      ),
    ).toBe(true);
    expect(listed.filter((order) => ours.has(order.id))).toEqual([c, d, a2]);

    const failedOnly = await orders.listOrdersInStatus(['PAYMENT_FAILED'], {
      modifiedBefore: cutoff,
      limit: 100,
    });
    expect(failedOnly.filter((order) => ours.has(order.id))).toEqual([c]);

    const first = await orders.listOrdersInStatus(['PENDING_PAYMENT', 'PAYMENT_FAILED'], {
      modifiedBefore: cutoff,
      limit: 1,
    });
    expect(first).toEqual(listed.slice(0, 1));

    expect(
      (
        await orders.listOrdersInStatus(['PENDING_PAYMENT', 'PAYMENT_FAILED', 'FULFILLING'], {
          modifiedBefore: before,
          limit: 100,
        })
      ).filter((order) => ours.has(order.id)),
    ).toEqual([]);

    world.sandbox.commercetools.resetStats();
    expect(await orders.listOrdersInStatus([], { modifiedBefore: cutoff, limit: 10 })).toEqual([]);
    expect(queries()).toBe(0);
    await expect(
      orders.listOrdersInStatus(['PAID'], { modifiedBefore: 'yesterday', limit: 10 }),
    ).rejects.toThrow(RangeError);
  });
});
