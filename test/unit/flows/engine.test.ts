import { describe, expect, it } from 'vitest';
import { flowEventId } from '../../../flows/events.js';
import {
  builtInFlows,
  catalogOf,
  emptyFilters,
  emptyHandlers,
  type FlowsPlan,
} from '../../../flows/flows-plan.js';
import { defineFilter, defineHandler, PermanentHandlerError } from '../../../flows/plugin-api.js';
import { inMemoryServices, paidOrder, settlePaidOrder } from './in-memory.js';

const MODES = { verified: 'enrollment', audit: 'enrollment' };

/** The built-in flows plus a handler on OrderFulfilled that records each run it makes. */
function planWithRecorder(
  runs: string[],
  options: { failing?: boolean; onRefunded?: boolean } = {},
): FlowsPlan {
  const recorder = defineHandler({
    name: 'recorder',
    create: () => (run) => {
      runs.push(`${run.event.type} ${run.event.id} ${run.snapshot?.status ?? 'no snapshot'}`);
      if (options.failing) return Promise.reject(new Error('receiver down'));
      return Promise.resolve('recorded');
    },
  });
  const base = builtInFlows(MODES);
  const handlers = emptyHandlers();
  handlers.OrderPaid.push(...base.handlers.OrderPaid);
  handlers.RefundRequested.push(...base.handlers.RefundRequested);
  handlers.OrderFulfilled.push({ id: 'recorder', name: 'recorder', optional: true, settings: {} });
  if (options.onRefunded) {
    handlers.OrderRefunded.push({
      id: 'recorder',
      name: 'recorder',
      optional: false,
      settings: {},
    });
  }
  return { ...base, handlers, definitions: catalogOf([recorder]).catalog };
}

