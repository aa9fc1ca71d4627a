/**
 * The fixtures: one order per learner, imported into the gateway's sandbox commercetools, and
 * each learner's token, signed as the LMS signs them.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { toOrder } from '../../connectors/commercetools/mapping.js';
import type { CtOrder } from '../../connectors/commercetools/wire-types.js';
import { toMinorUnits } from '../../connectors/money.js';
import type { Order } from '../../connectors/orders.js';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import { DEMO_COURSE_RUNS } from '../../sandbox/demo-data.js';
import type { Gateway } from './gateway.js';

export interface Learner {
  userId: string;
  orderId: string;
  /** The order as the gateway models it, so events are built exactly as the worker builds them. */
  order: Order;
  token: string;
}

export async function importLearners(
  gateway: Gateway,
  count: number,
  run: number,
): Promise<Learner[]> {
  const { commercetools, jwt } = SANDBOX_CREDENTIALS;
  const tokenResponse = await fetch(`${gateway.commercetoolsUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${commercetools.clientId}:${commercetools.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `grant_type=client_credentials&scope=manage_project:${commercetools.projectKey}`,
  });
  const { access_token: ctToken } = (await tokenResponse.json()) as { access_token: string };
  const runs = DEMO_COURSE_RUNS.filter((courseRun) => courseRun.seats.length > 0);
  const secret = new TextEncoder().encode(jwt.secretKey);
  const now = Math.floor(Date.now() / 1000);

  const one = async (i: number): Promise<Learner> => {
    const userId = String(7_000_000 + run * 100_000 + i);
    const username = `bench-learner-${run}-${i}`;
    const courseRun = runs[i % runs.length]!;
    const seat = courseRun.seats[0]!;
    const money = {
      type: 'centPrecision',
      currencyCode: seat.currency,
      centAmount: toMinorUnits({ amount: seat.price, currencyCode: seat.currency }),
      fractionDigits: 2,
    };
    const response = await fetch(
      `${gateway.commercetoolsUrl}/${commercetools.projectKey}/orders/import`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ctToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          orderNumber: `BENCH-${randomUUID().slice(0, 13)}`,
          customerEmail: `${username}@example.com`,
          orderState: 'Complete',
          totalPrice: money,
          lineItems: [
            {
              productId: seat.sku,
              name: { en: courseRun.title },
              variant: { sku: seat.sku },
              quantity: 1,
              price: { value: money },
              totalPrice: money,
              custom: {
                type: { typeId: 'type', key: 'commerce-gateway-line' },
                fields: { courseRunKey: courseRun.key, mode: seat.mode, status: 'FULFILLED' },
              },
            },
          ],
          custom: {
            type: { typeId: 'type', key: 'commerce-gateway-order' },
            fields: { lmsUserId: userId, lmsUsername: username, status: 'FULFILLED' },
          },
        }),
      },
    );
    if (response.status !== 201) {
      throw new Error(`order import failed: ${response.status} ${await response.text()}`);
    }
    const order = toOrder((await response.json()) as CtOrder);
    const token = await new SignJWT({
      iss: jwt.issuer,
      aud: jwt.audience,
      iat: now,
      exp: now + 3600,
      user_id: Number(userId),
      preferred_username: username,
      email: `${username}@example.com`,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(secret);
    return { userId, orderId: order.id, order, token };
  };

  const learners: Learner[] = new Array<Learner>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        learners[i] = await one(i);
      }
    }),
  );
  return learners;
}
