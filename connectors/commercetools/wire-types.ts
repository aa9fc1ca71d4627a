/** commercetools' JSON, as far as the gateway reads it (docs/upstream-apis.md). */

export interface CtMoney {
  type: 'centPrecision' | 'highPrecision';
  currencyCode: string;
  /** Minor units of the currency. */
  centAmount: number;
  fractionDigits: number;
}

export interface CtCustomFields<F> {
  type: { typeId: 'type'; key?: string; id?: string };
  fields: Partial<F>;
}

export interface CtOrderFields {
  lmsUserId: string;
  lmsUsername: string;
  status: string;
  paymentProvider: string;
  paymentId: string;
  refundId: string;
  idempotencyKey: string;
}

export interface CtLineFields {
  courseRunKey: string;
  mode: string;
  status: string;
}

export interface CtLineItem {
  id: string;
  productId: string;
  name: Record<string, string>;
  variant: { id: number; sku?: string };
  quantity: number;
  price: { id: string; value: CtMoney };
  totalPrice: CtMoney;
  custom?: CtCustomFields<CtLineFields>;
}

export type CtOrderState = 'Open' | 'Confirmed' | 'Complete' | 'Cancelled';
export type CtPaymentState = 'Pending' | 'Paid' | 'Failed' | 'BalanceDue' | 'CreditOwed';

export interface CtOrder {
  id: string;
  version: number;
  orderNumber?: string;
  customerEmail?: string;
  createdAt: string;
  lastModifiedAt: string;
  orderState: CtOrderState;
  paymentState?: CtPaymentState | null;
  totalPrice: CtMoney;
  lineItems: CtLineItem[];
  custom?: CtCustomFields<CtOrderFields>;
}

export interface CtPagedQuery<T> {
  limit: number;
  offset: number;
  count: number;
  total?: number;
  results: T[];
}

export interface CtTokenResponse {
  access_token: string;
  token_type: string;
  /** Seconds. */
  expires_in: number;
  scope: string;
}
