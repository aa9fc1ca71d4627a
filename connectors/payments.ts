import type { Money } from './money.js';

/** The processor's payment states, named provider-neutrally (Stripe's map one to one). */
export type PaymentStatus =
  | 'REQUIRES_PAYMENT_METHOD'
  | 'REQUIRES_CONFIRMATION'
  | 'REQUIRES_ACTION'
  | 'PROCESSING'
  | 'SUCCEEDED'
  | 'CANCELED';

export interface Payment {
  id: string;
  provider: string;
  status: PaymentStatus;
  amount: Money;
  /** Handed to the payer's browser to confirm the payment; null once it no longer can be. */
  clientSecret: string | null;
  /** The order it pays for, as recorded at the processor when it was created. */
  orderId: string | null;
  /** The processor's code for the last failed attempt (e.g. card_declined), or null. */
  lastErrorCode: string | null;
}

export interface Refund {
  id: string;
  paymentId: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
  amount: Money;
}

/** A refund as listed at the processor, whoever made it. */
export interface ProcessorRefund extends Refund {
  /** The order the gateway made it for (its metadata); null for one made at the processor. */
  orderId: string | null;
}

/** The money moved back on a payment: its refunds and disputes, as the processor has them now. */
export interface PaymentReversals {
  refunds: ProcessorRefund[];
  /** Ids of the disputes (chargebacks) opened on the payment. */
  disputeIds: string[];
}

/** What a processor's webhook said, reduced to what the gateway acts on. */
export interface PaymentEvent {
  /** The processor's event id: the same event delivered twice carries the same id. */
  id: string;
  /** The processor's own event type, e.g. payment_intent.succeeded. */
  type: string;
  /** The payment it concerns, when it concerns one the gateway acts on; null for the rest. */
  paymentId: string | null;
  /**
   * What happened to the payment: its own progress (`payment`), or money moved back at the
   * processor (`reversal`: a refund or a dispute).
   */
  kind: 'payment' | 'reversal';
  /** Unix seconds. */
  created: number;
}

/** The webhook's signature is missing, malformed, wrong or outside the tolerance. */
export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
}

/** The payment processor (first implementation: Stripe PaymentIntents). */
export interface PaymentConnector {
  readonly provider: string;
  /** Payments by id; unknown ids are absent from the map. */
  getPayments(ids: readonly string[]): Promise<Map<string, Payment>>;
  /** The payment as the processor has it now, never from a cache; null when unknown. */
  getFreshPayment(id: string): Promise<Payment | null>;
  /**
   * Creates a payment awaiting the payer's confirmation. The same idempotency key always returns
   * the same payment, so a retried purchase never charges twice.
   */
  createPayment(args: {
    amount: Money;
    idempotencyKey: string;
    orderId: string;
    metadata: Record<string, string>;
  }): Promise<Payment>;
  /**
   * Refunds a succeeded payment, in full or `amount` of it; idempotent on the key like
   * createPayment. The metadata's `order_id` marks it as the gateway's own.
   */
  refundPayment(args: {
    paymentId: string;
    idempotencyKey: string;
    amount?: Money;
    metadata: Record<string, string>;
  }): Promise<Refund>;
  /**
   * Ends a payment its payer never completed (an abandoned checkout), so it can no longer be
   * paid. Fails when the payment has moved on (paid, being paid, already ended): the caller then
   * settles the order by the payment as it is.
   */
  cancelPayment(paymentId: string): Promise<void>;
  /** A refund by id, as the processor has it now; null when unknown. */
  getRefund(id: string): Promise<Refund | null>;
  /** The payment's refunds and disputes as the processor has them now, never from a cache. */
  getReversals(paymentId: string): Promise<PaymentReversals>;
  /**
   * Refund and dispute events created since `since` (unix seconds), for the reconciler to catch a
   * webhook that never arrived; newest first, at most `limit`.
   */
  listReversalEvents(since: number, limit: number): Promise<PaymentEvent[]>;
  /** Verifies a webhook over its raw body; throws WebhookSignatureError when it is not genuine. */
  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): PaymentEvent;
  checkReachable(): Promise<void>;
}
