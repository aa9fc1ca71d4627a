import { isRecord } from './http-server.js';
import { randomUUID } from './ids.js';
import { ReadCache } from './read-cache.js';
import { matches, orderComparator } from './commercetools-predicate.js';
import type { Predicate, SortKey } from './commercetools-predicate.js';

export interface Money {
  type: 'centPrecision';
  currencyCode: string;
  centAmount: number;
  fractionDigits: number;
}

export interface CustomFields {
  type: { typeId: 'type'; key: string };
  fields: Record<string, unknown>;
}

export interface LineItem {
  id: string;
  productId: string;
  name: Record<string, string>;
  variant: { id: number; sku: string };
  quantity: number;
  price: { id: string; value: Money };
  totalPrice: Money;
  custom?: CustomFields;
}

export interface Order {
  id: string;
  version: number;
  orderNumber?: string;
  customerEmail?: string;
  createdAt: string;
  lastModifiedAt: string;
  orderState: string;
  paymentState?: string;
  totalPrice: Money;
  lineItems: LineItem[];
  custom?: CustomFields;
}

/** A commercetools error: `{ statusCode, message, errors: [{ code, message, … }] }`. */
export class CommercetoolsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  body(): unknown {
    return {
      statusCode: this.status,
      message: this.message,
      errors: [{ code: this.code, message: this.message, ...this.extra }],
    };
  }
}

const ORDER_STATES = ['Open', 'Confirmed', 'Complete', 'Cancelled'];
const PAYMENT_STATES = ['Pending', 'Paid', 'Failed', 'BalanceDue', 'CreditOwed'];

/** 400 InvalidInput, as commercetools answers a malformed draft or action. */
export const invalid = (message: string, extra: Record<string, unknown> = {}): CommercetoolsError =>
  new CommercetoolsError(400, 'InvalidInput', message, extra);
/** 400 RequiredField, naming the field that is missing. */
export const required = (field: string): CommercetoolsError =>
  new CommercetoolsError(400, 'RequiredField', `A value is required for field ${field}.`, {
    field,
  });

/** The field as a JSON object, or the error commercetools gives. */
export function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) throw required(field);
  if (!isRecord(value)) throw invalid(`'${field}' must be a JSON object.`);
  return value;
}

/** The field as a non-empty string, or the error commercetools gives. */
export function asString(value: unknown, field: string): string {
  if (value === undefined || value === null) throw required(field);
  if (typeof value !== 'string' || value === '')
    throw invalid(`'${field}' must be a non-empty string.`);
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : asString(value, field);
}

function asEnum(value: unknown, allowed: readonly string[], field: string): string {
  const text = asString(value, field);
  if (!allowed.includes(text))
    throw invalid(`'${field}' must be one of ${allowed.join(', ')}; got '${text}'.`);
  return text;
}

function asMoney(value: unknown, field: string): Money {
  const money = asRecord(value, field);
  const currencyCode = asString(money.currencyCode, `${field}.currencyCode`);
  if (!/^[A-Z]{3}$/.test(currencyCode))
    throw invalid(`'${field}.currencyCode' must be an ISO 4217 code; got '${currencyCode}'.`);
  const { centAmount, fractionDigits = 2, type = 'centPrecision' } = money;
  if (typeof centAmount !== 'number' || !Number.isSafeInteger(centAmount) || centAmount < 0) {
    throw invalid(`'${field}.centAmount' must be a non-negative integer.`);
  }
  if (
    type !== 'centPrecision' ||
    typeof fractionDigits !== 'number' ||
    !Number.isInteger(fractionDigits)
  ) {
    throw invalid(`'${field}' must be a centPrecision amount.`);
  }
  return { type: 'centPrecision', currencyCode, centAmount, fractionDigits };
}

function asCustom(value: unknown, field: string): CustomFields | undefined {
  if (value === undefined || value === null) return undefined;
  return asCustomFields(value, field);
}

/** A resource's `custom` (a type reference by key and its fields), as every resource takes it. */
export function asCustomFields(value: unknown, field: string): CustomFields {
  const custom = asRecord(value, field);
  const type = asRecord(custom.type, `${field}.type`);
  const fields = custom.fields === undefined ? {} : asRecord(custom.fields, `${field}.fields`);
  return {
    type: { typeId: 'type', key: asString(type.key, `${field}.type.key`) },
    fields: { ...fields },
  };
}

