import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { DEMO_ORDERS, demoSeat } from '../../../sandbox/demo-data.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { call, form, sandboxFor, started } from './support.js';

interface Money {
  currencyCode: string;
  centAmount: number;
}
interface Order {
  id: string;
  version: number;
  orderNumber: string;
  createdAt: string;
  lastModifiedAt: string;
  orderState: string;
  totalPrice: Money;
  lineItems: { id: string; variant: { sku: string }; custom: { fields: Record<string, string> } }[];
  custom: { fields: Record<string, string> };
}
interface PagedOrders {
  limit: number;
  offset: number;
  count: number;
  total?: number;
  results: Order[];
}
interface CtError {
  statusCode: number;
  message: string;
  errors: { code: string; message: string; currentVersion?: number }[];
}

const { projectKey, clientId, clientSecret } = SANDBOX_CREDENTIALS.commercetools;
let sandbox: Sandbox;
let base: string;
let token: string;

const requestToken = (id: string, secret: string) =>
  call<{
    access_token: string;
    token_type: string;
    expires_in: number;
    scope: string;
    error?: string;
  }>(`${base}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
    body: form({ grant_type: 'client_credentials', scope: `manage_project:${projectKey}` }),
  });
const api = <T>(path: string, init: RequestInit = {}) =>
  call<T>(`${base}/${projectKey}${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      ...(init.headers as Record<string, string>),
    },
  });
const query = (params: Record<string, string | string[]>) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    for (const v of [value].flat()) search.append(name, v);
  return api<PagedOrders & CtError>(`/orders?${search.toString()}`);
};

beforeAll(async () => {
  sandbox = await sandboxFor({ only: ['commercetools'] });
  base = started(sandbox.commercetools).url;
  expect(sandbox.urls.commercetoolsAuth).toBe(sandbox.urls.commercetoolsApi);
  token = (await requestToken(clientId, clientSecret)).body.access_token;
});
afterAll(() => sandbox.close());

describe('commercetools auth', () => {
  it('issues client-credentials tokens and refuses wrong clients', async () => {
    const answer = await requestToken(clientId, clientSecret);
    expect(answer.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 172800,
      scope: `manage_project:${projectKey}`,
    });
    const wrong = await requestToken(clientId, 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
  });

  it('answers 401 without or with an unknown bearer token', async () => {
    const none = await call<CtError>(`${base}/${projectKey}/orders`);
    expect(none.status).toBe(401);
    expect(none.body.errors[0]?.code).toBe('invalid_token');
    const unknown = await call<CtError>(`${base}/${projectKey}/orders`, {
      headers: { Authorization: 'Bearer nope' },
    });
    expect(unknown.status).toBe(401);
  });

  it('expires tokens after expires_in', async () => {
    const short = await sandboxFor({ only: ['commercetools'], commercetoolsTokenTtlSeconds: 1 });
    try {
      const url = started(short.commercetools).url;
      const issued = await call<{ access_token: string; expires_in: number }>(
        `${url}/oauth/token`,
        {
          method: 'POST',
          headers: {
            Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          },
          body: form({ grant_type: 'client_credentials' }),
        },
      );
      expect(issued.body.expires_in).toBe(1);
      const headers = { Authorization: `Bearer ${issued.body.access_token}` };
      expect((await call(`${url}/${projectKey}/orders?limit=1`, { headers })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await call(`${url}/${projectKey}/orders?limit=1`, { headers })).status).toBe(401);
    } finally {
      await short.close();
    }
  });
});

