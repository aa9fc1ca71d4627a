import { primeOrders } from '../connectors/loaders.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import { ForbiddenError } from './errors.js';
import { orderCursor, type OrderConnection } from './orders.js';
import { checkPageSize, decodeCursor, encodeCursor } from './paging.js';

/**
 * Orders support should look at (staff only), newest first: those that failed for good, and
 * paid ones left unfulfilled longer than `attentionAfterMs`. One order-system query per page.
 */
export async function listOrdersNeedingAttention(
  ctx: GatewayContext,
  args: { first: number; after?: string | null },
): Promise<OrderConnection> {
  const viewer = requireViewer(ctx);
  if (!viewer.isStaff) throw new ForbiddenError('Only staff may list orders needing attention.');
  checkPageSize(args.first);
  const after = args.after ? decodeCursor(args.after, orderCursor) : undefined;
  const page = await ctx.connectors.orders.listOrdersNeedingAttention({
    failed: ['FULFILLMENT_ERROR', 'REFUND_ERROR'],
    stuck: ['PAID', 'FULFILLING'],
    stuckSince: new Date(Date.now() - ctx.attentionAfterMs).toISOString(),
    first: args.first,
    ...(after ? { after } : {}),
  });
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
