/**
 * The client fleet: N graphql-ws clients, each on its own WebSocket with one subscription,
 * connected at a bounded rate; every delivery is checked against the current round and timed.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import type { Redis } from 'ioredis';
import WebSocket from 'ws';
import type { Gateway } from './gateway.js';
import type { Learner } from './learners.js';
import type { FanoutOptions, Mix } from './options.js';
import type { RoundState } from './rounds.js';

const QUERIES = {
  order: `subscription OrderStatus($orderId: ID!) {
  orderStatusChanged(orderId: $orderId) { order { id status lines { id status } } }
}`,
  owner: `subscription MyOrderStatus {
  myOrderStatusChanged { order { id status lines { id status } } }
}`,
};

type Kind = 'order' | 'owner';
interface Update {
  orderStatusChanged?: { order: { status: string } };
  myOrderStatusChanged?: { order: { status: string } };
}

export interface Clients {
  kinds: Kind[];
  clients: Client[];
  errors: string[];
  closedEarly: number;
  rampMs: number;
}

function kindOf(index: number, mix: Mix): Kind {
  if (mix === 'order' || mix === 'owner') return mix;
  return index % 2 === 0 ? 'order' : 'owner';
}

/** The learner of client `index`: in the mix, learner i has one client of each kind. */
function learnerOf(index: number, mix: Mix): number {
  return mix === 'mix' ? Math.floor(index / 2) : index;
}

export async function connectClients(
  gateway: Gateway,
  learners: Learner[],
  count: number,
  state: RoundState,
  options: Pick<FanoutOptions, 'mix' | 'rampRate' | 'maxInFlight'>,
): Promise<Clients> {
  const { mix, rampRate, maxInFlight } = options;
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

    const kind = kindOf(index, mix);
    const learner = learners[learnerOf(index, mix)]!;
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
            state.latencies.push(now - state.publishedAt[learnerOf(index, mix)]!);
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