function asLineItem(value: unknown, index: number, currency: string): LineItem {
  const field = `lineItems[${index}]`;
  const draft = asRecord(value, field);
  const name = asRecord(draft.name, `${field}.name`);
  if (!Object.values(name).every((text) => typeof text === 'string'))
    throw invalid(`'${field}.name' must be a LocalizedString.`);
  const quantity = draft.quantity ?? 1;
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1) {
    throw invalid(`'${field}.quantity' must be a positive integer.`);
  }
  const price = asMoney(asRecord(draft.price, `${field}.price`).value, `${field}.price.value`);
  const totalPrice =
    draft.totalPrice === undefined
      ? { ...price, centAmount: price.centAmount * quantity }
      : asMoney(draft.totalPrice, `${field}.totalPrice`);
  if (price.currencyCode !== currency || totalPrice.currencyCode !== currency) {
    throw invalid(`The currency of ${field} differs from the order's currency ${currency}.`);
  }
  const sku = asString(asRecord(draft.variant, `${field}.variant`).sku, `${field}.variant.sku`);
  const custom = asCustom(draft.custom, `${field}.custom`);
  return {
    id: randomUUID(),
    productId: asString(draft.productId, `${field}.productId`),
    name: name as Record<string, string>,
    variant: { id: 1, sku },
    quantity,
    price: { id: randomUUID(), value: price },
    totalPrice,
    ...(custom ? { custom } : {}),
  };
}

export interface OrderQuery {
  where: readonly Predicate[];
  sort: readonly SortKey[];
  limit: number;
  offset: number;
  withTotal: boolean;
}

/** The project's orders, in memory. */
export class OrderStore {
  private readonly orders = new Map<string, Order>();
  private readonly orderNumbers = new Set<string>();
  /** Answers of order queries, dropped at every change to an order. */
  readonly reads = new ReadCache();

  /** Creates an order from an OrderImportDraft; `createdAt` is honoured (the seed needs it). */
  import(value: unknown, ids: { id?: string; lineIds?: readonly string[] } = {}): Order {
    const draft = asRecord(value, 'body');
    const totalPrice = asMoney(draft.totalPrice, 'totalPrice');
    if (!Array.isArray(draft.lineItems) || draft.lineItems.length === 0)
      throw required('lineItems');
    const lineItems = (draft.lineItems as unknown[]).map((line, i) => {
      const item = asLineItem(line, i, totalPrice.currencyCode);
      const id = ids.lineIds?.[i];
      return id ? { ...item, id } : item;
    });
    const orderNumber = optionalString(draft.orderNumber, 'orderNumber');
    if (orderNumber !== undefined && this.orderNumbers.has(orderNumber)) {
      throw new CommercetoolsError(
        400,
        'DuplicateField',
        `An order with orderNumber '${orderNumber}' already exists.`,
        {
          field: 'orderNumber',
          duplicateValue: orderNumber,
        },
      );
    }
    const createdAtGiven = optionalString(draft.createdAt, 'createdAt');
    if (createdAtGiven !== undefined && Number.isNaN(Date.parse(createdAtGiven)))
      throw invalid(`'createdAt' is not a valid date-time.`);
    const now = new Date().toISOString();
    const paymentState =
      draft.paymentState === undefined || draft.paymentState === null
        ? undefined
        : asEnum(draft.paymentState, PAYMENT_STATES, 'paymentState');
    const customerEmail = optionalString(draft.customerEmail, 'customerEmail');
    const custom = asCustom(draft.custom, 'custom');
    const order: Order = {
      id: ids.id ?? randomUUID(),
      version: 1,
      ...(orderNumber !== undefined ? { orderNumber } : {}),
      ...(customerEmail !== undefined ? { customerEmail } : {}),
      createdAt: createdAtGiven ? new Date(createdAtGiven).toISOString() : now,
      lastModifiedAt: createdAtGiven ? new Date(createdAtGiven).toISOString() : now,
      orderState:
        draft.orderState === undefined
          ? 'Open'
          : asEnum(draft.orderState, ORDER_STATES, 'orderState'),
      ...(paymentState !== undefined ? { paymentState } : {}),
      totalPrice,
      lineItems,
      ...(custom ? { custom } : {}),
    };
    this.orders.set(order.id, order);
    this.reads.changed();
    if (orderNumber !== undefined) this.orderNumbers.add(orderNumber);
    return structuredClone(order);
  }

  get(id: string): Order {
    const order = this.orders.get(id);
    if (!order)
      throw new CommercetoolsError(
        404,
        'ResourceNotFound',
        `The Resource with ID '${id}' was not found.`,
      );
    return structuredClone(order);
  }

