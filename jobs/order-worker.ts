import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { FlowEngine } from '../flows/engine.js';
import { FULFILLMENT_JOB, REVOCATION_JOB, type HandlerJob } from '../flows/events.js';
import { PermanentHandlerError } from '../flows/plugin-api.js';
import { TransientFulfillmentError } from '../workflows/fulfillment.js';
import { OrderNotFoundError } from '../workflows/order-updates.js';
import { reconcileOrders, type ReconcileReport } from '../workflows/reconcile.js';
import type { CommerceServices } from '../workflows/services.js';
import { runInJobSpan } from './job-tracing.js';
import { ORDER_QUEUE, RECONCILE_JOB, type OrderJobData, type OrderQueue } from './order-queue.js';

/** Where the worker reports what its jobs did (Prometheus, in server/metrics.ts). */
export interface JobMetrics {
  recordJob(kind: string, outcome: 'completed' | 'retrying' | 'failed', seconds: number): void;
  recordModuleFailure(module: string, operation: string, errorType: string): void;
  recordRepairs(
    report: Pick<
      ReconcileReport,
      'paymentsSettled' | 'jobsRequeued' | 'reversalsSettled' | 'checkoutsExpired'
    >,
  ): void;
}

export interface OrderWorkerSettings {
  prefix: string;
  concurrency: number;
  /** How long a job's lock lasts: a worker that died mid-job gives it up after this long. */
  lockMs: number;
  reconcileEveryMs: number;
  /** The reconciler leaves alone orders changed more recently than this. */
  reconcileQuietMs: number;
  /** Unpaid checkouts older than this are ended by the reconciler. */
  checkoutExpiresAfterMs: number;
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
  /** A connection as BullMQ wants a worker's: it never gives up a command. */
  connection: Redis | Cluster;
  /** The queue's connection: each time it is ready again, the reconciler's schedule is renewed. */
  readiness: Redis | Cluster;
  queue: OrderQueue;
  services: CommerceServices;
  flows: FlowEngine;
  settings: OrderWorkerSettings;
  logger: Logger;
  /** A rate-limited logger of errors from one source (Redis outages repeat every retry). */
  errorLog: (source: string) => (error: unknown) => void;
  metrics?: JobMetrics;
}) {
  const { flows, settings, logger, metrics } = options;

  const runJob = async (job: Job<OrderJobData>): Promise<string> => {
    // Every line the job writes names it and its order.
    const services: CommerceServices = {
      ...options.services,
      logger: logger.child({
        jobId: job.id,
        ...(job.data.orderId ? { orderId: job.data.orderId } : {}),
      }),
    };
    if (job.name === RECONCILE_JOB) {
      const report = await reconcileOrders(services, {
        quietForMs: settings.reconcileQuietMs,
        checkoutExpiresAfterMs: settings.checkoutExpiresAfterMs,
      });
      metrics?.recordRepairs(report);
      return `examined ${report.examined}, settled ${report.paymentsSettled}, requeued ${report.jobsRequeued}, reversals ${report.reversalsSettled}, expired checkouts ${report.checkoutsExpired}`;
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
    } catch (caught) {
      // Kept as a failed job, for support to see and retry.
      const error =
        caught instanceof OrderNotFoundError || caught instanceof PermanentHandlerError
          ? new UnrecoverableError(caught.message)
          : caught;
      // Written here, inside the job's span, so the line carries the job's trace.
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (error instanceof UnrecoverableError || lastAttempt) {
        const fields = { reason: error instanceof Error ? error.message : String(error) };
        if (flows.isOptional(handlerJob)) {
          services.logger.warn(fields, 'an optional handler failed for good; the order goes on');
        } else {
          services.logger.error(fields, 'order job failed for good');
        }
      } else if (!(error instanceof TransientFulfillmentError)) {
        services.logger.warn({ err: error }, 'order job failed; it will be retried');
      }
      throw error;
    }
  };

  const process = (job: Job<OrderJobData>): Promise<string> => {
    const startedAt = performance.now();
    return runInJobSpan(job, () => runJob(job)).then(
      (result) => {
        metrics?.recordJob(job.name, 'completed', (performance.now() - startedAt) / 1000);
        return result;
      },
      (error: unknown) => {
        const final =
          error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        metrics?.recordJob(
          job.name,
          final ? 'failed' : 'retrying',
          (performance.now() - startedAt) / 1000,
        );
        throw error;
      },
    );
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
  worker.on('error', options.errorLog('order worker'));
  worker.on('failed', (job, error) => {
    if (job?.name === RECONCILE_JOB) {
      logger.warn({ jobId: job.id, reason: error.message }, 'reconciler run failed');
    }
  });

  // The schedule lives in Redis: a Redis that restarts empty (or a failover to a replica that
  // missed it) forgets it, so it is renewed whenever the connection is ready again. Each run
  // removes only itself: a count or an age would trim every other job of the queue too.
  const schedule = () =>
    options.queue.queue.upsertJobScheduler(
      RECONCILE_JOB,
      { every: settings.reconcileEveryMs },
      {
        name: RECONCILE_JOB,
        data: { orderId: '' },
        opts: { removeOnComplete: true, removeOnFail: true },
      },
    );
  const reportScheduleError = options.errorLog('reconciler schedule');
  const renewSchedule = () => void schedule().catch(reportScheduleError);
  await schedule();
  options.readiness.on('ready', renewSchedule);
  await worker.waitUntilReady();
  return {
    worker,
    close: async () => {
      options.readiness.off('ready', renewSchedule);
      await worker.close();
    },
  };
}

export type OrderWorker = Awaited<ReturnType<typeof startOrderWorker>>;
