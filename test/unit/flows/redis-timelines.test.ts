import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTimelines, MAX_TIMELINE_ENTRIES } from '../../../flows/redis-timelines.js';
import type { TimelineItem } from '../../../workflows/services.js';
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

/** An entry named `name` under the once-key `handler:<key>`. */
const item = (key: string, name = key): TimelineItem => ({
  entry: {
    at: '2026-11-26T05:00:00.000Z',
    kind: 'HANDLER',
    name,
    outcome: 'SUCCEEDED',
    detail: null,
    staffOnly: false,
  },
  onceKey: `handler:${key}`,
});

describe('Redis timelines', () => {
  it('appends each entry once per key, in order, whatever the script cache holds', async () => {
    const timelines = createRedisTimelines(redis, 'timelines-test:');
    // Empty, as after a restart: the first entry is refused by hash and sent as text.
    await redis.script('FLUSH');
    await timelines.append('order-1', [item('first')]);
    expect(await infoField('number_of_cached_scripts')).toBe(1);
    const byHash = await callsOf('evalsha');
    await timelines.append('order-1', [item('first', 'first again')]);
    await timelines.append('order-1', [item('second')]);
    expect(await callsOf('evalsha')).toBe(byHash + 2);
    await redis.script('FLUSH');
    await timelines.append('order-1', [item('third')]);

    const names = (await timelines.list('order-1')).map((entry) => entry.name);
    expect(names).toEqual(['first', 'second', 'third']);
  });

  it('appends several entries in one call, in order, each once, and keeps the newest', async () => {
    const timelines = createRedisTimelines(redis, 'timelines-many:');
    // One script call (by hash or by text, as ioredis chooses) per non-empty append.
    const scriptCalls = async () => (await callsOf('evalsha')) + (await callsOf('eval'));
    const calls = await scriptCalls();
    await timelines.append('order-3', [item('a'), item('b'), item('a', 'a again'), item('c')]);
    await timelines.append('order-3', [item('b', 'b again'), item('d')]);
    await timelines.append('order-3', [item('a', 'a once more')]);
    await timelines.append('order-3', []);
    expect(await scriptCalls()).toBe(calls + 3);
    const names = (await timelines.list('order-3')).map((entry) => entry.name);
    expect(names).toEqual(['a', 'b', 'c', 'd']);
    expect(await redis.pttl('timelines-many:timeline:{order-3}')).toBeGreaterThan(0);
    expect(await redis.pttl('timelines-many:timeline:{order-3}:once')).toBeGreaterThan(0);

    const many = Array.from({ length: MAX_TIMELINE_ENTRIES + 5 }, (_, i) => item(`n${i}`));
    await timelines.append('order-4', many);
    const kept = await timelines.list('order-4');
    expect(kept).toHaveLength(MAX_TIMELINE_ENTRIES);
    expect(kept[0]?.name).toBe('n5');
  });

  it('throws what Redis answers when the timeline key holds something else', async () => {
    const timelines = createRedisTimelines(redis, 'timelines-bad:');
    await redis.set('timelines-bad:timeline:{order-2}', 'not a list');
    await expect(timelines.append('order-2', [item('lost')])).rejects.toThrow(/WRONGTYPE/);
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
