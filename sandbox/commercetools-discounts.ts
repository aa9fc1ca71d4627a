import {
  applyUpdate,
  asCustomFields,
  asRecord,
  asString,
  CommercetoolsError,
  invalid,
  required,
  type CustomFields,
  type Money,
} from './commercetools-orders.js';
import {
  LINE_ITEM_TARGET_SCHEMA,
  PredicateError,
  matches,
  orderComparator,
  parsePredicate,
} from './commercetools-predicate.js';
import type { Predicate, SortKey } from './commercetools-predicate.js';
import { randomUUID } from './ids.js';

/**
 * commercetools' cart discounts and discount codes (the subset in docs/upstream-apis.md): the
 * drafts validated as the real API does, stored in memory, queried with `where`, expanded with
 * `expand=cartDiscounts[*]`, updated under optimistic concurrency.
 */

export interface CartDiscount {
  id: string;
  version: number;
  key?: string;
  name: Record<string, string>;
  description?: Record<string, string>;
  value: { type: 'relative'; permyriad: number } | { type: 'absolute' | 'fixed'; money: Money[] };
  cartPredicate: string;
  target: { type: 'lineItems'; predicate: string } | { type: 'totalPrice' | 'shipping' };
  sortOrder: string;
  isActive: boolean;
  validFrom?: string;
  validUntil?: string;
  requiresDiscountCode: boolean;
  stackingMode: 'Stacking' | 'StopAfterThisDiscount';
  references: unknown[];
  createdAt: string;
  lastModifiedAt: string;
}

export interface DiscountCode {
  id: string;
  version: number;
  key?: string;
  code: string;
  name?: Record<string, string>;
  cartDiscounts: { typeId: 'cart-discount'; id: string }[];
  cartPredicate?: string;
  isActive: boolean;
  maxApplications?: number;
  maxApplicationsPerCustomer?: number;
  validFrom?: string;
  validUntil?: string;
  groups: string[];
  references: unknown[];
  custom?: CustomFields;
  createdAt: string;
  lastModifiedAt: string;
}

export interface DiscountQuery {
  where: readonly Predicate[];
  sort: readonly SortKey[];
  limit: number;
  offset: number;
  withTotal: boolean;
  expand: readonly string[];
}

const notFound = (id: string): CommercetoolsError =>
  new CommercetoolsError(404, 'ResourceNotFound', `The Resource with ID '${id}' was not found.`);
const duplicate = (field: string, value: string): CommercetoolsError =>
  new CommercetoolsError(
    400,
    'DuplicateField',
    `A duplicate value '"${value}"' exists for field '${field}'.`,
    {
      field,
      duplicateValue: value,
    },
  );

function optional<T>(value: unknown, read: (v: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value);
}

function flag(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw invalid(`'${field}' must be a boolean.`);
  return value;
}

function localized(value: unknown, field: string): Record<string, string> {
  const object = asRecord(value, field);
  if (!Object.values(object).every((entry) => typeof entry === 'string')) {
    throw invalid(`'${field}' must be a LocalizedString.`);
  }
  return object as Record<string, string>;
}

function dateTime(value: unknown, field: string): string {
  const given = asString(value, field);
  if (Number.isNaN(Date.parse(given))) throw invalid(`'${field}' is not a valid date-time.`);
  return new Date(given).toISOString();
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(`'${field}' must be a positive integer.`);
  }
  return value;
}

function money(value: unknown, field: string): Money {
  const object = asRecord(value, field);
  const currencyCode = asString(object.currencyCode, `${field}.currencyCode`);
  const { centAmount, fractionDigits = 2 } = object;
  if (!/^[A-Z]{3}$/.test(currencyCode)) throw invalid(`'${field}.currencyCode' must be ISO 4217.`);
  if (typeof centAmount !== 'number' || !Number.isSafeInteger(centAmount) || centAmount < 0) {
    throw invalid(`'${field}.centAmount' must be a non-negative integer.`);
  }
  if (typeof fractionDigits !== 'number')
    throw invalid(`'${field}.fractionDigits' must be a number.`);
  return { type: 'centPrecision', currencyCode, centAmount, fractionDigits };
}

function window(draft: Record<string, unknown>): { validFrom?: string; validUntil?: string } {
  const validFrom = optional(draft.validFrom, (v) => dateTime(v, 'validFrom'));
  const validUntil = optional(draft.validUntil, (v) => dateTime(v, 'validUntil'));
  if (validFrom && validUntil && validFrom >= validUntil) {
    throw invalid(`'validFrom' must be before 'validUntil'.`);
  }
  return { ...(validFrom ? { validFrom } : {}), ...(validUntil ? { validUntil } : {}) };
}

