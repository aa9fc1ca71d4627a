import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ensureRedis, pingRedis, RedisUnavailableError } from '../../../server/redis.js';

const silent = pino({ level: 'silent' });
// Port 1 on loopback: nothing listens there.
const NOBODY = 'redis://127.0.0.1:1';

describe('finding Redis at start-up', () => {
  it('uses the configured Redis when it answers', async () => {
    const redis = await ensureRedis({
      url: 'redis://127.0.0.1:6379',
      mayStartPrivate: true,
      logger: silent,
    });
    expect(redis.url).toBe('redis://127.0.0.1:6379');
  });

  it('stops with one clear line when the configured Redis does not answer', async () => {
    const attempt = ensureRedis({
      url: 'redis://:hunter2@127.0.0.1:1',
      mayStartPrivate: false,
      logger: silent,
    });
    await expect(attempt).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(attempt).rejects.toThrow(/^No Redis answers at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
  });

  it('starts a private redis-server when none answers and none was configured', async () => {
    const messages: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void messages.push(line) });
    const redis = await ensureRedis({ url: NOBODY, mayStartPrivate: true, logger });
    try {
      expect(redis.url).not.toBe(NOBODY);
      await pingRedis(redis.url);
      expect(messages.join('')).toMatch(/a private redis-server was started/);
    } finally {
      await redis.stop();
    }
    await expect(pingRedis(redis.url, 300)).rejects.toThrow();
  });
});
