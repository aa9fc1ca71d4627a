import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import Stripe from 'stripe';

import { mapConcurrent, type HttpClient } from '../http-client.js';
import { UpstreamRejectedError } from '../errors.js';
import { fromMinorUnits, toMinorUnits, type Money } from '../money.js';
import {
  WebhookSignatureError,
  type Payment,
  type PaymentConnector,
  type PaymentEvent,
  type PaymentReversals,
  type PaymentStatus,
  type ProcessorRefund,
  type Refund,
} from '../payments.js';
import type {
  StripeDispute,
  StripeEvent,
  StripeList,
  StripePaymentIntent,
  StripeRefund,
} from './wire-types.js';

const PARALLEL_REQUESTS = 8;
/** Terminal intents never change, but need not live forever in Redis either. */
const TERMINAL_CACHE_TTL_SECONDS = 7 * 24 * 60 * 60;
/** How old a webhook's signed timestamp may be, as Stripe's own libraries default to. */
const WEBHOOK_TOLERANCE_SECONDS = 300;

const STATUSES: Record<string, PaymentStatus> = {
  requires_payment_method: 'REQUIRES_PAYMENT_METHOD',
  requires_confirmation: 'REQUIRES_CONFIRMATION',
  requires_action: 'REQUIRES_ACTION',
  processing: 'PROCESSING',
  // Authorised but not captured: for the learner the money is still on its way.
  requires_capture: 'PROCESSING',
  succeeded: 'SUCCEEDED',
  canceled: 'CANCELED',
};

const TERMINAL: ReadonlySet<PaymentStatus> = new Set(['SUCCEEDED', 'CANCELED']);

const REFUND_STATUSES: Record<string, Refund['status']> = {
  pending: 'PENDING',
  requires_action: 'PENDING',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  canceled: 'CANCELED',
};

/** The event types whose `data.object` is a PaymentIntent the gateway acts on. */
const PAYMENT_INTENT_EVENTS: ReadonlySet<string> = new Set([
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'payment_intent.processing',
]);

/**
 * The event types whose `data.object` (a Charge, a Dispute) names a PaymentIntent whose money
 * moved back at the processor: refunded from the dashboard, or disputed by the payer's bank.
 */
const REVERSAL_EVENTS: readonly string[] = ['charge.refunded', 'charge.dispute.created'];

/** Stripe's largest page. */
const LIST_LIMIT = 100;

export interface StripePaymentsOptions {
  redis: Redis | Cluster;
  keyPrefix: string;
  /** The endpoint's signing secret (`whsec_…`) that webhooks are verified with. */
  webhookSecret: string;
}

/** Payments over Stripe PaymentIntents; `http` must already send the Bearer secret key. */
export class StripePaymentConnector implements PaymentConnector {
  readonly provider = 'stripe';
  readonly #http: HttpClient;
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #webhookSecret: string;
  /** Terminal payments never change: this process keeps the recent ones, ahead of Redis. */
  readonly #terminal = new LRUCache<string, Payment>({ max: 10_000 });

  constructor(http: HttpClient, options: StripePaymentsOptions) {
    this.#http = http;
    this.#redis = options.redis;
    this.#prefix = `${options.keyPrefix}payments:stripe:pi:`;
    this.#webhookSecret = options.webhookSecret;
  }

