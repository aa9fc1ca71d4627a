/**
 * The publish rounds: each changes every learner's order status once and PUBLISHes the change on
 * Redis exactly as the worker does, then waits until every client has received it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { OrderStatus } from '../../connectors/orders.js';
import { orderChannel, ownerChannel, toStatusEvent } from '../../subscriptions/order-events.js';
import { learnerOf, type Fleet } from './clients.js';
import type { Gateway } from './gateway.js';
import type { ProbePauses } from './gateway-probe.js';
import type { Learner } from './learners.js';
import { monotonicMs } from './monotonic.js';
import type { Mix } from './options.js';

const ROUND_TIMEOUT_MS = 20_000;

/** A round's status: each differs from the one before, so a late delivery cannot pass for a new one. */
const ROUND_STATUSES = ['PAID', 'FULFILLING', 'FULFILLED', 'REFUND_PENDING', 'REFUNDED'] as const;

/** Each learner's PUBLISH time in the current round (monotonic.ts), and the round's status. */
export interface RoundState {
  status: OrderStatus;
  publishedAt: Float64Array;
}

export interface RoundResult {
  latencies: number[];
  expected: number;
  received: number;
  unexpected: number;
  closedEarly: number;
  /** The worst client process's event-loop delay during the round. */
  clientLoopDelayP99Ms: number;
  clientLoopDelayMaxMs: number;
  /** The gateway's loop delay and GC pauses during the round. */
  gatewayPauses: ProbePauses;
  /** From the first PUBLISH to the last delivery. */
  spanMs: number;
  gatewayCpuMs: number;
  /** The bench process and its client processes. */
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
  fleet: Fleet,
  state: RoundState,
  round: number,
  rate: number,
  mix: Mix,
): Promise<RoundResult> {
  state.status = ROUND_STATUSES[round % ROUND_STATUSES.length]!;
  await fleet.startRound(round, state.status);
  gateway.resetPauses();
  const gatewayCpu = gateway.cpuMs();
  const benchCpu = process.cpuUsage();
  const clientCpu = fleet.cpuMs();
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
    state.publishedAt[i] = monotonicMs();
    void redis.publish(orderChannel(gateway.keyPrefix, learner.orderId), message);
    void redis.publish(ownerChannel(gateway.keyPrefix, learner.userId), message);
  };
  const allReceived = fleet.allReceived(round, ROUND_TIMEOUT_MS);
  const started = monotonicMs();
  if (!Number.isFinite(rate)) {
    learners.forEach(publish);
  } else {
    let i = 0;
    while (i < learners.length) {
      const due = Math.floor(((monotonicMs() - started) * rate) / 1000) + 1;
      for (; i < Math.min(due, learners.length); i++) publish(learners[i]!, i);
      await delay(1);
    }
  }
  await allReceived;
  // Stragglers and duplicates: a moment for them to show up as unexpected.
  await delay(200);
  const collected = await fleet.collect();
  const gatewayPauses = await gateway.pauses();
  const usage = process.cpuUsage(benchCpu);
  const latencies: number[] = [];
  let last = started;
  for (const [index, at] of collected.receivedAt.entries()) {
    if (at === 0) continue;
    latencies.push(at - state.publishedAt[learnerOf(index, mix)]!);
    if (at > last) last = at;
  }
  return {
    latencies,
    expected: collected.receivedAt.length,
    received: latencies.length,
    unexpected: collected.unexpected,
    closedEarly: collected.closedEarly,
    clientLoopDelayP99Ms: collected.loopDelayP99Ms,
    clientLoopDelayMaxMs: collected.loopDelayMaxMs,
    gatewayPauses,
    spanMs: last - started,
    gatewayCpuMs: gateway.cpuMs() - gatewayCpu,
    benchCpuMs: (usage.user + usage.system) / 1000 + fleet.cpuMs() - clientCpu,
  };
}
