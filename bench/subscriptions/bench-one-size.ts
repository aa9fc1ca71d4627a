/**
 * One run of the bench for one N: a fresh gateway, its learners and clients, round 0, the paced
 * and burst rounds, and memory readings before connecting, at idle and after the rounds.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { addCleanup, cleanupAll } from './cleanup.js';
import { connectClients, waitForChannels } from './clients.js';
import { startGateway } from './gateway.js';
import { importLearners } from './learners.js';
import type { FanoutOptions } from './options.js';
import { log, ms, summarise, type MemoryRow, type Row } from './report.js';
import { runRound, type RoundResult, type RoundState } from './rounds.js';

export async function benchOneSize(
  run: number,
  count: number,
  options: FanoutOptions,
): Promise<{ rows: Row[]; memory: MemoryRow; notes: string[] }> {
  const { mix, pacedRounds, burstRounds, publishRate, firstRate } = options;
  const notes: string[] = [];
  const gateway = await startGateway(run, options);
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  // Without a listener ioredis prints every reconnect failure (a Ctrl+C stops a private Redis
  // too); a failed command still rejects where it was sent.
  let reported = false;
  redis.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    log(`N=${count}: Redis connection error: ${error.message}`);
  });
  addCleanup(async () => {
    await deleteKeys(redis, gateway.keyPrefix);
    redis.disconnect();
  });
  const learnerCount = mix === 'mix' ? Math.ceil(count / 2) : count;
  const t0 = performance.now();
  const learners = await importLearners(gateway, learnerCount, run);
  log(`N=${count}: imported ${learnerCount} orders in ${ms((performance.now() - t0) / 1000)} s`);

  const before = await gateway.memory();
  const snapshots = options.heapSnapshots;
  if (snapshots) await gateway.heapSnapshot(`${snapshots}/gateway-${count}-before.heapsnapshot`);
  const state: RoundState = {
    status: 'PENDING_PAYMENT',
    publishedAt: new Float64Array(learnerCount),
  };
  const fleet = await connectClients(gateway, learners, count, options);
  const orderClients = fleet.kinds.filter((kind) => kind === 'order').length;
  const ownerClients = count - orderClients;
  const channels = (orderClients > 0 ? learnerCount : 0) + (ownerClients > 0 ? learnerCount : 0);
  await waitForChannels(redis, gateway.keyPrefix, channels);
  log(
    `N=${count}: ${orderClients} orderStatusChanged + ${ownerClients} myOrderStatusChanged clients ` +
      `in ${fleet.processes} client processes subscribed in ${ms(fleet.rampMs / 1000)} s ` +
      `(${channels} Redis channels)`,
  );
  await delay(2000);
  const idle = await gateway.memory();
  if (snapshots) await gateway.heapSnapshot(`${snapshots}/gateway-${count}-idle.heapsnapshot`);

  const round = (r: number, rate: number) =>
    runRound(redis, gateway, learners, fleet, state, r, rate, mix);
  // Round 0: every myOrderStatusChanged subscription's first change reads the order
  // (workflows/order-status.ts watchMyOrders); reported apart from the steady-state rounds.
  const warm = await round(0, firstRate);
  const rows: Row[] = [summarise(count, `first change @${firstRate}/s`, [warm])];
  const paced: RoundResult[] = [];
  for (let r = 1; r <= pacedRounds; r++) paced.push(await round(r, publishRate));
  if (paced.length > 0)
    rows.push(summarise(count, `${pacedRounds} paced @${publishRate}/s`, paced));
  const bursts: RoundResult[] = [];
  for (let r = 1; r <= burstRounds; r++) bursts.push(await round(pacedRounds + r, Infinity));
  if (bursts.length > 0) rows.push(summarise(count, `${burstRounds} burst`, bursts));
  const after = await gateway.memory();

  const all = [warm, ...paced, ...bursts];
  const unexpected = all.reduce((sum, result) => sum + result.unexpected, 0);
  const closedEarly = all.at(-1)?.closedEarly ?? 0;
  if (fleet.errors.length > 0) notes.push(`N=${count}: client errors: ${fleet.errors.join(' | ')}`);
  if (closedEarly > 0) notes.push(`N=${count}: ${closedEarly} sockets closed early`);
  if (unexpected > 0) notes.push(`N=${count}: ${unexpected} unexpected deliveries`);

  await cleanupAll();
  return {
    rows,
    memory: {
      clients: count,
      rampMs: fleet.rampMs,
      before,
      idle,
      after,
      benchRssPerClient: fleet.rssPerClient,
    },
    notes,
  };
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
    const keys = batch as string[];
    if (keys.length > 0) await redis.unlink(...keys);
  }
}
