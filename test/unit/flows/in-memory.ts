import { pino } from 'pino';
import type { Connectors } from '../../../connectors/index.js';
import type { Enrollment, EnrollmentConnector } from '../../../connectors/enrollment.js';
import { UpstreamConflictError, UpstreamRejectedError } from '../../../connectors/errors.js';
import type { NewOrder, Order, OrderConnector } from '../../../connectors/orders.js';
import type { PaymentConnector } from '../../../connectors/payments.js';
import { createFlowEngine, type FlowEngine } from '../../../flows/engine.js';
import type { HandlerJob } from '../../../flows/events.js';
import type { FlowsPlan } from '../../../flows/flows-plan.js';
import { PermanentHandlerError } from '../../../flows/plugin-api.js';
import type {
  CommerceServices,
  OrderJobs,
  OrderTimelines,
  TimelineEntry,
} from '../../../workflows/services.js';

/**
 * In-memory stand-ins for the order system, the LMS and the queue, so the engine and the order
 * state machine are tested in milliseconds without Redis or HTTP. Only what those tests reach is
 * implemented; anything else throws, so a test that wanders off fails loudly.
 */
export function inMemoryOrders(): OrderConnector & { orders: Map<string, Order> } {
  const orders = new Map<string, Order>();
  let next = 1;
  const unused = (): never => {
    throw new Error('not implemented by the in-memory order system');
  };
  return {
    orders,
    listCustomerOrders: unused,
    findOrderByIdempotencyKey: unused,
    listOrdersInStatus: (statuses, args) =>
      Promise.resolve(
        [...orders.values()]
          .filter((order) => statuses.includes(order.status))
          .slice(args.offset ?? 0, (args.offset ?? 0) + args.limit)
          .map((order) => structuredClone(order)),
      ),
    listOrdersNeedingAttention: unused,
    checkReachable: unused,
    getOrders(ids) {
      return Promise.resolve(
        new Map(
          ids.flatMap((id) => (orders.has(id) ? [[id, structuredClone(orders.get(id)!)]] : [])),
        ),
      );
    },
    createOrder(input: NewOrder) {
      const id = `order-${next++}`;
      const order: Order = {
        id,
        version: 1,
        number: input.number,
        ownerId: input.ownerId,
        ownerUsername: input.ownerUsername,
        ownerEmail: input.ownerEmail,
        status: input.status,
        placedAt: new Date().toISOString(),
        total: input.total,
        payment: null,
        discount: null,
        idempotencyKey: input.idempotencyKey,
        refundId: null,
        refundRequestKey: null,
        refundLineIds: [],
        refundAtProcessor: false,
        processorRefundedMinor: 0,
        lines: input.lines.map((line, index) => ({
          id: `${id}-line-${index}`,
          sku: line.sku,
          courseRunKey: line.courseRunKey,
          mode: line.mode,
          price: line.price,
          discount: line.discount ?? { amount: '0.00', currencyCode: line.price.currencyCode },
          status: 'PENDING',
        })),
      };
      orders.set(id, order);
      return Promise.resolve(structuredClone(order));
    },
    updateOrder(known, change) {
      const order = orders.get(known.id);
      if (!order) return Promise.reject(new Error(`no order ${known.id}`));
      if (order.version !== known.version) {
        return Promise.reject(new UpstreamConflictError('orders', 409, 'version mismatch'));
      }
      const updated: Order = {
        ...order,
        version: order.version + 1,
        status: change.status ?? order.status,
        payment: change.payment ?? order.payment,
        refundId: change.refundId !== undefined ? change.refundId : order.refundId,
        refundRequestKey: change.refundRequestKey ?? order.refundRequestKey,
        refundLineIds: change.refundLineIds ?? order.refundLineIds,
        refundAtProcessor: change.refundAtProcessor ?? order.refundAtProcessor,
        processorRefundedMinor: change.processorRefundedMinor ?? order.processorRefundedMinor,
        lines: order.lines.map((line) => ({
          ...line,
          status: change.lineStatuses?.[line.id] ?? line.status,
        })),
      };
      orders.set(order.id, updated);
      return Promise.resolve(structuredClone(updated));
    },
  };
}

