import { Repeater } from '@repeaterjs/repeater';
import type { Order } from '../connectors/orders.js';
import type { GatewayContext } from '../server/context.js';
import { requireViewer } from './access.js';
import { BadInputError } from './errors.js';
import { findOrder } from './orders.js';
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
  requireViewer(ctx);
  // Checked before listening, so a foreign or unknown order costs no subscription.
  if (!(await findOrder(ctx, orderId))) throw new BadInputError('No such order.');
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
      current = (await ctx.connectors.orders.getOrders([orderId])).get(orderId) ?? null;
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
    const latest = new Map<string, Order>();
    const unwatch = await ctx.statusFeed.watchOwner(viewer.userId, (change) => {
      void (async () => {
        const known = latest.get(change.orderId) ?? (await ctx.loaders.order.load(change.orderId));
        if (!known) return;
        const next = applyStatusChange(known, change);
        if (next === known && latest.has(change.orderId)) return;
        latest.set(change.orderId, next);
        await push({ order: next });
      })().catch((error: unknown) => stop(error));
    });
    try {
      await stop;
    } finally {
      unwatch();
    }
  });
}

/** The order after a change, or the same order when the change is not newer than it. */
export function applyStatusChange(order: Order, change: OrderStatusChange): Order {
  if (change.version <= order.version) return order;
  const lineStatus = new Map(change.lines.map((line) => [line.id, line.status]));
  return {
    ...order,
    version: change.version,
    status: change.status,
    lines: order.lines.map((line) => ({ ...line, status: lineStatus.get(line.id) ?? line.status })),
  };
}
