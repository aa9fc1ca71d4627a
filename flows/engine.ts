import type { Connectors } from '../connectors/index.js';
import type { Order } from '../connectors/orders.js';
import type { FulfillmentModule, FulfillmentModules } from '../workflows/fulfillment.js';
import type {
  CommerceServices,
  OrderFlow,
  OrderJobs,
  OrderTimelines,
  TimelineEntry,
  TimelineItem,
} from '../workflows/services.js';
import { flowEventId, type FilterPoint, type FlowEventType, type HandlerJob } from './events.js';
import type { FlowsPlan, HandlerStep } from './flows-plan.js';
import {
  PermanentHandlerError,
  type Filter,
  type FlowDependencies,
  type Handler,
} from './plugin-api.js';

/** One run of a handler's job, as the worker hands it over. */
export interface HandlerJobRun {
  job: HandlerJob;
  /** When the job was added: when its event was raised. */
  raisedAt: Date;
  /** 1 on the first run. */
  attempt: number;
  snapshot: Order | undefined;
  services: CommerceServices;
  lastAttempt: boolean;
}

export interface FlowEngine {
  /** What the workflows raise events and ask filters through. */
  flow: OrderFlow;
  /** Runs one handler's job; returns its outcome, throws to be retried (or PermanentHandlerError). */
  runHandler(run: HandlerJobRun): Promise<string>;
  /** Whether the handler's failures hold nothing back (it is `optional: true`). */
  isOptional(job: HandlerJob): boolean;
}

/**
 * Builds every handler, filter and module the plan names, once. Raising an event enqueues one job
 * per handler, under an id derived from (event, order, handler), so raising it again (a webhook
 * delivered five times, a retried job, the reconciler) runs nothing twice.
 */
