import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  getOperationAST,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { handleProtocols } from 'graphql-ws';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  findCredentials,
  credentialsFromHeaders,
  type Authentication,
  type PresentedCredentials,
} from '../server/auth.js';
import type { ContextFactory } from '../server/context.js';
import { isAllowedOrigin } from '../server/origins.js';
import { createSubscriptionLog, type LoggedSocket } from './operation-log.js';
import { createSubscriptionLimits, type SubscriptionLimitSettings } from './subscription-limits.js';
import { serveGraphqlWs } from './ws-adapter.js';

export interface SubscriptionServerOptions {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  contexts: ContextFactory;
  /** The same limits as over HTTP: graphql-armor's rules and the token cap. */
  validationRules: readonly ValidationRule[];
  maxTokens: number;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  allowedOrigins: readonly string[];
  production: boolean;
  logger: Logger;
  /** A client must send connection_init within this long, or is closed with 4408. */
  connectionInitWaitTimeoutMs?: number;
  /** Larger WebSocket messages close the connection (1009). */
  maxMessageBytes?: number;
  /** Each socket is pinged this often; one that has not answered by its next ping is closed. */
  keepAliveMs: number;
  limits: SubscriptionLimitSettings;
}

/**
 * What a connection keeps of its upgrade: the credentials its cookies carried (until
 * connection_init, then dropped), not the request itself.
 */
type ConnectionExtra = LoggedSocket & {
  cookieCredentials?: PresentedCredentials | undefined;
  subscribeTokens?: { tokens: number; at: number };
  auth?: Authentication;
  /** Closes the socket when its credentials expire. */
  expiry?: NodeJS.Timeout;
};

function closeExpired(socket: WebSocket): void {
  socket.close(CLOSE_CREDENTIALS_EXPIRED, 'Credentials expired');
}