describe('the flows engine', () => {
  it('runs fulfillment once however often OrderPaid is raised, then the OrderFulfilled handlers once', async () => {
    const runs: string[] = [];
    const memory = inMemoryServices(planWithRecorder(runs));
    const order = await paidOrder(memory.orders);
    for (let i = 0; i < 5; i += 1) await memory.services.flow.raise('OrderPaid', order);
    expect([...memory.jobs.all.keys()]).toEqual([`OrderPaid-fulfillment-${order.id}`]);

    await memory.drain();
    await memory.services.flow.raise('OrderPaid', order);
    await memory.drain();

    expect(memory.orders.orders.get(order.id)?.status).toBe('FULFILLED');
    expect(memory.lms.enrolls).toEqual(['alice/course-v1:X+Y+Z']);
    expect(runs).toEqual([`OrderFulfilled ${flowEventId('OrderFulfilled', order.id)} FULFILLED`]);
    expect(memory.published.map((published) => published.status)).toEqual([
      'FULFILLING',
      'FULFILLED',
    ]);
  });

  it('keeps a failing optional handler from holding the order back, and retries it with the same event id', async () => {
    const runs: string[] = [];
    const memory = inMemoryServices(planWithRecorder(runs, { failing: true }));
    const order = await paidOrder(memory.orders);
    await memory.services.flow.raise('OrderPaid', order);
    await memory.drain();

    expect(memory.orders.orders.get(order.id)?.status).toBe('FULFILLED');
    const recorder = memory.jobs.all.get(`OrderFulfilled-recorder-${order.id}`);
    expect(recorder).toMatchObject({ state: 'failed', attemptsMade: 3, outcome: 'receiver down' });
    const eventId = flowEventId('OrderFulfilled', order.id);
    // Only the first attempt starts from the event's snapshot; retries read the order afresh.
    expect(runs).toEqual([
      `OrderFulfilled ${eventId} FULFILLED`,
      `OrderFulfilled ${eventId} no snapshot`,
      `OrderFulfilled ${eventId} no snapshot`,
    ]);
    expect(
      memory.engine.isOptional({ event: 'OrderFulfilled', handler: 'recorder', orderId: order.id }),
    ).toBe(true);
  });

  it('fails the fulfillment job for good when the LMS refuses, leaving FULFILLMENT_ERROR', async () => {
    const memory = inMemoryServices(builtInFlows(MODES));
    memory.lms.refuse = true;
    const order = await paidOrder(memory.orders);
    await memory.services.flow.raise('OrderPaid', order);
    await memory.drain();

    expect(memory.orders.orders.get(order.id)?.status).toBe('FULFILLMENT_ERROR');
    expect(memory.jobs.all.get(`OrderPaid-fulfillment-${order.id}`)).toMatchObject({
      state: 'failed',
      attemptsMade: 1,
    });
  });

  it('fails a line whose mode has no module, and a job whose handler the flows no longer have', async () => {
    const memory = inMemoryServices(builtInFlows(MODES));
    const order = await paidOrder(memory.orders, 'professional');
    await memory.services.flow.raise('OrderPaid', order);
    await memory.drain();
    expect(memory.orders.orders.get(order.id)?.status).toBe('FULFILLMENT_ERROR');

    await expect(
      memory.engine.runHandler({
        job: { event: 'OrderPlaced', handler: 'gone', orderId: order.id },
        raisedAt: new Date(),
        attempt: 1,
        snapshot: undefined,
        services: memory.services,
        lastAttempt: false,
      }),
    ).rejects.toBeInstanceOf(PermanentHandlerError);
  });

  it('revokes on RefundRequested and raises OrderRefunded', async () => {
    const runs: string[] = [];
    const memory = inMemoryServices(planWithRecorder(runs, { onRefunded: true }));
    const order = await settlePaidOrder(memory);
    const pending = await memory.orders.updateOrder(order, {
      status: 'REFUND_PENDING',
      refundRequestKey: 'r1',
      payment: { provider: 'memory', id: 'pay-1' },
    });
    await memory.services.flow.raise('RefundRequested', pending);
    await memory.drain();

    expect(memory.orders.orders.get(order.id)).toMatchObject({
      status: 'REFUNDED',
      refundId: 'refund-pay-1',
      lines: [{ status: 'REFUNDED' }],
    });
    expect(runs.map((run) => run.split(' ')[0])).toEqual(['OrderFulfilled', 'OrderRefunded']);
  });

  it('asks the filters in order and stops at the first refusal', async () => {
    const asked: string[] = [];
    const allow = defineFilter({
      name: 'allow',
      create: () => () => {
        asked.push('allow');
        return Promise.resolve(null);
      },
    });
    const refuse = defineFilter({
      name: 'refuse',
      create: () => () => {
        asked.push('refuse');
        return Promise.resolve({ code: 'PURCHASE_NOT_ALLOWED', message: 'No.', field: null });
      },
    });
    const filters = emptyFilters();
    filters.purchase.push('allow', 'refuse', 'allow');
    const plan: FlowsPlan = {
      ...builtInFlows(MODES),
      filters,
      definitions: catalogOf([allow, refuse]).catalog,
    };
    const memory = inMemoryServices(plan);
    const check = {
      buyer: { userId: '7', username: 'alice', email: null, name: null },
      skus: ['SEAT-1'],
    };
    await expect(memory.services.flow.screen('purchase', check)).resolves.toMatchObject({
      code: 'PURCHASE_NOT_ALLOWED',
    });
    expect(asked).toEqual(['allow', 'refuse']);
  });

  it('writes the timeline once per event and per handler outcome, filters before the order', async () => {
    const filters = emptyFilters();
    filters.purchase.push('allow');
    const allow = defineFilter({ name: 'allow', create: () => () => Promise.resolve(null) });
    const plan: FlowsPlan = {
      ...builtInFlows(MODES),
      filters,
      definitions: catalogOf([allow]).catalog,
    };
    const memory = inMemoryServices(plan);
    const order = await paidOrder(memory.orders);
    await memory.services.flow.raise('OrderPlaced', order);
    await memory.services.flow.raise('OrderPaid', order);
    await memory.services.flow.raise('OrderPaid', order);
    await memory.drain();
    const entries = await memory.timelines.list(order.id);
    expect(entries.map((e) => `${e.kind} ${e.name} ${e.outcome} ${e.detail ?? ''}`)).toEqual([
      'FILTER allow ALLOWED ',
      'EVENT OrderPlaced RAISED PAID',
      'EVENT OrderPaid RAISED PAID',
      'EVENT OrderFulfilled RAISED FULFILLED',
      'HANDLER fulfillment SUCCEEDED FULFILLED: verified seat SEAT-1 FULFILLED',
    ]);
  });

  it('writes an event with no handlers together with the outcome of the run that raised it', async () => {
    const memory = inMemoryServices(builtInFlows(MODES));
    const order = await paidOrder(memory.orders);
    await memory.services.flow.raise('OrderPaid', order);
    await memory.drain();
    // One round trip for the run's two entries.
    expect(memory.timelines.appends).toEqual([
      ['event:OrderPaid'],
      ['event:OrderFulfilled', 'handler:OrderPaid:fulfillment:done'],
    ]);
  });

  it('writes an event with handlers at once, so it shows before what they write', async () => {
    const runs: string[] = [];
    const memory = inMemoryServices(planWithRecorder(runs));
    const order = await paidOrder(memory.orders);
    await memory.services.flow.raise('OrderPaid', order);
    await memory.drain();
    expect(memory.timelines.appends).toEqual([
      ['event:OrderPaid'],
      ['event:OrderFulfilled'],
      ['handler:OrderPaid:fulfillment:done'],
      ['handler:OrderFulfilled:recorder:done'],
    ]);
  });

  it('fails the run when the events it raised cannot be written, and the retry writes them', async () => {
    const memory = inMemoryServices(builtInFlows(MODES));
    const order = await paidOrder(memory.orders);
    let failures = 1;
    memory.timelines.failWhen = (onceKeys) =>
      onceKeys.includes('event:OrderFulfilled') && failures-- > 0;
    await memory.services.flow.raise('OrderPaid', order);
    await memory.drain();

    const job = memory.jobs.all.get(`OrderPaid-fulfillment-${order.id}`);
    expect(job).toMatchObject({ state: 'completed', attemptsMade: 1 });
    expect(memory.lms.enrolls).toEqual(['alice/course-v1:X+Y+Z']);
    const entries = await memory.timelines.list(order.id);
    expect(entries.map((e) => `${e.kind} ${e.name} ${e.outcome}`)).toEqual([
      'EVENT OrderPaid RAISED',
      'EVENT OrderFulfilled RAISED',
      'HANDLER fulfillment SUCCEEDED',
    ]);
  });
});
