import { defineFulfillmentModule, type FulfillmentModuleDefinition } from '../plugin-api.js';
import { createEnrollmentModule } from './enrollment.js';

/** The fulfillment modules built in, by the name the flows file's `fulfillment:` gives them. */
export const BUILT_IN_MODULES: readonly FulfillmentModuleDefinition[] = [
  defineFulfillmentModule({
    name: 'enrollment',
    create: (deps) => createEnrollmentModule(deps.connectors.enrollment),
  }),
];
