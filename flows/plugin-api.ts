import type { Connectors } from '../connectors/index.js';
import type { Order } from '../connectors/orders.js';
import type { FulfillmentModule, FulfillmentModules } from '../workflows/fulfillment.js';
import type { CommerceServices, PurchaseCheck } from '../workflows/services.js';
import type { UserError } from '../workflows/user-errors.js';
import type { FlowEventType } from './events.js';

/**
 * The typed API of flows: the built-in handlers, filters and fulfillment modules are written
 * with it, and so is a plugin (a module named under `plugins:` in the flows file, exporting what
 * these functions return).
 */

/** What a handler's settings in the flows file become; throw an Error saying what is wrong. */
export type SettingsParser<S> = (raw: Readonly<Record<string, unknown>>, env: SecretLookup) => S;

/** Environment variables the flows file names (e.g. a webhook's `secretEnv`), as configured. */
export interface SecretLookup {
  secret(name: string): string | undefined;
}

/** What a handler, filter or module is built with once, at start. */
export interface FlowDependencies {
  connectors: Connectors;
  /** The module configured for each product mode (the flows file's `fulfillment:`). */
  fulfillmentModules: FulfillmentModules;
  /** An environment variable the flows file names (e.g. a webhook's `secretEnv`), as configured. */
  secret(name: string): string | undefined;
  /** How long an outbound call may take. */
  timeoutMs: number;
}

/** One run of a handler's job. */
export interface HandlerRun {
  /** `createdAt` is when the event was raised: the same on every retry, like `id`. */
  event: { id: string; type: FlowEventType; orderId: string; createdAt: string };
  /** The order as the event left it, on a first attempt; later attempts read it afresh. */
  snapshot: Order | undefined;
  services: CommerceServices;
  /** The job will not run again: a handler that cannot finish now should fail for good. */
  lastAttempt: boolean;
}

/** Runs once per (event, order); returns a short outcome for the timeline, throws to be retried. */
export type Handler = (run: HandlerRun) => Promise<string>;

/** A handler as the flows engine holds it: its settings checked at start, built once. */
export interface HandlerDefinition {
  kind: 'handler';
  name: string;
  /** Throws an Error saying what is wrong with the settings the flows file gives. */
  checkSettings(raw: Readonly<Record<string, unknown>>, env: SecretLookup): void;
  create(raw: Readonly<Record<string, unknown>>, deps: FlowDependencies): Handler;
}

/** Answers a filter point: null lets the purchase go on, a userError refuses it. */
export type Filter = (check: PurchaseCheck) => Promise<UserError | null>;

export interface FilterDefinition {
  kind: 'filter';
  name: string;
  create(deps: FlowDependencies): Filter;
}

export interface FulfillmentModuleDefinition {
  kind: 'fulfillment-module';
  name: string;
  create(deps: FlowDependencies): FulfillmentModule;
}

export type FlowDefinition = HandlerDefinition | FilterDefinition | FulfillmentModuleDefinition;

/** A handler the flows file may name under `handlers:`, with settings of its own (or none). */
export function defineHandler<S = Readonly<Record<string, unknown>>>(definition: {
  name: string;
  parseSettings?: SettingsParser<S>;
  create(settings: S, deps: FlowDependencies): Handler;
}): HandlerDefinition {
  const parse = (raw: Readonly<Record<string, unknown>>, env: SecretLookup): S =>
    definition.parseSettings ? definition.parseSettings(raw, env) : (raw as S);
  return {
    kind: 'handler',
    name: definition.name,
    checkSettings: (raw, env) => void parse(raw, env),
    create: (raw, deps) => definition.create(parse(raw, deps), deps),
  };
}

/** A filter the flows file may name under `filters:`. */
export function defineFilter(definition: Omit<FilterDefinition, 'kind'>): FilterDefinition {
  return { kind: 'filter', ...definition };
}

/** A fulfillment module the flows file may name for a product mode under `fulfillment:`. */
export function defineFulfillmentModule(
  definition: Omit<FulfillmentModuleDefinition, 'kind'>,
): FulfillmentModuleDefinition {
  return { kind: 'fulfillment-module', ...definition };
}

/** The handler failed for good: retrying cannot help; its job is kept failed for support. */
export class PermanentHandlerError extends Error {
  override name = 'PermanentHandlerError';
}

export type { FulfillmentModule, FulfillmentResult } from '../workflows/fulfillment.js';
export type { Order } from '../connectors/orders.js';
