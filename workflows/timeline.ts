import type { Order } from '../connectors/orders.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import type { TimelineEntry } from './services.js';

/**
 * The order's timeline for whoever may read the order (the resolver gets it only then): staff
 * see every detail, the owner every entry with staff-only details left out.
 */
export async function orderTimeline(ctx: GatewayContext, order: Order): Promise<TimelineEntry[]> {
  const viewer = requireViewer(ctx);
  const entries = await ctx.timelines.list(order.id);
  if (viewer.isStaff) return entries;
  return entries.map((entry) => (entry.staffOnly ? { ...entry, detail: null } : entry));
}
