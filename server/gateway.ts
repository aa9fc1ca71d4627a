import { createServer } from 'node:http';
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
import { createAuthenticator } from './auth.js';
import type { GatewayConfig, UpstreamsConfig } from './config.js';
import { createContextFactory, type GatewayContext } from './context.js';
import { createErrorFormatter } from './format-error.js';
import { createGraphiqlRouter } from './graphiql/index.js';
import { createHealthRouter } from './health.js';
import { createHttpErrorHandler } from './http-errors.js';
import { QUERY_LIMITS, queryLimitProtection } from './limits.js';
import { attachSubscriptionServer } from '../subscriptions/ws-server.js';
import { createOrderStatusFeed } from '../subscriptions/order-status-feed.js';
import { createMetrics } from './metrics.js';
import { loadFlows } from './flows-loading.js';
import { createCommerceRuntime } from './runtime.js';
import { createStripeWebhookRouter } from './webhooks.js';
import { isAllowedOrigin } from './origins.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Every upstream resolved: configured, or served by the sandbox. */
  upstreams: UpstreamsConfig;
  /** The Redis actually in use (REDIS_URL, or a private development server). */
  redisUrl: string;
  logger: Logger;
  /** Listen on this host; defaults to all interfaces. */
  host?: string;
  /** The flows, validated at start; read from the configuration when not given. */
  flows?: FlowsPlan;
}

export interface Gateway {
  /** e.g. http://127.0.0.1:4000 */
  readonly url: string;
  /** Stops accepting requests, lets those in flight finish, then releases Redis. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
const MAX_BODY_BYTES = '100kb';

/** Wires config, connectors, schema and HTTP together and starts listening. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const production = config.nodeEnv === 'production';
  const metrics = createMetrics();
  const runtime = createCommerceRuntime({
    config,
    upstreams: options.upstreams,
    redisUrl: options.redisUrl,
    logger,
    flows: options.flows ?? (await loadFlows(config.flows)),
    onUpstreamRequest: metrics.recordUpstreamRequest,
  });
  const { redis, services } = runtime;
  if (config.jobs.workerInProcess) await runtime.startWorker();

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);
  const limits = queryLimitProtection();
  const schema = buildSubgraphSchema({
    typeDefs: loadTypeDefs(),
    // Codegen types the resolvers by GatewayContext; the subgraph builder takes them untyped.
    resolvers: buildResolvers() as unknown as GraphQLResolverMap<unknown>,
  });
  const formatError = createErrorFormatter({ logger, exposeStackTraces: !production });
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    logger,
    // Shutdown is ours (server/main.ts): sockets, then HTTP, then the worker and Redis.
    stopOnTerminationSignals: false,
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    formatError,
    validationRules: limits.validationRules,
    plugins: [
      ...limits.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Apollo's default landing page loads from a CDN; GraphiQL is served from our own files.
      ApolloServerPluginLandingPageDisabled(),
      // The schema sets no cache hints; the default plugin would still wrap every field.
      ApolloServerPluginCacheControlDisabled(),
      ...(production ? [ApolloServerPluginDisableSuggestions()] : []),
      metrics.graphqlPlugin,
    ],
  });
  await apollo.start();

  const statusFeed = createOrderStatusFeed(redis, config.redis.keyPrefix, (error) =>
    logger.warn({ err: error }, 'order status feed error'),
  );
  const contexts = createContextFactory({
    services,
    statusFeed: statusFeed.feed,
    authenticate: createAuthenticator(config.jwt),
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
  });

  app.use(createHealthRouter({ redis, connectors: services.connectors }));
  app.use(createStripeWebhookRouter({ services, redis, keyPrefix: config.redis.keyPrefix }));
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
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
    express.json({ limit: MAX_BODY_BYTES }),
    expressMiddleware(apollo, { context: ({ req }) => contexts.forRequest(req.headers) }),
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
    close() {
      closing ??= (async () => {
        // Sockets first (clients reconnect elsewhere), then in-flight HTTP requests drain.
        await subscriptions.dispose();
        await apollo.stop();
        statusFeed.close();
        await runtime.close();
      })();
      return closing;
    },
  };
}
