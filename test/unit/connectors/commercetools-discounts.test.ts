import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { UpstreamConflictError } from '../../../connectors/errors.js';
import type { DiscountConnector } from '../../../connectors/discounts.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { startWorld, type ConnectorWorld } from './support.js';

const { projectKey, clientId, clientSecret } = SANDBOX_CREDENTIALS.commercetools;
let world: ConnectorWorld;
let discounts: DiscountConnector;
let admin: (path: string, body: unknown) => Promise<{ id: string }>;
let sortOrder = 0;

beforeAll(async () => {
  world = await startWorld();
  discounts = world.connectors.discounts;
  const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
  const tokenAnswer = await fetch(`${world.sandbox.urls.commercetoolsAuth}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const { access_token: token } = (await tokenAnswer.json()) as { access_token: string };
  admin = async (path, body) => {
    const response = await fetch(`${world.sandbox.urls.commercetoolsApi}/${projectKey}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(await response.text());
    return (await response.json()) as { id: string };
  };
});
afterAll(() => world.close());

async function cartDiscount(overrides: Record<string, unknown>): Promise<string> {
  sortOrder += 1;
  const created = await admin('/cart-discounts', {
    name: { en: 'Test' },
    value: { type: 'relative', permyriad: 1500 },
    cartPredicate: '1 = 1',
    target: { type: 'lineItems', predicate: '1 = 1' },
    sortOrder: `0.${sortOrder}1`,
    ...overrides,
  });
  return created.id;
}

describe('commercetools discount codes', () => {
  it('reads a code with its expanded cart discounts as rules', async () => {
    const relative = await cartDiscount({
      target: { type: 'lineItems', predicate: 'sku in ("A", "B")' },
      stackingMode: 'StopAfterThisDiscount',
      validUntil: '2099-01-01T00:00:00Z',
    });
    const absolute = await cartDiscount({
      value: {
        type: 'absolute',
        money: [{ type: 'centPrecision', currencyCode: 'EUR', centAmount: 500, fractionDigits: 2 }],
      },
      cartPredicate: 'totalPrice > "100.00 EUR"',
    });
    await admin('/discount-codes', {
      code: 'READ-ME',
      cartDiscounts: [
        { typeId: 'cart-discount', id: relative },
        { typeId: 'cart-discount', id: absolute },
      ],
      maxApplicationsPerCustomer: 2,
    });
    const code = await discounts.findCode('READ-ME');
    expect(code).toMatchObject({
      code: 'READ-ME',
      isActive: true,
      maxApplications: null,
      maxApplicationsPerCustomer: 2,
      conditionUnderstood: true,
      uses: [],
      hasCustomFields: false,
    });
    expect(code?.rules[0]).toMatchObject({
      id: relative,
      value: { kind: 'relative', permyriad: 1500 },
      target: { kind: 'skus', skus: new Set(['A', 'B']) },
      stopsLowerRules: true,
      validUntil: '2099-01-01T00:00:00.000Z',
    });
    // A condition on the whole cart cannot be evaluated by the gateway: the rule targets nothing.
    expect(code?.rules[1]).toMatchObject({
      value: { kind: 'absolute', amounts: [{ amount: '5.00', currencyCode: 'EUR' }] },
      target: { kind: 'unsupported' },
    });
    expect(await discounts.getCode(code!.id)).toEqual(code);
  });

  it('checks that discount codes can be read', async () => {
    await expect(discounts.checkReachable()).resolves.toBeUndefined();
  });

  it('finds nothing for an unknown code, whatever quotes it holds', async () => {
    expect(await discounts.findCode('NO-SUCH-CODE')).toBeNull();
    expect(await discounts.findCode('x" or code != "')).toBeNull();
    expect(await discounts.getCode('no-such-id')).toBeNull();
  });

  it('records uses at a version, and refuses a stale one with UpstreamConflictError', async () => {
    const discount = await cartDiscount({});
    const { id } = await admin('/discount-codes', {
      code: 'USE-ME',
      cartDiscounts: [{ typeId: 'cart-discount', id: discount }],
      maxApplications: 2,
    });
    const fresh = (await discounts.getCode(id))!;
    await discounts.setUses(fresh, [{ ownerId: '7', purchaseKey: 'k-1' }]);
    const once = (await discounts.getCode(id))!;
    expect(once).toMatchObject({
      version: fresh.version + 1,
      hasCustomFields: true,
      uses: [{ ownerId: '7', purchaseKey: 'k-1' }],
    });
    await expect(discounts.setUses(fresh, [])).rejects.toBeInstanceOf(UpstreamConflictError);
    await discounts.setUses(once, [
      { ownerId: '7', purchaseKey: 'k-1' },
      { ownerId: '8', purchaseKey: 'k:2/x' },
    ]);
    expect((await discounts.getCode(id))!.uses).toEqual([
      { ownerId: '7', purchaseKey: 'k-1' },
      { ownerId: '8', purchaseKey: 'k:2/x' },
    ]);
  });
});
