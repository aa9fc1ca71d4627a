import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import cors from 'cors';
import express from 'express';
import type { Logger } from 'pino';
import type { FlowsPlan } from '../flows/flows-plan.js';
import { buildResolvers } from '../resolvers/index.js';
import { loadTypeDefs } from '../schema/index.js';
import { ADMIN_CONSOLE_PATH, createAdminConsole } from './admin-console.js';
import { createAuthenticator } from './auth.js';
import { compiledExecutionGateway } from './compiled-execution.js';
import {
  loadTelemetryConfig,
  type GatewayConfig,
  type RedisTarget,
  type UpstreamsConfig,
} from './config.js';
import {
  boundConnectionsPerClient,
  refuseDeclaredOversize,
  serverTimeouts,
} from './connection-limits.js';
import { createContextFactory, type GatewayContext } from './context.js';
import { createErrorFormatter } from './format-error.js';
import { createGraphiqlRouter } from './graphiql/index.js';
import { createHealthRouter } from './health.js';
import { createHttpErrorHandler } from './http-errors.js';
import { QUERY_LIMITS, queryLimitProtection } from './limits.js';
import { attachSubscriptionServer } from '../subscriptions/ws-server.js';
import { createOrderStatusFeed } from '../subscriptions/order-status-feed.js';
import { createQueueMetrics } from '../jobs/queue-metrics.js';
import { createMetrics } from './metrics.js';
import { rateLimitedErrorLog } from './redis-connections.js';
import { routerOnlyPlugin } from './router-access.js';
import { subscriptionsOverWebSocketOnly } from './http-subscriptions.js';
import { serveMetrics, startMetricsServer } from './metrics-endpoint.js';
import { operationLogPlugin } from './operation-log.js';
import { requestIdOf, requestIds } from './request-id.js';
import { loadFlows } from './flows-loading.js';
import { createCommerceRuntime } from './runtime.js';
import { createExpressServer } from './express-server.js';
import { createStripeWebhookRouter } from './webhooks.js';
import { isAllowedOrigin } from './origins.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Every upstream resolved: configured, or served by the sandbox. */
  upstreams: UpstreamsConfig;
  /** The Redis actually in use (as configured, or a private development server). */
  redis: RedisTarget;
  logger: Logger;
  /** Listen on this host; defaults to all interfaces. */
  host?: string;
  /** The flows, validated at start; read from the configuration when not given. */
  flows?: FlowsPlan;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:4000 */
  readonly url: string;
  /** Where /metrics is served: on METRICS_PORT's server, or the public one. */
  readonly metricsUrl: string;
  /** Stops accepting requests, lets those in flight finish, then releases Redis. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
const MAX_BODY_BYTES = 100 * 1024;
/** The largest body any route takes (a Stripe webhook's). */
const MAX_ANY_BODY_BYTES = 256 * 1024;

