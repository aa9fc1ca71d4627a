/**
 * The client fleet: N graphql-ws clients, each on its own WebSocket with one subscription, spread
 * over client processes (client-process.ts) of at most `perProcess` clients each, connected at a
 * bounded rate. The processes time each delivery; the bench collects the times after each round.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { addCleanup, children } from './cleanup.js';
import type { ClientSpec, FromParent, Kind, ToParent } from './client-messages.js';
import { procCpuMs, procStatusKb, type Gateway } from './gateway.js';
import type { Learner } from './learners.js';
import { monotonicMs } from './monotonic.js';
import type { FanoutOptions, Mix } from './options.js';

const clientProcessUrl = new URL('./client-process.js', import.meta.url);

/** What one round left in the client processes, by client index. */
export interface Collected {
  /** Monotonic receive time of the round's change (monotonic.ts), 0 when it did not arrive. */
  receivedAt: Float64Array;
  unexpected: number;
  closedEarly: number;
  /** The worst client process's event-loop delay during the round. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export interface Fleet {
  kinds: Kind[];
  rampMs: number;
  errors: string[];
  processes: number;
  /** Every client process knows the round's status before anything of it is published. */
  startRound(round: number, status: string): Promise<void>;
  /** True once every client has received the round's change; false after `timeoutMs`. */
  allReceived(round: number, timeoutMs: number): Promise<boolean>;
  collect(): Promise<Collected>;
  /** utime + stime of the client processes so far, in ms. */
  cpuMs(): number;
  /** The client processes' RSS growth while connecting, per client. */
  rssPerClient: number;
}

function kindOf(index: number, mix: Mix): Kind {
  if (mix === 'order' || mix === 'owner') return mix;
  return index % 2 === 0 ? 'order' : 'owner';
}

/** The learner of client `index`: in the mix, learner i has one client of each kind. */
export function learnerOf(index: number, mix: Mix): number {
  return mix === 'mix' ? Math.floor(index / 2) : index;
}

interface Worker {
  child: ChildProcess;
  from: number;
  count: number;
  next(type: ToParent['type']): Promise<ToParent>;
  send(message: FromParent): void;
}

function startWorker(from: number, count: number): Worker {
  const child = fork(clientProcessUrl, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const waiting = new Map<string, { resolve: (m: ToParent) => void; reject: (e: Error) => void }>();
  const early: ToParent[] = [];
  let exited: Error | null = null;
  child.on('message', (message: ToParent) => {
    const waiter = waiting.get(message.type);
    if (!waiter) return void early.push(message);
    waiting.delete(message.type);
    waiter.resolve(message);
  });
  child.once('exit', (code, signal) => {
    children.delete(child);
    exited = new Error(`a client process exited (${code ?? signal})`);
    for (const waiter of waiting.values()) waiter.reject(exited);
    waiting.clear();
  });
  return {
    child,
    from,
    count,
    next: (type) => {
      const at = early.findIndex((message) => message.type === type);
      if (at >= 0) return Promise.resolve(early.splice(at, 1)[0]!);
      if (exited) return Promise.reject(exited);
      return new Promise((resolve, reject) => waiting.set(type, { resolve, reject }));
    },
    // A process that is exiting cannot be told anything more (EPIPE): its 'exit' says the rest.
    send: (message) => void child.send(message, () => undefined),
  };
}

export async function connectClients(
  gateway: Gateway,
  learners: Learner[],
  count: number,
  options: Pick<FanoutOptions, 'mix' | 'rampRate' | 'maxInFlight' | 'clientsPerProcess'>,
): Promise<Fleet> {
  const { mix, rampRate, maxInFlight, clientsPerProcess } = options;
  const wsUrl = `${gateway.url.replace('http', 'ws')}/graphql`;
  const kinds = Array.from({ length: count }, (_, index) => kindOf(index, mix));
  const processes = Math.ceil(count / clientsPerProcess);
  const workers: Worker[] = [];
  for (let p = 0; p < processes; p++) {
    const from = Math.floor((p * count) / processes);
    workers.push(startWorker(from, Math.floor(((p + 1) * count) / processes) - from));
  }
  addCleanup(async () => {
    for (const worker of workers) if (worker.child.connected) worker.send({ type: 'dispose' });
    await Promise.all(
      workers.map(async (worker) => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
        await new Promise((resolve) => worker.child.once('exit', resolve));
      }),
    );
  });
  await Promise.all(workers.map((worker) => worker.next('started')));
  const rssBefore = workers.reduce((sum, w) => sum + procStatusKb(w.child.pid!, 'VmRSS'), 0);
  const started = monotonicMs();
  for (const worker of workers) {
    const clients: ClientSpec[] = [];
    for (let index = worker.from; index < worker.from + worker.count; index++) {
      const learner = learners[learnerOf(index, mix)]!;
      clients.push({ kind: kinds[index]!, orderId: learner.orderId, token: learner.token });
    }
    // The ramp's bounds are the fleet's: each process takes its share of them.
    worker.send({
      type: 'connect',
      clients,
      wsUrl,
      rampRate: rampRate / processes,
      maxInFlight: Math.max(1, Math.floor(maxInFlight / processes)),
    });
  }
  const connected = await Promise.all(workers.map((worker) => worker.next('connected')));
  const rampMs = monotonicMs() - started;
  const errors = connected.flatMap((message) =>
    message.type === 'connected' ? message.errors : [],
  );
  const ready = connected.reduce((sum, m) => sum + (m.type === 'connected' ? m.ready : 0), 0);
  if (ready < count) {
    throw new Error(`only ${ready} of ${count} clients subscribed; errors: ${errors.join(' | ')}`);
  }
  const rssAfter = workers.reduce((sum, w) => sum + procStatusKb(w.child.pid!, 'VmRSS'), 0);

  return {
    kinds,
    rampMs,
    errors,
    processes,
    rssPerClient: ((rssAfter - rssBefore) * 1024) / count,
    async startRound(round, status) {
      for (const worker of workers) worker.send({ type: 'round', round, status });
      await Promise.all(workers.map((worker) => worker.next('round-ready')));
    },
    async allReceived(round, timeoutMs) {
      const all = Promise.all(
        workers.map(async (worker) => {
          for (;;) {
            const message = await worker.next('all-received');
            if (message.type === 'all-received' && message.round === round) return;
          }
        }),
      ).then(() => true);
      return Promise.race([all, delay(timeoutMs).then(() => false)]);
    },
    async collect() {
      for (const worker of workers) worker.send({ type: 'collect' });
      const receivedAt = new Float64Array(count);
      let unexpected = 0;
      let closedEarly = 0;
      let loopDelayP99Ms = 0;
      let loopDelayMaxMs = 0;
      for (const worker of workers) {
        const message = await worker.next('collected');
        if (message.type !== 'collected') continue;
        receivedAt.set(message.receivedAt, worker.from);
        unexpected += message.unexpected;
        closedEarly += message.closedEarly;
        loopDelayP99Ms = Math.max(loopDelayP99Ms, message.loopDelayP99Ms);
        loopDelayMaxMs = Math.max(loopDelayMaxMs, message.loopDelayMaxMs);
      }
      return { receivedAt, unexpected, closedEarly, loopDelayP99Ms, loopDelayMaxMs };
    },
    cpuMs: () => workers.reduce((sum, worker) => sum + procCpuMs(worker.child.pid!), 0),
  };
}

/** Waits until the gateway holds a Redis subscription on every watched channel. */
export async function waitForChannels(
  redis: Redis,
  prefix: string,
  expected: number,
): Promise<void> {
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