/** graphql-ws's own code for an unauthorised client (4401), used when the token runs out. */
const CLOSE_CREDENTIALS_EXPIRED = 4401;
/** setTimeout's longest delay; a token valid for longer is checked again by the next connection. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * GraphQL over WebSocket (graphql-ws, subprotocol graphql-transport-ws only) on the HTTP server's
 * path. The upgrade is refused for an Origin outside ALLOWED_ORIGINS (cross-site WebSocket
 * hijacking); credentials come from the edX cookies on the upgrade or from
 * connectionParams.authorization and are checked before the connection is acknowledged.
 * Only subscriptions are served here; queries and mutations go over HTTP.
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions) {
  const { schema, contexts, logger } = options;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? 32 * 1024,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  let closing = false;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname !== options.path) return refuse(socket, 404, 'Not Found');
    const origin = request.headers.origin;
    if (origin !== undefined && !isAllowedOrigin(origin, options.allowedOrigins)) {
      logger.warn({ origin }, 'WebSocket upgrade refused: origin not allowed');
      return refuse(socket, 403, 'Forbidden');
    }
    if (closing) return refuse(socket, 503, 'Service Unavailable');
    const cookieCredentials = credentialsFromHeaders(request.headers);
    wss.handleUpgrade(request, socket, head, (ws) => server.opened(ws, { cookieCredentials }));
  };
  options.httpServer.on('upgrade', onUpgrade);

  const rules = [
    ...specifiedRules,
    ...options.validationRules,
    ...(options.production ? [NoSchemaIntrospectionCustomRule] : []),
  ];
  const format = (error: GraphQLError) => options.formatError(error.toJSON(), error);
  // Clients send a handful of distinct subscriptions, thousands of times: parse and validate
  // each text once, and let every subscription share the one document.
  const validated = new LRUCache<string, DocumentNode>({ max: 500 });
  const limits = createSubscriptionLimits(options.limits);

  const operations = createSubscriptionLog(logger);
  const server = serveGraphqlWs<Record<string, unknown> | undefined, ConnectionExtra>(
    wss,
    {
      schema,
      connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs ?? 3000,
      onConnect: async (ctx) => {
        const authorization = headerLike(ctx.connectionParams, 'authorization');
        // The token is checked once; the socket need not hold it (or its string) for hours.
        Reflect.deleteProperty(ctx, 'connectionParams');
        const credentials =
          authorization !== undefined
            ? findCredentials(authorization, undefined)
            : (ctx.extra.cookieCredentials ?? { token: null, problem: 'missing' as const });
        ctx.extra.cookieCredentials = undefined;
        const auth = await contexts.authenticate(credentials);
        ctx.extra.auth = auth;
        // false closes the socket with 4403 Forbidden: no acknowledgement, no data. A socket that
        // closed while its token was checked gets no timer or count that nothing would release.
        if (auth.viewer === null || ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) {
          return false;
        }
        // The socket lives no longer than its credentials; the client reconnects with fresh ones.
        ctx.extra.expiry = setTimeout(
          closeExpired,
          Math.max(0, Math.min(auth.expiresAt - Date.now(), MAX_TIMER_MS)),
          ctx.extra.socket,
        );
        ctx.extra.expiry.unref();
        limits.connected(auth.viewer.userId, ctx);
        return true;
      },
      // Called once an acknowledged socket has closed.
      onDisconnect: (ctx) => {
        clearTimeout(ctx.extra.expiry);
        const learnerId = ctx.extra.auth?.viewer?.userId;
        if (learnerId !== undefined) limits.disconnected(learnerId, ctx);
      },
      onSubscribe: (ctx, id, payload) => {
        operations.started(ctx.extra, id, payload.operationName);
        const learnerId = ctx.extra.auth?.viewer?.userId;
        const refusal = learnerId === undefined ? null : limits.refusal(learnerId, ctx);
        if (refusal?.kind === 'close') {
          // The rest of a flood already in the socket's buffer still arrives after the close.
          if (ctx.extra.socket.readyState === ctx.extra.socket.OPEN) {
            logger.warn({ learnerId, reason: refusal.reason }, 'WebSocket closed: subscribe flood');
            ctx.extra.socket.close(refusal.code, refusal.reason);
          }
          return [tooMany(refusal.reason)];
        }
        if (refusal) return [tooMany(refusal.message)];
        let document = validated.get(payload.query);
        if (!document) {
          try {
            document = parse(payload.query, { maxTokens: options.maxTokens, noLocation: true });
          } catch (error) {
            const message = error instanceof GraphQLError ? error.message : 'Syntax error';
            return [new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
          }
          const errors = validate(schema, document, rules);
          if (errors.length > 0) {
            return errors.map((error) =>
              invalid(options.production ? withoutSuggestion(error.message) : error.message),
            );
          }
          validated.set(payload.query, document);
        }
        const operation = getOperationAST(document, payload.operationName);
        operations.named(ctx.extra, id, operation?.name?.value);
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) {
          return [invalid('Only subscriptions are served over WebSocket; use HTTP for the rest.')];
        }
        return {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: contexts.forAuthentication(
            ctx.extra.auth ?? { viewer: null, problem: 'missing' },
          ),
        };
      },
      onError: (ctx, id, _payload, errors) => {
        const formatted = errors.map(format);
        operations.failed(ctx.extra, id, ctx.extra.auth?.viewer?.userId ?? null, formatted);
        return formatted;
      },
      onComplete: (ctx, id) => {
        operations.completed(ctx.extra, id, ctx.extra.auth?.viewer?.userId ?? null);
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map(format) } : undefined,
    },
    { keepAliveMs: options.keepAliveMs, production: options.production, logger },
  );

  return {
    /** WebSocket connections open now. */
    connectionCount: () => wss.clients.size,
    /** Refuses new connections and closes open ones (1001 Going Away) so clients reconnect elsewhere. */
    async dispose() {
      closing = true;
      options.httpServer.off('upgrade', onUpgrade);
      await server.dispose();
    },
  };
}

function tooMany(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function invalid(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
}

/** The message without graphql-js's "Did you mean …?", which would map the schema for anyone. */
function withoutSuggestion(message: string): string {
  return message.replace(/ ?Did you mean(.+?)\?$/, '');
}

/** A connectionParams entry by name, whatever its case (GraphiQL sends "Authorization"). */
function headerLike(params: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!params) return undefined;
  for (const [key, value] of Object.entries(params)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