/** An LMS whose enroll calls are counted and can be made to refuse. */
export function inMemoryLms(): EnrollmentConnector & { enrolls: string[]; refuse: boolean } {
  const enrollments = new Map<string, Enrollment>();
  const lms = {
    enrolls: [] as string[],
    refuse: false,
    listEnrollments: (usernames: readonly string[]) =>
      Promise.resolve(
        new Map(
          usernames.map((username) => [
            username,
            [...enrollments.values()].filter((e) => e.username === username),
          ]),
        ),
      ),
    getEnrollment: (username: string, run: string) =>
      Promise.resolve(enrollments.get(`${username}/${run}`) ?? null),
    enroll(args: { username: string; courseRunKey: string; mode: string }) {
      if (lms.refuse) return Promise.reject(new UpstreamRejectedError('enrollment', 400, 'no'));
      lms.enrolls.push(`${args.username}/${args.courseRunKey}`);
      const enrollment: Enrollment = { ...args, isActive: true, createdAt: '2026-01-01T00:00:00Z' };
      enrollments.set(`${args.username}/${args.courseRunKey}`, enrollment);
      return Promise.resolve(enrollment);
    },
    unenroll(args: { username: string; courseRunKey: string; mode: string }) {
      const enrollment: Enrollment = {
        ...args,
        isActive: false,
        createdAt: '2026-01-01T00:00:00Z',
      };
      enrollments.set(`${args.username}/${args.courseRunKey}`, enrollment);
      return Promise.resolve(enrollment);
    },
    checkReachable: () => Promise.resolve(),
  };
  return lms;
}

/**
 * Timelines as the Redis ones behave: once per key, oldest first. `appends` holds the once-keys
 * of each call, to count round trips; `failWhen` makes a call fail as a Redis error would.
 */
export function inMemoryTimelines(): OrderTimelines & {
  appends: string[][];
  failWhen: ((onceKeys: string[]) => boolean) | null;
} {
  const entries = new Map<string, TimelineEntry[]>();
  const once = new Set<string>();
  return {
    appends: [],
    failWhen: null,
    append(orderId, items) {
      const onceKeys = items.map((item) => item.onceKey);
      if (this.failWhen?.(onceKeys)) return Promise.reject(new Error('timeline store down'));
      this.appends.push(onceKeys);
      for (const { entry, onceKey } of items) {
        if (!once.has(`${orderId}/${onceKey}`)) {
          once.add(`${orderId}/${onceKey}`);
          entries.set(orderId, [...(entries.get(orderId) ?? []), entry]);
        }
      }
      return Promise.resolve();
    },
    list: (orderId) => Promise.resolve(entries.get(orderId) ?? []),
  };
}

interface QueuedJob {
  job: HandlerJob;
  snapshot: Order | undefined;
  state: 'waiting' | 'completed' | 'failed';
  attemptsMade: number;
  outcome: string;
}

/** A queue that keeps one job per id, as BullMQ does with deterministic ids, run by drain(). */
export function inMemoryJobs(attempts = 3): OrderJobs & {
  all: Map<string, QueuedJob>;
  drain(engine: FlowEngine, services: CommerceServices): Promise<void>;
} {
  const all = new Map<string, QueuedJob>();
  const idOf = (job: HandlerJob) => `${job.event}-${job.handler}-${job.orderId}`;
  return {
    all,
    enqueue(job, snapshot) {
      if (!all.has(idOf(job))) {
        all.set(idOf(job), { job, snapshot, state: 'waiting', attemptsMade: 0, outcome: '' });
      }
      return Promise.resolve();
    },
    rerun(job) {
      all.set(idOf(job), {
        job,
        snapshot: undefined,
        state: 'waiting',
        attemptsMade: 0,
        outcome: '',
      });
      return Promise.resolve();
    },
    isPending: (job) => Promise.resolve(all.get(idOf(job))?.state === 'waiting'),
    async drain(engine, services) {
      for (;;) {
        const queued = [...all.values()].find((entry) => entry.state === 'waiting');
        if (!queued) return;
        try {
          queued.outcome = await engine.runHandler({
            job: queued.job,
            raisedAt: new Date(0),
            attempt: queued.attemptsMade + 1,
            snapshot: queued.attemptsMade === 0 ? queued.snapshot : undefined,
            services,
            lastAttempt: queued.attemptsMade + 1 >= attempts,
          });
          queued.state = 'completed';
        } catch (error) {
          queued.attemptsMade += 1;
          queued.outcome = error instanceof Error ? error.message : String(error);
          if (error instanceof PermanentHandlerError || queued.attemptsMade >= attempts) {
            queued.state = 'failed';
          }
        }
      }
    },
  };
}