  async getPayments(ids: readonly string[]): Promise<Map<string, Payment>> {
    const payments = new Map<string, Payment>();
    const notInMemory: string[] = [];
    for (const id of new Set(ids)) {
      if (id.length === 0) continue;
      const hit = this.#terminal.get(id);
      if (hit) payments.set(id, hit);
      else notInMemory.push(id);
    }
    for (const [id, payment] of await this.#cached(notInMemory)) {
      payments.set(id, payment);
      this.#terminal.set(id, payment);
    }
    const misses = notInMemory.filter((id) => !payments.has(id));
    const fetched = await mapConcurrent(misses, PARALLEL_REQUESTS, (id) => this.#fetch(id));
    await this.#cacheTerminal(fetched);
    misses.forEach((id, i) => {
      const payment = fetched[i];
      if (payment) payments.set(id, payment);
    });
    return payments;
  }

  async getFreshPayment(id: string): Promise<Payment | null> {
    if (id.length === 0) return null;
    const payment = await this.#fetch(id);
    await this.#cacheTerminal([payment]);
    return payment;
  }

  async createPayment(args: {
    amount: Money;
    idempotencyKey: string;
    orderId: string;
    metadata: Record<string, string>;
  }): Promise<Payment> {
    const intent = await this.#http.post<StripePaymentIntent>('/v1/payment_intents', {
      form: {
        amount: String(toMinorUnits(args.amount)),
        currency: args.amount.currencyCode.toLowerCase(),
        // The order id is written last so that no metadata entry can disown the payment.
        ...metadataForm({ ...args.metadata, order_id: args.orderId }),
        'automatic_payment_methods[enabled]': 'true',
      },
      headers: { 'idempotency-key': args.idempotencyKey },
    });
    return toPayment(intent);
  }

  async refundPayment(args: {
    paymentId: string;
    idempotencyKey: string;
    amount?: Money;
    metadata: Record<string, string>;
  }): Promise<Refund> {
    const refund = await this.#http.post<StripeRefund>('/v1/refunds', {
      form: {
        payment_intent: args.paymentId,
        ...(args.amount ? { amount: String(toMinorUnits(args.amount)) } : {}),
        ...metadataForm(args.metadata),
      },
      headers: { 'idempotency-key': args.idempotencyKey },
    });
    return toRefund(refund, args.paymentId);
  }

  async cancelPayment(paymentId: string): Promise<void> {
    // No Idempotency-Key: cancelling is idempotent by itself (a second call is refused, and the
    // caller settles by the payment as it is), and Stripe would replay a refusal (the payment was
    // processing) for a day to the next round's attempt, when the payment may be cancellable.
    await this.#http.post<StripePaymentIntent>('/v1/payment_intents/{id}/cancel', {
      params: { id: paymentId },
      form: { cancellation_reason: 'abandoned' },
    });
  }

  async getRefund(id: string): Promise<Refund | null> {
    try {
      const refund = await this.#http.get<StripeRefund>('/v1/refunds/{id}', { params: { id } });
      return toRefund(refund, refund.payment_intent ?? '');
    } catch (error) {
      if (error instanceof UpstreamRejectedError && error.statusCode === 404) return null;
      throw error;
    }
  }

  /** A payment has a handful of refunds and disputes at most: one page of each holds them all. */
  async getReversals(paymentId: string): Promise<PaymentReversals> {
    const query = new URLSearchParams({ payment_intent: paymentId, limit: String(LIST_LIMIT) });
    const [refunds, disputes] = await Promise.all([
      this.#http.get<StripeList<StripeRefund>>('/v1/refunds', { query }),
      this.#http.get<StripeList<StripeDispute>>('/v1/disputes', { query }),
    ]);
    return {
      refunds: refunds.data.map((refund): ProcessorRefund => ({
        ...toRefund(refund, paymentId),
        orderId: refund.metadata['order_id'] ?? null,
      })),
      disputeIds: disputes.data.map((dispute) => dispute.id),
    };
  }

  async listReversalEvents(since: number, limit: number): Promise<PaymentEvent[]> {
    const events: PaymentEvent[] = [];
    let after: string | undefined;
    while (events.length < limit) {
      const query = new URLSearchParams([
        ...REVERSAL_EVENTS.map((type) => ['types[]', type]),
        ['created[gte]', String(Math.floor(since))],
        ['limit', String(Math.min(limit - events.length, LIST_LIMIT))],
        ...(after ? [['starting_after', after]] : []),
      ]);
      const page = await this.#http.get<StripeList<StripeEvent>>('/v1/events', { query });
      events.push(...page.data.map(toPaymentEvent));
      after = page.data.at(-1)?.id;
      if (!page.has_more || !after) break;
    }
    return events;
  }

  /**
   * Verified by the official library (HMAC-SHA256 of `t.rawBody`, any matching `v1`, constant-time
   * comparison, at most 300 s old). `Stripe.webhooks` is static: no client, key or network.
   */
  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): PaymentEvent {
    let event: unknown;
    try {
      event = Stripe.webhooks.constructEvent(
        rawBody,
        signatureHeader ?? '',
        this.#webhookSecret,
        WEBHOOK_TOLERANCE_SECONDS,
      );
    } catch (error) {
      // Neither the library's error (it carries the header and the payload) nor its message
      // (which can quote the body) is kept: a logger must not write out a payment's details.
      throw new WebhookSignatureError(
        error instanceof SyntaxError
          ? 'The webhook body is not JSON'
          : error instanceof Stripe.errors.StripeSignatureVerificationError
            ? `The webhook signature is not valid (${verificationReason(error.message)})`
            : 'The webhook could not be verified',
      );
    }
    // The library rejects old timestamps only; one far in the future is as suspect.
    const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(signatureHeader ?? '')?.[1]);
    if (signedAt - Date.now() / 1000 > WEBHOOK_TOLERANCE_SECONDS) {
      throw new WebhookSignatureError(
        'The webhook signature is not valid (timestamp in the future)',
      );
    }
    return toPaymentEvent(event);
  }

  async checkReachable(): Promise<void> {
    await this.#http.get<unknown>('/v1/balance');
  }

  /**
   * Only the mapped payment of a terminal intent is cached: its client secret is already null,
   * so no secret ever lands in Redis.
   */
  async #cached(ids: string[]): Promise<Map<string, Payment>> {
    const found = new Map<string, Payment>();
    if (ids.length === 0) return found;
    // One GET per key, not MGET: in a cluster the keys live on different shards. Sent at once,
    // they still share round trips (auto-pipelined on one server).
    const values = await Promise.all(ids.map((id) => this.#redis.get(this.#prefix + id)));
    ids.forEach((id, i) => {
      const value = values[i];
      if (!value) return;
      try {
        const payment = JSON.parse(value) as Partial<Payment>;
        // An entry written before a field existed is a miss; the fresh answer overwrites it.
        if (payment.orderId !== undefined && payment.lastErrorCode !== undefined) {
          found.set(id, payment as Payment);
        }
      } catch {
        // A corrupt entry is a miss; the fresh answer overwrites it.
      }
    });
    return found;
  }

  async #cacheTerminal(payments: readonly (Payment | null)[]): Promise<void> {
    const terminal = payments.filter((p): p is Payment => p !== null && TERMINAL.has(p.status));
    if (terminal.length === 0) return;
    for (const payment of terminal) this.#terminal.set(payment.id, payment);
    await Promise.all(
      terminal.map((payment) =>
        this.#redis.set(
          this.#prefix + payment.id,
          JSON.stringify(payment),
          'EX',
          TERMINAL_CACHE_TTL_SECONDS,
        ),
      ),
    );
  }

  async #fetch(id: string): Promise<Payment | null> {
    try {
      const intent = await this.#http.get<StripePaymentIntent>('/v1/payment_intents/{id}', {
        params: { id },
      });
      return toPayment(intent);
    } catch (error) {
      if (error instanceof UpstreamRejectedError && error.statusCode === 404) return null;
      throw error;
    }
  }
}

