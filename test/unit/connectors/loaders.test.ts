import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { UpstreamUnavailableError } from '../../../connectors/errors.js';
import { createLoaders, primeOrders } from '../../../connectors/index.js';
import {
  DEMO_COURSE_RUNS,
  DEMO_USERS,
  demoOrdersOf,
  demoSeat,
} from '../../../sandbox/demo-data.js';
import { requestsTo, startWorld, type ConnectorWorld } from './support.js';

let world: ConnectorWorld;

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(() => {
  for (const server of [
    world.sandbox.discovery,
    world.sandbox.lms,
    world.sandbox.stripe,
    world.sandbox.commercetools,
  ]) {
    server.resetStats();
    server.clearFaults();
  }
});

describe('per-request loaders', () => {
  it('batches course runs loaded in the same tick into one request, in key order', async () => {
    const loaders = createLoaders(world.connect({ keyPrefix: `${world.keyPrefix}runs:` }));
    const keys = DEMO_COURSE_RUNS.slice(0, 8).map((run) => run.key);
    const runs = await Promise.all(
      [...keys, 'course-v1:No+Such+Run'].map((key) => loaders.courseRun.load(key)),
    );
    expect(runs.map((run) => run?.key ?? null)).toEqual([...keys, null]);
    expect(requestsTo(world.sandbox.discovery.stats(), 'GET /api/v1/course_runs/')).toBe(1);
  });

  it('loads seats, courses, enrollments, payments and orders', async () => {
    const loaders = createLoaders(world.connectors);
    const seat = demoSeat('course-v1:SandboxX+FIN210+3T2026', 'verified');
    const alice = demoOrdersOf('alice');
    const paymentId = alice.find((order) => order.payment)?.payment?.paymentIntentId ?? '';
    const [found, course, enrollments, none, payment, order] = await Promise.all([
      loaders.seatBySku.load(seat.sku),
      loaders.course.load('SandboxX+FIN210'),
      loaders.enrollmentsByUsername.load('alice'),
      loaders.enrollmentsByUsername.load('carol'),
      loaders.payment.load(paymentId),
      loaders.order.load(alice[0]?.id ?? ''),
    ]);
    expect(found).toMatchObject({ sku: seat.sku, mode: 'verified' });
    expect(course?.runs.length).toBeGreaterThan(0);
    expect(enrollments.length).toBeGreaterThan(0);
    expect(none).toEqual([]);
    expect(payment).toMatchObject({ id: paymentId, status: 'SUCCEEDED' });
    expect(order).toMatchObject({ id: alice[0]?.id, ownerUsername: 'alice' });
  });

  it('gives every key of a failed batch its error', async () => {
    const loaders = createLoaders(world.connectors);
    world.sandbox.commercetools.injectFault({ status: 503, count: 10, method: 'GET' });
    const results = await Promise.allSettled(['a', 'b'].map((id) => loaders.order.load(id)));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      if (result.status === 'rejected')
        expect(result.reason).toBeInstanceOf(UpstreamUnavailableError);
    }
  });

  it('answers loadThen at once for a key whose batch came back, and through a promise before', async () => {
    const loaders = createLoaders(world.connect({ keyPrefix: `${world.keyPrefix}settle:` }));
    const key = DEMO_COURSE_RUNS[0]?.key ?? '';
    const pending = loaders.courseRun.loadThen(key, (run) => run?.key);
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBe(key);
    // Settled: the same call now returns the value itself, a missing run its null.
    expect(loaders.courseRun.loadThen(key, (run) => run?.key)).toBe(key);
    await loaders.courseRun.load('course-v1:No+Such+Run');
    expect(loaders.courseRun.loadThen('course-v1:No+Such+Run', (run) => run)).toBeNull();
    // A cleared key is no longer settled: the next call goes back through DataLoader.
    loaders.courseRun.clear(key);
    expect(loaders.courseRun.loadThen(key, (run) => run?.key)).toBeInstanceOf(Promise);
  });

  it('keeps a failed key unsettled: loadThen gives its error as load does', async () => {
    const loaders = createLoaders(world.connectors);
    world.sandbox.lms.injectFault({ status: 503, count: 10, method: 'GET' });
    await expect(loaders.enrollmentsByUsername.load('bob')).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    const again = loaders.enrollmentsByUsername.loadThen('bob', (list) => list.length);
    expect(again).toBeInstanceOf(Promise);
    await expect(again).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it('primes the order loader from a listed page', async () => {
    const loaders = createLoaders(world.connectors);
    const page = await world.connectors.orders.listCustomerOrders({
      ownerId: String(DEMO_USERS.alice.userId),
      first: 5,
    });
    primeOrders(loaders, page.orders);
    world.sandbox.commercetools.resetStats();
    const loaded = await loaders.order.loadMany(page.orders.map((order) => order.id));
    expect(loaded).toEqual(page.orders);
    expect(world.sandbox.commercetools.totalRequests()).toBe(0);
  });

  it('keeps nothing between requests', async () => {
    const first = createLoaders(world.connectors);
    const second = createLoaders(world.connectors);
    expect(first.order).not.toBe(second.order);
    await first.enrollmentsByUsername.load('bob');
    await second.enrollmentsByUsername.load('bob');
    expect(world.sandbox.lms.totalRequests()).toBe(2);
  });
});
