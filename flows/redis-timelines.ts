import type { Cluster, Redis, Result } from 'ioredis';
import type { OrderTimelines, TimelineEntry } from '../workflows/services.js';

/** The newest entries kept per order: a handler retried for days cannot grow it without end. */
export const MAX_TIMELINE_ENTRIES = 200;
const RETENTION_MS = 400 * 24 * 3600 * 1000;

// Appends each entry once per onceKey, trims to the newest entries, and keeps both keys as long
// as the timeline: one round trip, atomic, so concurrent writers (a webhook delivered five times
// at once) neither duplicate nor lose an entry. ARGV: maxEntries, retentionMs, then a onceKey and
// its entry for each entry, oldest first.
const APPEND = `
local appended = 0
for i = 3, #ARGV, 2 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    appended = appended + 1
  end
end
if appended == 0 then return 0 end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return appended
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    appendTimelineEntries(
      list: string,
      once: string,
      maxEntries: number,
      retentionMs: number,
      ...onceKeysAndEntries: string[]
    ): Result<number, Context>;
  }
}

/**
 * Timelines in Redis, beside the jobs whose outcomes they record. They are the flows' own log,
 * not a business object: the order system keeps the order, its status and its lines. Both keys
 * of an order share a hash tag, so the script also runs on a Redis Cluster.
 */
export function createRedisTimelines(redis: Redis | Cluster, keyPrefix: string): OrderTimelines {
  // ioredis sends a defined script by its hash (EVALSHA), and its text only to a server that
  // lacks it (restarted, or a cluster node new to it): Redis then neither receives nor hashes
  // the script per entry.
  redis.defineCommand('appendTimelineEntries', { numberOfKeys: 2, lua: APPEND });
  const keys = (orderId: string) => {
    const list = `${keyPrefix}timeline:{${orderId}}`;
    return [list, `${list}:once`] as const;
  };
  return {
    async append(orderId, items) {
      if (items.length === 0) return;
      const [list, once] = keys(orderId);
      await redis.appendTimelineEntries(
        list,
        once,
        MAX_TIMELINE_ENTRIES,
        RETENTION_MS,
        ...items.flatMap(({ entry, onceKey }) => [onceKey, JSON.stringify(entry)]),
      );
    },
    async list(orderId) {
      const [list] = keys(orderId);
      const raw = await redis.lrange(list, 0, -1);
      return raw.map((item) => JSON.parse(item) as TimelineEntry);
    },
  };
}