/** `1 = 1` or a predicate over the line item's fields; a syntax error is refused as the API does. */
function linePredicate(value: unknown, field: string): string {
  const predicate = asString(value, field);
  if (/^\s*1\s*=\s*1\s*$/.test(predicate)) return predicate;
  try {
    parsePredicate(predicate, LINE_ITEM_TARGET_SCHEMA);
  } catch (error) {
    if (!(error instanceof PredicateError)) throw error;
    throw invalid(`Malformed parameter: ${field}: ${error.message}`);
  }
  return predicate;
}

function value(draft: unknown): CartDiscount['value'] {
  const object = asRecord(draft, 'value');
  switch (object.type) {
    case 'relative': {
      const { permyriad } = object;
      if (
        typeof permyriad !== 'number' ||
        !Number.isInteger(permyriad) ||
        permyriad < 0 ||
        permyriad > 10_000
      ) {
        throw invalid(`'value.permyriad' must be an integer between 0 and 10000.`);
      }
      return { type: 'relative', permyriad };
    }
    case 'absolute':
    case 'fixed': {
      if (!Array.isArray(object.money) || object.money.length === 0) throw required('value.money');
      const amounts = (object.money as unknown[]).map((entry, i) =>
        money(entry, `value.money[${i}]`),
      );
      if (new Set(amounts.map((entry) => entry.currencyCode)).size !== amounts.length) {
        throw invalid(`'value.money' must name each currency once.`);
      }
      return { type: object.type, money: amounts };
    }
    default:
      throw invalid(`'value.type' must be one of relative, absolute, fixed.`);
  }
}

function target(draft: unknown): CartDiscount['target'] {
  const object = asRecord(draft, 'target');
  if (object.type === 'lineItems') {
    return { type: 'lineItems', predicate: linePredicate(object.predicate, 'target.predicate') };
  }
  if (object.type === 'totalPrice' || object.type === 'shipping') return { type: object.type };
  throw invalid(`'target.type' must be one of lineItems, totalPrice, shipping.`);
}

/** The project's cart discounts and discount codes, in memory. */
export class DiscountStore {
  private readonly cartDiscounts = new Map<string, CartDiscount>();
  private readonly codes = new Map<string, DiscountCode>();

  createCartDiscount(body: unknown): CartDiscount {
    const draft = asRecord(body, 'body');
    const sortOrder = asString(draft.sortOrder, 'sortOrder');
    const order = Number(sortOrder);
    if (!/^0\.\d*[1-9]$/.test(sortOrder) || !(order > 0 && order < 1)) {
      throw invalid(`'sortOrder' must be a decimal between 0 and 1 (exclusive), e.g. "0.5".`);
    }
    if ([...this.cartDiscounts.values()].some((d) => d.sortOrder === sortOrder)) {
      throw duplicate('sortOrder', sortOrder);
    }
    const key = optional(draft.key, (v) => asString(v, 'key'));
    if (key !== undefined && [...this.cartDiscounts.values()].some((d) => d.key === key)) {
      throw duplicate('key', key);
    }
    const stackingMode = draft.stackingMode ?? 'Stacking';
    if (stackingMode !== 'Stacking' && stackingMode !== 'StopAfterThisDiscount') {
      throw invalid(`'stackingMode' must be Stacking or StopAfterThisDiscount.`);
    }
    const now = new Date().toISOString();
    const discount: CartDiscount = {
      id: randomUUID(),
      version: 1,
      ...(key !== undefined ? { key } : {}),
      name: localized(draft.name, 'name'),
      ...(draft.description ? { description: localized(draft.description, 'description') } : {}),
      value: value(draft.value),
      cartPredicate: asString(draft.cartPredicate, 'cartPredicate'),
      target: target(draft.target),
      sortOrder,
      isActive: flag(draft.isActive, 'isActive', true),
      ...window(draft),
      requiresDiscountCode: flag(draft.requiresDiscountCode, 'requiresDiscountCode', false),
      stackingMode,
      references: [],
      createdAt: now,
      lastModifiedAt: now,
    };
    this.cartDiscounts.set(discount.id, discount);
    return structuredClone(discount);
  }

