import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import type { PurchaseRegistry } from './services.js';

const CLAIM_TTL_MS = 30_000;
const RECORD_TTL_SECONDS = 7 * 24 * 3600;
const POLL_MS = 25;
const CLAIMED = '?';
const FORGET_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

/**
 * The PurchaseRegistry in Redis: one key per (owner, idempotency key) holding either the claim
 * marker or the order id. A claim lapses by itself, so a crashed request blocks no one for long;
 * the order system, where every order carries its key, settles what a lapsed claim left behind.
 */
export function createRedisPurchaseRegistry(
  redis: Redis | Cluster,
  keyPrefix: string,
): PurchaseRegistry {
  const keyOf = (ownerId: string, idempotencyKey: string) =>
    `${keyPrefix}purchase:${ownerId}:${idempotencyKey}`;
  const find = async (ownerId: string, idempotencyKey: string) => {
    const value = await redis.get(keyOf(ownerId, idempotencyKey));
    return value && value !== CLAIMED ? value : null;
  };
  return {
    find,
    async claim(ownerId, idempotencyKey) {
      const set = await redis.set(
        keyOf(ownerId, idempotencyKey),
        CLAIMED,
        'PX',
        CLAIM_TTL_MS,
        'NX',
      );
      return set === 'OK';
    },
    async complete(ownerId, idempotencyKey, orderId) {
      await redis.set(keyOf(ownerId, idempotencyKey), orderId, 'EX', RECORD_TTL_SECONDS);
    },
    async release(ownerId, idempotencyKey) {
      const key = keyOf(ownerId, idempotencyKey);
      // Only our own claim: never delete a recorded order id.
      if ((await redis.get(key)) === CLAIMED) await redis.del(key);
    },
    async forget(ownerId, idempotencyKey, orderId) {
      // Compare and delete in one step: another request may have recorded a new order meanwhile.
      await redis.eval(FORGET_SCRIPT, 1, keyOf(ownerId, idempotencyKey), orderId);
    },
    async waitFor(ownerId, idempotencyKey, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const value = await redis.get(keyOf(ownerId, idempotencyKey));
        if (value === null) return null;
        if (value !== CLAIMED) return value;
        await sleep(POLL_MS);
      }
      return null;
    },
  };
}
