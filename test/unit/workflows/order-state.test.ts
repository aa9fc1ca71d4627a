import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, type OrderStatus } from '../../../connectors/orders.js';
import { builtInFlows } from '../../../flows/flows-plan.js';
import { canTransition, InvalidTransitionError } from '../../../workflows/order-state.js';
import { changeOrder } from '../../../workflows/order-updates.js';
import { reconcileOrders } from '../../../workflows/reconcile.js';
import { inMemoryServices, paidOrder } from '../flows/in-memory.js';

const ALLOWED: readonly [OrderStatus, OrderStatus][] = [
  ['PENDING_PAYMENT', 'PAID'],
  ['PENDING_PAYMENT', 'PAYMENT_FAILED'],
  ['PAYMENT_FAILED', 'PAID'],
  ['PAID', 'FULFILLING'],
  ['FULFILLING', 'FULFILLED'],
  ['FULFILLING', 'FULFILLMENT_ERROR'],
  ['FULFILLMENT_ERROR', 'FULFILLING'],
  ['FULFILLED', 'REFUND_PENDING'],
  ['FULFILLED', 'DISPUTED'],
  ['REFUND_PENDING', 'REFUNDED'],
  ['REFUND_PENDING', 'PARTIALLY_REFUNDED'],
  ['REFUND_PENDING', 'REFUND_ERROR'],
  ['PARTIALLY_REFUNDED', 'REFUND_PENDING'],
  ['PARTIALLY_REFUNDED', 'DISPUTED'],
];

describe('the order state machine', () => {
  it('allows exactly the transitions of the contract', () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const allowed = ALLOWED.some(([a, b]) => a === from && b === to);
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(allowed);
      }
    }
  });

  it('refuses a forbidden transition without writing anything', async () => {
    const memory = inMemoryServices(builtInFlows({}));
    const order = await paidOrder(memory.orders);
    await expect(
      changeOrder(memory.services, order.id, () => ({ status: 'REFUNDED' })),
    ).rejects.toBeInstanceOf(InvalidTransitionError);
    expect(memory.orders.orders.get(order.id)?.version).toBe(order.version);
    expect(memory.published).toEqual([]);
  });

  it('asks again on a version conflict, from the order as it is now', async () => {
    const memory = inMemoryServices(builtInFlows({}));
    const order = await paidOrder(memory.orders);
    // Another process moved the order on since `order` was read.
    await memory.orders.updateOrder(order, { status: 'FULFILLING' });
    const seen: OrderStatus[] = [];
    const updated = await changeOrder(
      memory.services,
      order.id,
      (current) => {
        seen.push(current.status);
        return current.status === 'FULFILLING' ? { status: 'FULFILLED' } : { status: 'FULFILLING' };
      },
      order,
    );
    expect(seen).toEqual(['PAID', 'FULFILLING']);
    expect(updated.status).toBe('FULFILLED');
    expect(memory.published.map((published) => published.status)).toEqual(['FULFILLED']);
  });

  it('writes nothing for a change that changes nothing', async () => {
    const memory = inMemoryServices(builtInFlows({}));
    const order = await paidOrder(memory.orders);
    const same = await changeOrder(memory.services, order.id, () => ({ status: 'PAID' }));
    expect(same.version).toBe(order.version);
    expect(memory.published).toEqual([]);
  });
});

describe('the reconciler', () => {
  it('raises the event again for a paid order whose raise was lost, and runs its handlers once', async () => {
    const memory = inMemoryServices(builtInFlows({ verified: 'enrollment' }));
    // PAID in the order system, but the process died before raising OrderPaid.
    const order = await paidOrder(memory.orders);
    const settings = { quietForMs: 0, checkoutExpiresAfterMs: 86_400_000 };
    const first = await reconcileOrders(memory.services, settings);
    const second = await reconcileOrders(memory.services, settings);
    expect([first.jobsRequeued, second.jobsRequeued]).toEqual([1, 0]);
    await memory.drain();
    expect(memory.orders.orders.get(order.id)?.status).toBe('FULFILLED');
    expect(memory.lms.enrolls).toHaveLength(1);
    const events = (await memory.timelines.list(order.id)).filter((e) => e.kind === 'EVENT');
    expect(events.map((e) => e.name)).toEqual(['OrderPaid', 'OrderFulfilled']);
  });
});
