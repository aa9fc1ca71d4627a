import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** Resolves when a Redis at `url` answers PING, rejects after `timeoutMs`. */
export async function pingRedis(url: string, timeoutMs = 1500): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

export interface RedisEndpoint {
  url: string;
  /** Stops the private redis-server, when one was started. */
  stop(): Promise<void>;
}

/**
 * Finds a Redis for development: the configured one when it answers; when none was configured and
 * none answers, a private redis-server on a free port (no persistence) if one is installed.
 */
export async function ensureRedis(options: {
  url: string;
  mayStartPrivate: boolean;
  logger: Logger;
}): Promise<RedisEndpoint> {
  try {
    await pingRedis(options.url);
    return { url: options.url, stop: async () => {} };
  } catch {
    if (!options.mayStartPrivate) {
      throw new RedisUnavailableError(
        `No Redis answers at ${redactUrl(options.url)}: start one or set REDIS_URL to one that runs.`,
      );
    }
  }
  if (spawnSync('redis-server', ['--version']).error) {
    throw new RedisUnavailableError(
      `No Redis answers at ${options.url} and redis-server is not installed: install it (apt-get install redis-server) or set REDIS_URL.`,
    );
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitForRedis(url, child);
  options.logger.info(
    { url },
    `No Redis answered at ${options.url}, so a private redis-server was started at ${url} (it keeps nothing on disk)`,
  );
  return { url, stop: () => stopChild(child) };
}

async function waitForRedis(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new RedisUnavailableError('redis-server exited at start');
    try {
      await pingRedis(url, 200);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A TCP port free on loopback right now (for a private redis-server, or a test's). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** A Redis URL without its password, fit for a log line. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured Redis URL';
  }
}
