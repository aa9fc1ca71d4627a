import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import {
  orderChannel,
  ownerChannel,
  type OrderStatusEvent,
} from '../../subscriptions/order-events.js';
import { signToken } from '../support/client.js';
import { payWithSandboxCard, purchase, waitForOrderStatus } from '../support/commerce.js';
import { startTestGateway, TEST_REDIS_URL, type TestGateway } from '../support/gateway.js';

describe('order status events on Redis pub/sub', () => {
  let gw: TestGateway;
  let subscriber: Redis;
  const received: { channel: string; event: OrderStatusEvent }[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
    subscriber = new Redis(TEST_REDIS_URL);
    subscriber.on('pmessage', (_pattern, channel, message) => {
      received.push({ channel, event: JSON.parse(message) as OrderStatusEvent });
    });
    await subscriber.psubscribe(`${gw.keyPrefix}*`);
  });
  afterAll(async () => {
    subscriber.disconnect();
    await gw.close();
  });

  it('publishes every status change of an order and its lines, with the order id and owner', async () => {
    const token = await signToken({
      user_id: 8181,
      preferred_username: 'listener',
      email: 'l@example.com',
    });
    const placed = await purchase(
      gw.url,
      token,
      [demoSeat('course-v1:SandboxX+FIN210+3T2026', 'verified').sku],
      randomUUID(),
    );
    const orderId = placed.order!.id;
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    await waitForOrderStatus(gw.url, token, orderId, 'FULFILLED');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const onOrder = received.filter(
      (message) => message.channel === orderChannel(gw.keyPrefix, orderId),
    );
    const onOwner = received.filter(
      (message) => message.channel === ownerChannel(gw.keyPrefix, '8181'),
    );
    expect(onOrder.map((message) => message.event.status)).toEqual([
      'PENDING_PAYMENT',
      'PAID',
      'FULFILLING',
      'FULFILLED',
    ]);
    expect(onOwner.map((message) => message.event)).toEqual(
      onOrder.map((message) => message.event),
    );
    const last = onOrder.at(-1)!.event;
    expect(last).toMatchObject({ orderId, ownerId: '8181', lines: [{ status: 'FULFILLED' }] });
    const versions = onOrder.map((message) => message.event.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });
});
