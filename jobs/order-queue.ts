import { Queue, type JobsOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Order } from '../connectors/orders.js';
import type { FlowEventType, HandlerJob } from '../flows/events.js';
import type { OrderJobs } from '../workflows/services.js';
import { currentTraceContext, type JobTraceContext } from './job-tracing.js';

export const ORDER_QUEUE = 'orders';
export const RECONCILE_JOB = 'reconcile';

/** A handler's job is named after the handler; its data says which event of which order. */
export interface OrderJobData {
  orderId: string;
  /** Absent on jobs added before flows (named `fulfillment` or `refund`) and on the reconciler's. */
  event?: FlowEventType;
  /** The trace of the request or job that added it, continued by the job's span. */
  trace?: JobTraceContext;
  /** The order as it was when the job was added, saving the job one read of it. */
  order?: Order;
}

export interface OrderQueueSettings {
  /** Prefix of the queue's Redis keys (BullMQ's own namespace under the gateway's prefix). */
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** Failed jobs are removed after this many days; null keeps them until an operator does. */
  failedJobRetentionDays: number | null;
}

/** BullMQ wants ids without ':'; events, handler ids and order ids never have one. */
export function orderJobId(job: HandlerJob): string {
  return `${job.event}-${job.handler}-${job.orderId}`;
}

const PENDING_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * The order jobs queue. A job's id is derived from its (event, order, handler), so adding the same
 * job again while it exists adds nothing; completed jobs are kept a week and failed ones until an
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

  const add = (handlerJob: HandlerJob, order?: Order) => {
    const { event, orderId } = handlerJob;
    const trace = currentTraceContext();
    const data: OrderJobData = {
      orderId,
      event,
      ...(order ? { order } : {}),
      ...(trace ? { trace } : {}),
    };
    return queue.add(handlerJob.handler, data, { jobId: orderJobId(handlerJob) });
  };

  const jobs: OrderJobs = {
    async enqueue(handlerJob, snapshot) {
      await add(handlerJob, snapshot);
    },
    async rerun(handlerJob) {
      const job = await queue.getJob(orderJobId(handlerJob));
      const state = job ? await job.getState() : 'unknown';
      if (PENDING_STATES.has(state)) return;
      if (job && state === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return;
      }
      if (job) await job.remove();
      await add(handlerJob);
    },
    async isPending(handlerJob) {
      const job = await queue.getJob(orderJobId(handlerJob));
      return job ? PENDING_STATES.has(await job.getState()) : false;
    },
  };
  return { queue, jobs };
}

export type OrderQueue = ReturnType<typeof createOrderQueue>;
