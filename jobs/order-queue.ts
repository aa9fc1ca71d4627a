import { Queue, type JobsOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Order } from '../connectors/orders.js';
import type { OrderJobKind, OrderJobs } from '../workflows/services.js';
import { currentTraceContext, type JobTraceContext } from './job-tracing.js';

export const ORDER_QUEUE = 'orders';
export const RECONCILE_JOB = 'reconcile';

export interface OrderJobData {
  orderId: string;
  /** The order as it was when the job was added, saving the job one read of it. */
  order?: Order;
  /** The trace of the request or job that added it, continued by the job's span. */
  trace?: JobTraceContext;
}

export interface OrderQueueSettings {
  /** Prefix of the queue's Redis keys (BullMQ's own namespace under the gateway's prefix). */
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** Failed jobs are removed after this many days; null keeps them until an operator does. */
  failedJobRetentionDays: number | null;
}

/** BullMQ wants ids without ':'; a kind and an order id never have one. */
export function orderJobId(kind: OrderJobKind, orderId: string): string {
  return `${kind}-${orderId}`;
}

const PENDING_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * The order jobs queue. A job's id is derived from its order, so adding the same order's job
 * again while it exists adds nothing; completed jobs are kept a week and failed ones until an
 * operator removes them (or the configured retention), so what happened stays inspectable.
 */
export function createOrderQueue(connection: Redis | Cluster, settings: OrderQueueSettings) {
  const days = settings.failedJobRetentionDays;
  const defaultJobOptions: JobsOptions = {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: days === null ? false : { age: Math.round(days * 24 * 3600) },
  };
  const queue = new Queue<OrderJobData>(ORDER_QUEUE, {
    connection,
    prefix: settings.prefix,
    defaultJobOptions,
  });

  const add = (kind: OrderJobKind, orderId: string, order?: Order) => {
    const trace = currentTraceContext();
    const data: OrderJobData = {
      orderId,
      ...(order ? { order } : {}),
      ...(trace ? { trace } : {}),
    };
    return queue.add(kind, data, { jobId: orderJobId(kind, orderId) });
  };

  const jobs: OrderJobs = {
    async enqueue(kind, orderId, snapshot) {
      await add(kind, orderId, snapshot);
    },
    async rerun(kind, orderId) {
      const job = await queue.getJob(orderJobId(kind, orderId));
      const state = job ? await job.getState() : 'unknown';
      if (PENDING_STATES.has(state)) return;
      if (job && state === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return;
      }
      if (job) await job.remove();
      await add(kind, orderId);
    },
    async isPending(kind, orderId) {
      const job = await queue.getJob(orderJobId(kind, orderId));
      return job ? PENDING_STATES.has(await job.getState()) : false;
    },
  };
  return { queue, jobs };
}

export type OrderQueue = ReturnType<typeof createOrderQueue>;
