/**
 * `npm run bench:fulfillment`: orders/s from purchase to FULFILLED, and of the fulfillment
 * pipeline alone, with the sandbox LMS answering at 0 ms and at 50 ms. bench/README.md says what
 * each figure measures.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Cluster, Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { createConnectors, type Connectors } from '../connectors/index.js';
import type { Order } from '../connectors/orders.js';
import { createOrderQueue } from '../jobs/order-queue.js';
import { SANDBOX_CREDENTIALS } from '../sandbox/credentials.js';
import { demoSeat } from '../sandbox/demo-data.js';
import { measureFloorWorker } from './fulfillment-floor.js';
import { OrderWatcher, runEnqueues, runPurchases } from './fulfillment-load.js';
import { startBenchRedis, type BenchRedis, type RedisMode } from './fulfillment-redis.js';
import { measured, report, type Measured } from './fulfillment-report.js';
import { deleteKeys, startStack, type Stack } from './fulfillment-stack.js';

const { values: args } = parseArgs({
  options: {
    'lms-latencies': { type: 'string', default: '0,50' },
    'pipeline-orders': { type: 'string', default: '4000' },
    rate: { type: 'string', default: '2000' },
    'e2e-orders': { type: 'string', default: '1500' },
    learners: { type: 'string', default: '50' },
    workers: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '100' },
    only: { type: 'string' },
    /** `cluster`: the single server's runs, then the same on a Redis Cluster started for it. */
    redis: { type: 'string', default: 'single' },
    'cpu-prof': { type: 'string' },
    /**
     * After the pipeline runs, the floor (bench/fulfillment-floor.ts): BullMQ and the worker's
     * three upstream requests alone, for the CPU per order this machine charges for those.
     */
    floor: { type: 'boolean', default: false },
    /** More node flags for the workers, space-separated, e.g. `--max-semi-space-size=32`. */
    'worker-flags': { type: 'string', default: '' },
  },
});
const setting = (name: keyof typeof args): number => Number(args[name]);
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROOT_PREFIX = `bench-fulfillment:${randomUUID()}:`;
const SEAT = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified');
const TIMEOUT_MS = 60_000;
const WARM_UP = { purchases: 100, enqueues: 300 };
/** The second pipeline run offers half the saturated throughput, for at most this long. */
const PACED = { share: 0.5, seconds: 4, maxOrders: 800 };
const FLOOR = { warmUp: 300, orders: 2000 };

const stacks = new Set<Stack>();
const redises = new Set<BenchRedis>();
let cleaning: Promise<void> | undefined;
const cleanUp = () =>
  (cleaning ??= (async () => {
    await Promise.all([...stacks].map((stack) => stack.stop()));
    await Promise.all([...redises].map((redis) => redis.stop()));
    await deleteKeys(REDIS_URL, ROOT_PREFIX);
  })());
/** orders/s of each run, by Redis mode, for the comparison at the end. */
const throughputs = new Map<string, Map<RedisMode, { measured: number; capacity: number }>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

async function main(): Promise<void> {
  const load = loadavg().map((value) => value.toFixed(2));
  if (args.redis !== 'single' && args.redis !== 'cluster') {
    throw new Error(`--redis ${String(args.redis)}: write single or cluster`);
  }
  const modes: RedisMode[] = args.redis === 'cluster' ? ['single', 'cluster'] : ['single'];
  console.log(
    `fulfillment bench: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ` +
      `load average ${load.join(' ')}\n` +
      `processes: sandbox | gateway (RUN_WORKER=false) | ${setting('workers')} × worker ` +
      `(WORKER_CONCURRENCY=${setting('concurrency')}) | Redis | this driver`,
  );
  for (const mode of modes) {
    const redis = await startBenchRedis(mode, REDIS_URL);
    redises.add(redis);
    console.log(`\n#### ${redis.label}`);
    try {
      for (const lmsLatencyMs of (args['lms-latencies'] ?? '').split(',').map(Number)) {
        console.log(`\n== sandbox LMS latency ${lmsLatencyMs} ms`);
        if (args.only !== 'e2e') await withStack(redis, 'pipeline', lmsLatencyMs, pipelineRuns);
        if (args.only !== 'pipeline') await withStack(redis, 'e2e', lmsLatencyMs, purchaseRun);
      }
    } finally {
      await redis.stop();
      redises.delete(redis);
    }
  }
  if (modes.length > 1) {
    // Measured orders/s swing with what else the machine runs; CPU per order hardly does.
    console.log(
      '\n#### Redis Cluster ÷ single server: orders/s measured, and on 2 cores from CPU per order',
    );
    for (const [title, byMode] of throughputs) {
      const single = byMode.get('single');
      const cluster = byMode.get('cluster');
      if (!single || !cluster) continue;
      const measured = (cluster.measured / single.measured).toFixed(2);
      const capacity = (cluster.capacity / single.capacity).toFixed(2);
      console.log(`  ${measured}× measured, ${capacity}× from CPU per order  ${title}`);
    }
  }
}

