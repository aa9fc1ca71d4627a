import type { IncomingHttpHeaders } from 'node:http';
import { createLoaders, type Loaders } from '../connectors/loaders.js';
import type { CommerceServices } from '../workflows/services.js';
import { credentialsFromHeaders, type Authentication, type Authenticator } from './auth.js';

/**
 * What every resolver and workflow receives: who is calling, this request's data access, and the
 * commerce services (connectors, jobs, events) that background work uses too.
 */
export interface GatewayContext extends CommerceServices {
  auth: Authentication;
  /** Created for this request only, so batching and memoisation never leak between callers. */
  loaders: Loaders;
}

/** Builds a request's context from its headers; shared by HTTP and (later) WebSocket requests. */
export function createContextBuilder(deps: {
  services: CommerceServices;
  authenticate: Authenticator;
}) {
  return async (headers: IncomingHttpHeaders): Promise<GatewayContext> => ({
    ...deps.services,
    auth: await deps.authenticate(credentialsFromHeaders(headers)),
    loaders: createLoaders(deps.services.connectors),
  });
}
