import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createConnectors, type OnUpstreamRequest } from '../connectors/index.js';
import { createFlowEngine } from '../flows/engine.js';
import type { FlowsPlan } from '../flows/flows-plan.js';
import { createRedisTimelines } from '../flows/redis-timelines.js';
import { createOrderQueue, type OrderQueue } from '../jobs/order-queue.js';
import { startOrderWorker, type OrderWorker } from '../jobs/order-worker.js';
import { createOrderEventPublisher } from '../subscriptions/order-events.js';
import { createRedisPurchaseRegistry } from '../workflows/purchase-registry.js';
import type { CommerceServices } from '../workflows/services.js';
import type { GatewayConfig, UpstreamsConfig } from './config.js';

/** What a gateway process and a worker process both run on: Redis, connectors, queue, services. */
export interface CommerceRuntime {
  redis: Redis;
  queue: OrderQueue;
  services: CommerceServices;
  /** Starts the order worker in this process. */
  startWorker(): Promise<OrderWorker>;
  close(): Promise<void>;
}

export function createCommerceRuntime(options: {
  config: GatewayConfig;
  upstreams: UpstreamsConfig;
  redisUrl: string;
  logger: Logger;
  /** The validated flows (server/flows-loading.ts). */
  flows: FlowsPlan;
  onUpstreamRequest?: OnUpstreamRequest;
}): CommerceRuntime {
  const { config, upstreams, logger } = options;
  const prefix = config.redis.keyPrefix;
  // BullMQ blocks on its connections, so it must not give up on a request (maxRetriesPerRequest).
  const redis = new Redis(options.redisUrl, {
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
  });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));

  const connectors = createConnectors(
    {
      discovery: upstreams.discovery,
      lms: upstreams.lms,
      stripe: upstreams.stripe,
      commercetools: upstreams.commercetools,
      smtp: upstreams.smtp,
      screening: upstreams.screening,
    },
    {
      redis,
      keyPrefix: prefix,
      timeoutMs: config.upstreamTimeoutMs,
      catalogCacheTtlSeconds: config.catalogCacheTtlSeconds,
      ...(options.onUpstreamRequest ? { onRequest: options.onUpstreamRequest } : {}),
    },
  );
  const queue = createOrderQueue(redis, {
    prefix: `${prefix}bull`,
    attempts: config.jobs.attempts,
    backoffMs: config.jobs.backoffMs,
  });
  const timelines = createRedisTimelines(redis, prefix);
  const flows = createFlowEngine(options.flows, {
    connectors,
    jobs: queue.jobs,
    timelines,
    secret: config.flows.secret,
    timeoutMs: config.upstreamTimeoutMs,
  });
  const services: CommerceServices = {
    connectors,
    jobs: queue.jobs,
    flow: flows.flow,
    timelines,
    events: createOrderEventPublisher(redis, prefix),
    purchases: createRedisPurchaseRegistry(redis, prefix),
    logger,
  };
  const workers: OrderWorker[] = [];

  return {
    redis,
    queue,
    services,
    async startWorker() {
      const worker = await startOrderWorker({
        connection: redis,
        queue,
        services,
        flows,
        settings: {
          prefix: `${prefix}bull`,
          concurrency: config.jobs.concurrency,
          lockMs: config.jobs.lockMs,
          reconcileEveryMs: config.jobs.reconcileEveryMs,
          reconcileQuietMs: config.jobs.reconcileQuietMs,
        },
        logger,
      });
      workers.push(worker);
      return worker;
    },
    async close() {
      // Workers first: they finish the jobs in hand, which still need Redis and the queue.
      await Promise.all(workers.map((worker) => worker.close()));
      await queue.queue.close();
      redis.disconnect();
    },
  };
}
