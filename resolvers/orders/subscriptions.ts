import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';
import { watchMyOrders, watchOrder, type OrderStatusUpdate } from '../../workflows/order-status.js';

export const orderSubscriptionResolvers: Resolvers = {
  Subscription: {
    orderStatusChanged: {
      subscribe: (_parent, { orderId }, ctx) => watchOrder(ctx, orderId),
      resolve: (update: OrderStatusUpdate) => update,
    },
    myOrderStatusChanged: {
      subscribe: (_parent, _args, ctx) => watchMyOrders(ctx),
      resolve: (update: OrderStatusUpdate) => update,
    },
  },
};
