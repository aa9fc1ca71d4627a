import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import { ForbiddenError } from './errors.js';
import { orderConnection, orderCursor, type OrderConnection } from './orders.js';
import { checkPageSize, decodeCursor } from './paging.js';

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
  return orderConnection(ctx, page);
}