/** Services on in-memory parts, with the engine built from the plan. */
export function inMemoryServices(plan: FlowsPlan) {
  const orders = inMemoryOrders();
  const lms = inMemoryLms();
  const jobs = inMemoryJobs();
  const published: Order[] = [];
  const unused = (): never => {
    throw new Error('not implemented in memory');
  };
  const payments: PaymentConnector = {
    provider: 'memory',
    getPayments: unused,
    getFreshPayment: unused,
    createPayment: unused,
    parseWebhook: unused,
    checkReachable: unused,
    cancelPayment: unused,
    getRefund: unused,
    getReversals: unused,
    listReversalEvents: unused,
    refundPayment: (args) =>
      Promise.resolve({
        id: `refund-${args.paymentId}`,
        paymentId: args.paymentId,
        status: 'SUCCEEDED',
        amount: { amount: '0', currencyCode: 'USD' },
      }),
  };
  const connectors = {
    orders,
    enrollment: lms,
    payments,
    catalog: {} as Connectors['catalog'],
    discounts: {} as Connectors['discounts'],
    programs: {} as Connectors['programs'],
    mail: null,
    screening: null,
  } satisfies Connectors;
  const timelines = inMemoryTimelines();
  const engine = createFlowEngine(plan, {
    connectors,
    jobs,
    timelines,
    secret: () => undefined,
    timeoutMs: 1000,
  });
  const services: CommerceServices = {
    connectors,
    jobs,
    flow: engine.flow,
    timelines,
    events: { publish: (order) => Promise.resolve(void published.push(order)) },
    purchases: {
      find: unused,
      claim: unused,
      complete: unused,
      release: unused,
      waitFor: unused,
      forget: unused,
    },
    logger: pino({ level: 'silent' }),
    attentionAfterMs: 15 * 60_000,
  };
  return {
    services,
    engine,
    orders,
    lms,
    jobs,
    timelines,
    published,
    drain: () => jobs.drain(engine, services),
  };
}

/** A paid order of one verified seat, as the order system holds it. */
export async function paidOrder(orders: OrderConnector, mode = 'verified'): Promise<Order> {
  return orders.createOrder({
    number: 'EDX-TEST-1',
    ownerId: '7',
    ownerUsername: 'alice',
    ownerEmail: 'alice@example.org',
    status: 'PAID',
    total: { amount: '49.00', currencyCode: 'USD' },
    idempotencyKey: 'k1',
    lines: [
      {
        sku: 'SEAT-1',
        courseRunKey: 'course-v1:X+Y+Z',
        mode,
        title: 'A course',
        price: { amount: '49.00', currencyCode: 'USD' },
      },
    ],
  });
}
/** A paid order taken through the built-in fulfillment to FULFILLED. */
export async function settlePaidOrder(memory: ReturnType<typeof inMemoryServices>): Promise<Order> {
  const order = await paidOrder(memory.orders);
  await memory.services.flow.raise('OrderPaid', order);
  await memory.drain();
  const fulfilled = memory.orders.orders.get(order.id);
  if (fulfilled?.status !== 'FULFILLED') throw new Error('the order did not reach FULFILLED');
  return fulfilled;
}
