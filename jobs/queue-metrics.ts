import type { Queue } from 'bullmq';
import { FULFILLMENT_JOB, isFlowEventType, REVOCATION_JOB } from '../flows/events.js';
import { RECONCILE_JOB } from './order-queue.js';

/** The states an operator watches; completed jobs are kept a week and would only add noise. */
const WATCHED_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;
/** Reported even at zero, so a dashboard's series exist before the first failure. */
const KINDS = [FULFILLMENT_JOB.handler, REVOCATION_JOB.handler, RECONCILE_JOB];
/** Order ids are the order system's UUIDs; a job id ends with one. */
const ORDER_ID_SUFFIX = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface QueueCount {
  state: (typeof WATCHED_STATES)[number];
  kind: string;
  count: number;
}

export interface OrderQueueMetrics {
  countsByStateAndKind(): Promise<QueueCount[]>;
}

/**
 * Counts the queue's jobs by state and kind (the handler) from their ids alone
 * (`<event>-<handler>-<order id>`, `<kind>-<order id>` for jobs queued before flows, the
 * scheduler's `repeat:…` for the reconciler), so a scrape reads no job's data.
 */
export function createQueueMetrics(queue: Queue): OrderQueueMetrics {
  return {
    async countsByStateAndKind() {
      const counts: QueueCount[] = [];
      for (const state of WATCHED_STATES) {
        const byKind = new Map<string, number>(KINDS.map((kind) => [kind, 0]));
        for (const id of await queue.getRanges([state], 0, -1)) {
          const kind = kindOfJobId(id);
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
        }
        for (const [kind, count] of byKind) counts.push({ state, kind, count });
      }
      return counts;
    },
  };
}

function kindOfJobId(id: string): string {
  if (id.startsWith('repeat:')) return RECONCILE_JOB;
  const withoutOrder = id.replace(ORDER_ID_SUFFIX, '');
  if (withoutOrder === id) return 'unknown';
  const dash = withoutOrder.indexOf('-');
  // Handler names may hold dashes (receipt-email); event names never do.
  return dash > 0 && isFlowEventType(withoutOrder.slice(0, dash))
    ? withoutOrder.slice(dash + 1)
    : withoutOrder;
}
