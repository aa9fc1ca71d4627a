import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';
import { requireViewer } from '../../workflows/access.js';
import { quoteCheckout } from '../../workflows/checkout.js';
import { listOrdersNeedingAttention } from '../../workflows/attention.js';
import { findOrder, listOrdersOf } from '../../workflows/orders.js';
import { orderPageNeeds } from './order-page-needs.js';

export const ordersResolvers: Resolvers = {
  Query: {
    me: (_parent, _args, ctx) => requireViewer(ctx),
    order: (_parent, { id }, ctx) => findOrder(ctx, id),
    checkoutPreview: (_parent, { skus, discountCode }, ctx) =>
      quoteCheckout(ctx, skus, discountCode),
    ordersNeedingAttention: (_parent, args, ctx) => listOrdersNeedingAttention(ctx, args),
  },
  User: {
    // Only the signed-in user resolves: this subgraph knows no other user's username.
    __resolveReference: (reference, ctx) => {
      const viewer = requireViewer(ctx);
      // A copy: @apollo/subgraph writes __typename onto what this returns, and the viewer is
      // shared (frozen) by every request that presents the same token.
      return reference.id === viewer.userId ? { ...viewer } : null;
    },
    id: (user) => user.userId,
    orders: (user, args, ctx, info) => listOrdersOf(ctx, user, args, orderPageNeeds(info)),
  },
  Order: {
    __resolveReference: (reference, ctx) => findOrder(ctx, reference.id),
    lines: (order) => order.lines.map((line) => ({ line, order })),
  },
  OrderLine: {
    id: ({ line }) => line.id,
    status: ({ line }) => line.status,
    price: ({ line }) => line.price,
    // Through the line's course run, not the SKU: a page of orders then needs one catalog batch.
    // loadThen: synchronous when the page fetched the run up front (listOrdersOf).
    product: ({ line }, _args, ctx) =>
      ctx.loaders.courseRun.loadThen(
        line.courseRunKey,
        (run) => run?.seats.find((seat) => seat.sku === line.sku) ?? null,
      ),
    enrollment: ({ line, order }, _args, ctx) =>
      ctx.loaders.enrollmentsByUsername.loadThen(
        order.ownerUsername,
        (enrollments) =>
          enrollments.find((enrollment) => enrollment.courseRunKey === line.courseRunKey) ?? null,
      ),
  },
};