export function createFlowEngine(
  plan: FlowsPlan,
  options: {
    connectors: Connectors;
    jobs: OrderJobs;
    timelines: OrderTimelines;
    secret: (name: string) => string | undefined;
    timeoutMs: number;
    /** Wraps the fulfillment modules, to watch what they answer (metrics). */
    observeModules?: (modules: FulfillmentModules) => FulfillmentModules;
  },
): FlowEngine {
  const catalog = plan.definitions;
  const modulesByName = new Map<string, FulfillmentModule>();
  const deps: FlowDependencies = {
    connectors: options.connectors,
    secret: options.secret,
    timeoutMs: options.timeoutMs,
    fulfillmentModules: (mode) => observedModules(mode),
  };
  const moduleForMode: FulfillmentModules = (mode) => {
    const name = plan.fulfillment[mode];
    if (!name) return null;
    let module = modulesByName.get(name);
    if (!module) {
      const definition = catalog.modules.get(name);
      if (!definition) return null;
      module = definition.create(deps);
      modulesByName.set(name, module);
    }
    return module;
  };
  const observedModules = options.observeModules?.(moduleForMode) ?? moduleForMode;

  const handlers = new Map<string, { step: HandlerStep; handler: Handler }>();
  for (const [event, steps] of Object.entries(plan.handlers)) {
    for (const step of steps) {
      const definition = catalog.handlers.get(step.name);
      if (!definition) throw new Error(`flows: no handler named ${step.name}`);
      handlers.set(`${event}/${step.id}`, {
        step,
        handler: definition.create(step.settings, deps),
      });
    }
  }
  const filters = Object.fromEntries(
    Object.entries(plan.filters).map(([point, names]) => [
      point,
      names.map((name): Filter => {
        const definition = catalog.filters.get(name);
        if (!definition) throw new Error(`flows: no filter named ${name}`);
        return definition.create(deps);
      }),
    ]),
  ) as Record<FilterPoint, Filter[]>;

  /**
   * Raises an event: its timeline entries (the purchase filters that let an order through show
   * before it) and one job per handler. `deferTo`, when given, takes the entries instead of
   * Redis: the handler run that raised the event writes them with its own outcome.
   */
  const raise = async (type: FlowEventType, order: Order, deferTo: TimelineItem[] | null) => {
    const items: TimelineItem[] = [
      ...(type === 'OrderPlaced' ? plan.filters.purchase : []).map((name) => ({
        entry: timelineEntry('FILTER', name, 'ALLOWED', null, false),
        onceKey: `filter:${name}`,
      })),
      {
        entry: timelineEntry('EVENT', type, 'RAISED', order.status, false),
        onceKey: `event:${type}`,
      },
    ];
    if (deferTo) deferTo.push(...items);
    await Promise.all([
      deferTo ? undefined : options.timelines.append(order.id, items),
      ...plan.handlers[type].map((step) =>
        options.jobs.enqueue({ event: type, handler: step.id, orderId: order.id }, order),
      ),
    ]);
  };
  const screen: OrderFlow['screen'] = async (point, check) => {
    for (const filter of filters[point]) {
      const refusal = await filter(check);
      if (refusal) return refusal;
    }
    return null;
  };
  const flow: OrderFlow = { raise: (type, order) => raise(type, order, null), screen };

  return {
    flow,
    async runHandler(run) {
      const found = handlers.get(`${run.job.event}/${run.job.handler}`);
      if (!found) {
        // The flows file changed since the job was added: nothing to run it with any more.
        throw new PermanentHandlerError(
          `no handler ${run.job.handler} on ${run.job.event} in the flows now`,
        );
      }
      const { job } = run;
      // Events this run raises on its own order with no handlers to run (OrderFulfilled, by
      // default) are written with the run's outcome, one round trip for both. Should the run
      // die before that, the job runs again and raises them again. An event with handlers is
      // written at once, so it shows before what its handlers write.
      const deferred: TimelineItem[] = [];
      const runFlow: OrderFlow = {
        raise: (type, order) =>
          raise(
            type,
            order,
            order.id === job.orderId && plan.handlers[type].length === 0 ? deferred : null,
          ),
        screen,
      };
      const record = async (entry: TimelineEntry, onceKey: string) => {
        try {
          await options.timelines.append(job.orderId, [...deferred, { entry, onceKey }]);
        } catch (error) {
          // An event it raised must not go unrecorded: the run fails, and its retry raises it
          // again (a handler runs nothing twice).
          if (deferred.length > 0) throw error;
          // The handler's work is done (or its failure handled): a lost entry must not redo it.
          run.services.logger.warn({ err: error, orderId: job.orderId }, 'timeline entry lost');
        }
      };
      const key = `handler:${job.event}:${job.handler}`;
      let outcome: string;
      try {
        outcome = await found.handler({
          event: {
            id: flowEventId(run.job.event, run.job.orderId),
            type: run.job.event,
            orderId: run.job.orderId,
            createdAt: run.raisedAt.toISOString(),
          },
          snapshot: run.snapshot,
          services: { ...run.services, flow: runFlow },
          lastAttempt: run.lastAttempt,
        });
      } catch (error) {
        const final = error instanceof PermanentHandlerError || run.lastAttempt;
        const reason = error instanceof Error ? error.message : String(error);
        const entry = timelineEntry(
          'HANDLER',
          job.handler,
          final ? 'FAILED' : 'RETRYING',
          reason,
          true,
        );
        await record(entry, `${key}:attempt:${run.attempt}`);
        throw error;
      }
      await record(
        timelineEntry('HANDLER', job.handler, 'SUCCEEDED', outcome, false),
        `${key}:done`,
      );
      return outcome;
    },
    isOptional(job) {
      return handlers.get(`${job.event}/${job.handler}`)?.step.optional ?? false;
    },
  };
}

function timelineEntry(
  kind: TimelineEntry['kind'],
  name: string,
  outcome: TimelineEntry['outcome'],
  detail: string | null,
  staffOnly: boolean,
): TimelineEntry {
  return { at: new Date().toISOString(), kind, name, outcome, detail, staffOnly };
}