type Runs = (
  stack: Stack,
  watcher: OrderWatcher,
  keyPrefix: string,
  redis: BenchRedis,
  lmsLatencyMs: number,
) => Promise<void>;

/** Prints a run, and keeps its orders/s for the comparison between Redis modes. */
function reportRun(
  redis: BenchRedis,
  key: string,
  title: string,
  run: Measured,
  options: { cpu: boolean },
): void {
  report(title, run, options);
  const { latenciesMs, firstStart, lastEnd } = run.outcome;
  const { machine: _machine, ...ours } = run.cpu;
  const coresUsed = Object.values(ours).reduce((sum, share) => sum + (share || 0), 0);
  const byMode =
    throughputs.get(key) ?? new Map<RedisMode, { measured: number; capacity: number }>();
  byMode.set(redis.mode, {
    measured: latenciesMs.length / ((lastEnd - firstStart) / 1000),
    capacity: (cpus().length * latenciesMs.length) / (coresUsed * run.seconds),
  });
  throughputs.set(key, byMode);
}

/** A fresh system per run: the sandbox commercetools scans every order it holds per query. */
async function withStack(
  redis: BenchRedis,
  name: string,
  lmsLatencyMs: number,
  runs: Runs,
): Promise<void> {
  const keyPrefix = `${ROOT_PREFIX}${name}-${lmsLatencyMs}:`;
  const stack = await startStack({
    redisEnvironment: redis.environment,
    keyPrefix,
    lmsLatencyMs,
    workers: setting('workers'),
    workerConcurrency: setting('concurrency'),
    workerNodeFlags: [
      ...(args['worker-flags'] ?? '').split(' ').filter(Boolean),
      ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : []),
    ],
  });
  stacks.add(stack);
  Object.assign(stack.pids, redis.pids);
  const watcher = await OrderWatcher.start(redis.connect(), keyPrefix);
  try {
    await runs(stack, watcher, keyPrefix, redis, lmsLatencyMs);
  } finally {
    watcher.close();
    await stack.stop();
    stacks.delete(stack);
    await redis.cleanUp(keyPrefix);
  }
}

/** (a) Purchase → pay → FULFILLED, each learner starting the next purchase when one is done. */
const purchaseRun: Runs = async (stack, watcher, _keyPrefix, redis, lmsLatencyMs) => {
  const learners = setting('learners');
  const tokens = await learnerTokens(WARM_UP.purchases + setting('e2e-orders'));
  const run = (batch: readonly string[]) =>
    runPurchases({
      gatewayUrl: stack.gatewayUrl,
      stripeUrl: stack.sandboxUrls.stripe,
      stripeSecretKey: SANDBOX_CREDENTIALS.stripeSecretKey,
      sku: SEAT.sku,
      tokens: batch,
      learners,
      watcher,
      timeoutMs: TIMEOUT_MS,
    });
  await run(tokens.slice(0, WARM_UP.purchases));
  const result = await measured(stack.pids, async () => ({
    outcome: await run(tokens.slice(WARM_UP.purchases)),
  }));
  reportRun(
    redis,
    `(a) purchase → FULFILLED, LMS ${lmsLatencyMs} ms`,
    `(a) purchase → paid → FULFILLED, ${learners} learners at a time`,
    result,
    { cpu: true },
  );
};

/** (b) and (c): enqueue → FULFILLED for paid orders, saturated, then at half that rate. */
const pipelineRuns: Runs = async (stack, watcher, keyPrefix, benchRedis, lmsLatencyMs) => {
  const redis = benchRedis.connect('queue');
  const pings = benchRedis.connect('queue');
  // The queue as the gateway's runtime creates it, so enqueue is exactly the webhook's call.
  const queue = createOrderQueue(redis, {
    prefix: benchRedis.queuePrefix(keyPrefix),
    attempts: 8,
    backoffMs: 1000,
    failedJobRetentionDays: null,
  });
  try {
    const saturating = setting('pipeline-orders');
    const connectors = connectorsFor(stack, redis, keyPrefix);
    const orders = await createPaidOrders(
      connectors,
      WARM_UP.enqueues + saturating + PACED.maxOrders,
    );
    const run = (batch: readonly Order[], ratePerSecond: number) =>
      measured(stack.pids, () =>
        runEnqueues({
          jobs: queue.jobs,
          orders: batch,
          ratePerSecond,
          watcher,
          timeoutMs: TIMEOUT_MS,
          ping: () => pings.ping(),
        }),
      );
    const rate = setting('rate');
    await run(orders.splice(0, WARM_UP.enqueues), rate);
    const saturated = await run(orders.splice(0, saturating), rate);
    reportRun(
      benchRedis,
      `(b) pipeline saturated, LMS ${lmsLatencyMs} ms`,
      `(b) pipeline saturated: ${saturating} paid orders enqueued at ${rate}/s`,
      saturated,
      { cpu: true },
    );
    const { outcome } = saturated;
    const capacity = outcome.latenciesMs.length / ((outcome.lastEnd - outcome.firstStart) / 1000);
    const paced = Math.max(1, Math.round(capacity * PACED.share));
    const batch = orders.splice(0, Math.min(PACED.maxOrders, paced * PACED.seconds));
    report(
      `(c) pipeline at half that: ${batch.length} enqueued at ${paced}/s`,
      await run(batch, paced),
      {
        cpu: false,
      },
    );
    if (args.floor) {
      await reportFloor(
        stack,
        benchRedis,
        keyPrefix,
        await createPaidOrders(connectors, FLOOR.warmUp + FLOOR.orders),
      );
    }
  } finally {
    await queue.queue.close();
    redis.disconnect();
    pings.disconnect();
  }
};