  createCode(body: unknown): DiscountCode {
    const draft = asRecord(body, 'body');
    const code = asString(draft.code, 'code');
    if ([...this.codes.values()].some((existing) => existing.code === code)) {
      throw duplicate('code', code);
    }
    if (!Array.isArray(draft.cartDiscounts) || draft.cartDiscounts.length === 0) {
      throw required('cartDiscounts');
    }
    if (draft.cartDiscounts.length > 10) throw invalid(`'cartDiscounts' may name at most 10.`);
    const cartDiscounts = (draft.cartDiscounts as unknown[]).map((reference, i) => {
      const identifier = asRecord(reference, `cartDiscounts[${i}]`);
      const found =
        typeof identifier.id === 'string'
          ? this.cartDiscounts.get(identifier.id)
          : [...this.cartDiscounts.values()].find((d) => d.key === identifier.key);
      if (!found) {
        throw new CommercetoolsError(
          400,
          'ReferencedResourceNotFound',
          `The referenced object of type 'cart-discount' was not found.`,
          { typeId: 'cart-discount' },
        );
      }
      return { typeId: 'cart-discount' as const, id: found.id };
    });
    const maxApplications = optional(draft.maxApplications, (v) =>
      positiveInteger(v, 'maxApplications'),
    );
    const maxApplicationsPerCustomer = optional(draft.maxApplicationsPerCustomer, (v) =>
      positiveInteger(v, 'maxApplicationsPerCustomer'),
    );
    const cartPredicate = optional(draft.cartPredicate, (v) => asString(v, 'cartPredicate'));
    const custom = optional(draft.custom, (v) => asCustomFields(v, 'custom'));
    const now = new Date().toISOString();
    const stored: DiscountCode = {
      id: randomUUID(),
      version: 1,
      code,
      ...(draft.name ? { name: localized(draft.name, 'name') } : {}),
      cartDiscounts,
      ...(cartPredicate !== undefined ? { cartPredicate } : {}),
      isActive: flag(draft.isActive, 'isActive', true),
      ...(maxApplications !== undefined ? { maxApplications } : {}),
      ...(maxApplicationsPerCustomer !== undefined ? { maxApplicationsPerCustomer } : {}),
      ...window(draft),
      groups: [],
      references: [],
      ...(custom ? { custom } : {}),
      createdAt: now,
      lastModifiedAt: now,
    };
    this.codes.set(stored.id, stored);
    return structuredClone(stored);
  }

  getCartDiscount(id: string): CartDiscount {
    const found = this.cartDiscounts.get(id);
    if (!found) throw notFound(id);
    return structuredClone(found);
  }

  getCode(id: string, expand: readonly string[]): unknown {
    const found = this.codes.get(id);
    if (!found) throw notFound(id);
    return this.expanded(found, expand);
  }

  queryCartDiscounts(query: DiscountQuery): unknown {
    return page([...this.cartDiscounts.values()], query, (d) => structuredClone(d));
  }

  queryCodes(query: DiscountQuery): unknown {
    return page([...this.codes.values()], query, (code) => this.expanded(code, query.expand));
  }

  /** Applies update actions all or nothing, under optimistic concurrency on `version`. */
  updateCode(id: string, body: unknown, expand: readonly string[]): unknown {
    const stored = this.codes.get(id);
    if (!stored) throw notFound(id);
    const code = applyUpdate(id, stored, body, applyCodeAction);
    this.codes.set(id, code);
    return this.expanded(code, expand);
  }

  private expanded(code: DiscountCode, expand: readonly string[]): unknown {
    const copy = structuredClone(code);
    if (!expand.includes('cartDiscounts[*]')) return copy;
    return {
      ...copy,
      cartDiscounts: copy.cartDiscounts.map((reference) => {
        const obj = this.cartDiscounts.get(reference.id);
        return obj ? { ...reference, obj: structuredClone(obj) } : reference;
      }),
    };
  }
}

function applyCodeAction(code: DiscountCode, value: unknown, index: number): void {
  const action = asRecord(value, `actions[${index}]`);
  switch (action.action) {
    case 'setCustomType':
      if (action.type === undefined || action.type === null) {
        delete code.custom;
        return;
      }
      code.custom = asCustomFields(
        { type: action.type, fields: action.fields },
        `actions[${index}]`,
      );
      return;
    case 'setCustomField': {
      if (!code.custom) {
        throw new CommercetoolsError(
          400,
          'InvalidOperation',
          'The discount code has no custom type.',
        );
      }
      const name = asString(action.name, 'name');
      if (action.value === undefined || action.value === null) delete code.custom.fields[name];
      else code.custom.fields[name] = action.value;
      return;
    }
    case 'changeIsActive':
      code.isActive = flag(action.isActive, 'isActive', code.isActive);
      return;
    case 'setMaxApplications': {
      const max = optional(action.maxApplications, (v) => positiveInteger(v, 'maxApplications'));
      if (max === undefined) delete code.maxApplications;
      else code.maxApplications = max;
      return;
    }
    default:
      throw invalid(
        `Unknown or unsupported update action '${String(action.action)}' in actions[${index}].`,
      );
  }
}

function page<T extends object>(
  items: readonly T[],
  query: DiscountQuery,
  toJson: (item: T) => unknown,
): unknown {
  const found = items
    .filter((item) => query.where.every((predicate) => matches(predicate, item)))
    .sort(orderComparator<T>(query.sort));
  const results = found.slice(query.offset, query.offset + query.limit).map(toJson);
  return {
    limit: query.limit,
    offset: query.offset,
    count: results.length,
    ...(query.withTotal ? { total: found.length } : {}),
    results,
  };
}
