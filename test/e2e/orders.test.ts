import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ORDERS, demoOrdersOf, demoSeat } from '../../sandbox/demo-data.js';
import { contractOperation, errorCodes, graphql, tokenFor } from '../support/client.js';
import { importOrders } from '../support/commercetools.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

interface OrderFields {
  id: string;
  number: string;
  status: string;
  placedAt: string;
  total: { amount: string; currencyCode: string };
  payment: { id: string; status: string; provider: string } | null;
  lines: {
    id: string;
    status: string;
    price: { amount: string; currencyCode: string };
    product: { sku: string; mode: string; courseRun: { key: string; title: string } } | null;
    enrollment: { mode: string; isActive: boolean } | null;
  }[];
}
interface MyOrders {
  me: {
    id: string;
    username: string;
    orders: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { cursor: string; node: OrderFields }[];
    };
  };
}

const aliceOrders = demoOrdersOf('alice');

describe('order history', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const myOrders = async (token: string, first: number, after: string | null = null) => {
    const response = await graphql<MyOrders>(
      gw.url,
      contractOperation('MyOrders'),
      { first, after },
      { token },
    );
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.me.orders;
  };

  it('has the demo history to page through', () => {
    expect(aliceOrders.length).toBeGreaterThanOrEqual(25);
  });

  it('pages through all of alice’s orders newest first, none lost or repeated', async () => {
    const token = await tokenFor('alice');
    const seen: OrderFields[] = [];
    let after: string | null = null;
    do {
      const page: MyOrders['me']['orders'] = await myOrders(token, 7, after);
      seen.push(...page.edges.map((edge) => edge.node));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    const expected = [...aliceOrders].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    expect(seen.map((order) => order.id)).toEqual(expected.map((order) => order.id));
    const placed = seen.map((order) => order.placedAt);
    expect(placed).toEqual([...placed].sort().reverse());
  });

  it('loses and repeats nothing when an order is placed while a learner pages', async () => {
    const token = await tokenFor('bob');
    const bob = demoOrdersOf('bob');
    const first = await myOrders(token, 1);
    await importOrders(gw.sandbox, [
      {
        ownerId: '1002',
        ownerUsername: 'bob',
        skus: [demoSeat('course-v1:SandboxX+UX120+3T2026', 'audit').sku],
      },
    ]);
    const rest = await myOrders(token, 10, first.pageInfo.endCursor);
    const ids = [...first.edges, ...rest.edges].map((edge) => edge.node.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(bob.map((order) => order.id).sort());
  });

  it('shows payment, lines, products and enrollments of each order', async () => {
    const token = await tokenFor('alice');
    const page = await myOrders(token, 100);
    const byId = new Map(page.edges.map((edge) => [edge.node.id, edge.node]));

    const paid = aliceOrders.find((order) => order.payment && order.status === 'FULFILLED');
    const paidView = byId.get(paid!.id)!;
    expect(paidView.status).toBe('FULFILLED');
    expect(paidView.payment).toEqual({
      id: paid!.payment!.paymentIntentId,
      status: 'SUCCEEDED',
      provider: 'stripe',
    });
    expect(paidView.lines.map((line) => line.product?.sku)).toEqual(
      paid!.lines.map((line) => line.sku),
    );
    expect(paidView.lines.every((line) => line.enrollment?.isActive === true)).toBe(true);

    const free = aliceOrders.find((order) => order.payment === null);
    expect(byId.get(free!.id)).toMatchObject({ payment: null, total: { amount: '0.00' } });

    const refunded = aliceOrders.find((order) => order.status === 'REFUNDED');
    const refundedView = byId.get(refunded!.id)!;
    expect(refundedView.status).toBe('REFUNDED');
    expect(refundedView.lines.every((line) => line.status === 'REVOKED')).toBe(true);
    expect(refundedView.lines.every((line) => line.enrollment?.isActive === false)).toBe(true);
  });

  it('needs credentials for MyOrders', async () => {
    const response = await graphql(gw.url, contractOperation('MyOrders'), { first: 5 });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.data).toEqual({ me: null });
  });

  it('refuses a forged order cursor with BAD_USER_INPUT', async () => {
    const after = Buffer.from(JSON.stringify({ placedAt: 'yesterday', id: '") or ("' })).toString(
      'base64url',
    );
    const response = await graphql(
      gw.url,
      contractOperation('MyOrders'),
      { first: 5, after },
      { token: await tokenFor('alice') },
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('one order (OrderById)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const aliceOrder = aliceOrders[0]!;
  const byId = async (id: string, token?: string) =>
    graphql<{ order: OrderFields | null }>(
      gw.url,
      contractOperation('OrderById'),
      { id },
      token ? { token } : {},
    );

  it('shows the owner their order', async () => {
    const response = await byId(aliceOrder.id, await tokenFor('alice'));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.order).toMatchObject({
      id: aliceOrder.id,
      number: aliceOrder.number,
    });
  });

  it('shows another learner’s order exactly like a missing one: null, no data, no error', async () => {
    const foreign = await byId(aliceOrder.id, await tokenFor('bob'));
    const missing = await byId('00000000-0000-4000-8000-000000000000', await tokenFor('bob'));
    expect(foreign.body).toEqual({ data: { order: null } });
    expect(foreign.body).toEqual(missing.body);
  });

  it('shows staff any order', async () => {
    const response = await byId(aliceOrder.id, await tokenFor('staff'));
    expect(response.body.data!.order).toMatchObject({
      id: aliceOrder.id,
      status: aliceOrder.status,
    });
  });

  it('answers null for ids that cannot name an order, without asking the order system', async () => {
    const before = gw.sandbox.commercetools!.totalRequests();
    const response = await byId('") or id != ("', await tokenFor('staff'));
    expect(response.body).toEqual({ data: { order: null } });
    expect(gw.sandbox.commercetools!.totalRequests()).toBe(before);
  });

  it('needs credentials', async () => {
    const response = await byId(aliceOrder.id);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.data).toEqual({ order: null });
  });

  it('never gives another learner the payment client secret', async () => {
    const query = 'query ($id: ID!) { order(id: $id) { payment { clientSecret } } }';
    const staff = await graphql<{ order: { payment: { clientSecret: string | null } | null } }>(
      gw.url,
      query,
      { id: aliceOrder.id },
      { token: await tokenFor('staff') },
    );
    expect(staff.body.data?.order?.payment?.clientSecret ?? null).toBeNull();
  });
});

describe('enrollments (MyEnrollments)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('lists the learner’s enrollments with their course runs', async () => {
    const response = await graphql<{
      me: {
        enrollments: {
          courseRun: { key: string; title: string } | null;
          mode: string;
          isActive: boolean;
        }[];
      };
    }>(gw.url, contractOperation('MyEnrollments'), {}, { token: await tokenFor('alice') });
    expect(response.body.errors).toBeUndefined();
    const enrollments = response.body.data!.me.enrollments;
    const expectedRuns = new Set(
      aliceOrders.flatMap((order) => order.lines.map((line) => line.courseRunKey)),
    );
    expect(new Set(enrollments.map((enrollment) => enrollment.courseRun?.key))).toEqual(
      expectedRuns,
    );
    expect(enrollments.every((enrollment) => enrollment.courseRun?.title)).toBe(true);
    expect(enrollments.some((enrollment) => !enrollment.isActive)).toBe(true);
  });

  it('shows a learner with no enrollments an empty list', async () => {
    const response = await graphql(
      gw.url,
      contractOperation('MyEnrollments'),
      {},
      { token: await tokenFor('carol') },
    );
    expect(response.body).toEqual({ data: { me: { enrollments: [] } } });
  });

  it('keeps DEMO_ORDERS consistent for the tests above', () => {
    expect(DEMO_ORDERS.some((order) => order.status === 'REFUNDED')).toBe(true);
  });
});
