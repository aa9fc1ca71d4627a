import { currencyFractionDigits, fromMinorUnits, toMinorUnits, type Money } from '../money.js';
import {
  LINE_STATUSES,
  ORDER_STATUSES,
  type LineStatus,
  type NewOrder,
  type Order,
  type OrderChange,
  type OrderLine,
  type OrderStatus,
} from '../orders.js';
import type {
  CtLineItem,
  CtMoney,
  CtOrder,
  CtOrderFields,
  CtOrderImportDraft,
  CtOrderState,
  CtOrderUpdateAction,
  CtPaymentState,
} from './wire-types.js';

/** The custom types (created once per project) whose fields hold the gateway's own state. */
export const ORDER_TYPE_KEY = 'commerce-gateway-order';
export const LINE_TYPE_KEY = 'commerce-gateway-line';

/**
 * An order or line whose stored status is missing or unknown (written by hand, or by a newer
 * gateway) is shown in the error state: it claims neither success nor an open payment, so no
 * workflow fulfils, charges or refunds it automatically, and an operator notices it.
 */
const UNKNOWN_ORDER_STATUS: OrderStatus = 'FULFILLMENT_ERROR';
const UNKNOWN_LINE_STATUS: LineStatus = 'FULFILLMENT_ERROR';

/**
 * commercetools' own `orderState` and `paymentState` for each gateway status, so that the Merchant
 * Center and anything else reading the project see where an order stands. The custom `status`
 * field stays the gateway's source of truth; these are derived and never read back.
 *
 * - Open: nothing has been paid for yet (awaiting payment, or the payment failed).
 * - Confirmed: paid, delivery under way or stuck (FULFILLMENT_ERROR waits for an operator).
 * - Complete: every line delivered; a refund being made or stuck does not undo that yet.
 * - Cancelled: refunded and access revoked.
 * - CreditOwed while money is owed back (REFUND_PENDING, REFUND_ERROR). A REFUNDED order is
 *   Paid, i.e. settled: nothing is owed either way any more (as the sandbox's seeded refunded
 *   orders are stored).
 */
export const CT_STATES: Readonly<
  Record<OrderStatus, { orderState: CtOrderState; paymentState: CtPaymentState }>
> = {
  PENDING_PAYMENT: { orderState: 'Open', paymentState: 'Pending' },
  PAYMENT_FAILED: { orderState: 'Open', paymentState: 'Failed' },
  PAID: { orderState: 'Confirmed', paymentState: 'Paid' },
  FULFILLING: { orderState: 'Confirmed', paymentState: 'Paid' },
  FULFILLMENT_ERROR: { orderState: 'Confirmed', paymentState: 'Paid' },
  FULFILLED: { orderState: 'Complete', paymentState: 'Paid' },
  REFUND_PENDING: { orderState: 'Complete', paymentState: 'CreditOwed' },
  REFUND_ERROR: { orderState: 'Complete', paymentState: 'CreditOwed' },
  REFUNDED: { orderState: 'Cancelled', paymentState: 'Paid' },
  // Some lines given back, the rest delivered and paid for: settled either way.
  PARTIALLY_REFUNDED: { orderState: 'Complete', paymentState: 'Paid' },
  // The bank took the money back and the access is gone; the payer owes it unless the dispute is won.
  DISPUTED: { orderState: 'Cancelled', paymentState: 'BalanceDue' },
};

export function toOrder(order: CtOrder): Order {
  const fields = order.custom?.fields ?? {};
  const provider = fields.paymentProvider;
  const paymentId = fields.paymentId;
  const lines = order.lineItems.map(toLine);
  return {
    id: order.id,
    version: order.version,
    number: order.orderNumber ?? order.id,
    ownerId: fields.lmsUserId ?? '',
    ownerUsername: fields.lmsUsername ?? '',
    ownerEmail: order.customerEmail ?? null,
    status: oneOf(ORDER_STATUSES, fields.status) ?? UNKNOWN_ORDER_STATUS,
    placedAt: order.createdAt,
    total: toMoney(order.totalPrice),
    payment: provider && paymentId ? { provider, id: paymentId } : null,
    lines,
    discount:
      fields.discountCode && fields.discountCodeId
        ? {
            code: fields.discountCode,
            codeId: fields.discountCodeId,
            amount: fromMinorUnits(
              lines.reduce((sum, line) => sum + toMinorUnits(line.discount), 0),
              order.totalPrice.currencyCode,
            ),
          }
        : null,
    idempotencyKey: fields.idempotencyKey ?? null,
    refundId: fields.refundId ?? null,
    refundRequestKey: fields.refundRequestKey ?? null,
    refundLineIds: fields.refundLineIds ? fields.refundLineIds.split(',') : [],
    refundAtProcessor: fields.refundAtProcessor === 'true',
    processorRefundedMinor: Number(fields.processorRefundedMinor ?? 0) || 0,
  };
}

