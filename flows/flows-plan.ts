import { FILTER_POINTS, FLOW_EVENTS, type FilterPoint, type FlowEventType } from './events.js';
import { fulfillmentHandler, revocationHandler } from './handlers/order-handlers.js';
import { sanctionsScreeningFilter } from './filters/sanctions-screening.js';
import { receiptEmailHandler } from './handlers/receipt-email.js';
import { webhookHandler } from './handlers/webhook.js';
import { BUILT_IN_MODULES } from './modules/index.js';
import type {
  FilterDefinition,
  FlowDefinition,
  FulfillmentModuleDefinition,
  HandlerDefinition,
} from './plugin-api.js';

/** One handler as the flows file places it after an event. */
export interface HandlerStep {
  /** Unique within its event: the name, with `#2`, `#3`… when the name is repeated. */
  id: string;
  name: string;
  /** Its failure never holds the order back, and is reported as a warning. */
  optional: boolean;
  settings: Readonly<Record<string, unknown>>;
}

/** The flows, validated: what runs after each event and at each filter point. */
export interface FlowsPlan {
  /** The flows file it was read from, or null for the built-in flows. */
  source: string | null;
  handlers: Readonly<Record<FlowEventType, readonly HandlerStep[]>>;
  filters: Readonly<Record<FilterPoint, readonly string[]>>;
  /** Product mode → fulfillment module name. */
  fulfillment: Readonly<Record<string, string>>;
  plugins: readonly string[];
  definitions: FlowCatalog;
}

/** Every handler, filter and fulfillment module there is, built-in or from a plugin, by name. */
export interface FlowCatalog {
  handlers: ReadonlyMap<string, HandlerDefinition>;
  filters: ReadonlyMap<string, FilterDefinition>;
  modules: ReadonlyMap<string, FulfillmentModuleDefinition>;
}

const BUILT_INS: readonly FlowDefinition[] = [
  fulfillmentHandler,
  revocationHandler,
  webhookHandler,
  receiptEmailHandler,
  sanctionsScreeningFilter,
  ...BUILT_IN_MODULES,
];

/** The catalog of built-ins and the plugins' definitions (a plugin may not reuse a name). */
export function catalogOf(extra: readonly FlowDefinition[]): {
  catalog: FlowCatalog;
  duplicates: string[];
} {
  const handlers = new Map<string, HandlerDefinition>();
  const filters = new Map<string, FilterDefinition>();
  const modules = new Map<string, FulfillmentModuleDefinition>();
  const duplicates: string[] = [];
  for (const definition of [...BUILT_INS, ...extra]) {
    const map: Map<string, FlowDefinition> =
      definition.kind === 'handler' ? handlers : definition.kind === 'filter' ? filters : modules;
    if (map.has(definition.name)) duplicates.push(`${definition.kind} ${definition.name}`);
    else map.set(definition.name, definition);
  }
  return { catalog: { handlers, filters, modules }, duplicates };
}

export function emptyHandlers(): Record<FlowEventType, HandlerStep[]> {
  return Object.fromEntries(FLOW_EVENTS.map((event) => [event, []])) as unknown as Record<
    FlowEventType,
    HandlerStep[]
  >;
}

export function emptyFilters(): Record<FilterPoint, string[]> {
  return Object.fromEntries(FILTER_POINTS.map((point) => [point, []])) as unknown as Record<
    FilterPoint,
    string[]
  >;
}

const step = (name: string): HandlerStep => ({ id: name, name, optional: false, settings: {} });

/**
 * Today's behaviour, with no flows file: fulfillment by mode on OrderPaid, revocation on
 * RefundRequested, nothing else.
 */
export function builtInFlows(fulfillment: Readonly<Record<string, string>>): FlowsPlan {
  const handlers = emptyHandlers();
  handlers.OrderPaid.push(step('fulfillment'));
  handlers.RefundRequested.push(step('revocation'));
  return {
    source: null,
    handlers,
    filters: emptyFilters(),
    fulfillment,
    plugins: [],
    definitions: catalogOf([]).catalog,
  };
}
