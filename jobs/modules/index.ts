import type { Connectors } from '../../connectors/index.js';
import type { FulfillmentModule, FulfillmentModules } from '../../workflows/fulfillment.js';
import { createEnrollmentModule } from './enrollment.js';

/** The fulfillment modules there are, by the name configuration uses for them. */
export const MODULE_NAMES = ['enrollment'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

/** Which module fulfills which product mode, as configured (FULFILLMENT_MODULES). */
export function createFulfillmentModules(
  connectors: Connectors,
  moduleByMode: Readonly<Record<string, ModuleName>>,
): FulfillmentModules {
  const modules: Record<ModuleName, FulfillmentModule> = {
    enrollment: createEnrollmentModule(connectors.enrollment),
  };
  return (mode) => {
    const name = moduleByMode[mode];
    return name ? modules[name] : null;
  };
}
