import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';
import { requireViewer } from '../../workflows/access.js';

export const paymentsResolvers: Resolvers = {
  Order: {
    payment: async (order, _args, ctx) => {
      if (!order.payment) return null;
      const payment = await ctx.loaders.payment.load(order.payment.id);
      if (!payment) return null;
      // The client secret lets its holder confirm the payment: only the payer gets it.
      const isOwner = requireViewer(ctx).userId === order.ownerId;
      return isOwner ? payment : { ...payment, clientSecret: null };
    },
  },
};
