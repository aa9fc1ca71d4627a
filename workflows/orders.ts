import { z } from 'zod';
import { primeOrders } from '../connectors/loaders.js';
import type { Order } from '../connectors/orders.js';
import type { Viewer } from '../server/auth.js';
import type { GatewayContext } from '../server/context.js';
import { canSeeOrder, requireViewer } from './access.js';
import { checkPageSize, decodeCursor, encodeCursor, type Connection } from './paging.js';

export type OrderConnection = Connection<Order>;

/** What a page of orders will be asked for beyond the orders themselves. */
export interface OrderPageNeeds {
  payments: boolean;
  /** Each line's product, and so its course run. */
  products: boolean;
  enrollments: boolean;
}

const ORDERS_ONLY: OrderPageNeeds = { payments: false, products: false, enrollments: false };

/** A position in a newest-first list of orders. */
export const orderCursor = z.object({
  placedAt: z.iso.datetime({ offset: true }),
  id: z.string().min(1).max(64),
});

/**
 * The viewer's orders, newest first. The cursor is the last order's (placedAt, id), so orders
 * placed while a client pages through never shift a page: nothing is lost or repeated.
 */
export async function listOrdersOf(
  ctx: GatewayContext,
  owner: Viewer,
  args: { first: number; after?: string | null },
  needs: OrderPageNeeds = ORDERS_ONLY,
): Promise<OrderConnection> {
  const viewer = requireViewer(ctx);
  checkPageSize(args.first);
  if (!viewer.isStaff && owner.userId !== viewer.userId) {
    return { pageInfo: { hasNextPage: false, endCursor: null }, edges: [] };
  }
  const after = args.after ? decodeCursor(args.after, orderCursor) : undefined;
  // The owner's enrollments do not depend on which orders the page holds: asked for now, the LMS
  // answers while the order system does instead of after it, one upstream latency off every
  // page. The page's own lookup below then finds them in the loader (one LMS request still); a
  // page with no orders has asked for them in vain, the price of not waiting on all the others.
  // A failure stays with the loader, for the fields that ask, as it would have.
  if (needs.enrollments) {
    void ctx.loaders.enrollmentsByUsername.load(owner.username).catch(() => undefined);
  }
  const page = await ctx.connectors.orders.listCustomerOrders({
    ownerId: owner.userId,
    first: args.first,
    ...(after ? { after } : {}),
  });
  await fetchWhatThePageNeeds(ctx, page.orders, needs);
  return orderConnection(ctx, page);
}

/**
 * Fetches, before the page's fields run, what they would ask for, through the same loaders and
 * so in the same batches (one per upstream and record type, at the same moment). The fields
 * then resolve at once instead of each through a promise. A record that failed is not kept:
 * its field asks the loader again and gets the error, as it would have.
 */
async function fetchWhatThePageNeeds(
  ctx: GatewayContext,
  orders: readonly Order[],
  needs: OrderPageNeeds,
): Promise<void> {
  const { loaders } = ctx;
  const distinct = (values: Iterable<string>) => [...new Set(values)];
  await Promise.all([
    needs.payments
      ? loaders.payment.loadMany(distinct(orders.flatMap((o) => (o.payment ? [o.payment.id] : []))))
      : null,
    needs.products
      ? loaders.courseRun.loadMany(
          distinct(orders.flatMap((o) => o.lines.map((line) => line.courseRunKey))),
        )
      : null,
    needs.enrollments
      ? loaders.enrollmentsByUsername.loadMany(distinct(orders.map((o) => o.ownerUsername)))
      : null,
  ]);
}

/** A page of orders, newest first, as a connection; the orders are primed for this request. */
export function orderConnection(
  ctx: GatewayContext,
  page: { orders: Order[]; hasNextPage: boolean },
): OrderConnection {
  primeOrders(ctx.loaders, page.orders);
  const edges = page.orders.map((order) => ({
    cursor: encodeCursor({ placedAt: order.placedAt, id: order.id }),
    node: order,
  }));
  return {
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    edges,
  };
}

// Order ids are the order system's UUIDs; anything else cannot name an order, so it is not sent.
const ORDER_ID = /^[A-Za-z0-9-]{1,64}$/;

/** Whether the id can name an order at all (so it is worth asking the order system). */
export function isOrderId(id: string): boolean {
  return ORDER_ID.test(id);
}

/** An order the viewer may see, or null: another learner's order looks exactly like a missing one. */
export async function findOrder(ctx: GatewayContext, id: string): Promise<Order | null> {
  const viewer = requireViewer(ctx);
  if (!isOrderId(id)) return null;
  const order = await ctx.loaders.order.load(id);
  return order && canSeeOrder(viewer, order) ? order : null;
}
