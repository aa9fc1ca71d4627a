import type { FulfillmentModule, FulfillmentModules } from '../workflows/fulfillment.js';
import type { JobMetrics } from './order-worker.js';

/** The modules, each failure they answer (or throw) counted by module name and error type. */
export function countModuleFailures(
  modules: FulfillmentModules,
  nameOfMode: (mode: string) => string | undefined,
  metrics: Pick<JobMetrics, 'recordModuleFailure'>,
): FulfillmentModules {
  return (mode) => {
    const module = modules(mode);
    if (!module) {
      metrics.recordModuleFailure('none', 'any', 'permanent');
      return null;
    }
    const name = nameOfMode(mode) ?? 'unknown';
    const observed =
      (operation: keyof FulfillmentModule): FulfillmentModule[typeof operation] =>
      async (order, line) => {
        try {
          const result = await module[operation](order, line);
          if (result.status === 'failure') {
            metrics.recordModuleFailure(name, operation, result.errorType);
          }
          return result;
        } catch (error) {
          metrics.recordModuleFailure(name, operation, 'transient');
          throw error;
        }
      };
    return { fulfill: observed('fulfill'), revoke: observed('revoke') };
  };
}
