import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { contractOperation, graphql, tokenFor } from '../support/client.js';
import type { PurchaseView } from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

describe('a purchase after the order system forgot the order its key names', () => {
  let before: TestGateway;
  let after: TestGateway;
  beforeAll(async () => {
    before = await startTestGateway();
  });
  afterAll(async () => {
    await after?.close();
    await before.close();
  });

  it('places a fresh order for the README’s purchase step, with no error or stack trace', async () => {
    const token = await tokenFor('carol');
    const sku = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified').sku;
    const input = { input: { skus: [sku], idempotencyKey: 'try-1' } };
    const first = await graphql<{ purchase: PurchaseView }>(
      before.url,
      contractOperation('Purchase'),
      input,
      { token },
    );
    const firstOrder = first.body.data?.purchase.order;
    expect(firstOrder?.id).toBeTruthy();

    // A restarted gateway in development: a fresh sandbox (its orders gone), the same Redis.
    after = await startTestGateway({ NODE_ENV: 'development', REDIS_KEY_PREFIX: before.keyPrefix });
    const again = await graphql<{ purchase: PurchaseView }>(
      after.url,
      contractOperation('Purchase'),
      input,
      { token },
    );
    expect(again.body.errors).toBeUndefined();
    expect(JSON.stringify(again.body)).not.toMatch(/stacktrace|OrderNotFound/);
    const placed = again.body.data?.purchase;
    expect(placed?.userErrors).toEqual([]);
    expect(placed?.order?.status).toBe('PENDING_PAYMENT');
    expect(placed?.order?.id).not.toBe(firstOrder?.id);

    // The key now names the new order: repeating it returns that order and creates nothing.
    const repeated = await graphql<{ purchase: PurchaseView }>(
      after.url,
      contractOperation('Purchase'),
      input,
      { token },
    );
    expect(repeated.body.data?.purchase.order?.id).toBe(placed?.order?.id);
  });
});
