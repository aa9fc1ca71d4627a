import type { Order, OrderLine } from '../connectors/orders.js';

/** A line keeps its order at hand: its enrollment is looked up under the order's owner. */
export interface OrderLineParent {
  line: OrderLine;
  order: Order;
}
