import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type GatewayConfig } from './config.js';

/** Stops the program with one line on stderr, for errors an operator fixes (no stack trace). */
export function exitWith(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, then exits 0: the one shutdown path of a
 * gateway or worker process (later signals while stopping are ignored).
 */
export function stopOnSignals(
  logger: Logger,
  announcement: string,
  stop: () => Promise<void>,
): void {
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: ${announcement}`);
    stop()
      .then(flushTraces)
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'could not stop cleanly');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

/** The configuration from the environment, or the program stops with the one line naming what is wrong. */
export function loadConfigOrExit(): GatewayConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) exitWith(error.message);
    throw error;
  }
}

/** Sends the spans still buffered before the process exits (nothing to do when not tracing). */
async function flushTraces(): Promise<void> {
  const global = trace.getTracerProvider();
  const provider: object = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if ('forceFlush' in provider && typeof provider.forceFlush === 'function') {
    await (provider.forceFlush as () => Promise<void>).call(provider);
  }
}
