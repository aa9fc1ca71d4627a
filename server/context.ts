import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { Connectors } from '../connectors/index.js';
import { createLoaders, type Loaders } from '../connectors/loaders.js';
import { credentialsFromHeaders, type Authentication, type Authenticator } from './auth.js';

/** What every resolver and workflow receives: who is calling, and this request's data access. */
export interface GatewayContext {
  auth: Authentication;
  connectors: Connectors;
  /** Created for this request only, so batching and memoisation never leak between callers. */
  loaders: Loaders;
  logger: Logger;
}

export interface ContextDependencies {
  connectors: Connectors;
  authenticate: Authenticator;
  logger: Logger;
}

/** Builds a request's context from its headers; shared by HTTP and (later) WebSocket requests. */
export function createContextBuilder(deps: ContextDependencies) {
  return async (headers: IncomingHttpHeaders): Promise<GatewayContext> => ({
    auth: await deps.authenticate(credentialsFromHeaders(headers)),
    connectors: deps.connectors,
    loaders: createLoaders(deps.connectors),
    logger: deps.logger,
  });
}
