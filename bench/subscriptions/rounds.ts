/**
 * The publish rounds: each changes every learner's order status once and PUBLISHes the change on
 * Redis exactly as the worker does, then waits until every client has received it.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { OrderStatus } from '../../connectors/orders.js';
import { toStatusEvent } from '../../subscriptions/order-events.js';
import type { Gateway } from './gateway.js';
import type { Learner } from './learners.js';

const ROUND_TIMEOUT_MS = 20_000;

/** A round's status: each differs from the one before, so a late delivery cannot pass for a new one. */
const ROUND_STATUSES = ['PAID', 'FULFILLING', 'FULFILLED', 'REFUND_PENDING', 'REFUNDED'] as const;

/** What the clients compare deliveries against: the current round and each learner's publish time. */
export interface RoundState {
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

export interface RoundResult {
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
export async function runRound(
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