/** (d) The floor: what BullMQ and the worker's upstream requests alone cost, after a warm-up. */
async function reportFloor(
  stack: Stack,
  benchRedis: BenchRedis,
  keyPrefix: string,
  orders: Order[],
): Promise<void> {
  const connection = benchRedis.connect();
  try {
    const run = (batch: Order[]) =>
      measureFloorWorker({
        connection,
        queuePrefix: `${benchRedis.queuePrefix(keyPrefix)}-floor`,
        orders: batch,
        concurrency: setting('concurrency'),
        commercetoolsUrl: stack.sandboxUrls.commercetools,
        lmsUrl: stack.sandboxUrls.lms,
      });
    await run(orders.splice(0, FLOOR.warmUp));
    const floor = await run(orders);
    console.log(
      `  (d) floor, BullMQ and the three upstream requests alone (bench/fulfillment-floor.ts), in this driver:\n` +
        `    ${floor.orders} orders in ${floor.seconds.toFixed(2)} s = ${(floor.orders / floor.seconds).toFixed(0)} orders/s, ` +
        `CPU ${floor.cpuMsPerOrder.toFixed(2)} ms per order (compare worker1's in (b))`,
    );
  } finally {
    connection.disconnect();
  }
}

/**
 * Orders as settlePayment leaves them (PAID, one verified seat, a learner each), placed in the
 * sandbox commercetools through the gateway's own connector before the clock starts.
 */
async function createPaidOrders(connectors: Connectors, count: number): Promise<Order[]> {
  const firstUserId = 100_000 + Math.floor(Math.random() * 1_000_000_000);
  const price = { amount: SEAT.price, currencyCode: SEAT.currency };
  const line = {
    sku: SEAT.sku,
    courseRunKey: SEAT.courseRunKey,
    mode: SEAT.mode,
    title: 'bench',
    price,
  };
  const orders = new Array<Order>(count);
  let next = 0;
  const create = async () => {
    for (let i = next++; i < count; i = next++) {
      const userId = firstUserId + i;
      const order = await connectors.orders.createOrder({
        number: `BENCH-${userId}`,
        ownerId: String(userId),
        ownerUsername: `bench${userId}`,
        ownerEmail: `bench${userId}@example.com`,
        status: 'PAID',
        total: price,
        idempotencyKey: `bench-${i}`,
        lines: [line],
      });
      orders[i] = order;
    }
  };
  await Promise.all(Array.from({ length: 32 }, create));
  return orders;
}

function connectorsFor(stack: Stack, redis: Redis | Cluster, keyPrefix: string): Connectors {
  const { commercetools, discovery, lms, stripe } = stack.sandboxUrls;
  const { lmsApiKey, lmsServiceClient, stripeSecretKey, stripeWebhookSecret } = SANDBOX_CREDENTIALS;
  return createConnectors(
    {
      discovery: { url: discovery },
      lms: { url: lms, apiKey: lmsApiKey, serviceClient: lmsServiceClient },
      stripe: { url: stripe, secretKey: stripeSecretKey, webhookSecret: stripeWebhookSecret },
      commercetools: {
        apiUrl: commercetools,
        authUrl: commercetools,
        ...SANDBOX_CREDENTIALS.commercetools,
      },
    },
    { redis, keyPrefix, timeoutMs: 10_000, catalogCacheTtlSeconds: 300 },
  );
}

/** edX JWTs for distinct new learners, signed HS256 as the sandbox LMS signs them. */
function learnerTokens(count: number): Promise<string[]> {
  const { issuer, audience, secretKey } = SANDBOX_CREDENTIALS.jwt;
  const key = new TextEncoder().encode(secretKey);
  const firstUserId = 100_000 + Math.floor(Math.random() * 1_000_000_000);
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const userId = firstUserId + i;
      const username = `bench${userId}`;
      return new SignJWT({
        iss: issuer,
        aud: audience,
        iat: now,
        exp: now + 3600,
        user_id: userId,
        preferred_username: username,
        email: `${username}@example.com`,
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(key);
    }),
  );
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
