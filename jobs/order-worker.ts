import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FlowEngine } from '../flows/engine.js';
import { FULFILLMENT_JOB, REVOCATION_JOB, type HandlerJob } from '../flows/events.js';
import { PermanentHandlerError } from '../flows/plugin-api.js';
import { TransientFulfillmentError } from '../workflows/fulfillment.js';
import { OrderNotFoundError } from '../workflows/order-updates.js';
import { reconcileOrders } from '../workflows/reconcile.js';
import type { CommerceServices } from '../workflows/services.js';
import { ORDER_QUEUE, RECONCILE_JOB, type OrderJobData, type OrderQueue } from './order-queue.js';

export interface OrderWorkerSettings {
  prefix: string;
  concurrency: number;
  /** How long a job's lock lasts: a worker that died mid-job gives it up after this long. */
  lockMs: number;
  reconcileEveryMs: number;
  /** The reconciler leaves alone orders changed more recently than this. */
  reconcileQuietMs: number;
}

/** Jobs added before flows carry no event: they are the handlers that replaced them. */
const LEGACY_JOBS: Readonly<Record<string, Omit<HandlerJob, 'orderId'>>> = {
  fulfillment: FULFILLMENT_JOB,
  refund: REVOCATION_JOB,
};

/**
 * Runs order jobs: each handler of the flows (fulfillment and revocation among them), and the
 * periodic reconciler. Close it on SIGTERM:
 * `close()` stops taking jobs and waits for the ones in hand to finish.
 */
export async function startOrderWorker(options: {
  connection: Redis;
  queue: OrderQueue;
  services: CommerceServices;
  flows: FlowEngine;
  settings: OrderWorkerSettings;
  logger: Logger;
}) {
  const { services, flows, settings, logger } = options;

  const process = async (job: Job<OrderJobData>): Promise<string> => {
    if (job.name === RECONCILE_JOB) {
      const report = await reconcileOrders(services, { quietForMs: settings.reconcileQuietMs });
      return `examined ${report.examined}, settled ${report.paymentsSettled}, requeued ${report.jobsRequeued}`;
    }
    const handlerJob: HandlerJob = job.data.event
      ? { event: job.data.event, handler: job.name, orderId: job.data.orderId }
      : { ...(LEGACY_JOBS[job.name] ?? FULFILLMENT_JOB), orderId: job.data.orderId };
    try {
      return await flows.runHandler({
        job: handlerJob,
        raisedAt: new Date(job.timestamp),
        attempt: job.attemptsMade + 1,
        // Only a first run starts from the snapshot: a retry's would be stale.
        snapshot: job.attemptsMade === 0 ? job.data.order : undefined,
        services,
        lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
      });
    } catch (error) {
      // Kept as a failed job, for support to see and retry.
      if (error instanceof OrderNotFoundError || error instanceof PermanentHandlerError) {
        throw new UnrecoverableError(error.message);
      }
      if (!(error instanceof TransientFulfillmentError)) {
        logger.warn({ err: error, jobId: job.id }, 'order job failed; it will be retried');
      }
      throw error;
    }
  };

  const worker = new Worker<OrderJobData, string>(ORDER_QUEUE, process, {
    connection: options.connection,
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    lockDuration: settings.lockMs,
    // A job whose worker died is noticed within half a lock, then run again by a live worker.
    stalledInterval: Math.max(500, Math.floor(settings.lockMs / 2)),
    maxStalledCount: 5,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'order worker error'));
  worker.on('failed', (job, error) => {
    if (!job) return;
    const lastAttempt = job.attemptsMade >= (job.opts.attempts ?? 1);
    if (error instanceof UnrecoverableError || lastAttempt) {
      const optional =
        job.data.event !== undefined &&
        flows.isOptional({ event: job.data.event, handler: job.name, orderId: job.data.orderId });
      const fields = { jobId: job.id, reason: error.message };
      if (optional) logger.warn(fields, 'an optional handler failed for good');
      else logger.error(fields, 'order job failed for good');
    }
  });

  await options.queue.queue.upsertJobScheduler(
    RECONCILE_JOB,
    { every: settings.reconcileEveryMs },
    {
      name: RECONCILE_JOB,
      data: { orderId: '' },
      opts: { removeOnComplete: 10, removeOnFail: 10 },
    },
  );
  await worker.waitUntilReady();
  return {
    worker,
    close: () => worker.close(),
  };
}

export type OrderWorker = Awaited<ReturnType<typeof startOrderWorker>>;
