import { Repeater } from '@repeaterjs/repeater';
import type { Order } from '../connectors/orders.js';
import type { GatewayContext } from '../server/context.js';
import { canSeeOrder, requireViewer } from './access.js';
import { BadInputError } from './errors.js';
import { isOrderId } from './orders.js';
import type { OrderStatusChange } from './services.js';

export interface OrderStatusUpdate {
  order: Order;
}

/**
 * The order's current state, then each status change in order. Listening starts before the
 * state is read, and changes not newer than what was sent are dropped, so nothing is missed,
 * repeated or reordered, even when changes from several processes cross on the way.
 */
export async function watchOrder(
  ctx: GatewayContext,
  orderId: string,
): Promise<AsyncIterable<OrderStatusUpdate>> {
  const viewer = requireViewer(ctx);
  // Checked before listening, so a foreign or unknown order costs no subscription; read through
  // the feed, which every subscriber shares, so a flood of guessed ids costs almost nothing.
  const found = isOrderId(orderId) ? await ctx.statusFeed.readOrder(orderId) : null;
  if (!found || !canSeeOrder(viewer, found)) throw new BadInputError('No such order.');
  return new Repeater<OrderStatusUpdate>(async (push, stop) => {
    const early: OrderStatusChange[] = [];
    let current: Order | null = null;
    const unwatch = await ctx.statusFeed.watchOrder(orderId, (change) => {
      if (!current) {
        early.push(change);
        return;
      }
      const next = applyStatusChange(current, change);
      if (next !== current) {
        current = next;
        void push({ order: next });
      }
    });
    try {
      current = await ctx.statusFeed.readOrder(orderId);
      if (!current) throw new BadInputError('No such order.');
      for (const change of early) current = applyStatusChange(current, change);
      await push({ order: current });
      await stop;
    } finally {
      unwatch();
    }
  });
}

/** Every status change of the viewer's orders from now on (no initial state: there may be many). */
export function watchMyOrders(ctx: GatewayContext): AsyncIterable<OrderStatusUpdate> {
  const viewer = requireViewer(ctx);
  return new Repeater<OrderStatusUpdate>(async (push, stop) => {
    const versions = new Map<string, number>();
    const unwatch = await ctx.statusFeed.watchOwner(viewer.userId, (change) => {
      if (change.version <= (versions.get(change.orderId) ?? -1)) return;
      versions.set(change.orderId, change.version);
      void push({ order: change.order });
    });
    try {
      await stop;
    } finally {
      unwatch();
    }
  });
}

/** The order after a change: the change's snapshot when it is newer, else the order as it was. */
export function applyStatusChange(order: Order, change: OrderStatusChange): Order {
  return change.version > order.version ? change.order : order;
}
