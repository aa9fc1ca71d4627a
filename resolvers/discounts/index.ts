import type { Resolvers } from '../../schema/__generated__/resolvers-types.js';

export const discountsResolvers: Resolvers = {
  OrderLine: {
    discount: ({ line }) => line.discount,
  },
};
