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
}

/** The payment processor (first implementation: Stripe PaymentIntents). */
export interface PaymentConnector {
  readonly provider: string;
  /** Payments by id; unknown ids are absent from the map. */
  getPayments(ids: readonly string[]): Promise<Map<string, Payment>>;
  checkReachable(): Promise<void>;
}
