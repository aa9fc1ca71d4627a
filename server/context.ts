import type { IncomingHttpHeaders } from 'node:http';
import type { Connectors } from '../connectors/index.js';
import { createLoaders, type Loaders } from '../connectors/loaders.js';
import type { CommerceServices, OrderStatusFeed } from '../workflows/services.js';
import { credentialsFromHeaders, type Authentication, type Authenticator } from './auth.js';

/**
 * What every resolver and workflow receives: who is calling, this request's data access, and the
 * commerce services (connectors, jobs, events) that background work uses too.
 */
export interface GatewayContext extends CommerceServices {
  auth: Authentication;
  /** Created for this request (or subscription) only, so nothing leaks between callers. */
  loaders: Loaders;
  statusFeed: OrderStatusFeed;
}

/** Builds contexts for HTTP requests and WebSocket operations alike. */
export function createContextFactory(deps: {
  services: CommerceServices;
  statusFeed: OrderStatusFeed;
  authenticate: Authenticator;
}) {
  const forAuthentication = (auth: Authentication, requestId?: string): GatewayContext =>
    Object.assign(new LazyLoaders(), deps.services, {
      ...(requestId !== undefined ? { logger: deps.services.logger.child({ requestId }) } : {}),
      statusFeed: deps.statusFeed,
      auth,
    });
  return {
    authenticate: deps.authenticate,
    forAuthentication,
    /** An HTTP request's context, from its Authorization header or edX cookies. */
    forRequest: async (headers: IncomingHttpHeaders, requestId?: string): Promise<GatewayContext> =>
      forAuthentication(await deps.authenticate(credentialsFromHeaders(headers)), requestId),
  };
}

export type ContextFactory = ReturnType<typeof createContextFactory>;

/**
 * A context's `loaders`, made on first use: a long-lived subscription mostly never needs them.
 *
 * The getter is a class's, shared by every context, and not one in each context's object literal:
 * V8 kept whatever such a per-request getter closed over alive through every young-generation
 * collection until the next full one. Here that was the loaders with every record they fetched,
 * so each request's data was copied twice and then promoted to the old generation (measured with
 * `--trace-gc-nvp`). Apollo Server copies a context's own properties onto a new object of the same
 * prototype, so the loaders are kept in a plain property rather than a private field.
 */
class LazyLoaders {
  loadersMade: Loaders | undefined = undefined;
  declare readonly connectors: Connectors;

  get loaders(): Loaders {
    this.loadersMade ??= createLoaders(this.connectors);
    return this.loadersMade;
  }
}
