import type { Order } from '../connectors/orders.js';
import type { GatewayContext } from '../server/context.js';
import { canSeeOrder, requireViewer } from './access.js';
import { BadInputError } from './errors.js';
import { isOrderId } from './orders.js';
import { ChangeStream } from './change-stream.js';
import type { OrderStatusChange, OrderStatusFeed } from './services.js';

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
  const stream = new ChangeStream<OrderStatusUpdate>();
  // Set up while the stream is handed out: a failure after this point ends the stream with it.
  void followOrder(ctx.statusFeed, orderId, stream);
  return stream;
}

async function followOrder(
  feed: OrderStatusFeed,
  orderId: string,
  stream: ChangeStream<OrderStatusUpdate>,
): Promise<void> {
  const early: OrderStatusChange[] = [];
  let current: Order | null = null;
  try {
    const unwatch = await feed.watchOrder(orderId, (change) => {
      if (!current) {
        early.push(change);
        return;
      }
      const next = applyStatusChange(current, change);
      if (next !== current) {
        current = next;
        stream.push({ order: next });
      }
    });
    stream.onEnded(unwatch);
    let order = await feed.readOrder(orderId);
    if (!order) throw new BadInputError('No such order.');
    for (const change of early.splice(0)) order = applyStatusChange(order, change);
    current = order;
    stream.push({ order });
  } catch (error) {
    stream.fail(error);
  }
}

/** Every status change of the viewer's orders from now on (no initial state: there may be many). */
export function watchMyOrders(ctx: GatewayContext): AsyncIterable<OrderStatusUpdate> {
  const viewer = requireViewer(ctx);
  const stream = new ChangeStream<OrderStatusUpdate>();
  // Made on the first change: most subscriptions wait minutes for one.
  let versions: Map<string, number> | undefined;
  ctx.statusFeed
    .watchOwner(viewer.userId, (change) => {
      versions ??= new Map();
      if (change.version <= (versions.get(change.orderId) ?? -1)) return;
      versions.set(change.orderId, change.version);
      stream.push({ order: change.order });
    })
    .then(
      (unwatch) => stream.onEnded(unwatch),
      (error: unknown) => stream.fail(error),
    );
  return stream;
}

/** The order after a change: the change's snapshot when it is newer, else the order as it was. */
export function applyStatusChange(order: Order, change: OrderStatusChange): Order {
  return change.version > order.version ? change.order : order;
}
