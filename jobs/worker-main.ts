import { createLogger, logProcessWarnings } from '../server/logger.js';
import { startMetricsServer } from '../server/metrics-endpoint.js';
import { loadFlowsOrExit } from '../server/flows-loading.js';
import { exitWith, loadConfigOrExit, stopOnSignals } from '../server/process-lifecycle.js';
import { ensureRedis, RedisUnavailableError } from '../server/redis.js';
import { upstreamsOfRunningSandbox } from '../server/sandboxed-upstreams.js';
import { findUnreachableUpstreams } from '../server/upstream-check.js';

const UPSTREAM_CHECK_TIMEOUT_MS = 5000;

/**
 * `npm run worker`: the order worker alone (fulfillment, refunds, reconciler), beside gateways
 * started with RUN_WORKER=false. Upstreams left unconfigured are the sandbox that a gateway's
 * `npm start` (or `npm run sandbox`) runs on PORT+101..104.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, config.logFlushMs);
  logProcessWarnings(logger);
  const upstreams = await upstreamsOfRunningSandbox(config, config.port + 100);
  const flows = await loadFlowsOrExit(config);
  // Loaded only now (a second of module loading): a bad setting or flows file is reported at once.
  const [{ createMetrics }, { createCommerceRuntime }, { createQueueMetrics }] = await Promise.all([
    import('../server/metrics.js'),
    import('../server/runtime.js'),
    import('./queue-metrics.js'),
  ]);
  const metrics = createMetrics();
  const runtime = createCommerceRuntime({
    config,
    upstreams,
    redis: config.redis.target,
    logger,
    flows,
    onUpstreamRequest: metrics.recordUpstreamRequest,
    jobMetrics: metrics.jobs,
  });
  metrics.watchQueue(createQueueMetrics(runtime.queue.queue));
  try {
    if (config.redis.target.mode === 'single') {
      await ensureRedis({ url: config.redis.url, mayStartPrivate: false, logger });
    }
    await runtime.connections.waitUntilReady(config.redis.readyTimeoutMs);
  } catch (error) {
    if (error instanceof RedisUnavailableError) exitWith(error.message);
    throw error;
  }
  const unreachable = await findUnreachableUpstreams(
    runtime.services.connectors,
    upstreams,
    UPSTREAM_CHECK_TIMEOUT_MS,
  );
  if (unreachable.length > 0) {
    await runtime.close();
    const sandboxed = Object.values(config.upstreams).includes(null);
    exitWith(
      `The worker did not start: no answer from ${unreachable.join(', ')}; ` +
        (sandboxed
          ? `start the gateway with npm start and the same PORT (${config.port}) first, or set the upstream URLs.`
          : 'check the upstream URLs and that the upstreams are up.'),
    );
  }
  await runtime.startWorker();
  // A worker has no public port: its figures are served only where METRICS_PORT says.
  const metricsServer =
    config.metricsPort === null
      ? null
      : await startMetricsServer(metrics.registry, config.metricsPort, config.host ?? undefined);
  if (metricsServer) logger.info(`metrics on ${metricsServer.url}`);
  logger.info(
    { concurrency: config.jobs.concurrency },
    'order worker started: fulfillment, refunds and the reconciler',
  );

  stopOnSignals(logger, 'finishing the jobs in hand', async () => {
    await runtime.close();
    await metricsServer?.close();
  });
}

await main();
