import { randomUUID } from 'node:crypto';
import type { Sandbox } from '../../sandbox/index.js';
import { toMinorUnits } from '../../connectors/money.js';
import { DEMO_COURSE_RUNS, findSeatBySku } from '../../sandbox/demo-data.js';

export interface FixtureOrder {
  ownerId: string;
  ownerUsername: string;
  skus: string[];
  createdAt?: string;
  status?: string;
  paymentId?: string;
}

/** A client-credentials token of the sandbox commercetools, scoped to manage its project. */
export async function commercetoolsToken(sandbox: Sandbox): Promise<string> {
  const { commercetools } = sandbox.credentials;
  const tokenResponse = await fetch(`${sandbox.urls.commercetoolsAuth}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${commercetools.clientId}:${commercetools.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `grant_type=client_credentials&scope=manage_project:${commercetools.projectKey}`,
  });
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  return token;
}

/** Imports orders into the sandbox commercetools over its real HTTP API, as test fixtures. */
export async function importOrders(sandbox: Sandbox, orders: FixtureOrder[]): Promise<string[]> {
  const { commercetools } = sandbox.credentials;
  const token = await commercetoolsToken(sandbox);
  const ids: string[] = [];
  for (const order of orders) {
    const lines = order.skus.map((sku) => {
      const seat = findSeatBySku(sku);
      if (!seat) throw new Error(`No demo seat ${sku}`);
      const run = DEMO_COURSE_RUNS.find((candidate) => candidate.key === seat.courseRunKey);
      const money = {
        type: 'centPrecision',
        currencyCode: seat.currency,
        centAmount: toMinorUnits({ amount: seat.price, currencyCode: seat.currency }),
        fractionDigits: 2,
      };
      return {
        productId: sku,
        name: { en: run?.title ?? sku },
        variant: { sku },
        quantity: 1,
        price: { value: money },
        totalPrice: money,
        custom: {
          type: { typeId: 'type', key: 'commerce-gateway-line' },
          fields: { courseRunKey: seat.courseRunKey, mode: seat.mode, status: 'FULFILLED' },
        },
      };
    });
    const currencyCode = lines[0]?.totalPrice.currencyCode ?? 'USD';
    const centAmount = lines.reduce((sum, line) => sum + line.totalPrice.centAmount, 0);
    const response = await fetch(
      `${sandbox.urls.commercetoolsApi}/${commercetools.projectKey}/orders/import`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          orderNumber: `TEST-${randomUUID().slice(0, 8)}`,
          customerEmail: `${order.ownerUsername}@example.com`,
          orderState: 'Complete',
          totalPrice: { type: 'centPrecision', currencyCode, centAmount, fractionDigits: 2 },
          lineItems: lines,
          ...(order.createdAt ? { createdAt: order.createdAt } : {}),
          custom: {
            type: { typeId: 'type', key: 'commerce-gateway-order' },
            fields: {
              lmsUserId: order.ownerId,
              lmsUsername: order.ownerUsername,
              status: order.status ?? 'FULFILLED',
              ...(order.paymentId ? { paymentProvider: 'stripe', paymentId: order.paymentId } : {}),
            },
          },
        }),
      },
    );
    if (response.status !== 201) {
      throw new Error(`import failed: ${response.status} ${await response.text()}`);
    }
    ids.push(((await response.json()) as { id: string }).id);
  }
  return ids;
}
