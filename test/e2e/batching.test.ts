import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_COURSE_RUNS } from '../../sandbox/demo-data.js';
import { contractOperation, graphql, signToken } from '../support/client.js';
import { importOrders } from '../support/commercetools.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { waitFor } from '../support/redis-servers.js';

/**
 * DataLoaders batch every lookup of one request: a page of orders costs one request per upstream
 * and entity type, however many orders and lines it holds. So in both executions: a document's
 * first runs are graphql-js's, the later ones compiled (server/compiled-execution.ts).
 */
describe.each([
  ['compiled', '1'],
  ['run by graphql-js', '0'],
])('a page of 20 orders with 2 lines each, %s', (_execution, compileAfterRuns) => {
  let gw: TestGateway;
  let token: string;

  beforeAll(async () => {
    gw = await startTestGateway({ GRAPHQL_COMPILE_AFTER_RUNS: compileAfterRuns });
    token = await signToken({
      user_id: 2001,
      preferred_username: 'dave',
      email: 'dave@example.com',
    });
    const runs = DEMO_COURSE_RUNS.filter((run) => run.seats[0]?.currency === 'USD');
    expect(runs.length).toBeGreaterThan(30);
    await importOrders(
      gw.sandbox,
      Array.from({ length: 20 }, (_, index) => ({
        ownerId: '2001',
        ownerUsername: 'dave',
        skus: [runs[(2 * index) % runs.length]!, runs[(2 * index + 1) % runs.length]!].map(
          (run) => run.seats.find((seat) => seat.mode === 'audit')!.sku,
        ),
        createdAt: new Date(Date.UTC(2026, 0, 1 + index)).toISOString(),
      })),
    );
    // The order system's and the LMS's OAuth tokens are fetched once per process and cached:
    // fetch them now.
    await graphql(
      gw.url,
      'query { me { orders(first: 1) { edges { cursor } } enrollments { mode } } }',
      {},
      { token },
    );
  });
  afterAll(() => gw.close());

  const resetCounts = () => {
    for (const server of [gw.sandbox.commercetools, gw.sandbox.discovery, gw.sandbox.lms]) {
      server!.resetStats();
    }
  };
  const counts = () => ({
    commercetools: gw.sandbox.commercetools!.totalRequests(),
    discovery: gw.sandbox.discovery!.totalRequests(),
    lms: gw.sandbox.lms!.totalRequests(),
  });

  it('costs one commercetools, one Discovery and one LMS request', async () => {
    resetCounts();
    const response = await graphql<{ me: { orders: { edges: { node: { lines: unknown[] } }[] } } }>(
      gw.url,
      contractOperation('MyOrders'),
      { first: 20 },
      { token },
    );
    expect(response.body.errors).toBeUndefined();
    const orders = response.body.data!.me.orders.edges;
    expect(orders).toHaveLength(20);
    expect(orders.every((edge) => edge.node.lines.length === 2)).toBe(true);
    expect(counts()).toEqual({ commercetools: 1, discovery: 1, lms: 1 });
  });

  it("asks the LMS for the owner's enrollments while the order system is still answering", async () => {
    resetCounts();
    gw.sandbox.commercetools!.setLatency(1_500);
    try {
      let answered = false;
      const response = graphql(gw.url, contractOperation('MyOrders'), { first: 20 }, { token });
      void response.finally(() => (answered = true));
      await waitFor('the LMS request', () => Promise.resolve(gw.sandbox.lms!.totalRequests() > 0));
      // Had it waited for the orders, the LMS could not have been asked before 1.5 s.
      expect(answered).toBe(false);
      expect((await response).body.errors).toBeUndefined();
      expect(counts()).toEqual({ commercetools: 1, discovery: 0, lms: 1 });
    } finally {
      gw.sandbox.commercetools!.setLatency(0);
    }
  });

  it('costs no Discovery request once the catalog is cached in Redis', async () => {
    resetCounts();
    const response = await graphql(gw.url, contractOperation('MyOrders'), { first: 20 }, { token });
    expect(response.body.errors).toBeUndefined();
    expect(counts()).toEqual({ commercetools: 1, discovery: 0, lms: 1 });
  });
});
