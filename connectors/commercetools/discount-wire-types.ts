/** commercetools' cart discounts and discount codes, as far as the gateway reads them. */
import type { CtCustomFields, CtMoney } from './wire-types.js';

export interface CtCartDiscountValue {
  /** relative, absolute, fixed, giftLineItem: only the first two are applied by the gateway. */
  type: string;
  permyriad?: number;
  money?: CtMoney[];
}

export interface CtCartDiscountTarget {
  /** lineItems, customLineItems, shipping, totalPrice…: only lineItems is applied by the gateway. */
  type: string;
  predicate?: string;
}

export interface CtCartDiscount {
  id: string;
  version: number;
  key?: string;
  name: Record<string, string>;
  value: CtCartDiscountValue;
  cartPredicate: string;
  target?: CtCartDiscountTarget;
  /** A decimal between 0 and 1 as a string; the higher applies first. */
  sortOrder: string;
  isActive: boolean;
  validFrom?: string;
  validUntil?: string;
  requiresDiscountCode: boolean;
  stackingMode?: 'Stacking' | 'StopAfterThisDiscount';
}

export interface CtCartDiscountReference {
  typeId: 'cart-discount';
  id: string;
  /** Present when the request asked for `expand=cartDiscounts[*]`. */
  obj?: CtCartDiscount;
}

export interface CtDiscountCodeFields {
  /** The purchases holding a use, as `<LMS user id>/<purchase idempotency key>`. */
  gatewayUses: string[];
}

export interface CtDiscountCode {
  id: string;
  version: number;
  code: string;
  cartDiscounts: CtCartDiscountReference[];
  cartPredicate?: string;
  isActive: boolean;
  maxApplications?: number;
  maxApplicationsPerCustomer?: number;
  validFrom?: string;
  validUntil?: string;
  custom?: CtCustomFields<CtDiscountCodeFields>;
}

export type CtDiscountCodeUpdateAction =
  | { action: 'setCustomField'; name: keyof CtDiscountCodeFields; value: string[] }
  | {
      action: 'setCustomType';
      type: { typeId: 'type'; key: string };
      fields: Partial<CtDiscountCodeFields>;
    };
