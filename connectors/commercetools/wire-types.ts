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
  refundRequestKey: string;
  /** Comma-separated line item ids. */
  refundLineIds: string;
  /** "true" when the refund in progress was made at the processor. */
  refundAtProcessor: string;
  /** An integer count of minor units. */
  processorRefundedMinor: string;
  idempotencyKey: string;
  discountCode: string;
  discountCodeId: string;
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

/** A LineItemImportDraft, as the gateway writes it. */
export interface CtLineItemImportDraft {
  productId: string;
  name: Record<string, string>;
  variant: { sku: string };
  quantity: number;
  price: { value: CtMoney };
  totalPrice: CtMoney;
  custom: CtCustomFieldsDraft<CtLineFields>;
}

export interface CtCustomFieldsDraft<F> {
  type: { typeId: 'type'; key: string };
  fields: Partial<F>;
}

/** An OrderImportDraft, as the gateway writes it. */
export interface CtOrderImportDraft {
  orderNumber: string;
  customerEmail?: string;
  orderState: CtOrderState;
  paymentState: CtPaymentState;
  totalPrice: CtMoney;
  lineItems: CtLineItemImportDraft[];
  custom: CtCustomFieldsDraft<CtOrderFields>;
}

/** The order update actions the gateway uses. */
export type CtOrderUpdateAction =
  /** Without a value, the field is removed. */
  | { action: 'setCustomField'; name: keyof CtOrderFields; value?: string }
  | {
      action: 'setLineItemCustomField';
      lineItemId: string;
      name: keyof CtLineFields;
      value: string;
    }
  | { action: 'changeOrderState'; orderState: CtOrderState }
  | { action: 'changePaymentState'; paymentState: CtPaymentState };

export interface CtOrderUpdate {
  version: number;
  actions: CtOrderUpdateAction[];
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
