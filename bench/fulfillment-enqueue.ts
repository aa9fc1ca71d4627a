/**
 * `node dist/bench/fulfillment-enqueue.js`: what `OrderJobs.enqueue` costs on a connection of
 * each role (`commands`: auto-pipelined, as the queue shared it before; `queue`: its own, sending
 * at once), paced as webhooks arrive, in alternating rounds. CPU is this process's; latency is
 * from the call to its answer. Everything is under a private prefix, removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Order } from '../connectors/orders.js';
import { FULFILLMENT_JOB } from '../flows/events.js';
import { createOrderQueue } from '../jobs/order-queue.js';
import { createRedisConnections, type RedisRole } from '../server/redis-connections.js';
import { deleteKeys } from './fulfillment-stack.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    enqueues: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = `bench-enqueue:${randomUUID()}:`;
const ROLES: RedisRole[] = ['commands', 'queue'];

/** A paid order as the payment webhook hands it over, one verified seat. */
const snapshot = (id: string): Order => ({
  id,
  version: 3,
  number: `BENCH-${id}`,
  ownerId: '100001',
  ownerUsername: 'bench100001',
  ownerEmail: 'bench100001@example.com',
  status: 'PAID',
  placedAt: new Date().toISOString(),
  total: { amount: '149.00', currencyCode: 'USD' },
  payment: { provider: 'stripe', id: 'pi_bench' },
  lines: [
    {
      id: `${id}-line`,
      sku: 'SKU-BENCH',
      courseRunKey: 'course-v1:SandboxX+ML301+3T2026',
      mode: 'verified',
      price: { amount: '149.00', currencyCode: 'USD' },
      discount: { amount: '0.00', currencyCode: 'USD' },
      status: 'PENDING',
    },
  ],
  discount: null,
  idempotencyKey: id,
  refundId: null,
  refundRequestKey: null,
  refundLineIds: [],
  refundAtProcessor: false,
  processorRefundedMinor: 0,
});

async function round(role: RedisRole, index: number): Promise<string> {
  const connections = createRedisConnections({
    target: { mode: 'single', url: REDIS_URL },
    commandTimeoutMs: 10_000,
    logger: pino({ level: 'warn' }),
  });
  const { queue, jobs } = createOrderQueue(connections.open(role), {
    prefix: `${PREFIX}${role}-${index}:bull`,
    attempts: 8,
    backoffMs: 1000,
    failedJobRetentionDays: null,
  });
  try {
    await queue.waitUntilReady();
    const count = Number(args.enqueues);
    const rate = Number(args.rate);
    const latencies: number[] = [];
    const calls: Promise<void>[] = [];
    const cpu = process.cpuUsage();
    const start = performance.now();
    // Open loop, as independent webhook requests: each call starts on schedule.
    for (let sent = 0; sent < count;) {
      const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
      for (; sent < due; sent += 1) {
        const orderId = randomUUID();
        const begun = performance.now();
        calls.push(
          jobs
            .enqueue({ ...FULFILLMENT_JOB, orderId }, snapshot(orderId))
            .then(() => void latencies.push(performance.now() - begun)),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(calls);
    const used = process.cpuUsage(cpu);
    latencies.sort((a, b) => a - b);
    const at = (p: number) => (latencies[Math.ceil(p * latencies.length) - 1] ?? NaN).toFixed(2);
    return (
      `  ${role.padEnd(8)} ${count} at ${rate}/s: CPU ${((used.user + used.system) / count).toFixed(0)} µs ` +
      `per enqueue (with the pacing loop); p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`
    );
  } finally {
    await queue.close();
    connections.close();
  }
}

try {
  console.log(
    `enqueue bench: load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  for (let index = 0; index < Number(args.rounds); index += 1) {
    for (const role of index % 2 === 0 ? ROLES : [...ROLES].reverse()) {
      console.log(await round(role, index));
    }
  }
} finally {
  await deleteKeys(REDIS_URL, PREFIX);
}
