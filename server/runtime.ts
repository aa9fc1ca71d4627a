import type { Logger } from 'pino';
import { createConnectors, type OnUpstreamRequest } from '../connectors/index.js';
import { createFlowEngine } from '../flows/engine.js';
import type { FlowsPlan } from '../flows/flows-plan.js';
import { createRedisTimelines } from '../flows/redis-timelines.js';
import { createOrderQueue, type OrderQueue } from '../jobs/order-queue.js';
import { countModuleFailures } from '../jobs/module-metrics.js';
import { startOrderWorker, type JobMetrics, type OrderWorker } from '../jobs/order-worker.js';
import { createOrderEventPublisher } from '../subscriptions/order-events.js';
import { createRedisPurchaseRegistry } from '../workflows/purchase-registry.js';
import type { CommerceServices } from '../workflows/services.js';
import type { GatewayConfig, RedisTarget, UpstreamsConfig } from './config.js';
import { gatewayUserAgent } from './project-root.js';
import {
  createRedisConnections,
  type RedisClient,
  rateLimitedErrorLog,
  type RedisConnections,
} from './redis-connections.js';

/** What a gateway process and a worker process both run on: Redis, connectors, queue, services. */
export interface CommerceRuntime {
  /** The request-path connection (fails fast). */
  redis: RedisClient;
  connections: RedisConnections;
  queue: OrderQueue;
  services: CommerceServices;
  /** Starts the order worker in this process. */
  startWorker(): Promise<OrderWorker>;
  close(): Promise<void>;
}

export function createCommerceRuntime(options: {
  config: GatewayConfig;
  upstreams: UpstreamsConfig;
  /** The Redis actually in use (as configured, or a private development server). */
  redis: RedisTarget;
  logger: Logger;
  /** The validated flows (server/flows-loading.ts). */
  flows: FlowsPlan;
  onUpstreamRequest?: OnUpstreamRequest;
  jobMetrics?: JobMetrics;
}): CommerceRuntime {
  const { config, upstreams, logger } = options;
  const prefix = config.redis.keyPrefix;
  const connections = createRedisConnections({
    target: options.redis,
    commandTimeoutMs: config.redis.commandTimeoutMs,
    logger,
  });
  const redis = connections.commands;
  const queuePrefix = bullPrefix(prefix, options.redis);

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
      userAgent: gatewayUserAgent(),
      ...(options.onUpstreamRequest ? { onRequest: options.onUpstreamRequest } : {}),
    },
  );
  // The queue on a connection of its own: BullMQ defines its ~60 scripts on the connection it is
  // given, and ioredis copies them all into every auto-pipelined batch of that connection, which
  // taxed each cache read, timeline entry and status event sent beside the queue's commands.
  const queueConnection = connections.open('queue');
  const queue = createOrderQueue(queueConnection, {
    prefix: queuePrefix,
    attempts: config.jobs.attempts,
    backoffMs: config.jobs.backoffMs,
    failedJobRetentionDays: config.jobs.failedJobRetentionDays,
  });
  queue.queue.on('error', rateLimitedErrorLog(logger, 'order queue'));
  const timelines = createRedisTimelines(redis, prefix);
  const { jobMetrics } = options;
  const flows = createFlowEngine(options.flows, {
    connectors,
    jobs: queue.jobs,
    timelines,
    secret: config.flows.secret,
    timeoutMs: config.upstreamTimeoutMs,
    ...(jobMetrics
      ? {
          observeModules: (modules) =>
            countModuleFailures(modules, (mode) => options.flows.fulfillment[mode], jobMetrics),
        }
      : {}),
  });
  const services: CommerceServices = {
    connectors,
    jobs: queue.jobs,
    flow: flows.flow,
    timelines,
    events: createOrderEventPublisher(redis, prefix),
    purchases: createRedisPurchaseRegistry(redis, prefix),
    logger,
    attentionAfterMs: config.attentionAfterMs,
  };
  const workers: OrderWorker[] = [];

  return {
    redis,
    connections,
    queue,
    services,
    async startWorker() {
      const worker = await startOrderWorker({
        connection: connections.open('worker'),
        readiness: queueConnection,
        queue,
        services,
        flows,
        settings: {
          prefix: queuePrefix,
          concurrency: config.jobs.concurrency,
          lockMs: config.jobs.lockMs,
          reconcileEveryMs: config.jobs.reconcileEveryMs,
          reconcileQuietMs: config.jobs.reconcileQuietMs,
          checkoutExpiresAfterMs: config.jobs.checkoutExpiresAfterMs,
        },
        logger,
        errorLog: (source) => rateLimitedErrorLog(logger, source),
        ...(jobMetrics ? { metrics: jobMetrics } : {}),
      });
      workers.push(worker);
      return worker;
    },
    async close() {
      // Workers first: they finish the jobs in hand, which still need Redis and the queue.
      await Promise.all(workers.map((worker) => worker.close()));
      await queue.queue.close();
      connections.close();
    },
  };
}

/**
 * BullMQ's scripts touch several keys of a queue at once, so in a cluster they must share a
 * slot: the hash tag does that (BullMQ's docs: a prefix in braces). Only the queue carries it, so
 * caches and records still spread over the shards; one server keeps its untagged keys, so an
 * upgrade finds the jobs it already holds.
 */
export function bullPrefix(keyPrefix: string, target: RedisTarget): string {
  return target.mode === 'cluster' ? `${keyPrefix}{bull}` : `${keyPrefix}bull`;
}
