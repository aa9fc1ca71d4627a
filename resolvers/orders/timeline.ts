import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';
import { orderTimeline } from '../../workflows/timeline.js';

export const orderTimelineResolvers: Resolvers = {
  Order: {
    timeline: (order, _args, ctx) => orderTimeline(ctx, order),
  },
};
