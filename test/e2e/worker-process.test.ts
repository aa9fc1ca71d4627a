import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { signToken } from '../support/client.js';
import {
  enrollmentPosts,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startWorkerProcess, type ChildRun } from '../support/worker-process.js';

const ETH100 = 'course-v1:SandboxX+ETH100+3T2026';
const WORKER_ENV = { JOB_LOCK_MS: '2000', JOB_BACKOFF_MS: '50' };

describe('a worker in its own process', () => {
  let gw: TestGateway;
  const workers: ChildRun[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ RUN_WORKER: 'false' }, { upstreamsFromEnvironment: true });
  });
  afterEach(() => {
    gw.sandbox.lms!.setLatency(0);
    for (const worker of workers.splice(0)) worker.child.kill('SIGKILL');
  });
  afterAll(() => gw.close());

  async function paidOrderInFlight(username: string, userId: number) {
    const token = await signToken({
      user_id: userId,
      preferred_username: username,
      email: `${username}@example.com`,
    });
    const placed = await purchase(gw.url, token, [demoSeat(ETH100, 'verified').sku], randomUUID());
    const before = enrollmentPosts(gw.sandbox);
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    // Wait until the worker's enrollment request is at the (slow) LMS: the job is mid-way.
    const deadline = Date.now() + 10_000;
    while (enrollmentPosts(gw.sandbox) === before) {
      if (Date.now() > deadline) throw new Error('the enrollment request never reached the LMS');
      await sleep(20);
    }
    return { token, orderId: placed.order!.id };
  }

  async function enrollmentsIn(username: string, courseRunKey: string) {
    const response = await fetch(
      `${gw.sandbox.urls.lms}/api/enrollment/v1/enrollment?user=${username}`,
      {
        headers: { 'x-edx-api-key': gw.sandbox.credentials.lmsApiKey },
      },
    );
    const all = (await response.json()) as {
      course_details: { course_id: string };
      is_active: boolean;
    }[];
    return all.filter((enrollment) => enrollment.course_details.course_id === courseRunKey);
  }

  it('finishes the job of a worker killed with SIGKILL mid-way: FULFILLED, enrolled once', async () => {
    const first = await startWorkerProcess(gw, WORKER_ENV);
    workers.push(first);
    gw.sandbox.lms!.setLatency(1500);
    const { token, orderId } = await paidOrderInFlight('killed', 7001);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    gw.sandbox.lms!.setLatency(0);

    workers.push(await startWorkerProcess(gw, WORKER_ENV));
    const order = await waitForOrderStatus(gw.url, token, orderId, 'FULFILLED', 20_000);
    expect(order.lines.map((line) => line.status)).toEqual(['FULFILLED']);
    const enrollments = await enrollmentsIn('killed', ETH100);
    expect(enrollments).toHaveLength(1);
    expect(enrollments[0]?.is_active).toBe(true);
  });

  it('finishes the jobs in hand before exiting on SIGTERM', async () => {
    const worker = await startWorkerProcess(gw, WORKER_ENV);
    workers.push(worker);
    gw.sandbox.lms!.setLatency(1000);
    const { token, orderId } = await paidOrderInFlight('drained', 7002);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toContain('finishing the jobs in hand');
    // Nothing else runs jobs now: what the order shows, the stopped worker did.
    const order = await waitForOrderStatus(gw.url, token, orderId, 'FULFILLED', 0);
    expect(order.lines.map((line) => line.status)).toEqual(['FULFILLED']);
  });
});
