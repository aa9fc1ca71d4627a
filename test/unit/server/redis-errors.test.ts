import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateLimitedErrorLog } from '../../../server/redis-connections.js';
import { isRedisOutage } from '../../../server/redis-errors.js';
import { freePort } from '../../../server/redis.js';
import { RedisServer } from '../../support/redis-servers.js';

/** The error a real client gets for `run`, or a failure when it gets none. */
async function errorOf(options: RedisOptions, run: (r: Redis) => Promise<unknown>) {
  const client = new Redis({ host: '127.0.0.1', lazyConnect: true, ...options });
  client.on('error', () => {});
  try {
    await client.connect().catch(() => undefined);
    await run(client);
  } catch (error) {
    return error;
  } finally {
    client.disconnect();
  }
  throw new Error('expected the command to fail');
}

describe('telling a Redis outage from a bad command', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server?.destroy());

  it('knows nobody listening', async () => {
    const port = await freePort();
    const error = await errorOf({ port, maxRetriesPerRequest: 0, retryStrategy: () => null }, (r) =>
      r.get('k'),
    );
    expect(isRedisOutage(error)).toBe(true);
  });

  it('knows a command that waited past its timeout', async () => {
    const pauser = new Redis(server.port);
    try {
      await pauser.call('CLIENT', 'PAUSE', '1000', 'ALL');
      const error = await errorOf({ port: server.port, commandTimeout: 200 }, (r) => r.get('k'));
      expect(error).toMatchObject({ message: 'Command timed out' });
      expect(isRedisOutage(error)).toBe(true);
    } finally {
      await pauser.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      pauser.disconnect();
    }
  });

  it('knows a write refused by a replica (READONLY)', async () => {
    const replica = await RedisServer.start({
      args: ['--replicaof', '127.0.0.1', String(server.port)],
    });
    try {
      const error = await errorOf({ port: replica.port }, (r) => r.set('k', 'v'));
      expect(String(error)).toMatch(/READONLY/);
      expect(isRedisOutage(error)).toBe(true);
    } finally {
      await replica.destroy();
    }
  });

  it('does not take a wrong command for an outage', async () => {
    const error = await errorOf({ port: server.port }, async (r) => {
      await r.set('a-string', 'v');
      await r.lpush('a-string', 'x');
    });
    expect(String(error)).toMatch(/WRONGTYPE/);
    expect(isRedisOutage(error)).toBe(false);
    expect(isRedisOutage('Connection is closed')).toBe(false);
  });
});

describe('logging Redis errors', () => {
  it('writes one JSON line, then at most one per interval with the count left out', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const log = rateLimitedErrorLog(logger, 'redis commands connection', 100);
    for (let i = 0; i < 5; i += 1)
      log(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await sleep(150);
    log(new Error('connect ECONNREFUSED'));
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toMatchObject({
      source: 'redis commands connection',
      code: 'ECONNREFUSED',
      suppressed: 0,
    });
    expect(parsed[1]).toMatchObject({ suppressed: 4 });
    expect(lines.join('')).not.toMatch(/\n\s+at /);
  });
});