/** A new order as an OrderImportDraft: every line starts PENDING, one seat per line. */
export function toImportDraft(order: NewOrder): CtOrderImportDraft {
  const currency = order.total.currencyCode.toUpperCase();
  for (const line of order.lines) {
    if (line.price.currencyCode.toUpperCase() !== currency) {
      throw new RangeError(`Line ${line.sku} is priced in another currency than the order`);
    }
  }
  return {
    orderNumber: order.number,
    ...(order.ownerEmail ? { customerEmail: order.ownerEmail } : {}),
    ...CT_STATES[order.status],
    totalPrice: toCtMoney(order.total),
    lineItems: order.lines.map((line) => ({
      productId: line.sku,
      name: { en: line.title },
      variant: { sku: line.sku },
      quantity: 1,
      price: { value: toCtMoney(line.price) },
      // As commercetools prices a discounted line: its total is after the discount.
      totalPrice: toCtMoney(discounted(line.price, line.discount)),
      custom: {
        type: { typeId: 'type', key: LINE_TYPE_KEY },
        fields: { courseRunKey: line.courseRunKey, mode: line.mode, status: 'PENDING' },
      },
    })),
    custom: {
      type: { typeId: 'type', key: ORDER_TYPE_KEY },
      fields: {
        lmsUserId: order.ownerId,
        lmsUsername: order.ownerUsername,
        status: order.status,
        idempotencyKey: order.idempotencyKey,
        ...(order.discountCode
          ? { discountCode: order.discountCode.code, discountCodeId: order.discountCode.id }
          : {}),
      },
    },
  };
}

/**
 * The update actions for a change. A new status also sets the commercetools states it implies.
 * When the caller says which status the order has at the version it updates (the workflows pass
 * the order they read), a state is only changed when it differs; that knowledge is exact, since
 * the update fails on any other version. Otherwise both states are sent: setting a state to its
 * current value changes nothing.
 */
export function toUpdateActions(
  change: OrderChange,
  currentStatus?: OrderStatus,
): CtOrderUpdateAction[] {
  const actions: CtOrderUpdateAction[] = [];
  const set = (name: keyof CtOrderFields, value: string | null) =>
    actions.push(
      value === null
        ? { action: 'setCustomField', name }
        : { action: 'setCustomField', name, value },
    );
  const known = oneOf(ORDER_STATUSES, currentStatus);
  const next = change.status;
  if (next !== undefined && next !== known) set('status', next);
  if (change.payment !== undefined) {
    set('paymentProvider', change.payment.provider);
    set('paymentId', change.payment.id);
  }
  if (change.refundId !== undefined) set('refundId', change.refundId);
  if (change.refundRequestKey !== undefined) set('refundRequestKey', change.refundRequestKey);
  if (change.refundLineIds !== undefined) {
    set('refundLineIds', change.refundLineIds.length > 0 ? change.refundLineIds.join(',') : null);
  }
  if (change.refundAtProcessor !== undefined) {
    set('refundAtProcessor', change.refundAtProcessor ? 'true' : null);
  }
  if (change.processorRefundedMinor !== undefined) {
    set('processorRefundedMinor', String(change.processorRefundedMinor));
  }
  for (const [lineItemId, status] of Object.entries(change.lineStatuses ?? {})) {
    actions.push({ action: 'setLineItemCustomField', lineItemId, name: 'status', value: status });
  }
  if (next !== undefined) {
    const from = known === undefined ? undefined : CT_STATES[known];
    const to = CT_STATES[next];
    if (to.orderState !== from?.orderState) {
      actions.push({ action: 'changeOrderState', orderState: to.orderState });
    }
    if (to.paymentState !== from?.paymentState) {
      actions.push({ action: 'changePaymentState', paymentState: to.paymentState });
    }
  }
  return actions;
}

function toLine(line: CtLineItem): OrderLine {
  const fields = line.custom?.fields ?? {};
  const off = line.price.value.centAmount * line.quantity - line.totalPrice.centAmount;
  return {
    id: line.id,
    sku: line.variant.sku ?? line.productId,
    courseRunKey: fields.courseRunKey ?? '',
    mode: fields.mode ?? '',
    price: toMoney(line.price.value),
    discount: fromMinorUnits(Math.max(off, 0), line.price.value.currencyCode),
    status: oneOf(LINE_STATUSES, fields.status) ?? UNKNOWN_LINE_STATUS,
  };
}

/** centAmount is in the currency's minor units whatever the money type, so fractionDigits is not needed. */
function toMoney(money: CtMoney): Money {
  return fromMinorUnits(money.centAmount, money.currencyCode);
}

function discounted(price: Money, discount: Money | undefined): Money {
  if (!discount) return price;
  return fromMinorUnits(toMinorUnits(price) - toMinorUnits(discount), price.currencyCode);
}

export function toCtMoney(money: Money): CtMoney {
  const currencyCode = money.currencyCode.toUpperCase();
  return {
    type: 'centPrecision',
    currencyCode,
    centAmount: toMinorUnits(money),
    fractionDigits: currencyFractionDigits(currencyCode),
  };
}

function oneOf<T extends string>(allowed: readonly T[], value: string | undefined): T | undefined {
  return (allowed as readonly string[]).includes(value ?? '') ? (value as T) : undefined;
}