export function toPayment(intent: StripePaymentIntent): Payment {
  // A status Stripe adds later is shown as in progress: never as paid, never as payable again.
  const status = STATUSES[intent.status] ?? 'PROCESSING';
  return {
    id: intent.id,
    provider: 'stripe',
    status,
    amount: fromMinorUnits(intent.amount, intent.currency),
    clientSecret: TERMINAL.has(status) ? null : intent.client_secret,
    orderId: intent.metadata?.['order_id'] ?? null,
    lastErrorCode: intent.last_payment_error?.code ?? null,
  };
}

export function toRefund(refund: StripeRefund, paymentId: string): Refund {
  return {
    id: refund.id,
    paymentId: refund.payment_intent ?? paymentId,
    // A status Stripe adds later is shown as still pending: never as done, never as failed.
    status: REFUND_STATUSES[refund.status] ?? 'PENDING',
    amount: fromMinorUnits(refund.amount, refund.currency),
  };
}

/**
 * Stripe's bracket syntax, keys sorted: a retry with the same idempotency key must send the same
 * parameters, whatever order the caller built its metadata in.
 */
function metadataForm(metadata: Record<string, string>): Record<string, string> {
  const form: Record<string, string> = {};
  for (const key of Object.keys(metadata).sort()) {
    form[`metadata[${key}]`] = metadata[key] ?? '';
  }
  return form;
}

/** The first line of the library's message: fixed text that never quotes the header or body. */
function verificationReason(message: string): string {
  return (message.split('\n')[0] ?? '').trim().slice(0, 120);
}

function toPaymentEvent(value: unknown): PaymentEvent {
  const event = value as Partial<StripeEvent> | null;
  if (
    typeof event !== 'object' ||
    event === null ||
    typeof event.id !== 'string' ||
    typeof event.type !== 'string'
  ) {
    throw new WebhookSignatureError('The webhook body is not a Stripe event');
  }
  const created = typeof event.created === 'number' ? event.created : 0;
  const object = event.data?.object;
  const kind = PAYMENT_INTENT_EVENTS.has(event.type)
    ? 'payment'
    : REVERSAL_EVENTS.includes(event.type)
      ? 'reversal'
      : null;
  if (kind === null)
    return { id: event.id, type: event.type, paymentId: null, kind: 'payment', created };
  // A PaymentIntent names itself; a Charge or a Dispute names its PaymentIntent. A charge made
  // without one (not by this gateway) concerns no order: ignored like an unknown type.
  const paymentId: unknown = kind === 'payment' ? object?.id : object?.payment_intent;
  if (kind === 'reversal' && (paymentId === null || paymentId === undefined)) {
    return { id: event.id, type: event.type, paymentId: null, kind, created };
  }
  if (typeof paymentId !== 'string' || paymentId.length === 0) {
    throw new WebhookSignatureError('The webhook event names no payment');
  }
  return { id: event.id, type: event.type, paymentId, kind, created };
}
