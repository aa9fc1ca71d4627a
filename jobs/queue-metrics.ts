import type { Queue } from 'bullmq';
import { RECONCILE_JOB } from './order-queue.js';

/** The states an operator watches; completed jobs are kept a week and would only add noise. */
const WATCHED_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const;
/** Reported even at zero, so a dashboard's series exist before the first failure. */
const KINDS = ['fulfillment', 'refund', RECONCILE_JOB];

export interface QueueCount {
  state: (typeof WATCHED_STATES)[number];
  kind: string;
  count: number;
}

export interface OrderQueueMetrics {
  countsByStateAndKind(): Promise<QueueCount[]>;
}

/**
 * Counts the queue's jobs by state and kind from their ids alone (`<kind>-<order id>`, the
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
  const dash = id.indexOf('-');
  return dash > 0 ? id.slice(0, dash) : 'unknown';
}
