import { fromMinorUnits, type Money } from '../money.js';
import {
  LINE_STATUSES,
  ORDER_STATUSES,
  type LineStatus,
  type Order,
  type OrderLine,
  type OrderStatus,
} from '../orders.js';
import type { CtLineItem, CtMoney, CtOrder } from './wire-types.js';

/**
 * An order or line whose stored status is missing or unknown (written by hand, or by a newer
 * gateway) is shown in the error state: it claims neither success nor an open payment, so no
 * workflow fulfils, charges or refunds it automatically, and an operator notices it.
 */
const UNKNOWN_ORDER_STATUS: OrderStatus = 'FULFILLMENT_ERROR';
const UNKNOWN_LINE_STATUS: LineStatus = 'FULFILLMENT_ERROR';

export function toOrder(order: CtOrder): Order {
  const fields = order.custom?.fields ?? {};
  const provider = fields.paymentProvider;
  const paymentId = fields.paymentId;
  return {
    id: order.id,
    version: order.version,
    number: order.orderNumber ?? order.id,
    ownerId: fields.lmsUserId ?? '',
    ownerUsername: fields.lmsUsername ?? '',
    status: oneOf(ORDER_STATUSES, fields.status) ?? UNKNOWN_ORDER_STATUS,
    placedAt: order.createdAt,
    total: toMoney(order.totalPrice),
    payment: provider && paymentId ? { provider, id: paymentId } : null,
    lines: order.lineItems.map(toLine),
  };
}

function toLine(line: CtLineItem): OrderLine {
  const fields = line.custom?.fields ?? {};
  return {
    id: line.id,
    sku: line.variant.sku ?? line.productId,
    courseRunKey: fields.courseRunKey ?? '',
    mode: fields.mode ?? '',
    price: toMoney(line.price.value),
    status: oneOf(LINE_STATUSES, fields.status) ?? UNKNOWN_LINE_STATUS,
  };
}

/** centAmount is in the currency's minor units whatever the money type, so fractionDigits is not needed. */
function toMoney(money: CtMoney): Money {
  return fromMinorUnits(money.centAmount, money.currencyCode);
}

function oneOf<T extends string>(allowed: readonly T[], value: string | undefined): T | undefined {
  return (allowed as readonly string[]).includes(value ?? '') ? (value as T) : undefined;
}
