import type { Sandbox } from '../../sandbox/index.js';
import { commercetoolsToken } from './commercetools.js';

export interface CodeSpec {
  /** relative: permyriad; absolute: cents in USD. */
  value: { type: 'relative'; permyriad: number } | { type: 'absolute'; centAmount: number };
  /** The target's line predicate; `1 = 1` by default. */
  predicate?: string;
  maxApplications?: number;
  maxApplicationsPerCustomer?: number;
  validFrom?: string;
  validUntil?: string;
  isActive?: boolean;
}

let sortOrders = 0;
let codes = 0;

/** A client of the sandbox commercetools' HTTP API, as an operator's script would use it. */
export async function commercetoolsAdmin(sandbox: Sandbox) {
  const { commercetools } = sandbox.credentials;
  const token = await commercetoolsToken(sandbox);
  const base = `${sandbox.urls.commercetoolsApi}/${commercetools.projectKey}`;
  const call = async <T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  return {
    call,
    /** Creates a cart discount and a code naming it, as CONTRACT.md section 9 says operators do. */
    async createCode(spec: CodeSpec): Promise<string> {
      sortOrders += 1;
      codes += 1;
      const value =
        spec.value.type === 'relative'
          ? spec.value
          : {
              type: 'absolute',
              money: [
                {
                  type: 'centPrecision',
                  currencyCode: 'USD',
                  centAmount: spec.value.centAmount,
                  fractionDigits: 2,
                },
              ],
            };
      const discount = await call<{ id: string }>('POST', '/cart-discounts', {
        name: { en: `Test discount ${codes}` },
        value,
        cartPredicate: '1 = 1',
        target: { type: 'lineItems', predicate: spec.predicate ?? '1 = 1' },
        sortOrder: `0.${process.pid}${String(sortOrders).padStart(4, '0')}1`,
        requiresDiscountCode: true,
      });
      if (discount.status !== 201) throw new Error(`cart discount: ${JSON.stringify(discount)}`);
      const code = `TEST${process.pid}X${codes}`;
      const created = await call('POST', '/discount-codes', {
        code,
        cartDiscounts: [{ typeId: 'cart-discount', id: discount.body.id }],
        ...(spec.maxApplications ? { maxApplications: spec.maxApplications } : {}),
        ...(spec.maxApplicationsPerCustomer
          ? { maxApplicationsPerCustomer: spec.maxApplicationsPerCustomer }
          : {}),
        ...(spec.validFrom ? { validFrom: spec.validFrom } : {}),
        ...(spec.validUntil ? { validUntil: spec.validUntil } : {}),
        ...(spec.isActive === false ? { isActive: false } : {}),
      });
      if (created.status !== 201) throw new Error(`discount code: ${JSON.stringify(created)}`);
      return code;
    },
  };
}
