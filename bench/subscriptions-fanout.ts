/**
 * `npm run bench:subscriptions`: holds N concurrent graphql-ws clients on one gateway process
 * (N = 1,000 and 10,000 by default), PUBLISHes order status changes on Redis as the worker does,
 * and prints publish-to-receive latency (p50/p99/max), deliveries/s and the gateway's memory per
 * connection. A benchmark, not a test: it prints figures and fails only when it cannot measure.
 * See README.md ("Subscriptions fan-out").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { toOrder } from '../connectors/commercetools/mapping.js';
import type { CtOrder } from '../connectors/commercetools/wire-types.js';
import { toMinorUnits } from '../connectors/money.js';
import type { Order, OrderStatus } from '../connectors/orders.js';
import { toStatusEvent } from '../subscriptions/order-events.js';
import { SANDBOX_CREDENTIALS } from '../sandbox/credentials.js';
import { DEMO_COURSE_RUNS } from '../sandbox/demo-data.js';
import type { ProbeMemory } from './subscriptions-probe.js';

const { values: args } = parseArgs({
  options: {
    /** Concurrent clients per run; each run gets a fresh gateway process. */
    clients: { type: 'string', default: '1000,10000' },
    /** order: every client orderStatusChanged; owner: every client myOrderStatusChanged; mix: half each. */
    mix: { type: 'string', default: 'mix' },
    rounds: { type: 'string', default: '5' },
    /** Paced rounds publish this many status changes per second (each reaches 2 clients in the mix). */
    rate: { type: 'string', default: '1000' },
    'burst-rounds': { type: 'string', default: '2' },
    /**
     * Round 0 (not in the steady-state figures) goes slower: each myOrderStatusChanged
     * subscription's first change reads the order upstream, and too many at once time out.
     */
    'first-rate': { type: 'string', default: '250' },
    /** Connection ramp: new clients per second, and subscriptions awaiting their first answer. */
    'ramp-rate': { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '64' },
    /** Extra node flags for the gateway, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof. */
    'gateway-flags': { type: 'string', default: '' },
    /** Appends the gateway's stdout/stderr (e.g. --trace-gc) to this file. */
    'gateway-log': { type: 'string' },
    /** Writes gateway heap snapshots before connecting and at idle into this directory. */
    'heap-snapshots': { type: 'string' },
  },
});

type Mix = 'mix' | 'order' | 'owner';
const mix: Mix = args.mix === 'order' || args.mix === 'owner' ? args.mix : 'mix';
const sizes = args.clients
  .split(',')
  .map((size) => Number(size.trim()))
  .filter((size) => Number.isInteger(size) && size > 0);
const pacedRounds = Number(args.rounds);
const burstRounds = Number(args['burst-rounds']);
const publishRate = Number(args.rate);
const firstRate = Number(args['first-rate']);
const rampRate = Number(args['ramp-rate']);
const maxInFlight = Number(args['in-flight']);
const gatewayFlags = args['gateway-flags'].split(' ').filter(Boolean);

const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const probeUrl = new URL('./subscriptions-probe.js', import.meta.url).href;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = `${process.pid}-${Date.now()}`;
const ROUND_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 10_000;

/** A round's status: each differs from the one before, so a late delivery cannot pass for a new one. */
const ROUND_STATUSES = ['PAID', 'FULFILLING', 'FULFILLED', 'REFUND_PENDING', 'REFUNDED'] as const;

const QUERIES = {
  order: `subscription OrderStatus($orderId: ID!) {
  orderStatusChanged(orderId: $orderId) { order { id status lines { id status } } }
}`,
  owner: `subscription MyOrderStatus {
  myOrderStatusChanged { order { id status lines { id status } } }
}`,
};

