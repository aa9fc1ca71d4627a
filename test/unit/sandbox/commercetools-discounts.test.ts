import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { call, form, sandboxFor, started } from './support.js';

interface CtError {
  statusCode: number;
  errors: { code: string; message: string; currentVersion?: number }[];
}
interface CartDiscount {
  id: string;
  version: number;
  sortOrder: string;
  isActive: boolean;
  requiresDiscountCode: boolean;
  stackingMode: string;
}
interface DiscountCode {
  id: string;
  version: number;
  code: string;
  isActive: boolean;
  maxApplications?: number;
  cartDiscounts: { typeId: string; id: string; obj?: CartDiscount }[];
  custom?: { fields: Record<string, unknown> };
}
interface Paged<T> {
  count: number;
  total?: number;
  results: T[];
}

const { projectKey, clientId, clientSecret } = SANDBOX_CREDENTIALS.commercetools;
let sandbox: Sandbox;
let base: string;
let token: string;

const api = <T>(method: 'GET' | 'POST', path: string, body?: unknown) =>
  call<T>(`${base}/${projectKey}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

let sortOrder = 0;
const cartDiscountDraft = (overrides: Record<string, unknown> = {}) => ({
  name: { en: 'Spring sale' },
  value: { type: 'relative', permyriad: 2000 },
  cartPredicate: '1 = 1',
  target: { type: 'lineItems', predicate: '1 = 1' },
  sortOrder: `0.${(sortOrder += 1)}1`,
  requiresDiscountCode: true,
  ...overrides,
});

beforeAll(async () => {
  sandbox = await sandboxFor({ only: ['commercetools'] });
  base = started(sandbox.commercetools).url;
  const answer = await call<{ access_token: string }>(`${base}/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: form({ grant_type: 'client_credentials' }),
  });
  token = answer.body.access_token;
});
afterAll(() => sandbox.close());

describe('cart discounts', () => {
  it('creates one with the defaults commercetools gives, and reads it back', async () => {
    const created = await api<CartDiscount>('POST', '/cart-discounts', cartDiscountDraft());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, isActive: true, stackingMode: 'Stacking' });
    const read = await api<CartDiscount>('GET', `/cart-discounts/${created.body.id}`);
    expect(read.body).toEqual(created.body);
    const listed = await api<Paged<CartDiscount>>(
      'GET',
      `/cart-discounts?where=${encodeURIComponent(`id = "${created.body.id}"`)}`,
    );
    expect(listed.body.results).toEqual([created.body]);
  });

  it('refuses bad drafts with the error codes of the real API', async () => {
    const taken = cartDiscountDraft();
    await api('POST', '/cart-discounts', taken);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: undefined }, 400, 'RequiredField'],
      [{ value: { type: 'relative', permyriad: 10_001 } }, 400, 'InvalidInput'],
      [{ value: { type: 'relative', permyriad: 12.5 } }, 400, 'InvalidInput'],
      [{ value: { type: 'absolute', money: [] } }, 400, 'RequiredField'],
      [
        { value: { type: 'absolute', money: [{ currencyCode: 'usd', centAmount: 5 }] } },
        400,
        'InvalidInput',
      ],
      [{ value: { type: 'giftLineItem' } }, 400, 'InvalidInput'],
      [{ target: { type: 'lineItems', predicate: 'sku = ' } }, 400, 'InvalidInput'],
      [{ target: { type: 'lineItems', predicate: 'colour = "red"' } }, 400, 'InvalidInput'],
      [{ target: { type: 'somewhere' } }, 400, 'InvalidInput'],
      [{ sortOrder: '1.5' }, 400, 'InvalidInput'],
      [{ sortOrder: '0.50' }, 400, 'InvalidInput'],
      [{ sortOrder: taken.sortOrder }, 400, 'DuplicateField'],
      [
        { validFrom: '2026-02-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' },
        400,
        'InvalidInput',
      ],
      [{ validUntil: 'tomorrow' }, 400, 'InvalidInput'],
      [{ isActive: 'yes' }, 400, 'InvalidInput'],
    ];
    for (const [overrides, status, code] of cases) {
      const answer = await api<CtError>('POST', '/cart-discounts', cartDiscountDraft(overrides));
      expect([answer.status, answer.body.errors[0]?.code], JSON.stringify(overrides)).toEqual([
        status,
        code,
      ]);
    }
    const notJson = await api<CtError>('POST', '/cart-discounts', 'just text');
    expect(notJson.status).toBe(400);
  });
});

