import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { Order, OrderConnector } from '../connectors/orders.js';

/** How long an id the order system does not have is answered "unknown" without asking again. */
const UNKNOWN_FOR_MS = 10_000;
const UNKNOWN_ENTRIES = 50_000;
/** The order system's largest `id in (…)` query. */
const MAX_BATCH = 100;

/**
 * Reads of orders for subscriptions, shared by every subscriber of this process: subscribes
 * arriving together cost one order-system request per hundred ids, and an id found missing is
 * remembered for a few seconds, so guessing ids costs the order system almost nothing.
 *
 * Unlike the per-request loaders this outlives a request, so it caches nothing that is found:
 * each read asks the order system (only the concurrent ones share the request), and who may see
 * the order is decided by the caller, after the read.
 */
export function createSharedOrderReads(orders: Pick<OrderConnector, 'getOrders'>) {
  const unknown = new LRUCache<string, true>({ max: UNKNOWN_ENTRIES, ttl: UNKNOWN_FOR_MS });
  const batched = new DataLoader<string, Order | null>(
    async (ids) => {
      const found = await orders.getOrders(ids);
      return ids.map((id) => {
        const order = found.get(id);
        if (!order) unknown.set(id, true);
        return order ?? null;
      });
    },
    // Subscribes arrive as separate socket messages: a millisecond gathers those that come together.
    {
      cache: false,
      maxBatchSize: MAX_BATCH,
      batchScheduleFn: (dispatch) => setTimeout(dispatch, 1),
    },
  );
  return {
    /** The order as the order system has it now, or null when it has no such order. */
    async read(orderId: string): Promise<Order | null> {
      if (unknown.has(orderId)) return null;
      return batched.load(orderId);
    },
  };
}
