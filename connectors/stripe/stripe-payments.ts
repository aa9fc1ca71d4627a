import type { Redis } from 'ioredis';

import { mapConcurrent, type HttpClient } from '../http-client.js';
import { UpstreamRejectedError } from '../errors.js';
import { fromMinorUnits } from '../money.js';
import type { Payment, PaymentConnector, PaymentStatus } from '../payments.js';
import type { StripePaymentIntent } from './wire-types.js';

const PARALLEL_REQUESTS = 8;
/** Terminal intents never change, but need not live forever in Redis either. */
const TERMINAL_CACHE_TTL_SECONDS = 7 * 24 * 60 * 60;

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

export interface StripePaymentsOptions {
  redis: Redis;
  keyPrefix: string;
}

/** Payments over Stripe PaymentIntents; `http` must already send the Bearer secret key. */
export class StripePaymentConnector implements PaymentConnector {
  readonly provider = 'stripe';
  readonly #http: HttpClient;
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(http: HttpClient, options: StripePaymentsOptions) {
    this.#http = http;
    this.#redis = options.redis;
    this.#prefix = `${options.keyPrefix}payments:stripe:pi:`;
  }

  async getPayments(ids: readonly string[]): Promise<Map<string, Payment>> {
    const wanted = [...new Set(ids)].filter((id) => id.length > 0);
    const payments = await this.#cached(wanted);
    const misses = wanted.filter((id) => !payments.has(id));
    const fetched = await mapConcurrent(misses, PARALLEL_REQUESTS, (id) => this.#fetch(id));
    const terminal = fetched.filter((p): p is Payment => p !== null && TERMINAL.has(p.status));
    if (terminal.length > 0) {
      const pipeline = this.#redis.pipeline();
      for (const payment of terminal) {
        pipeline.set(
          this.#prefix + payment.id,
          JSON.stringify(payment),
          'EX',
          TERMINAL_CACHE_TTL_SECONDS,
        );
      }
      await pipeline.exec();
    }
    misses.forEach((id, i) => {
      const payment = fetched[i];
      if (payment) payments.set(id, payment);
    });
    return payments;
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
    const values = await this.#redis.mget(ids.map((id) => this.#prefix + id));
    ids.forEach((id, i) => {
      const value = values[i];
      if (!value) return;
      try {
        found.set(id, JSON.parse(value) as Payment);
      } catch {
        // A corrupt entry is a miss; the fresh answer overwrites it.
      }
    });
    return found;
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
  };
}
