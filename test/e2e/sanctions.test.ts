import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import type { SandboxServer } from '../../sandbox/index.js';
import { contractOperation, errorCodes, graphql, signToken } from '../support/client.js';
import { enrollmentPosts, purchase, type PurchaseView } from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { contractOperationIn, readContract } from '../contract/operations.js';

const DS201 = 'course-v1:SandboxX+DS201+3T2026';
const TIMELINE = contractOperationIn(
  readContract(fileURLToPath(new URL('../contract/flows.graphql', import.meta.url))),
  'OrderTimeline',
);

/** Every write a sandbox upstream took (tokens aside): what "nothing was created" is checked against. */
function writes(server: SandboxServer | undefined): number {
  return Object.entries(server?.stats() ?? {})
    .filter(([route]) => route.startsWith('POST') && !route.includes('/oauth/'))
    .reduce((sum, [, count]) => sum + count, 0);
}

describe('sanctions screening at purchase', () => {
  let dir: string;
  let gw: TestGateway;
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'screening-'));
    const flowsFile = join(dir, 'flows.yaml');
    await writeFile(flowsFile, 'filters:\n  purchase: [sanctions-screening]\n');
    gw = await startTestGateway({ FLOWS_CONFIG: flowsFile });
  });
  afterAll(async () => {
    await gw.close();
    await rm(dir, { recursive: true, force: true });
  });

  const buyer = (name?: string) => {
    n += 1;
    const id = 900_000 + process.pid * 10 + n;
    return signToken({
      user_id: id,
      preferred_username: `screened${id}`,
      email: `screened${id}@example.com`,
      ...(name ? { name } : {}),
    });
  };
  const nothingCreatedBy = async (buy: () => Promise<unknown>) => {
    const before = {
      orders: writes(gw.sandbox.commercetools),
      payments: writes(gw.sandbox.stripe),
      enrollments: enrollmentPosts(gw.sandbox),
    };
    const result = await buy();
    expect({
      orders: writes(gw.sandbox.commercetools),
      payments: writes(gw.sandbox.stripe),
      enrollments: enrollmentPosts(gw.sandbox),
    }).toEqual(before);
    return result;
  };

  it('refuses a learner whose name is on the list, creating and charging nothing', async () => {
    const token = await buyer('Ivan Blocked');
    const result = (await nothingCreatedBy(() =>
      purchase(gw.url, token, [demoSeat(DS201, 'verified').sku], randomUUID()),
    )) as PurchaseView;
    expect(result).toMatchObject({
      order: null,
      payment: null,
      userErrors: [{ code: 'PURCHASE_NOT_ALLOWED', field: null }],
    });
    const mine = await graphql<{ me: { orders: { edges: unknown[] } } }>(
      gw.url,
      contractOperation('MyOrders'),
      { first: 10 },
      { token },
    );
    expect(mine.body.data?.me.orders.edges).toEqual([]);
  });

  it('matches the listed name whatever its case and word order', async () => {
    const token = await buyer('person LISTED');
    const result = await purchase(gw.url, token, [demoSeat(DS201, 'audit').sku], randomUUID());
    expect(result.userErrors.map((error) => error.code)).toEqual(['PURCHASE_NOT_ALLOWED']);
  });

  it('lets everyone else buy as before', async () => {
    const token = await buyer('Grace Hopper');
    const result = await purchase(gw.url, token, [demoSeat(DS201, 'verified').sku], randomUUID());
    expect(result.userErrors).toEqual([]);
    expect(result.order?.status).toBe('PENDING_PAYMENT');
    expect(result.payment?.clientSecret).toBeTruthy();
    const timeline = await graphql<{ order: { timeline: { kind: string; name: string }[] } }>(
      gw.url,
      TIMELINE,
      { id: result.order!.id },
      { token },
    );
    expect(
      timeline.body.data?.order.timeline.map((entry) => `${entry.kind} ${entry.name}`),
    ).toEqual(['FILTER sanctions-screening', 'EVENT OrderPlaced']);
  });

  it('refuses with UPSTREAM_UNAVAILABLE, creating nothing, while the screening API is down', async () => {
    gw.sandbox.screening!.setDown(true);
    try {
      const token = await buyer('Grace Hopper');
      const response = (await nothingCreatedBy(() =>
        graphql(
          gw.url,
          contractOperation('Purchase'),
          { input: { skus: [demoSeat(DS201, 'verified').sku], idempotencyKey: randomUUID() } },
          { token },
        ),
      )) as Awaited<ReturnType<typeof graphql>>;
      expect(errorCodes(response)).toEqual(['UPSTREAM_UNAVAILABLE']);
      expect(JSON.stringify(response.body)).not.toMatch(/127\.0\.0\.1|Service Unavailable/);
    } finally {
      gw.sandbox.screening!.setDown(false);
    }
  });
});
