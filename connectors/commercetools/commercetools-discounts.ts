import type {
  DiscountCode,
  DiscountConnector,
  DiscountRule,
  DiscountUse,
  DiscountValue,
} from '../discounts.js';
import { UpstreamRejectedError } from '../errors.js';
import type { HttpClient } from '../http-client.js';
import { fromMinorUnits } from '../money.js';
import { literal } from './commercetools-orders.js';
import type {
  CtCartDiscount,
  CtCartDiscountValue,
  CtDiscountCode,
  CtDiscountCodeUpdateAction,
} from './discount-wire-types.js';
import { isAlwaysTrue, readLineItemTarget } from './line-item-predicate.js';
import type { CommercetoolsTokenProvider } from './token-provider.js';
import type { CtPagedQuery } from './wire-types.js';

/** The custom type (created once per project) whose field holds the uses the gateway counted. */
export const DISCOUNT_CODE_TYPE_KEY = 'commerce-gateway-discount-code';
const EXPAND = 'cartDiscounts[*]';

/**
 * Discount codes over the commercetools HTTP API. commercetools counts a code's applications
 * only for orders it creates from carts, and never gives one back; the gateway imports its
 * orders, so it records the uses itself, on the code, under the code's optimistic concurrency.
 */
export class CommercetoolsDiscountConnector implements DiscountConnector {
  readonly #api: HttpClient;
  readonly #tokens: CommercetoolsTokenProvider;
  readonly #codesPath: string;

  constructor(api: HttpClient, tokens: CommercetoolsTokenProvider, projectKey: string) {
    this.#api = api;
    this.#tokens = tokens;
    this.#codesPath = `/${encodeURIComponent(projectKey)}/discount-codes`;
  }

  async findCode(code: string): Promise<DiscountCode | null> {
    const page = await this.#tokens.authorized((authorization) =>
      this.#api.get<CtPagedQuery<CtDiscountCode>>(this.#codesPath, {
        query: { where: `code = ${literal(code)}`, expand: EXPAND, limit: 1, withTotal: false },
        headers: { authorization },
      }),
    );
    const [found] = page.results;
    return found ? toDiscountCode(found) : null;
  }

  async getCode(id: string): Promise<DiscountCode | null> {
    try {
      const found = await this.#tokens.authorized((authorization) =>
        this.#api.get<CtDiscountCode>(`${this.#codesPath}/{id}`, {
          params: { id },
          query: { expand: EXPAND },
          headers: { authorization },
        }),
      );
      return toDiscountCode(found);
    } catch (error) {
      if (error instanceof UpstreamRejectedError && error.statusCode === 404) return null;
      throw error;
    }
  }

  async checkReachable(): Promise<void> {
    await this.#tokens.authorized((authorization) =>
      this.#api.get<CtPagedQuery<CtDiscountCode>>(this.#codesPath, {
        query: { limit: 1, withTotal: false },
        headers: { authorization },
      }),
    );
  }

  async setUses(
    code: Pick<DiscountCode, 'id' | 'version' | 'hasCustomFields'>,
    uses: readonly DiscountUse[],
  ): Promise<void> {
    const value = uses.map((use) => `${use.ownerId}/${use.purchaseKey}`);
    const action: CtDiscountCodeUpdateAction = code.hasCustomFields
      ? { action: 'setCustomField', name: 'gatewayUses', value }
      : {
          action: 'setCustomType',
          type: { typeId: 'type', key: DISCOUNT_CODE_TYPE_KEY },
          fields: { gatewayUses: value },
        };
    await this.#tokens.authorized((authorization) =>
      this.#api.post<CtDiscountCode>(`${this.#codesPath}/{id}`, {
        params: { id: code.id },
        json: { version: code.version, actions: [action] },
        headers: { authorization },
      }),
    );
  }
}

export function toDiscountCode(code: CtDiscountCode): DiscountCode {
  return {
    id: code.id,
    version: code.version,
    code: code.code,
    isActive: code.isActive,
    validFrom: code.validFrom ?? null,
    validUntil: code.validUntil ?? null,
    maxApplications: code.maxApplications ?? null,
    maxApplicationsPerCustomer: code.maxApplicationsPerCustomer ?? null,
    conditionUnderstood: isAlwaysTrue(code.cartPredicate),
    // A reference that came back unexpanded (a deleted cart discount) grants nothing.
    rules: code.cartDiscounts.flatMap((reference) =>
      reference.obj ? [toDiscountRule(reference.obj)] : [],
    ),
    uses: (code.custom?.fields.gatewayUses ?? []).flatMap(toUse),
    hasCustomFields: code.custom !== undefined,
  };
}

function toDiscountRule(discount: CtCartDiscount): DiscountRule {
  const target = discount.target;
  return {
    id: discount.id,
    isActive: discount.isActive,
    validFrom: discount.validFrom ?? null,
    validUntil: discount.validUntil ?? null,
    value: toValue(discount.value),
    // A condition on the basket as a whole cannot be evaluated here, so it makes the rule apply to nothing.
    target:
      target?.type === 'lineItems' && isAlwaysTrue(discount.cartPredicate)
        ? readLineItemTarget(target.predicate ?? '')
        : {
            kind: 'unsupported',
            description: `${target?.type ?? 'no target'} where ${discount.cartPredicate}`,
          },
    priority: Number.parseFloat(discount.sortOrder) || 0,
    stopsLowerRules: discount.stackingMode === 'StopAfterThisDiscount',
  };
}

function toValue(value: CtCartDiscountValue): DiscountValue {
  if (
    value.type === 'relative' &&
    Number.isInteger(value.permyriad) &&
    value.permyriad !== undefined &&
    value.permyriad >= 0 &&
    value.permyriad <= 10_000
  ) {
    return { kind: 'relative', permyriad: value.permyriad };
  }
  if (value.type === 'absolute' && Array.isArray(value.money)) {
    return {
      kind: 'absolute',
      amounts: value.money
        .filter((money) => Number.isSafeInteger(money.centAmount) && money.centAmount >= 0)
        .map((money) => fromMinorUnits(money.centAmount, money.currencyCode)),
    };
  }
  return { kind: 'unsupported', description: value.type };
}

function toUse(entry: string): DiscountUse[] {
  const slash = entry.indexOf('/');
  if (slash <= 0) return [];
  return [{ ownerId: entry.slice(0, slash), purchaseKey: entry.slice(slash + 1) }];
}
