import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTimelines } from '../../../flows/redis-timelines.js';
import type { TimelineEntry } from '../../../workflows/services.js';
import { RedisServer } from '../../support/redis-servers.js';

// A server of its own: the test empties its script cache, which on the shared Redis would make
// every other engineer's scripts be sent again.
let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url, { enableAutoPipelining: true });
});

afterAll(async () => {
  redis.disconnect();
  await server.destroy();
});

const entry = (name: string): TimelineEntry => ({
  at: '2026-11-26T05:00:00.000Z',
  kind: 'HANDLER',
  name,
  outcome: 'SUCCEEDED',
  detail: null,
  staffOnly: false,
});

describe('Redis timelines', () => {
  it('appends each entry once per key, in order, whatever the script cache holds', async () => {
    const timelines = createRedisTimelines(redis, 'timelines-test:');
    // Empty, as after a restart: the first entry is refused by hash and sent as text.
    await redis.script('FLUSH');
    await timelines.append('order-1', entry('first'), 'handler:first');
    expect(await infoField('number_of_cached_scripts')).toBe(1);
    const byHash = await callsOf('evalsha');
    await timelines.append('order-1', entry('first again'), 'handler:first');
    await timelines.append('order-1', entry('second'), 'handler:second');
    expect(await callsOf('evalsha')).toBe(byHash + 2);
    await redis.script('FLUSH');
    await timelines.append('order-1', entry('third'), 'handler:third');

    const names = (await timelines.list('order-1')).map((item) => item.name);
    expect(names).toEqual(['first', 'second', 'third']);
  });

  it('throws what Redis answers when the timeline key holds something else', async () => {
    const timelines = createRedisTimelines(redis, 'timelines-bad:');
    await redis.set('timelines-bad:timeline:{order-2}', 'not a list');
    await expect(timelines.append('order-2', entry('lost'), 'handler:lost')).rejects.toThrow(
      /WRONGTYPE/,
    );
  });
});

async function infoField(name: string): Promise<number> {
  const info = await redis.info();
  return Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
}

/** How often the server ran a command (INFO commandstats), successful or not. */
async function callsOf(command: string): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}
