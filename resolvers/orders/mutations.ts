import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';
import { retryFulfillment } from '../../workflows/fulfillment.js';
import { purchase } from '../../workflows/purchase.js';
import { refundOrder } from '../../workflows/refund.js';

export const orderMutationResolvers: Resolvers = {
  Mutation: {
    purchase: (_parent, { input }, ctx) => purchase(ctx, input),
    refundOrder: (_parent, { input }, ctx) => refundOrder(ctx, input),
    retryFulfillment: (_parent, { orderId }, ctx) => retryFulfillment(ctx, orderId),
  },
};