/** Wires config, connectors, schema and HTTP together and starts listening. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const production = config.nodeEnv === 'production';
  const metrics = createMetrics();
  const runtime = createCommerceRuntime({
    config,
    upstreams: options.upstreams,
    redis: options.redis,
    logger,
    flows: options.flows ?? (await loadFlows(config.flows)),
    onUpstreamRequest: metrics.recordUpstreamRequest,
    jobMetrics: metrics.jobs,
  });
  metrics.watchQueue(createQueueMetrics(runtime.queue.queue));
  const { redis, services } = runtime;
  await runtime.connections.waitUntilReady(config.redis.readyTimeoutMs);
  if (config.jobs.workerInProcess) await runtime.startWorker();

  const app = express();
  app.disable('x-powered-by');
  // Express would hash every answer (SHA-1) for an ETag that no client sends back: GraphQL comes
  // by POST, per viewer and per moment, and the probes and /metrics are polled for fresh figures.
  app.set('etag', false);
  const httpServer = createExpressServer(app, serverTimeouts(config.http));
  boundConnectionsPerClient(httpServer, config.http.maxConnectionsPerClient);
  app.use(refuseDeclaredOversize(MAX_ANY_BODY_BYTES));
  const limits = queryLimitProtection();
  const schema = buildSubgraphSchema({
    typeDefs: loadTypeDefs(),
    // Codegen types the resolvers by GatewayContext; the subgraph builder takes them untyped.
    resolvers: buildResolvers() as unknown as GraphQLResolverMap<unknown>,
  });
  const formatError = createErrorFormatter({ logger, exposeStackTraces: !production });
  const apollo = new ApolloServer<GatewayContext>({
    // The schema, executed by graphql-jit once a document recurs (server/compiled-execution.ts).
    gateway: compiledExecutionGateway(schema, {
      compileAfterRuns: config.graphqlCompileAfterRuns,
      onCompile: metrics.recordCompile,
      // The SDK reads the process's environment (server/telemetry.ts), and so does this.
      traced: loadTelemetryConfig()?.instrumentations.has('graphql') ?? false,
    }),
    logger,
    // Shutdown is ours (server/main.ts): sockets, then HTTP, then the worker and Redis.
    stopOnTerminationSignals: false,
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    formatError,
    // Apollo pretty-prints by default: more bytes to build and send for no reader's benefit.
    stringifyResult: (result) => JSON.stringify(result),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      ...limits.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's default landing page loads from a CDN; GraphiQL is served from our own files.
      ApolloServerPluginLandingPageDisabled(),
      // The schema sets no cache hints; the default plugin would still wrap every field.
      ApolloServerPluginCacheControlDisabled(),
      ...(production ? [ApolloServerPluginDisableSuggestions()] : []),
      metrics.graphqlPlugin,
      routerOnlyPlugin({ routerSecret: config.routerSecret, production }),
      subscriptionsOverWebSocketOnly,
      operationLogPlugin,
    ],
  });
  await apollo.start();

  const statusFeed = createOrderStatusFeed(
    runtime.connections.open('subscriber'),
    config.redis.keyPrefix,
    rateLimitedErrorLog(logger, 'order status feed'),
    services.connectors.orders,
  );
  const authenticate = createAuthenticator(config.jwt);
  const contexts = createContextFactory({
    services,
    statusFeed: metrics.countSubscriptions(statusFeed.feed),
    authenticate,
  });
  const subscriptions = attachSubscriptionServer({
    httpServer,
    path: GRAPHQL_PATH,
    schema,
    contexts,
    validationRules: limits.validationRules,
    maxTokens: QUERY_LIMITS.maxTokens,
    formatError,
    allowedOrigins: config.allowedOrigins,
    production,
    logger,
    limits: config.subscriptions,
    keepAliveMs: config.subscriptions.keepAliveMs,
  });
  metrics.watchConnections(subscriptions.connectionCount);

  app.use(requestIds());
  app.use(
    createHealthRouter({
      redis,
      connectors: services.connectors,
      keyPrefix: config.redis.keyPrefix,
    }),
  );
  app.use(
    createStripeWebhookRouter({
      services,
      redis,
      keyPrefix: config.redis.keyPrefix,
      onEvent: metrics.recordWebhook,
    }),
  );
  const metricsServer =
    config.metricsPort === null
      ? null
      : await startMetricsServer(metrics.registry, config.metricsPort, options.host);
  if (!metricsServer) app.get('/metrics', serveMetrics(metrics.registry, { loopbackOnly: true }));
  app.use(ADMIN_CONSOLE_PATH, createAdminConsole({ queue: runtime.queue.queue, authenticate }));
  // CORS first, so preflights are answered before any router claims OPTIONS for the path.
  app.use(
    GRAPHQL_PATH,
    cors<cors.CorsRequest>({
      origin: (origin, callback) =>
        callback(null, origin === undefined || isAllowedOrigin(origin, config.allowedOrigins)),
      credentials: true,
    }),
  );
  if (!production) app.use(createGraphiqlRouter({ endpointPath: GRAPHQL_PATH }));
  app.use(
    GRAPHQL_PATH,
    refuseDeclaredOversize(MAX_BODY_BYTES),
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: ({ req, res }) => contexts.forRequest(req.headers, requestIdOf(res)),
    }),
  );
  app.use(createHttpErrorHandler((error) => logger.error({ err: error }, 'HTTP request failed')));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, options.host, () => resolve());
  });
  const address = httpServer.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    metricsUrl: metricsServer?.url ?? `${url}/metrics`,
    close() {
      closing ??= (async () => {
        // Sockets first (clients reconnect elsewhere), then in-flight HTTP requests drain.
        await subscriptions.dispose();
        await apollo.stop();
        await metricsServer?.close();
        statusFeed.close();
        await runtime.close();
      })();
      return closing;
    },
  };
}
