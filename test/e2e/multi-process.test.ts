import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { signToken } from '../support/client.js';
import {
  PAID_AND_FULFILLED,
  payWithSandboxCard,
  purchase,
  statusesUntilFulfilled,
  watchOrderStatus,
} from '../support/commerce.js';
import { deleteKeys } from '../support/gateway.js';
import {
  startGatewayProcess,
  startWorkerProcess,
  type ChildRun,
} from '../support/worker-process.js';

/**
 * Two gateway processes and one worker process on one Redis, as in production: the client
 * watches on gateway 1, the processor's webhook goes to gateway 2, the job runs in the worker.
 */
describe('live status across processes', () => {
  let sandbox: Sandbox;
  const keyPrefix = `test:${randomUUID()}:`;
  const children: ChildRun[] = [];
  let gateway1: string;
  let gateway2: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    const target = { sandbox, keyPrefix };
    const [first, second, worker] = await Promise.all([
      startGatewayProcess(target),
      startGatewayProcess(target),
      startWorkerProcess(target, { JOB_BACKOFF_MS: '50' }),
    ]);
    children.push(first, second, worker);
    gateway1 = first.url;
    gateway2 = second.url;
    sandbox.stripe!.setWebhookUrl(`${gateway2}/webhooks/stripe`);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.child.kill('SIGTERM');
    await Promise.all(children.map((child) => child.exited));
    await sandbox.close();
    await deleteKeys(keyPrefix);
  });

  it('shows a subscriber on gateway 1 every change made by gateway 2 and the worker', async () => {
    const token = await signToken({
      user_id: 9303,
      preferred_username: 'roamer',
      email: 'r@example.com',
    });
    const placed = await purchase(
      gateway1,
      token,
      [demoSeat('course-v1:SandboxX+PY101+3T2026', 'verified').sku],
      randomUUID(),
    );
    const watched = watchOrderStatus(gateway1, token, placed.order!.id);
    await watched.until((results) => results.length === 1);

    await payWithSandboxCard(sandbox, placed.payment!.id);
    expect(await statusesUntilFulfilled(watched)).toEqual(PAID_AND_FULFILLED);
    const delivered = sandbox
      .stripe!.sentEvents()
      .filter((event) => event.objectId === placed.payment!.id);
    expect(delivered.some((event) => event.delivery === 'delivered')).toBe(true);
    expect(children[2]!.output()).not.toContain('"level":50');
    await watched.dispose();
  });
});
