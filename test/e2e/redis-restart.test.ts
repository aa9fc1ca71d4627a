import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULFILLMENT_JOB } from '../../flows/events.js';
import { ORDER_QUEUE, orderJobId } from '../../jobs/order-queue.js';
import { demoSeat } from '../../sandbox/demo-data.js';
import {
  enrollmentPosts,
  newLearner,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { RedisServer, waitFor } from '../support/redis-servers.js';

const SEAT = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified');
const RECONCILE_EVERY_SECONDS = 0.25;

describe('the reconciler and job retention on a Redis of their own', () => {
  let redis: RedisServer;
  let gw: TestGateway;
  let queue: Queue;
  let events: QueueEvents;
  let reconcilerRuns = 0;
  beforeAll(async () => {
    redis = await RedisServer.start();
    gw = await startTestGateway({
      REDIS_URL: redis.url,
      JOB_BACKOFF_MS: '50',
      RECONCILE_INTERVAL_SECONDS: String(RECONCILE_EVERY_SECONDS),
      RECONCILE_AFTER_SECONDS: '0.5',
    });
    // The queue as an operator's console sees it: same name and prefix, its own connections.
    const options = { connection: { url: redis.url }, prefix: `${gw.keyPrefix}bull` };
    queue = new Queue(ORDER_QUEUE, options);
    events = new QueueEvents(ORDER_QUEUE, options);
    events.on('completed', ({ jobId }) => {
      if (jobId.startsWith('repeat:reconcile')) reconcilerRuns += 1;
    });
    await events.waitUntilReady();
  });
  afterAll(async () => {
    await events?.close();
    await queue?.close();
    await gw?.close();
    await redis?.destroy();
  });

  it('keeps all 15 failed jobs through 20 reconciler runs', async () => {
    // Jobs for orders that do not exist fail for good at once, as a broken order's job does.
    const missing = Array.from({ length: 15 }, () => `missing-${randomUUID()}`);
    await Promise.all(
      missing.map((orderId) =>
        queue.add(
          FULFILLMENT_JOB.handler,
          { orderId, event: FULFILLMENT_JOB.event },
          { jobId: orderJobId({ ...FULFILLMENT_JOB, orderId }) },
        ),
      ),
    );
    await waitFor('15 failed jobs', async () => (await queue.getFailedCount()) === 15);
    const runsBefore = reconcilerRuns;
    await waitFor(
      '20 reconciler runs',
      () => Promise.resolve(reconcilerRuns - runsBefore >= 20),
      20 * RECONCILE_EVERY_SECONDS * 1000 + 20_000,
    );
    const failed = await queue.getFailed(0, -1);
    expect(failed.map((job) => job.id).sort()).toEqual(
      missing.map((orderId) => orderJobId({ ...FULFILLMENT_JOB, orderId })).sort(),
    );
    // Each run removed only itself.
    expect(await queue.getCompletedCount()).toBe(0);
  }, 60_000);

  it('still runs after Redis restarts empty: an order whose webhook was dropped is FULFILLED', async () => {
    await redis.restartEmpty();
    expect(await queue.getFailedCount()).toBe(0);
    const runsBefore = reconcilerRuns;

    const learner = await newLearner('restart');
    const placed = await purchase(gw.url, learner.token, [SEAT.sku], randomUUID());
    gw.sandbox.stripe!.pauseWebhooks();
    const posts = enrollmentPosts(gw.sandbox);
    try {
      expect(await payWithSandboxCard(gw.sandbox, placed.payment!.id)).toBe(200);
      await waitForOrderStatus(gw.url, learner.token, placed.order!.id, 'FULFILLED', 30_000);
    } finally {
      gw.sandbox.stripe!.resumeWebhooks();
    }
    expect(gw.sandbox.stripe!.sentEvents().some((e) => e.delivery === 'withheld')).toBe(true);
    expect(reconcilerRuns).toBeGreaterThan(runsBefore);
    expect(enrollmentPosts(gw.sandbox) - posts).toBe(1);
  }, 60_000);
});
