import { pino } from 'pino';
import { loadFlowsOrExit } from '../server/flows-loading.js';
import { exitWith, loadConfigOrExit, stopOnSignals } from '../server/process-lifecycle.js';
import { ensureRedis, RedisUnavailableError } from '../server/redis.js';
import { createCommerceRuntime } from '../server/runtime.js';
import { upstreamsOfRunningSandbox } from '../server/sandboxed-upstreams.js';

/**
 * `npm run worker`: the order worker alone (fulfillment, refunds, reconciler), beside gateways
 * started with RUN_WORKER=false. Upstreams left unconfigured are the sandbox that a gateway's
 * `npm start` (or `npm run sandbox`) runs on PORT+101..104.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = pino({ level: config.logLevel });
  try {
    await ensureRedis({ url: config.redis.url, mayStartPrivate: false, logger });
  } catch (error) {
    if (error instanceof RedisUnavailableError) exitWith(error.message);
    throw error;
  }
  const upstreams = await upstreamsOfRunningSandbox(config, config.port + 100);
  const flows = await loadFlowsOrExit(config.flows);
  const runtime = createCommerceRuntime({
    config,
    upstreams,
    redisUrl: config.redis.url,
    logger,
    flows,
  });
  await runtime.startWorker();
  logger.info(
    { concurrency: config.jobs.concurrency },
    'order worker started: fulfillment, refunds and the reconciler',
  );

  stopOnSignals(logger, 'finishing the jobs in hand', () => runtime.close());
}

await main();
