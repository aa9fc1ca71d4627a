import type { Cluster, Redis } from 'ioredis';
import type { Order } from '../connectors/orders.js';
import { FULFILLMENT_JOB } from '../flows/events.js';
import type { OrderJobs, OrderStatusChange } from '../workflows/services.js';
import { ownerChannel } from '../subscriptions/order-events.js';

const FINAL_STATUSES = new Set(['FULFILLED', 'FULFILLMENT_ERROR', 'PAYMENT_FAILED']);

/**
 * Hears every order status change the gateway and the workers publish (one pattern subscription
 * on the learners' channels), and tells when each order reached a final status.
 */
export class OrderWatcher {
  readonly #subscriber: Redis | Cluster;
  readonly #waiting = new Map<string, (event: { status: string; at: number }) => void>();
  readonly #early = new Map<string, { status: string; at: number }>();

  private constructor(subscriber: Redis | Cluster) {
    this.#subscriber = subscriber;
  }

  /** `subscriber`: a connection of its own, which the watcher puts in subscriber mode. */
  static async start(subscriber: Redis | Cluster, keyPrefix: string): Promise<OrderWatcher> {
    const watcher = new OrderWatcher(subscriber);
    subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) =>
      watcher.#hear(message),
    );
    await subscriber.psubscribe(ownerChannel(keyPrefix, '*'));
    return watcher;
  }

  /** Resolves with the final status and the time (performance.now) it was heard. */
  final(orderId: string, timeoutMs: number): Promise<{ status: string; at: number }> {
    const early = this.#early.get(orderId);
    if (early) {
      this.#early.delete(orderId);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(orderId);
        resolve({ status: 'TIMEOUT', at: performance.now() });
      }, timeoutMs);
      this.#waiting.set(orderId, (event) => {
        clearTimeout(timer);
        resolve(event);
      });
    });
  }

  close(): void {
    this.#subscriber.disconnect();
  }

  #hear(message: string): void {
    const at = performance.now();
    const event = JSON.parse(message) as OrderStatusChange;
    if (!FINAL_STATUSES.has(event.status)) return;
    const waiter = this.#waiting.get(event.orderId);
    if (waiter) {
      this.#waiting.delete(event.orderId);
      waiter({ status: event.status, at });
    } else {
      this.#early.set(event.orderId, { status: event.status, at });
    }
  }
}

export interface Outcome {
  /** Orders that reached FULFILLED, with their latency in ms. */
  latenciesMs: number[];
  /** Anything else: by final status or error message. */
  failures: Map<string, number>;
  firstStart: number;
  lastEnd: number;
}

export function newOutcome(): Outcome {
  return { latenciesMs: [], failures: new Map(), firstStart: Infinity, lastEnd: 0 };
}

export function recordFailure(outcome: Outcome, reason: string): void {
  outcome.failures.set(reason, (outcome.failures.get(reason) ?? 0) + 1);
}

/**
 * Path (a): `learners` distinct learners at a time, each buying one seat (GraphQL Purchase),
 * paying it as Stripe.js would (confirm with pm_card_visa; the sandbox Stripe then sends the
 * signed webhook), and waiting until the order is FULFILLED before the next purchase starts.
 */
