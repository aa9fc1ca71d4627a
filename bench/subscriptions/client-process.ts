/**
 * One of the bench's client processes (forked by clients.ts): holds its share of the graphql-ws
 * clients, each on its own WebSocket with one subscription, and notes when each delivery of the
 * current round arrives. One process cannot hold 20,000 sockets under a 20,000 open-file limit,
 * and one event loop reading them all would itself become the slow part being measured.
 *
 * Receive times are read from the system's monotonic clock (process.hrtime, CLOCK_MONOTONIC),
 * which the parent also reads when it PUBLISHes: one clock for every process on the machine.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { FromParent, ToParent, ClientSpec } from './client-messages.js';
import { monotonicMs } from './monotonic.js';

const QUERIES = {
  order: `subscription OrderStatus($orderId: ID!) {
  orderStatusChanged(orderId: $orderId) { order { id status lines { id status } } }
}`,
  owner: `subscription MyOrderStatus {
  myOrderStatusChanged { order { id status lines { id status } } }
}`,
};

interface Update {
  orderStatusChanged?: { order: { status: string } };
  myOrderStatusChanged?: { order: { status: string } };
}

const send = (message: ToParent) => process.send?.(message);

/** The round in progress, as the parent announced it; -1 before the first, -2 once disposing. */
let round = -1;
let status = '';
let receivedAt = new Float64Array(0);
let received = 0;
let unexpected = 0;
let closedEarly = 0;
const errors: string[] = [];
const clients: Client[] = [];
// How late this process's own loop ran during the round: a late loop delays every receive time.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

async function connect(
  specs: ClientSpec[],
  wsUrl: string,
  rampRate: number,
  maxInFlight: number,
): Promise<void> {
  receivedAt = new Float64Array(specs.length);
  let inFlight = 0;
  let ready = 0;
  const waiter: { wake: (() => void) | null } = { wake: null };
  const settled = () => {
    inFlight--;
    waiter.wake?.();
  };
  const started = performance.now();
  for (const [slot, spec] of specs.entries()) {
    // Bounded ramp: at most `rampRate` new clients/s and `maxInFlight` awaiting their answer.
    const due = started + (slot * 1000) / rampRate;
    const wait = due - performance.now();
    if (wait > 1) await delay(wait);
    while (inFlight >= maxInFlight) await new Promise<void>((resolve) => (waiter.wake = resolve));
    let first = true;
    inFlight++;
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `JWT ${spec.token}` },
      retryAttempts: 0,
      keepAlive: 0,
      on: {
        // A myOrderStatusChanged subscription answers nothing until a change: acknowledged is ready.
        connected: () => {
          if (spec.kind === 'owner') {
            ready++;
            settled();
          }
        },
        closed: () => {
          if (round !== -2) closedEarly++;
        },
      },
    });
    client.subscribe<Update>(
      {
        query: QUERIES[spec.kind],
        variables: spec.kind === 'order' ? { orderId: spec.orderId } : {},
      },
      {
        next: (value) => {
          const now = monotonicMs();
          if (spec.kind === 'order' && first) {
            // The order's current state, sent first.
            first = false;
            ready++;
            settled();
            return;
          }
          const data = value.data;
          const got =
            data?.orderStatusChanged?.order.status ?? data?.myOrderStatusChanged?.order.status;
          if (round >= 0 && got === status && receivedAt[slot] === 0) {
            receivedAt[slot] = now;
            if (++received === specs.length) send({ type: 'all-received', round });
          } else {
            unexpected++;
          }
        },
        error: (error) => {
          const message =
            error instanceof Error ? error.message : JSON.stringify(error).slice(0, 200);
          if (errors.length < 5) errors.push(message);
          if (first) settled();
          first = false;
        },
        complete: () => undefined,
      },
    );
    clients.push(client);
  }
  const deadline = Date.now() + 60_000;
  while (ready + errors.length < specs.length && Date.now() < deadline) await delay(50);
  send({ type: 'connected', ready, errors });
}

process.on('message', (message: FromParent) => {
  switch (message.type) {
    case 'connect':
      void connect(message.clients, message.wsUrl, message.rampRate, message.maxInFlight);
      return;
    case 'round':
      round = message.round;
      status = message.status;
      receivedAt.fill(0);
      received = 0;
      unexpected = 0;
      loopDelay.reset();
      send({ type: 'round-ready', round });
      return;
    case 'collect':
      send({
        type: 'collected',
        receivedAt: [...receivedAt],
        unexpected,
        closedEarly,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
      });
      return;
    case 'dispose':
      round = -2;
      void Promise.all(clients.map(async (client) => client.dispose())).finally(() =>
        process.exit(0),
      );
      return;
  }
});
// The parent gone (killed, or exited without disposing): nothing is left to measure for.
process.on('disconnect', () => process.exit(0));
// Ctrl+C reaches the whole process group. The parent decides how the bench stops (it disposes of
// these processes, or kills them as it exits): a client process dying of the signal first would
// make its exit look like a failure of the bench rather than the interruption it is.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);
send({ type: 'started' });