  query(query: OrderQuery): {
    limit: number;
    offset: number;
    count: number;
    total?: number;
    results: Order[];
  } {
    const found = this.candidates(query.where)
      .filter((order) => query.where.every((predicate) => matches(predicate, order)))
      .sort(orderComparator<Order>(query.sort));
    const results = found
      .slice(query.offset, query.offset + query.limit)
      .map((order) => structuredClone(order));
    return {
      limit: query.limit,
      offset: query.offset,
      count: results.length,
      ...(query.withTotal ? { total: found.length } : {}),
      results,
    };
  }

  /**
   * The orders a query can match: when it pins the id (`id = …` or `id in (…)`, alone or
   * and-ed with more), only those, looked up directly, so benchmarks measure the gateway rather
   * than a scan of every order; otherwise all of them.
   */
  private candidates(where: readonly Predicate[]): Order[] {
    for (const predicate of where.flatMap(conjuncts)) {
      const ids =
        predicate.kind === 'in' && predicate.field === 'id' && !predicate.negated
          ? predicate.values
          : predicate.kind === 'compare' && predicate.field === 'id' && predicate.op === '='
            ? [predicate.value]
            : null;
      if (ids) {
        return ids.flatMap((id) => {
          const order = this.orders.get(String(id));
          return order ? [order] : [];
        });
      }
    }
    return [...this.orders.values()];
  }

  /** Applies update actions all or nothing, under optimistic concurrency on `version`. */
  update(id: string, value: unknown): Order {
    const stored = this.orders.get(id);
    if (!stored)
      throw new CommercetoolsError(
        404,
        'ResourceNotFound',
        `The Resource with ID '${id}' was not found.`,
      );
    const order = applyUpdate(id, stored, value, applyAction);
    this.orders.set(id, order);
    this.reads.changed();
    return structuredClone(order);
  }
}

/**
 * Applies a body of update actions to a copy of the resource, all or nothing, under optimistic
 * concurrency on `version`, as commercetools does for every resource it versions.
 */
export function applyUpdate<Resource extends { version: number; lastModifiedAt: string }>(
  id: string,
  stored: Resource,
  value: unknown,
  applyOne: (resource: Resource, action: unknown, index: number) => void,
): Resource {
  const body = asRecord(value, 'body');
  if (typeof body.version !== 'number' || !Number.isInteger(body.version))
    throw required('version');
  if (!Array.isArray(body.actions)) throw required('actions');
  if (body.version !== stored.version) {
    throw new CommercetoolsError(
      409,
      'ConcurrentModification',
      `Object ${id} has a different version than expected. Expected: ${body.version} - Actual: ${stored.version}.`,
      { currentVersion: stored.version },
    );
  }
  const resource = structuredClone(stored);
  (body.actions as unknown[]).forEach((action, index) => applyOne(resource, action, index));
  if (body.actions.length > 0) {
    resource.version += 1;
    resource.lastModifiedAt = new Date().toISOString();
  }
  return resource;
}

function setField(
  custom: CustomFields | undefined,
  name: string,
  value: unknown,
  what: string,
): void {
  if (!custom)
    throw new CommercetoolsError(
      400,
      'InvalidOperation',
      `${what} has no custom type; a custom field cannot be set.`,
    );
  if (value === undefined || value === null) delete custom.fields[name];
  else custom.fields[name] = value;
}

function applyAction(order: Order, value: unknown, index: number): void {
  const action = asRecord(value, `actions[${index}]`);
  switch (action.action) {
    case 'setCustomField':
      setField(order.custom, asString(action.name, 'name'), action.value, 'The order');
      return;
    case 'setLineItemCustomField': {
      const lineItemId = asString(action.lineItemId, 'lineItemId');
      const line = order.lineItems.find((item) => item.id === lineItemId);
      if (!line) throw invalid(`A line item with ID '${lineItemId}' not found.`);
      setField(
        line.custom,
        asString(action.name, 'name'),
        action.value,
        `Line item '${lineItemId}'`,
      );
      return;
    }
    case 'changeOrderState':
      order.orderState = asEnum(action.orderState, ORDER_STATES, 'orderState');
      return;
    case 'changePaymentState':
      order.paymentState = asEnum(action.paymentState, PAYMENT_STATES, 'paymentState');
      return;
    default:
      throw invalid(
        `Unknown or unsupported update action '${String(action.action)}' in actions[${index}].`,
      );
  }
}

/** The predicates and-ed together at the top of a predicate. */
function conjuncts(predicate: Predicate): Predicate[] {
  return predicate.kind === 'and'
    ? [...conjuncts(predicate.left), ...conjuncts(predicate.right)]
    : [predicate];
}
