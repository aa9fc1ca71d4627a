/**
 * `npm run bench:catalog`: how long a cold gateway takes to build the SKU index of a large
 * catalog (the first purchase of an unindexed SKU waits for it) and what the index costs in
 * Redis, for 1,000, 10,000 and 50,000 course runs. Each size is printed as it finishes.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import { loadConfig } from '../server/config.js';
import { startGateway, type Gateway } from '../server/gateway.js';
import { resolveUpstreams } from '../server/sandboxed-upstreams.js';
import { deleteKeysWithPrefix } from './read-path/redis-cleanup.js';

const SIZES = [1_000, 10_000, 50_000];
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

interface RedisCost {
  keys: number;
  bytes: number;
}

/** Keys under the prefix and the sum of their MEMORY USAGE (SCAN, so a shared Redis is not blocked). */
async function redisCost(redis: Redis, prefix: string): Promise<RedisCost> {
  const cost: RedisCost = { keys: 0, bytes: 0 };
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
    const keys = batch as string[];
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key);
    for (const [, bytes] of (await pipeline.exec()) ?? []) cost.bytes += Number(bytes ?? 0);
    cost.keys += keys.length;
  }
  return cost;
}

async function measure(runs: number, stopping: () => boolean): Promise<void> {
  const prefix = `bench:catalog:${randomUUID()}:`;
  let sandbox: Sandbox | undefined;
  let others: Sandbox | null = null;
  let gateway: Gateway | undefined;
  const redis = new Redis(REDIS_URL);
  try {
    sandbox = await startSandbox({ generatedCatalogRuns: runs });
    const config = loadConfig({
      PORT: '0',
      NODE_ENV: 'test',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      RUN_WORKER: 'false',
      DISCOVERY_URL: sandbox.urls.discovery ?? '',
    });
    const resolved = await resolveUpstreams(config, { basePort: 0 });
    others = resolved.sandbox;
    const { upstreams } = resolved;
    gateway = await startGateway({
      config,
      upstreams,
      redis: config.redis.target,
      logger: pino({ level: 'silent' }),
    });
    const lastSku = `GEN${String(runs - 1).padStart(6, '0')}v`;
    const startedAt = performance.now();
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ product(sku: "${lastSku}") { sku } }` }),
    });
    const body = (await response.json()) as { data?: { product: { sku: string } | null } };
    const buildMs = performance.now() - startedAt;
    if (body.data?.product?.sku !== lastSku)
      throw new Error(`${lastSku} not found after the build`);
    if (stopping()) return;
    const cost = await redisCost(redis, `${prefix}catalog:`);
    console.log(
      `${runs.toLocaleString('en').padStart(7)} runs: cold index build ${(buildMs / 1000).toFixed(2)} s; ` +
        `Redis ${cost.keys.toLocaleString('en')} keys, ${(cost.bytes / 1024 / 1024).toFixed(1)} MiB ` +
        `(${Math.round(cost.bytes / runs)} B per run)`,
    );
  } finally {
    await gateway?.close();
    await others?.close();
    await sandbox?.close();
    redis.disconnect();
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  }
}

let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  console.log('\nInterrupted: cleaning up after the size in hand.');
});
for (const runs of SIZES) {
  if (interrupted) break;
  await measure(runs, () => interrupted);
}