// ---------------------------------------------------------------------------------------------
// Children: killed on exit, on error and on signals.

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`${signal}: stopping the gateway and cleaning up\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
const cleanups: (() => Promise<void>)[] = [];
async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
}

/** Soft and hard limits on open files, from /proc (Node has no getrlimit). */
function fileLimits(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft = '0', hard = '0'] = line?.trim().split(/\s+/).slice(3, 5) ?? [];
  const parse = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: parse(soft), hard: parse(hard) };
}

/** This process holds every client socket: re-run under a raised soft limit if it is too low. */
function ensureFileLimit(): void {
  const needed = Math.max(...sizes) + 1024;
  const { soft, hard } = fileLimits();
  if (soft >= needed) return;
  if (process.env.BENCH_SUBSCRIPTIONS_RAISED === '1' || hard < needed) {
    process.stderr.write(
      `ulimit -n is ${soft} (hard ${hard}); ${needed} open files are needed for ${Math.max(...sizes)} clients.\n`,
    );
    process.exit(1);
  }
  const child = spawn(
    'bash',
    ['-c', `ulimit -n ${hard}; exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, BENCH_SUBSCRIPTIONS_RAISED: '1' } },
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code) => process.exit(code ?? 1));
  throw new ReExec();
}
class ReExec extends Error {}

// ---------------------------------------------------------------------------------------------
// The gateway: `npm start`'s dist/server/main.js with its in-process sandbox on PORT+101..104.

interface Gateway {
  url: string;
  commercetoolsUrl: string;
  pid: number;
  keyPrefix: string;
  memory(): Promise<ProbeMemory & { vmRss: number }>;
  heapSnapshot(path: string): Promise<void>;
  cpuMs(): number;
  stop(): Promise<void>;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const all = [port, port + 101, port + 102, port + 103, port + 104];
    if ((await Promise.all(all.map(portIsFree))).every(Boolean)) return port;
  }
  throw new Error('no free block of ports for the gateway and its sandbox');
}

