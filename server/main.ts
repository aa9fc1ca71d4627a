import { loadFlowsOrExit } from './flows-loading.js';
import { checkPortFree } from './port-check.js';
import { createLogger, logProcessWarnings } from './logger.js';
import { exitWith, loadConfigOrExit, stopOnSignals } from './process-lifecycle.js';
import { describeTarget } from './redis-connections.js';
import { ensureRedis, RedisUnavailableError } from './redis.js';
import { resolveUpstreams } from './sandboxed-upstreams.js';

/** `npm start`: the gateway, with the sandbox for every upstream left unconfigured. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, config.logFlushMs);
  logProcessWarnings(logger);
  const flows = await loadFlowsOrExit(config);

  let redis;
  try {
    redis =
      config.redis.target.mode === 'single'
        ? await ensureRedis({
            url: config.redis.url,
            mayStartPrivate: config.redis.isDefault && config.nodeEnv !== 'production',
            logger,
          })
        : null;
  } catch (error) {
    if (error instanceof RedisUnavailableError) exitWith(error.message);
    throw error;
  }

  let started;
  try {
    const host = config.host ?? undefined;
    if (config.port !== 0) await checkPortFree(config.port, host);
    const resolved = await resolveUpstreams(config, {
      basePort: config.port === 0 ? 0 : config.port + 100,
      webhookUrl: `http://${config.host ?? '127.0.0.1'}:${config.port}/webhooks/stripe`,
    });
    // Loaded only now (a second of module loading): a bad setting, flows file, Redis or port is
    // reported at once, before any of it.
    const { startGateway } = await import('./gateway.js');
    const gateway = await startGateway({
      config,
      upstreams: resolved.upstreams,
      redis: redis ? { mode: 'single', url: redis.url } : config.redis.target,
      logger,
      flows,
      host,
    });
    started = { gateway, sandbox: resolved.sandbox };
  } catch (error) {
    if (error instanceof RedisUnavailableError) exitWith(error.message);
    const { code, port } = error as { code?: string; port?: number };
    if (code === 'EADDRINUSE' && port === config.port) {
      exitWith(
        `Port ${String(port)} is already in use: stop what uses it, or set PORT to another one.`,
      );
    }
    if (code === 'EADDRINUSE') {
      exitWith(
        `Port ${String(port)}, where the sandbox serves an upstream (PORT+101 to PORT+104), is already in use: stop what uses it, or set PORT to another one.`,
      );
    }
    throw error;
  }
  const { gateway, sandbox } = started;
  if (config.nodeEnv !== 'production' && sandbox?.stripe && config.port === 0) {
    // Only now is the port known: the sandbox Stripe's webhooks go to it.
    sandbox.stripe.setWebhookUrl(`${gateway.url}/webhooks/stripe`);
  }

  const publicUrl = gateway.url.replace('127.0.0.1', 'localhost');
  logger.info(
    { redis: describeTarget(redis ? { mode: 'single', url: redis.url } : config.redis.target) },
    `commerce-gateway listening on ${gateway.url}`,
  );
  if (sandbox) {
    logger.info({ sandbox: sandbox.urls }, 'sandbox upstreams started on loopback');
  }
  if (config.nodeEnv !== 'production') {
    logger.info(`GraphiQL: open ${publicUrl}/graphql in a browser`);
    if (sandbox?.urls.lms) {
      logger.info(`Token for GraphiQL: npm run token -- alice   (or: bob, carol, staff)`);
    }
  }

  stopOnSignals(logger, 'draining', async () => {
    await gateway.close();
    await sandbox?.close();
    await redis?.stop();
  });
}

await main();
