import type { Resolvers } from '../schema/__generated__/resolvers-types.js';
import { catalogResolvers } from './catalog/index.js';
import { DateTimeScalar } from './date-time.js';
import { discountsResolvers } from './discounts/index.js';
import { enrollmentsResolvers } from './enrollments/index.js';
import { ordersResolvers } from './orders/index.js';
import { orderMutationResolvers } from './orders/mutations.js';
import { orderSubscriptionResolvers } from './orders/subscriptions.js';
import { orderTimelineResolvers } from './orders/timeline.js';
import { paymentsResolvers } from './payments/index.js';
import { programsResolvers } from './programs/index.js';

const domains: Resolvers[] = [
  catalogResolvers,
  ordersResolvers,
  orderMutationResolvers,
  orderSubscriptionResolvers,
  orderTimelineResolvers,
  paymentsResolvers,
  enrollmentsResolvers,
  discountsResolvers,
  programsResolvers,
];

/** Every domain's resolvers merged type by type (a type may get fields from several domains). */
export function buildResolvers(): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const domain of domains) {
    for (const [typeName, fields] of Object.entries(domain)) {
      merged[typeName] = { ...merged[typeName], ...(fields as Record<string, unknown>) };
    }
  }
  return { ...(merged as Resolvers), DateTime: DateTimeScalar };
}
