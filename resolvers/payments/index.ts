import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';
import { requireViewer } from '../../workflows/access.js';

export const paymentsResolvers: Resolvers = {
  Order: {
    payment: (order, _args, ctx) => {
      if (!order.payment) return null;
      return ctx.loaders.payment.loadThen(order.payment.id, (payment) => {
        if (!payment) return null;
        // The client secret lets its holder confirm the payment: only the payer gets it.
        const isOwner = requireViewer(ctx).userId === order.ownerId;
        return isOwner ? payment : { ...payment, clientSecret: null };
      });
    },
  },
};
