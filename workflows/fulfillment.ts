import type { LineStatus, Order, OrderChange, OrderLine } from '../connectors/orders.js';
import { FULFILLMENT_JOB } from '../flows/events.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import { ForbiddenError } from './errors.js';
import { changeOrder } from './order-updates.js';
import type { CommerceServices } from './services.js';
import type { UserError } from './user-errors.js';

/** What a fulfillment module answers for one line. */
export type FulfillmentResult =
  | { status: 'success' }
  | { status: 'failure'; errorType: 'transient' | 'permanent'; message: string };

/** Grants (and takes back) what one product type sells: an enrollment, a certificate, … */
export interface FulfillmentModule {
  fulfill(order: Order, line: OrderLine): Promise<FulfillmentResult>;
  revoke(order: Order, line: OrderLine): Promise<FulfillmentResult>;
}

/** The module configured for a product mode, or null when none is. */
export type FulfillmentModules = (mode: string) => FulfillmentModule | null;

/** Some lines failed for now (an upstream outage): the job should run again later. */
export class TransientFulfillmentError extends Error {
  override name = 'TransientFulfillmentError';
}

export interface RunOptions {
  /** The job will not run again: lines still failing for now fail for good. */
  lastAttempt: boolean;
}

/**
 * Runs a paid order's fulfillment: every PENDING line through its product's module, then the
 * order FULFILLED, or FULFILLMENT_ERROR if a line failed for good, and the event that says so
 * raised (again when a retried job finds the order already ended). Lines already fulfilled are
 * never run again, so running this twice (a retried or re-delivered job) grants nothing twice.
 * Throws TransientFulfillmentError, with progress saved, when some lines should be retried.
 */
export async function fulfillOrder(
  services: CommerceServices,
  orderId: string,
  modules: FulfillmentModules,
  options: RunOptions,
  snapshot?: Order,
): Promise<Order> {
  // A job finding its order failed for good was started again by support (the console): the
  // same as retryFulfillment, it runs the failed lines again.
  const order = await changeOrder(
    services,
    orderId,
    (current) =>
      current.status === 'PAID'
        ? { status: 'FULFILLING' }
        : current.status === 'FULFILLMENT_ERROR'
          ? failedLinesAgain(current)
          : null,
    snapshot,
  );
  if (order.status !== 'FULFILLING') {
    await raiseOutcome(services, order);
    return order;
  }

  const pending = order.lines.filter((line) => line.status === 'PENDING');
  const results = await runModules(pending, modules, (module, line) => module.fulfill(order, line));
  const { lineStatuses, transient } = settleLines(pending, results, options, {
    success: 'FULFILLED',
    failure: 'FULFILLMENT_ERROR',
  });

  // Starts from the order as this job wrote it, not a fresh read: should anyone have changed it
  // since, the version no longer matches and changeOrder reads it again and asks again.
  const finalChange = (current: Order): OrderChange | null => {
    if (current.status !== 'FULFILLING') return null;
    const statuses = current.lines.map((line) => lineStatuses[line.id] ?? line.status);
    if (statuses.includes('PENDING')) return { lineStatuses };
    const status = statuses.every((s) => s === 'FULFILLED') ? 'FULFILLED' : 'FULFILLMENT_ERROR';
    return { lineStatuses, status };
  };
  const updated = await changeOrder(services, orderId, finalChange, order);
  logFailures(services, updated, results);
  await raiseOutcome(services, updated);
  if (transient.length > 0 && !options.lastAttempt) {
    throw new TransientFulfillmentError(
      `Order ${orderId}: ${transient.length} line(s) to retry: ${transient.join('; ')}`,
    );
  }
  return updated;
}

export interface RetryResult {
  order: Order | null;
  userErrors: UserError[];
}

/** Support runs an order's failed lines again (staff only). */
export async function retryFulfillment(ctx: GatewayContext, orderId: string): Promise<RetryResult> {
  const viewer = requireViewer(ctx);
  if (!viewer.isStaff) throw new ForbiddenError('Only staff may retry a fulfillment.');
  const found = (await ctx.connectors.orders.getOrders([orderId])).get(orderId);
  if (!found) {
    return {
      order: null,
      userErrors: [{ code: 'ORDER_NOT_FOUND', message: 'No such order.', field: ['orderId'] }],
    };
  }
  const order = await changeOrder(
    ctx,
    orderId,
    (current) => (current.status === 'FULFILLMENT_ERROR' ? failedLinesAgain(current) : null),
    found,
  );
  if (order.status !== 'FULFILLING') {
    return {
      order,
      userErrors: [
        {
          code: 'RETRY_NOT_ALLOWED',
          message: `Only an order in FULFILLMENT_ERROR can be retried; this one is ${order.status}.`,
          field: ['orderId'],
        },
      ],
    };
  }
  await ctx.jobs.rerun({ ...FULFILLMENT_JOB, orderId });
  return { order, userErrors: [] };
}

/** The change that puts an order's failed lines back in line for fulfillment. */
function failedLinesAgain(order: Order): OrderChange {
  const lineStatuses: Record<string, LineStatus> = {};
  for (const line of order.lines) {
    if (line.status === 'FULFILLMENT_ERROR') lineStatuses[line.id] = 'PENDING';
  }
  return { status: 'FULFILLING', lineStatuses };
}

/** Runs one module call per line in parallel; a module that throws counts as a transient failure. */
export async function runModules(
  lines: readonly OrderLine[],
  modules: FulfillmentModules,
  call: (module: FulfillmentModule, line: OrderLine) => Promise<FulfillmentResult>,
): Promise<FulfillmentResult[]> {
  return Promise.all(
    lines.map(async (line): Promise<FulfillmentResult> => {
      const module = modules(line.mode);
      if (!module) {
        return {
          status: 'failure',
          errorType: 'permanent',
          message: `no fulfillment module for mode ${line.mode}`,
        };
      }
      try {
        return await call(module, line);
      } catch (error) {
        return {
          status: 'failure',
          errorType: 'transient',
          message: error instanceof Error ? error.message : String(error),
        };
      }
    }),
  );
}

/** Turns module results into line statuses; transient failures stay as they were unless last. */
export function settleLines(
  lines: readonly OrderLine[],
  results: readonly FulfillmentResult[],
  options: RunOptions,
  statuses: { success: LineStatus; failure: LineStatus },
): { lineStatuses: Record<string, LineStatus>; transient: string[] } {
  const lineStatuses: Record<string, LineStatus> = {};
  const transient: string[] = [];
  lines.forEach((line, index) => {
    const result = results[index];
    if (!result) return;
    if (result.status === 'success') lineStatuses[line.id] = statuses.success;
    else if (result.errorType === 'permanent' || options.lastAttempt) {
      lineStatuses[line.id] = statuses.failure;
    } else transient.push(`${line.id}: ${result.message}`);
  });
  return { lineStatuses, transient };
}

async function raiseOutcome(services: CommerceServices, order: Order): Promise<void> {
  if (order.status === 'FULFILLED') await services.flow.raise('OrderFulfilled', order);
  else if (order.status === 'FULFILLMENT_ERROR') {
    await services.flow.raise('FulfillmentFailed', order);
  }
}

function logFailures(
  services: CommerceServices,
  order: Order,
  results: readonly FulfillmentResult[],
): void {
  for (const result of results) {
    if (result.status === 'failure') {
      services.logger.warn(
        { orderId: order.id, errorType: result.errorType, reason: result.message },
        'a fulfillment module failed',
      );
    }
  }
}