describe('commercetools orders', () => {
  const alice = DEMO_ORDERS.filter((o) => o.user.username === 'alice');
  const newestFirst = [...alice].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));

  it("pages a customer's orders newest first with a keyset cursor", async () => {
    const first = await query({
      where: 'custom(fields(lmsUserId="1001"))',
      sort: ['createdAt desc', 'id desc'],
      limit: '10',
      withTotal: 'false',
    });
    expect(first.status).toBe(200);
    expect(first.body.total).toBeUndefined();
    expect(first.body.results.map((o) => o.orderNumber)).toEqual(
      newestFirst.slice(0, 10).map((o) => o.number),
    );
    const last = first.body.results.at(-1);
    const cursor = `custom(fields(lmsUserId="1001")) and (createdAt < "${last?.createdAt}" or (createdAt = "${last?.createdAt}" and id < "${last?.id}"))`;
    const second = await query({ where: cursor, sort: ['createdAt desc', 'id desc'], limit: '10' });
    expect(second.body.results.map((o) => o.orderNumber)).toEqual(
      newestFirst.slice(10, 20).map((o) => o.number),
    );
    expect(second.body.total).toBe(alice.length - 10);

    const byOffset = await query({
      where: ['custom(fields(lmsUserId="1001"))'],
      sort: 'createdAt desc',
      limit: '10',
      offset: '20',
    });
    expect(byOffset.body).toMatchObject({
      limit: 10,
      offset: 20,
      count: alice.length - 20,
      total: alice.length,
    });
  });

  it('joins several where parameters with and, and supports in/not/!=', async () => {
    const ids = alice.slice(0, 3).map((o) => o.id);
    const inList = await query({
      where: [`id in ("${ids.join('", "')}", "nope")`, 'orderState = "Complete"'],
    });
    expect(inList.body.results.map((o) => o.id).sort()).toEqual(ids.sort());
    const refunded = await query({ where: 'custom(fields(status = "REFUNDED"))' });
    expect(refunded.body.results.map((o) => o.custom.fields.refundId)).toHaveLength(1);
    const notAlice = await query({ where: 'not(customerEmail = "alice@example.com")' });
    expect(notAlice.body.results.every((o) => o.custom.fields.lmsUsername === 'bob')).toBe(true);
    const bySku = await query({
      where: `lineItems(variant(sku = "${alice[0]?.lines[0]?.sku ?? ''}"))`,
    });
    expect(bySku.body.results.map((o) => o.orderNumber)).toEqual([alice[0]?.number]);
  });

  it('answers 400 InvalidInput on a malformed predicate or sort', async () => {
    for (const where of [
      'id = ',
      'custom(fields(lmsUserId="1001")',
      'id == "x"',
      'unknownField = "x"',
      'createdAt < "yesterday"',
      'id = "x" and',
    ]) {
      const answer = await query({ where });
      expect(answer.status, where).toBe(400);
      expect(answer.body.statusCode).toBe(400);
      expect(answer.body.errors[0]?.code).toBe('InvalidInput');
      expect(answer.body.message).toMatch(/where/);
    }
    expect((await query({ sort: 'createdAt sideways' })).status).toBe(400);
    expect((await query({ limit: '501' })).status).toBe(400);
  });

  it('gets an order by id and answers 404 for an unknown one', async () => {
    const demo = alice[0];
    const found = await api<Order>(`/orders/${demo?.id ?? ''}`);
    expect(found.body).toMatchObject({
      orderNumber: demo?.number,
      version: 1,
      custom: { fields: { lmsUserId: '1001', status: 'FULFILLED' } },
    });
    const missing = await api<CtError>('/orders/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]?.code).toBe('ResourceNotFound');
  });

  it('imports an order, updates it under optimistic concurrency and answers 409 when stale', async () => {
    const seat = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified');
    const money = {
      type: 'centPrecision',
      currencyCode: 'USD',
      centAmount: 14900,
      fractionDigits: 2,
    };
    // A query's answer must never outlive a change to the orders it lists.
    const carolsVersions = async () =>
      (await query({ where: 'custom(fields(lmsUserId="1003"))' })).body.results.map(
        (order) => `${order.orderNumber}@${order.version}`,
      );
    const carolsBefore = await carolsVersions();
    expect(carolsBefore).not.toContain('EDX-900001@1');
    const imported = await api<Order>('/orders/import', {
      method: 'POST',
      body: JSON.stringify({
        orderNumber: 'EDX-900001',
        customerEmail: 'carol@example.com',
        orderState: 'Open',
        totalPrice: money,
        lineItems: [
          {
            productId: seat.sku,
            name: { en: 'Machine Learning' },
            variant: { sku: seat.sku },
            quantity: 1,
            price: { value: money },
            totalPrice: money,
            custom: {
              type: { key: 'commerce-gateway-line' },
              fields: { courseRunKey: seat.courseRunKey, mode: 'verified', status: 'PENDING' },
            },
          },
        ],
        custom: {
          type: { key: 'commerce-gateway-order' },
          fields: { lmsUserId: '1003', lmsUsername: 'carol', status: 'PENDING_PAYMENT' },
        },
      }),
    });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ version: 1, orderState: 'Open' });
    expect(imported.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const lineId = imported.body.lineItems[0]?.id ?? '';
    const carolsAfter = await carolsVersions();
    expect(carolsAfter).toHaveLength(carolsBefore.length + 1);
    expect(carolsAfter).toContain('EDX-900001@1');

    const update = (version: number, actions: unknown[]) =>
      api<Order & CtError>(`/orders/${imported.body.id}`, {
        method: 'POST',
        body: JSON.stringify({ version, actions }),
      });
    const updated = await update(1, [
      { action: 'setCustomField', name: 'status', value: 'PAID' },
      { action: 'setLineItemCustomField', lineItemId: lineId, name: 'status', value: 'FULFILLED' },
      { action: 'changeOrderState', orderState: 'Confirmed' },
      { action: 'changePaymentState', paymentState: 'Paid' },
    ]);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      version: 2,
      orderState: 'Confirmed',
      custom: { fields: { status: 'PAID' } },
    });
    expect(updated.body.lineItems[0]?.custom.fields.status).toBe('FULFILLED');
    const carolsUpdated = await carolsVersions();
    expect(carolsUpdated).toContain('EDX-900001@2');
    expect(carolsUpdated).not.toContain('EDX-900001@1');

    const stale = await update(1, [
      { action: 'setCustomField', name: 'status', value: 'FULFILLED' },
    ]);
    expect(stale.status).toBe(409);
    expect(stale.body.errors[0]).toMatchObject({
      code: 'ConcurrentModification',
      currentVersion: 2,
    });

    const bad = await update(2, [
      { action: 'setCustomField', name: 'status', value: 'X' },
      { action: 'frobnicate' },
    ]);
    expect(bad.status).toBe(400);
    expect((await api<Order>(`/orders/${imported.body.id}`)).body.version).toBe(2);

    const duplicate = await api<CtError>('/orders/import', {
      method: 'POST',
      body: JSON.stringify({ orderNumber: 'EDX-900001', totalPrice: money, lineItems: [] }),
    });
    expect(duplicate.status).toBe(400);
  });
});
