/** Stripe's JSON, as far as the gateway reads it (docs/upstream-apis.md). */

export type StripePaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export interface StripePaymentIntent {
  id: string;
  object: 'payment_intent';
  /** Minor units of `currency`. */
  amount: number;
  amount_received: number;
  /** Lower case, e.g. "usd". */
  currency: string;
  status: StripePaymentIntentStatus;
  client_secret: string | null;
  /** Unix seconds. */
  created: number;
  latest_charge: string | null;
  metadata: Record<string, string>;
  last_payment_error: { code?: string; message?: string; type?: string } | null;
}

export interface StripeErrorBody {
  error: { type: string; code?: string; message?: string };
}

export type StripeRefundStatus =
  'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

export interface StripeRefund {
  id: string;
  object: 'refund';
  /** Minor units of `currency`. */
  amount: number;
  currency: string;
  payment_intent: string | null;
  status: StripeRefundStatus;
  created: number;
  metadata: Record<string, string>;
}

/** A chargeback: the payer's bank took the money back, pending evidence. */
export interface StripeDispute {
  id: string;
  object: 'dispute';
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string | null;
  reason: string;
  status: string;
  created: number;
}

/** A page of a list endpoint. */
export interface StripeList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

/**
 * A webhook event's envelope; `data.object` is a PaymentIntent, Refund, Charge or Dispute (the
 * last two name their PaymentIntent in `payment_intent`).
 */
export interface StripeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  data: { object: { id?: unknown; object?: unknown; payment_intent?: unknown } };
}
