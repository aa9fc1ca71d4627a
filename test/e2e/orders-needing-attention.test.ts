import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { contractOperationIn, readContract } from '../contract/operations.js';
import { errorCodes, graphql, tokenFor } from '../support/client.js';
import {
  newLearner,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const operators = readContract(
  fileURLToPath(new URL('../contract/operators.graphql', import.meta.url)),
);
const QUERY = contractOperationIn(operators, 'OrdersNeedingAttention');
const ENROLL = { method: 'POST', path: '/api/enrollment/v1/enrollment' };
const SEAT = demoSeat('course-v1:SandboxX+DS201+3T2026', 'verified');

interface AttentionPage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: { id: string; status: string; lines: { status: string }[] } }[];
}

describe('ordersNeedingAttention', () => {
  let gw: TestGateway;
  let staff: string;
  beforeAll(async () => {
    // A failed attempt is retried after a minute: an order left FULFILLING stays so here.
    gw = await startTestGateway({ ATTENTION_AFTER_SECONDS: '3', JOB_BACKOFF_MS: '60000' });
    staff = await tokenFor('staff');
  });
  afterEach(() => gw.sandbox.lms!.clearFaults());
  afterAll(() => gw.close());

  const ask = (token: string | undefined, variables: Record<string, unknown>) =>
    graphql<{ ordersNeedingAttention: AttentionPage | null }>(gw.url, QUERY, variables, {
      ...(token ? { token } : {}),
    });

  async function paidOrder(lmsFault: { status: number; count: number } | null, status: string) {
    const learner = await newLearner('attention');
    const placed = await purchase(gw.url, learner.token, [SEAT.sku], randomUUID());
    if (lmsFault) gw.sandbox.lms!.injectFault({ ...lmsFault, ...ENROLL });
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    await waitForOrderStatus(gw.url, learner.token, placed.order!.id, status);
    return { ...learner, orderId: placed.order!.id };
  }

  it('lists failed orders at once and unfulfilled paid ones after a while, newest first, a query a page', async () => {
    const refused = await paidOrder({ status: 400, count: 1 }, 'FULFILLMENT_ERROR');
    const stuck = await paidOrder({ status: 503, count: 1000 }, 'FULFILLING');

    const early = await ask(staff, { first: 100 });
    expect(early.body.errors).toBeUndefined();
    const earlyIds = early.body.data!.ordersNeedingAttention!.edges.map((edge) => edge.node.id);
    expect(earlyIds[0]).toBe(refused.orderId);
    expect(earlyIds).not.toContain(stuck.orderId);

    await sleep(3_200);
    const ordersQueries = () =>
      Object.entries(gw.sandbox.commercetools!.stats())
        .filter(([route]) => route.startsWith('GET ') && route.endsWith('/orders'))
        .reduce((sum, [, count]) => sum + count, 0);
    const before = ordersQueries();
    const first = await ask(staff, { first: 1 });
    expect(ordersQueries() - before).toBe(1);
    const page = first.body.data!.ordersNeedingAttention!;
    expect(page.edges.map((edge) => edge.node)).toEqual([
      expect.objectContaining({ id: stuck.orderId, status: 'FULFILLING' }),
    ]);
    expect(page.pageInfo.hasNextPage).toBe(true);

    const second = await ask(staff, { first: 1, after: page.pageInfo.endCursor });
    expect(second.body.data!.ordersNeedingAttention!.edges.map((edge) => edge.node)).toEqual([
      expect.objectContaining({
        id: refused.orderId,
        status: 'FULFILLMENT_ERROR',
        lines: [expect.objectContaining({ status: 'FULFILLMENT_ERROR' })],
      }),
    ]);
  });

  it('leaves fulfilled orders out', async () => {
    const fulfilled = await paidOrder(null, 'FULFILLED');
    await sleep(3_100);
    const response = await ask(staff, { first: 100 });
    const ids = response.body.data!.ordersNeedingAttention!.edges.map((edge) => edge.node.id);
    expect(ids).not.toContain(fulfilled.orderId);
  });

  it('is FORBIDDEN to a learner and UNAUTHENTICATED without credentials', async () => {
    const learner = await tokenFor('alice');
    const forbidden = await ask(learner, { first: 10 });
    expect(errorCodes(forbidden)).toEqual(['FORBIDDEN']);
    expect(forbidden.body.data?.ordersNeedingAttention ?? null).toBeNull();
    expect(errorCodes(await ask(undefined, { first: 10 }))).toEqual(['UNAUTHENTICATED']);
  });

  it('refuses page sizes out of range and cursors it did not issue', async () => {
    for (const variables of [
      { first: 0 },
      { first: 101 },
      { first: 10, after: 'not-a-cursor!' },
      { first: 10, after: Buffer.from('{"placedAt":"x","id":"1"}').toString('base64url') },
    ]) {
      expect(errorCodes(await ask(staff, variables))).toEqual(['BAD_USER_INPUT']);
    }
  });
});
