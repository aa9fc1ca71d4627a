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

/** What a processor's webhook said, reduced to what the gateway acts on. */
export interface PaymentEvent {
  /** The processor's event id: the same event delivered twice carries the same id. */
  id: string;
  /** The processor's own event type, e.g. payment_intent.succeeded. */
  type: string;
  /** The payment it concerns, when it concerns one the gateway acts on; null for the rest. */
  paymentId: string | null;
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
  /** Refunds a succeeded payment in full; idempotent on the key like createPayment. */
  refundPayment(args: {
    paymentId: string;
    idempotencyKey: string;
    metadata: Record<string, string>;
  }): Promise<Refund>;
  /** Verifies a webhook over its raw body; throws WebhookSignatureError when it is not genuine. */
  parseWebhook(rawBody: Buffer, signatureHeader: string | undefined): PaymentEvent;
  checkReachable(): Promise<void>;
}
