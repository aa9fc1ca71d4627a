import type { IncomingHttpHeaders } from 'node:http';
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
  const forAuthentication = (auth: Authentication, requestId?: string): GatewayContext => {
    let loaders: Loaders | undefined;
    return {
      ...deps.services,
      ...(requestId !== undefined ? { logger: deps.services.logger.child({ requestId }) } : {}),
      statusFeed: deps.statusFeed,
      auth,
      // Made on first use: a long-lived subscription mostly never needs them.
      get loaders() {
        loaders ??= createLoaders(deps.services.connectors);
        return loaders;
      },
    };
  };
  return {
    authenticate: deps.authenticate,
    forAuthentication,
    /** An HTTP request's context, from its Authorization header or edX cookies. */
    forRequest: async (headers: IncomingHttpHeaders, requestId?: string): Promise<GatewayContext> =>
      forAuthentication(await deps.authenticate(credentialsFromHeaders(headers)), requestId),
  };
}

export type ContextFactory = ReturnType<typeof createContextFactory>;