function procStatusKb(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

/** utime + stime of a process, in ms. */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

async function startGateway(run: number): Promise<Gateway> {
  const port = await freePortBlock();
  const keyPrefix = `bench-subs-${runId}-${run}:`;
  const env: NodeJS.ProcessEnv = {};
  // The bench's shell may carry gateway settings; the gateway gets only what is set here.
  const owned =
    /^(PORT|NODE_ENV|LOG_LEVEL|REDIS_|DISCOVERY_|LMS_|STRIPE_|COMMERCETOOLS_|JWT_|RUN_)/;
  for (const [name, value] of Object.entries(process.env)) if (!owned.test(name)) env[name] = value;
  Object.assign(env, {
    PORT: String(port),
    LOG_LEVEL: 'warn',
    RUN_WORKER: 'false',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
  });
  const node = [
    process.execPath,
    '--expose-gc',
    '--import',
    probeUrl,
    ...gatewayFlags,
    'dist/server/main.js',
  ];
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', ...node], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  if (args['gateway-log']) {
    const file = createWriteStream(args['gateway-log'], { flags: 'a' });
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  const pid = child.pid ?? -1;
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timedOut = await Promise.race([
      exited.then(() => false),
      delay(STOP_GRACE_MS).then(() => true),
    ]);
    if (timedOut) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  cleanups.push(stop);

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited at start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the gateway did not answer in 30 s:\n${output}`);
    const ok = await fetch(`${url}/healthz`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) break;
    await delay(200);
  }

  const memory = () =>
    new Promise<ProbeMemory & { vmRss: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the gateway probe did not answer')), 30_000);
      const onMessage = (message: ProbeMemory) => {
        if (message.type !== 'memory') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve({ ...message, vmRss: procStatusKb(pid, 'VmRSS') * 1024 });
      };
      child.on('message', onMessage);
      child.send({ type: 'memory' });
    });
  const heapSnapshot = (path: string) =>
    new Promise<void>((resolve) => {
      const onMessage = (message: { type?: string }) => {
        if (message.type !== 'heap-snapshot') return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      child.send({ type: 'heap-snapshot', path });
    });
  return {
    url,
    heapSnapshot,
    commercetoolsUrl: `http://127.0.0.1:${port + 104}`,
    pid,
    keyPrefix,
    memory,
    cpuMs: () => procCpuMs(pid),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures: one imported order per learner, and each learner's token.

interface Learner {
  userId: string;
  orderId: string;
  /** The order as the gateway models it, so events are built exactly as the worker builds them. */
  order: Order;
  token: string;
}

async function importLearners(gateway: Gateway, count: number, run: number): Promise<Learner[]> {
  const { commercetools, jwt } = SANDBOX_CREDENTIALS;
  const tokenResponse = await fetch(`${gateway.commercetoolsUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${commercetools.clientId}:${commercetools.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `grant_type=client_credentials&scope=manage_project:${commercetools.projectKey}`,
  });
  const { access_token: ctToken } = (await tokenResponse.json()) as { access_token: string };
  const runs = DEMO_COURSE_RUNS.filter((courseRun) => courseRun.seats.length > 0);
  const secret = new TextEncoder().encode(jwt.secretKey);
  const now = Math.floor(Date.now() / 1000);

  const one = async (i: number): Promise<Learner> => {
    const userId = String(7_000_000 + run * 100_000 + i);
    const username = `bench-learner-${run}-${i}`;
    const courseRun = runs[i % runs.length]!;
    const seat = courseRun.seats[0]!;
    const money = {
      type: 'centPrecision',
      currencyCode: seat.currency,
      centAmount: toMinorUnits({ amount: seat.price, currencyCode: seat.currency }),
      fractionDigits: 2,
    };
    const response = await fetch(
      `${gateway.commercetoolsUrl}/${commercetools.projectKey}/orders/import`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ctToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          orderNumber: `BENCH-${randomUUID().slice(0, 13)}`,
          customerEmail: `${username}@example.com`,
          orderState: 'Complete',
          totalPrice: money,
          lineItems: [
            {
              productId: seat.sku,
              name: { en: courseRun.title },
              variant: { sku: seat.sku },
              quantity: 1,
              price: { value: money },
              totalPrice: money,
              custom: {
                type: { typeId: 'type', key: 'commerce-gateway-line' },
                fields: { courseRunKey: courseRun.key, mode: seat.mode, status: 'FULFILLED' },
              },
            },
          ],
          custom: {
            type: { typeId: 'type', key: 'commerce-gateway-order' },
            fields: { lmsUserId: userId, lmsUsername: username, status: 'FULFILLED' },
          },
        }),
      },
    );
    if (response.status !== 201) {
      throw new Error(`order import failed: ${response.status} ${await response.text()}`);
    }
    const order = toOrder((await response.json()) as CtOrder);
    const token = await new SignJWT({
      iss: jwt.issuer,
      aud: jwt.audience,
      iat: now,
      exp: now + 3600,
      user_id: Number(userId),
      preferred_username: username,
      email: `${username}@example.com`,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(secret);
    return { userId, orderId: order.id, order, token };
  };

  const learners: Learner[] = new Array<Learner>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        learners[i] = await one(i);
      }
    }),
  );
  return learners;
}

// ---------------------------------------------------------------------------------------------
// Clients and measurement.

type Kind = 'order' | 'owner';
interface Update {
  orderStatusChanged?: { order: { status: string } };
  myOrderStatusChanged?: { order: { status: string } };
}

/** What the clients compare deliveries against: the current round and each learner's publish time. */
interface RoundState {
  round: number;
  status: OrderStatus;
  publishedAt: Float64Array;
  latencies: number[];
  received: number;
  lastReceivedAt: number;
  roundOf: Int32Array;
  unexpected: number;
  onReceive: (() => void) | null;
}

interface Clients {
  kinds: Kind[];
  clients: Client[];
  errors: string[];
  closedEarly: number;
  rampMs: number;
}

function kindOf(index: number): Kind {
  if (mix === 'order' || mix === 'owner') return mix;
  return index % 2 === 0 ? 'order' : 'owner';
}

/** The learner of client `index`: in the mix, learner i has one client of each kind. */
function learnerOf(index: number): number {
  return mix === 'mix' ? Math.floor(index / 2) : index;
}

async function connectClients(
  gateway: Gateway,
  learners: Learner[],
  count: number,
  state: RoundState,
): Promise<Clients> {
  const wsUrl = `${gateway.url.replace('http', 'ws')}/graphql`;
  const result: Clients = { kinds: [], clients: [], errors: [], closedEarly: 0, rampMs: 0 };
  let inFlight = 0;
  const waiter: { wake: (() => void) | null } = { wake: null };
  const settled = () => {
    inFlight--;
    waiter.wake?.();
  };
  const started = performance.now();
  let ready = 0;

  for (let index = 0; index < count; index++) {
    // Bounded ramp: at most `rampRate` new clients/s and `maxInFlight` awaiting their answer.
    const due = started + (index * 1000) / rampRate;
    const wait = due - performance.now();
    if (wait > 1) await delay(wait);
    while (inFlight >= maxInFlight) await new Promise<void>((resolve) => (waiter.wake = resolve));

    const kind = kindOf(index);
    const learner = learners[learnerOf(index)]!;
    let first = true;
    inFlight++;
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `JWT ${learner.token}` },
      retryAttempts: 0,
      keepAlive: 0,
      on: {
        // A myOrderStatusChanged subscription answers nothing until a change: acknowledged is ready.
        connected: () => {
          if (kind === 'owner') {
            ready++;
            settled();
          }
        },
        closed: () => {
          if (state.round !== -2) result.closedEarly++;
        },
      },
    });
    client.subscribe<Update>(
      {
        query: QUERIES[kind],
        variables: kind === 'order' ? { orderId: learner.orderId } : {},
      },
      {
        next: (value) => {
          const now = performance.now();
          const data = value.data;
          const status =
            data?.orderStatusChanged?.order.status ?? data?.myOrderStatusChanged?.order.status;
          if (kind === 'order' && first) {
            // The order's current state, sent first.
            first = false;
            ready++;
            settled();
            return;
          }
          if (state.round >= 0 && status === state.status && state.roundOf[index] !== state.round) {
            state.roundOf[index] = state.round;
            state.latencies.push(now - state.publishedAt[learnerOf(index)]!);
            state.received++;
            state.lastReceivedAt = now;
            state.onReceive?.();
          } else {
            state.unexpected++;
          }
        },
        error: (error) => {
          const message =
            error instanceof Error ? error.message : JSON.stringify(error).slice(0, 200);
          if (result.errors.length < 5) result.errors.push(message);
          if (first) settled();
          first = false;
        },
        complete: () => undefined,
      },
    );
    result.kinds.push(kind);
    result.clients.push(client);
  }
  const deadline = Date.now() + 60_000;
  while (ready + result.errors.length < count && Date.now() < deadline) await delay(50);
  result.rampMs = performance.now() - started;
  if (ready < count) {
    throw new Error(
      `only ${ready} of ${count} clients subscribed; errors: ${result.errors.join(' | ')}`,
    );
  }
  return result;
}

/** Waits until the gateway holds a Redis subscription on every watched channel. */
async function waitForChannels(redis: Redis, prefix: string, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let count = 0;
  while (Date.now() < deadline) {
    const [orders, owners] = await Promise.all([
      redis.pubsub('CHANNELS', `${prefix}orders:*`) as Promise<string[]>,
      redis.pubsub('CHANNELS', `${prefix}owners:*`) as Promise<string[]>,
    ]);
    count = orders.length + owners.length;
    if (count >= expected) return;
    await delay(100);
  }
  throw new Error(`the gateway subscribed ${count} of ${expected} Redis channels`);
}

interface RoundResult {
  latencies: number[];
  expected: number;
  received: number;
  /** From the first PUBLISH to the last delivery. */
  spanMs: number;
  gatewayCpuMs: number;
  benchCpuMs: number;
}

/**
 * One round: a status change of every learner's order, PUBLISHed on its order and owner channels
 * (as the worker's publisher does) at `rate` changes/s, or all at once when rate is Infinity.
 */
async function runRound(
  redis: Redis,
  gateway: Gateway,
  learners: Learner[],
  state: RoundState,
  round: number,
  expected: number,
  rate: number,
): Promise<RoundResult> {
  state.round = round;
  state.status = ROUND_STATUSES[round % ROUND_STATUSES.length]!;
  state.latencies = [];
  state.received = 0;
  state.unexpected = 0;
  const allReceived = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ROUND_TIMEOUT_MS);
    state.onReceive = () => {
      if (state.received < expected) return;
      clearTimeout(timer);
      resolve(true);
    };
  });
  const gatewayCpu = gateway.cpuMs();
  const benchCpu = process.cpuUsage();
  const version = 1_000 + round;
  const publish = (learner: Learner, i: number) => {
    const message = JSON.stringify(
      toStatusEvent({
        ...learner.order,
        status: state.status,
        version,
        lines: learner.order.lines.map((line) => ({ ...line, status: 'FULFILLED' })),
      }),
    );
    state.publishedAt[i] = performance.now();
    void redis.publish(`${gateway.keyPrefix}orders:${learner.orderId}:status`, message);
    void redis.publish(`${gateway.keyPrefix}owners:${learner.userId}:order-status`, message);
  };
  const started = performance.now();
  if (!Number.isFinite(rate)) {
    learners.forEach(publish);
  } else {
    let i = 0;
    while (i < learners.length) {
      const due = Math.floor(((performance.now() - started) * rate) / 1000) + 1;
      for (; i < Math.min(due, learners.length); i++) publish(learners[i]!, i);
      await delay(1);
    }
  }
  await allReceived;
  state.onReceive = null;
  // Stragglers and duplicates: a moment for them to show up as unexpected.
  await delay(200);
  const usage = process.cpuUsage(benchCpu);
  return {
    latencies: state.latencies,
    expected,
    received: state.received,
    spanMs: state.lastReceivedAt - started,
    gatewayCpuMs: gateway.cpuMs() - gatewayCpu,
    benchCpuMs: (usage.user + usage.system) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting.

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Row {
  clients: number;
  phase: string;
  deliveries: string;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  gatewayCpu: number;
  benchCpu: number;
}

function summarise(clients: number, phase: string, rounds: RoundResult[]): Row {
  const all = Float64Array.from(rounds.flatMap((round) => round.latencies)).sort();
  const received = rounds.reduce((sum, round) => sum + round.received, 0);
  const expected = rounds.reduce((sum, round) => sum + round.expected, 0);
  const span = rounds.reduce((sum, round) => sum + round.spanMs, 0);
  return {
    clients,
    phase,
    deliveries: received === expected ? String(received) : `${received}/${expected}`,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: all.length > 0 ? all[all.length - 1]! : NaN,
    perSecond: (received * 1000) / span,
    gatewayCpu: (100 * rounds.reduce((sum, round) => sum + round.gatewayCpuMs, 0)) / span,
    benchCpu: (100 * rounds.reduce((sum, round) => sum + round.benchCpuMs, 0)) / span,
  };
}

interface MemoryRow {
  clients: number;
  rampMs: number;
  before: ProbeMemory & { vmRss: number };
  idle: ProbeMemory & { vmRss: number };
  after: ProbeMemory & { vmRss: number };
  benchRssPerClient: number;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const pad = (cells: string[], widths: number[]) =>
  cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');

function printLatency(rows: Row[]): void {
  const head = [
    'clients',
    'rounds',
    'delivered',
    'p50 ms',
    'p99 ms',
    'max ms',
    'msg/s',
    'gw CPU',
    'bench CPU',
  ];
  const body = rows.map((row) => [
    String(row.clients),
    row.phase,
    row.deliveries,
    ms(row.p50),
    ms(row.p99),
    ms(row.max),
    Math.round(row.perSecond).toLocaleString('en-US'),
    `${Math.round(row.gatewayCpu)}%`,
    `${Math.round(row.benchCpu)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  console.log(pad(head, widths));
  for (const cells of body) console.log(pad(cells, widths));
}

function printMemory(rows: MemoryRow[]): void {
  const head = [
    'clients',
    'ramp',
    'RSS before',
    'RSS idle',
    'RSS/conn',
    'heap before',
    'heap idle',
    'heap/conn',
    'V8 total/conn',
    'ext+ab/conn',
    'RSS/conn after rounds',
    'fds',
  ];
  const body = rows.map((row) => [
    String(row.clients),
    `${(row.rampMs / 1000).toFixed(1)} s`,
    `${mb(row.before.vmRss)} MB`,
    `${mb(row.idle.vmRss)} MB`,
    `${kb((row.idle.vmRss - row.before.vmRss) / row.clients)} KB`,
    `${mb(row.before.heapUsed)} MB`,
    `${mb(row.idle.heapUsed)} MB`,
    `${kb((row.idle.heapUsed - row.before.heapUsed) / row.clients)} KB`,
    `${kb((row.idle.heapTotal - row.before.heapTotal) / row.clients)} KB`,
    `${kb((row.idle.external - row.before.external) / row.clients)} KB`,
    `${kb((row.after.vmRss - row.before.vmRss) / row.clients)} KB`,
    String(row.idle.openFds),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  console.log(pad(head, widths));
  for (const cells of body) console.log(pad(cells, widths));
}

// ---------------------------------------------------------------------------------------------

async function benchOne(
  run: number,
  count: number,
): Promise<{ rows: Row[]; memory: MemoryRow; notes: string[] }> {
  const notes: string[] = [];
  const gateway = await startGateway(run);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  cleanups.push(async () => {
    await deleteKeys(redis, gateway.keyPrefix);
    redis.disconnect();
  });
  const learnerCount = mix === 'mix' ? Math.ceil(count / 2) : count;
  const t0 = performance.now();
  const learners = await importLearners(gateway, learnerCount, run);
  log(`N=${count}: imported ${learnerCount} orders in ${ms((performance.now() - t0) / 1000)} s`);

  const before = await gateway.memory();
  const snapshots = args['heap-snapshots'];
  if (snapshots) await gateway.heapSnapshot(`${snapshots}/gateway-${count}-before.heapsnapshot`);
  const benchRssBefore = process.memoryUsage().rss;
  const state: RoundState = {
    round: -1,
    status: 'PENDING_PAYMENT',
    publishedAt: new Float64Array(learnerCount),
    latencies: [],
    received: 0,
    lastReceivedAt: 0,
    roundOf: new Int32Array(count).fill(-1),
    unexpected: 0,
    onReceive: null,
  };
  const clients = await connectClients(gateway, learners, count, state);
  cleanups.push(async () => {
    state.round = -2;
    await Promise.all(clients.clients.map(async (client) => client.dispose()));
  });
  const orderClients = clients.kinds.filter((kind) => kind === 'order').length;
  const ownerClients = count - orderClients;
  const channels = (orderClients > 0 ? learnerCount : 0) + (ownerClients > 0 ? learnerCount : 0);
  await waitForChannels(redis, gateway.keyPrefix, channels);
  log(
    `N=${count}: ${orderClients} orderStatusChanged + ${ownerClients} myOrderStatusChanged clients ` +
      `subscribed in ${ms(clients.rampMs / 1000)} s (${channels} Redis channels)`,
  );
  await delay(2000);
  const idle = await gateway.memory();
  if (snapshots) await gateway.heapSnapshot(`${snapshots}/gateway-${count}-idle.heapsnapshot`);
  const benchRssPerClient = (process.memoryUsage().rss - benchRssBefore) / count;

  // Round 0: every myOrderStatusChanged subscription's first change reads the order
  // (workflows/order-status.ts watchMyOrders); reported apart from the steady-state rounds.
  const warm = await runRound(redis, gateway, learners, state, 0, count, firstRate);
  const rows: Row[] = [summarise(count, `first change @${firstRate}/s`, [warm])];
  const paced: RoundResult[] = [];
  for (let r = 1; r <= pacedRounds; r++) {
    paced.push(await runRound(redis, gateway, learners, state, r, count, publishRate));
  }
  if (paced.length > 0)
    rows.push(summarise(count, `${pacedRounds} paced @${publishRate}/s`, paced));
  const bursts: RoundResult[] = [];
  for (let r = 1; r <= burstRounds; r++) {
    bursts.push(await runRound(redis, gateway, learners, state, pacedRounds + r, count, Infinity));
  }
  if (bursts.length > 0) rows.push(summarise(count, `${burstRounds} burst`, bursts));
  const after = await gateway.memory();

  if (clients.errors.length > 0)
    notes.push(`N=${count}: client errors: ${clients.errors.join(' | ')}`);
  if (clients.closedEarly > 0)
    notes.push(`N=${count}: ${clients.closedEarly} sockets closed early`);
  if (state.unexpected > 0) notes.push(`N=${count}: ${state.unexpected} unexpected deliveries`);

  await cleanupAll();
  return {
    rows,
    memory: { clients: count, rampMs: clients.rampMs, before, idle, after, benchRssPerClient },
    notes,
  };
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 500 })) {
    const keys = batch as string[];
    if (keys.length > 0) await redis.unlink(...keys);
  }
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function machineFacts(): string[] {
  const cpu = cpus();
  const limits = fileLimits();
  return [
    `date: ${new Date().toISOString()}`,
    `node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ` +
      `${mb(totalmem())} MB RAM, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    `open files (bench): soft ${limits.soft}, hard ${limits.hard}`,
    `mix: ${mix}; paced rate ${publishRate} changes/s (first change ${firstRate}/s); ramp ${rampRate} clients/s, ` +
      `${maxInFlight} in flight`,
  ];
}

/** Resolves false when the bench re-ran itself under a raised file limit (that child reports). */
async function main(): Promise<boolean> {
  try {
    ensureFileLimit();
  } catch (error) {
    if (error instanceof ReExec) return false;
    throw error;
  }
  const facts = machineFacts();
  for (const line of facts) log(line);
  const rows: Row[] = [];
  const memory: MemoryRow[] = [];
  const notes: string[] = [];
  for (const [run, count] of sizes.entries()) {
    const result = await benchOne(run, count);
    rows.push(...result.rows);
    memory.push(result.memory);
    notes.push(...result.notes);
    log(`N=${count}: done; gateway fds at idle ${result.memory.idle.openFds}`);
  }

  console.log('\nSubscriptions fan-out: publish (Redis PUBLISH) → receive (graphql-ws client)');
  for (const line of facts) console.log(`  ${line}`);
  console.log('\nLatency (client receive time − publish time, same clock):');
  printLatency(rows);
  console.log('\nGateway memory (after a full GC; /proc VmRSS and V8 heap used):');
  printMemory(memory);
  for (const row of memory) {
    console.log(
      `  N=${row.clients}: bench process (clients) RSS +${kb(row.benchRssPerClient)} KB/client`,
    );
  }
  const big = memory.at(-1);
  const bigRows = rows.filter((row) => row.clients === big?.clients);
  const paced = bigRows.find((row) => row.phase.includes('paced'));
  if (big && paced) {
    const perConn = (big.idle.vmRss - big.before.vmRss) / big.clients / 1024;
    console.log(
      `\nAim (issue 4) at N=${big.clients}: p99 ≤ 100 ms: ${paced.p99 <= 100 ? 'met' : 'MISSED'} ` +
        `(${ms(paced.p99)} ms paced); ≤ 50 KB/connection: ${perConn <= 50 ? 'met' : 'MISSED'} ` +
        `(${perConn.toFixed(1)} KB RSS)`,
    );
  }
  for (const note of notes) console.log(`note: ${note}`);
  return true;
}

const finished = await main().catch(async (error: unknown) => {
  process.stderr.write(
    `bench:subscriptions failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  await cleanupAll();
  process.exit(1);
});
if (finished) process.exit(0);
