import { Queue, Worker } from 'bullmq';
import { Pool } from 'undici';
import { toUpdateActions } from '../connectors/commercetools/mapping.js';
import { ENROLLMENTS, toEnrollRequest } from '../connectors/lms/lms-enrollment.js';
import type { Order, OrderChange } from '../connectors/orders.js';
import { SANDBOX_CREDENTIALS } from '../sandbox/credentials.js';
import type { RedisClient } from '../server/redis-connections.js';
import { commercetoolsToken } from './read-path/critical-path.js';

export interface FloorWorkerResult {
  orders: number;
  seconds: number;
  cpuMsPerOrder: number;
}

/**
 * The least a fulfillment worker can do per order, in this process: a BullMQ job whose processor
 * sends the worker's three upstream requests (commercetools FULFILLING, the LMS enrollment,
 * commercetools FULFILLED, with the bodies the worker sends) through undici and parses their
 * answers, and nothing else: no flows, timeline, status events, logs, metrics or spans. Its CPU
 * per order is what this machine charges for the libraries alone, the reference for the worker's
 * own figure in the same run (issue 12's aim of 0.6 ms was set on another machine).
 *
 * CPU is this process's over the run, jobs added beforehand; the process does nothing else then.
 */
export async function measureFloorWorker(options: {
  connection: RedisClient;
  queuePrefix: string;
  orders: readonly Order[];
  concurrency: number;
  commercetoolsUrl: string;
  lmsUrl: string;
}): Promise<FloorWorkerResult> {
  const { projectKey } = SANDBOX_CREDENTIALS.commercetools;
  const commercetools = new Pool(options.commercetoolsUrl, { connections: options.concurrency });
  const lms = new Pool(options.lmsUrl, { connections: options.concurrency });
  const ctHeaders = {
    authorization: `Bearer ${await commercetoolsToken(options.commercetoolsUrl)}`,
    'content-type': 'application/json',
  };
  const lmsHeaders = {
    'x-edx-api-key': SANDBOX_CREDENTIALS.lmsApiKey,
    'content-type': 'application/json',
  };
  const send = async (pool: Pool, path: string, headers: object, body: unknown) => {
    const answer = await pool.request({
      method: 'POST',
      path,
      headers: headers as Record<string, string>,
      body: JSON.stringify(body),
    });
    const text = await answer.body.text();
    if (answer.statusCode >= 300) throw new Error(`${path}: ${answer.statusCode} ${text}`);
    return JSON.parse(text) as unknown;
  };
  const update = async (order: Order, change: OrderChange) =>
    (await send(commercetools, `/${projectKey}/orders/${order.id}`, ctHeaders, {
      version: order.version,
      actions: toUpdateActions(change, order.status),
    })) as { version: number };

  const byId = new Map(options.orders.map((order) => [order.id, order]));
  const name = 'fulfillment-floor';
  const queue = new Queue(name, { connection: options.connection, prefix: options.queuePrefix });
  await queue.addBulk(
    options.orders.map((order) => ({
      name,
      data: { orderId: order.id },
      opts: { jobId: order.id, removeOnComplete: true },
    })),
  );
  const started = { at: performance.now(), cpu: process.cpuUsage() };
  let done = 0;
  const worker = new Worker<{ orderId: string }>(
    name,
    async (job) => {
      const order = byId.get(job.data.orderId);
      if (!order) throw new Error(`No order ${job.data.orderId}`);
      const line = order.lines[0];
      if (!line) throw new Error(`Order ${order.id} has no line`);
      const fulfilling = await update(order, { status: 'FULFILLING' });
      await send(
        lms,
        ENROLLMENTS,
        lmsHeaders,
        toEnrollRequest({
          username: order.ownerUsername,
          courseRunKey: line.courseRunKey,
          mode: line.mode,
          orderNumber: order.number,
        }),
      );
      await update(
        { ...order, status: 'FULFILLING', version: fulfilling.version },
        { status: 'FULFILLED', lineStatuses: { [line.id]: 'FULFILLED' } },
      );
    },
    {
      connection: options.connection,
      prefix: options.queuePrefix,
      concurrency: options.concurrency,
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on('completed', () => {
        done += 1;
        if (done === options.orders.length) resolve();
      });
      worker.on('failed', (_job, error) => reject(error));
    });
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await Promise.all([commercetools.close(), lms.close()]);
  }
  const cpu = process.cpuUsage(started.cpu);
  return {
    orders: done,
    seconds: (performance.now() - started.at) / 1000,
    cpuMsPerOrder: (cpu.user + cpu.system) / 1000 / done,
  };
}