export async function runPurchases(options: {
  gatewayUrl: string;
  stripeUrl: string;
  stripeSecretKey: string;
  sku: string;
  tokens: readonly string[];
  learners: number;
  watcher: OrderWatcher;
  timeoutMs: number;
}): Promise<Outcome> {
  const outcome = newOutcome();
  let next = 0;
  const one = async (token: string, index: number) => {
    const started = performance.now();
    outcome.firstStart = Math.min(outcome.firstStart, started);
    const placed = await purchase(options.gatewayUrl, token, options.sku, `bench-${index}`);
    const fulfilled = options.watcher.final(placed.orderId, options.timeoutMs);
    await confirm(options.stripeUrl, options.stripeSecretKey, placed.paymentId);
    const final = await fulfilled;
    if (final.status !== 'FULFILLED') throw new Error(final.status);
    outcome.latenciesMs.push(final.at - started);
    outcome.lastEnd = Math.max(outcome.lastEnd, final.at);
  };
  const learner = async () => {
    while (next < options.tokens.length) {
      const index = next++;
      try {
        await one(options.tokens[index] ?? '', index);
      } catch (error) {
        recordFailure(outcome, error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.learners }, learner));
  return outcome;
}

/**
 * Paths (b) and (c): enqueues the fulfillment of paid orders at a fixed offered rate, open loop
 * (each enqueue starts on schedule, whether or not earlier ones have returned, as independent
 * webhook requests would), timing every `OrderJobs.enqueue` call; then waits for every order to
 * be FULFILLED.
 */
export async function runEnqueues(options: {
  jobs: OrderJobs;
  /** Paid orders; each is enqueued with itself as the snapshot, as the payment webhook does. */
  orders: readonly Order[];
  ratePerSecond: number;
  watcher: OrderWatcher;
  timeoutMs: number;
  /**
   * A Redis round trip that does nothing (PING on a connection of its own), sent beside each
   * enqueue: its times say what this machine and driver add to any command at that moment, the
   * reference for the enqueue's.
   */
  ping: () => Promise<unknown>;
}): Promise<{ outcome: Outcome; enqueueMs: number[]; pingMs: number[]; launchLagMs: number[] }> {
  const outcome = newOutcome();
  const enqueueMs: number[] = [];
  const pingMs: number[] = [];
  // How late each enqueue started against its schedule: a starved driver offers less than the rate.
  const launchLagMs: number[] = [];
  const finals: Promise<void>[] = [];
  const start = performance.now();
  outcome.firstStart = start;
  let sent = 0;
  while (sent < options.orders.length) {
    const due = Math.min(
      options.orders.length,
      Math.floor(((performance.now() - start) / 1000) * options.ratePerSecond) + 1,
    );
    for (; sent < due; sent += 1) {
      const order = options.orders[sent];
      if (!order) break;
      const orderId = order.id;
      const begun = performance.now();
      launchLagMs.push(begun - (start + (sent * 1000) / options.ratePerSecond));
      finals.push(options.ping().then(() => void pingMs.push(performance.now() - begun)));
      finals.push(
        options.jobs.enqueue({ ...FULFILLMENT_JOB, orderId }, order).then(async () => {
          enqueueMs.push(performance.now() - begun);
          const final = await options.watcher.final(orderId, options.timeoutMs);
          if (final.status !== 'FULFILLED') recordFailure(outcome, final.status);
          else {
            outcome.latenciesMs.push(final.at - begun);
            outcome.lastEnd = Math.max(outcome.lastEnd, final.at);
          }
        }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(finals);
  return { outcome, enqueueMs, pingMs, launchLagMs };
}

async function purchase(
  gatewayUrl: string,
  token: string,
  sku: string,
  idempotencyKey: string,
): Promise<{ orderId: string; paymentId: string }> {
  const response = await fetch(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `JWT ${token}` },
    body: JSON.stringify({
      query: PURCHASE,
      variables: { input: { skus: [sku], idempotencyKey } },
    }),
  });
  const body = (await response.json()) as {
    data?: { purchase: { order: { id: string } | null; payment: { id: string } | null } };
    errors?: { message: string }[];
  };
  const placed = body.data?.purchase;
  if (!placed?.order || !placed.payment) {
    throw new Error(`purchase failed: ${body.errors?.[0]?.message ?? response.status}`);
  }
  return { orderId: placed.order.id, paymentId: placed.payment.id };
}

async function confirm(stripeUrl: string, secretKey: string, paymentId: string): Promise<void> {
  const response = await fetch(`${stripeUrl}/v1/payment_intents/${paymentId}/confirm`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secretKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ payment_method: 'pm_card_visa' }),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`confirm answered ${response.status}`);
}

/** The contract's Purchase mutation (test/contract/operations.graphql), as front ends send it. */
const PURCHASE = `mutation Purchase($input: PurchaseInput!) {
  purchase(input: $input) {
    order { id number status total { amount currencyCode } lines { id status product { sku } } }
    payment { id status clientSecret }
    userErrors { code message field }
  }
}`;