describe('discount codes', () => {
  let discount: CartDiscount;
  beforeAll(async () => {
    discount = (await api<CartDiscount>('POST', '/cart-discounts', cartDiscountDraft())).body;
  });

  it('creates a code naming a cart discount, finds it by code, and expands its discounts', async () => {
    const created = await api<DiscountCode>('POST', '/discount-codes', {
      code: 'FIND-ME',
      cartDiscounts: [{ typeId: 'cart-discount', id: discount.id }],
      maxApplications: 3,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'FIND-ME', isActive: true, maxApplications: 3 });
    expect(created.body.cartDiscounts).toEqual([{ typeId: 'cart-discount', id: discount.id }]);

    const where = encodeURIComponent('code = "FIND-ME"');
    const found = await api<Paged<DiscountCode>>(
      'GET',
      `/discount-codes?where=${where}&expand=${encodeURIComponent('cartDiscounts[*]')}`,
    );
    expect(found.body.results).toHaveLength(1);
    expect(found.body.results[0]?.cartDiscounts[0]?.obj).toEqual(discount);

    const plain = await api<DiscountCode>('GET', `/discount-codes/${created.body.id}`);
    expect(plain.body.cartDiscounts[0]?.obj).toBeUndefined();
    const none = await api<Paged<DiscountCode>>(
      'GET',
      `/discount-codes?where=${encodeURIComponent('code = "NOPE"')}`,
    );
    expect(none.body.results).toEqual([]);
    const broken = await api<CtError>(
      'GET',
      `/discount-codes?where=${encodeURIComponent('code = ')}`,
    );
    expect(broken.status).toBe(400);
    const unknownField = await api<CtError>(
      'GET',
      `/discount-codes?where=${encodeURIComponent('secret = "x"')}`,
    );
    expect(unknownField.status).toBe(400);
  });

  it('refuses a duplicate code, an unknown cart discount and bad limits', async () => {
    const draft = (overrides: Record<string, unknown>) => ({
      code: `C-${Math.random().toString(36).slice(2)}`,
      cartDiscounts: [{ typeId: 'cart-discount', id: discount.id }],
      ...overrides,
    });
    await api('POST', '/discount-codes', draft({ code: 'TAKEN' }));
    const cases: [Record<string, unknown>, string][] = [
      [{ code: 'TAKEN' }, 'DuplicateField'],
      [{ code: undefined }, 'RequiredField'],
      [{ cartDiscounts: [] }, 'RequiredField'],
      [
        { cartDiscounts: [{ typeId: 'cart-discount', id: 'missing' }] },
        'ReferencedResourceNotFound',
      ],
      [{ maxApplications: 0 }, 'InvalidInput'],
      [{ maxApplicationsPerCustomer: -1 }, 'InvalidInput'],
      [{ maxApplications: '5' }, 'InvalidInput'],
    ];
    for (const [overrides, code] of cases) {
      const answer = await api<CtError>('POST', '/discount-codes', draft(overrides));
      expect([answer.status, answer.body.errors[0]?.code], JSON.stringify(overrides)).toEqual([
        400,
        code,
      ]);
    }
  });

  it('updates under optimistic concurrency: a stale version is a 409 and changes nothing', async () => {
    const created = (
      await api<DiscountCode>('POST', '/discount-codes', {
        code: 'VERSIONED',
        cartDiscounts: [{ typeId: 'cart-discount', id: discount.id }],
      })
    ).body;
    const typed = await api<DiscountCode>('POST', `/discount-codes/${created.id}`, {
      version: 1,
      actions: [
        {
          action: 'setCustomType',
          type: { typeId: 'type', key: 'commerce-gateway-discount-code' },
          fields: { gatewayUses: ['1/a'] },
        },
      ],
    });
    expect(typed.body).toMatchObject({ version: 2, custom: { fields: { gatewayUses: ['1/a'] } } });
    const stale = await api<CtError>('POST', `/discount-codes/${created.id}`, {
      version: 1,
      actions: [{ action: 'setCustomField', name: 'gatewayUses', value: [] }],
    });
    expect(stale.status).toBe(409);
    expect(stale.body.errors[0]).toMatchObject({
      code: 'ConcurrentModification',
      currentVersion: 2,
    });
    const field = await api<DiscountCode>('POST', `/discount-codes/${created.id}`, {
      version: 2,
      actions: [
        { action: 'setCustomField', name: 'gatewayUses', value: ['1/a', '2/b'] },
        { action: 'changeIsActive', isActive: false },
      ],
    });
    expect(field.body).toMatchObject({
      version: 3,
      isActive: false,
      custom: { fields: { gatewayUses: ['1/a', '2/b'] } },
    });
    const unknown = await api<CtError>('POST', `/discount-codes/${created.id}`, {
      version: 3,
      actions: [{ action: 'setColour', colour: 'red' }],
    });
    expect(unknown.status).toBe(400);
    const missing = await api<CtError>('POST', '/discount-codes/nope', { version: 1, actions: [] });
    expect(missing.status).toBe(404);
  });
});
