import { randomUUID } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import type { SubscriptionLimitSettings } from '../subscriptions/subscription-limits.js';
import type { ConnectionLimits } from './connection-limits.js';
import { redisEnvironmentShape, resolveRedisTarget, type RedisTarget } from './redis-config.js';

export type { RedisHost, RedisTarget } from './redis-config.js';
import { DEVELOPMENT_JWT } from './development-jwt.js';

/**
 * Configuration, read from the environment once at start-up and validated into this typed object.
 * Nothing else in the gateway reads process.env.
 */
export interface GatewayConfig {
  port: number;
  /** The one IPv4 address to listen on; null: every interface. */
  host: string | null;
  nodeEnv: 'development' | 'production' | 'test';
  redis: {
    url: string;
    /** True when no Redis was configured, so a private redis-server may be started for development. */
    isDefault: boolean;
    keyPrefix: string;
    /** One server, Sentinel or Cluster; `url` above is the single server's. */
    target: RedisTarget;
    /** How long a request-path command may wait for Redis before the request fails. */
    commandTimeoutMs: number;
    /** How long a starting gateway or worker waits for Redis before it stops, saying so. */
    readyTimeoutMs: number;
  };
  /** Each upstream's settings, or null where the built-in sandbox serves that upstream. */
  upstreams: {
    discovery: DiscoveryConfig | null;
    lms: LmsConfig | null;
    stripe: StripeConfig | null;
    commercetools: CommercetoolsConfig | null;
  };
  upstreamTimeoutMs: number;
  catalogCacheTtlSeconds: number;
  jwt: JwtConfig;
  allowedOrigins: string[];
  logLevel: string;
  /** How long log lines may wait in memory to be written together; 0: each at once. */
  logFlushMs: number;
  jobs: JobsConfig;
  http: ConnectionLimits;
  subscriptions: SubscriptionLimitSettings & {
    /** Each WebSocket is pinged this often; one that has not answered by its next ping is closed. */
    keepAliveMs: number;
  };
  /** The secret the federation router sends to be answered `_service`; null when none is set. */
  routerSecret: string | null;
  /** Serve /metrics on this port alone; null: on the public port, to loopback callers only. */
  metricsPort: number | null;
  /** A paid order not fulfilled after this long needs attention (ordersNeedingAttention). */
  attentionAfterMs: number;
  /** The execution of a GraphQL document that compiles it with graphql-jit; 0: never compile. */
  graphqlCompileAfterRuns: number;
  flows: FlowsConfig;
  /** Outbound mail (receipts): SMTP_URL, or null where the sandbox's SMTP server serves. */
  mail: { smtpUrl: string | null; from: string };
  /** The Consolidated Screening List API, or null where the sandbox serves it. */
  screening: { url: string; apiKey: string } | null;
}

export interface FlowsConfig {
  /** The flows file (FLOWS_CONFIG), or null for the built-in flows. */
  file: string | null;
  /** Which fulfillment module serves which product mode when no flows file says (FULFILLMENT_MODULES). */
  moduleByMode: Record<string, string>;
  /** An environment variable as it was at start, for secrets the flows file names (`secretEnv`). */
  secret: (name: string) => string | undefined;
}

export interface JobsConfig {
  /** Run the order worker inside the gateway process (otherwise: npm run worker). */
  workerInProcess: boolean;
  concurrency: number;
  attempts: number;
  backoffMs: number;
  lockMs: number;
  reconcileEveryMs: number;
  reconcileQuietMs: number;
  /** A checkout left unpaid this long is ended at the processor (its discount use returns). */
  checkoutExpiresAfterMs: number;
  /** Failed jobs are removed after this many days; null keeps them until an operator removes them. */
  failedJobRetentionDays: number | null;
}

export interface DiscoveryConfig {
  url: string;
}
export interface LmsConfig {
  url: string;
  apiKey: string;
  /** The OAuth2 application of a staff service user (LMS_OAUTH_CLIENT_ID), or null. */
  serviceClient: { clientId: string; clientSecret: string } | null;
}
export interface StripeConfig {
  url: string;
  secretKey: string;
  webhookSecret: string;
}
export interface CommercetoolsConfig {
  apiUrl: string;
  authUrl: string;
  projectKey: string;
  clientId: string;
  clientSecret: string;
}
export interface JwtConfig {
  issuer: string;
  audience: string;
  /** A JWK set for RS256/RS512 tokens, as the LMS publishes it. */
  publicSigningJwkSet: JSONWebKeySet | null;
  /** An HS256 secret; null when only the JWK set is trusted. */
  secretKey: string | null;
}

/** Every upstream's settings, resolved: the sandbox's where the environment named none. */
export interface UpstreamsConfig {
  discovery: DiscoveryConfig;
  lms: LmsConfig;
  stripe: StripeConfig;
  commercetools: CommercetoolsConfig;
  /** Null in production without SMTP_URL: flows that send mail then refuse to start. */
  smtp: { url: string; from: string } | null;
  /** Null in production without SANCTIONS_API_URL: flows that screen then refuse to start. */
  screening: { url: string; apiKey: string } | null;
}

/** Thrown for invalid configuration; main prints its one-line message and exits. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ''));

const jwkSet = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }));

const origin = z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be origins like https://example.org');

const DEFAULT_MODULES =
  'audit=enrollment,verified=enrollment,professional=enrollment,no-id-professional=enrollment,credit=enrollment';

// Module names are checked with the flows (server/flows-loading.ts): plugins may add modules.
const moduleMap = z.string().transform((text, ctx) => {
  const map: Record<string, string> = {};
  for (const entry of text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [mode, module] = entry.split('=').map((part) => part.trim());
    if (!mode || !module) {
      ctx.addIssue({ code: 'custom', message: `has "${entry}"; write mode=module` });
      return z.NEVER;
    }
    map[mode] = module;
  }
  return map;
});

const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** The instrumentations server/telemetry.ts can load, by the short names OpenTelemetry uses. */
export const INSTRUMENTATION_NAMES = ['http', 'express', 'graphql', 'ioredis', 'undici'] as const;
export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

/** A comma-separated list of instrumentation names, as OTEL_NODE_*_INSTRUMENTATIONS take. */
const instrumentationList = z.string().transform((value, context) => {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const known = (name: string): name is InstrumentationName =>
    (INSTRUMENTATION_NAMES as readonly string[]).includes(name);
  const unknown = names.filter((name) => !known(name));
  if (unknown.length > 0) {
    context.addIssue({
      code: 'custom',
      message: `no instrumentation named ${unknown.join(', ')} (there are ${INSTRUMENTATION_NAMES.join(', ')})`,
    });
    return z.NEVER;
  }
  return names.filter(known);
});

// OpenTelemetry's own variables; the SDK reads the rest of OTEL_* (headers, sampler) itself.
const telemetryVariables = {
  OTEL_EXPORTER_OTLP_ENDPOINT: baseUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  // Read by the SDK itself, which takes a value it does not know for "trace everything".
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  // As @opentelemetry/auto-instrumentations-node reads them: only those enabled (all when unset),
  // less those disabled.
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: instrumentationList.optional(),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: instrumentationList.optional(),
};

const environmentSchema = z.object({
  ...telemetryVariables,
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.ipv4({ error: 'must be an IPv4 address such as 127.0.0.1' }).optional(),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  ...redisEnvironmentShape,
  REDIS_KEY_PREFIX: z.string().min(1).optional(),
  DISCOVERY_URL: baseUrl.optional(),
  LMS_URL: baseUrl.optional(),
  LMS_API_KEY: z.string().min(1).optional(),
  LMS_OAUTH_CLIENT_ID: z.string().min(1).optional(),
  LMS_OAUTH_CLIENT_SECRET: z.string().min(1).optional(),
  STRIPE_API_URL: baseUrl.optional(),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  COMMERCETOOLS_API_URL: baseUrl.optional(),
  COMMERCETOOLS_AUTH_URL: baseUrl.optional(),
  COMMERCETOOLS_PROJECT_KEY: z.string().min(1).optional(),
  COMMERCETOOLS_CLIENT_ID: z.string().min(1).optional(),
  COMMERCETOOLS_CLIENT_SECRET: z.string().min(1).optional(),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  CATALOG_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_PUBLIC_SIGNING_JWK_SET: jwkSet.optional(),
  JWT_SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  ALLOWED_ORIGINS: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(origin))
    .optional(),
  RUN_WORKER: flag.default(true),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(100),
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  JOB_BACKOFF_MS: z.coerce.number().int().min(1).max(3_600_000).default(1000),
  JOB_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(86_400).default(30),
  RECONCILE_AFTER_SECONDS: z.coerce.number().min(0).max(86_400).default(120),
  CHECKOUT_EXPIRES_AFTER_SECONDS: z.coerce
    .number()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  FAILED_JOB_RETENTION_DAYS: z.coerce.number().min(1).max(3650).optional(),
  FULFILLMENT_MODULES: moduleMap.default(moduleMap.parse(DEFAULT_MODULES)),
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(300).default(10),
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  MAX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(0).max(1_000_000).default(256),
  SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).max(10_000).default(20),
  SUBSCRIPTIONS_PER_LEARNER: z.coerce.number().int().min(1).max(100_000).default(50),
  SUBSCRIBES_PER_SECOND: z.coerce.number().min(0.1).max(10_000).default(10),
  WS_KEEPALIVE_SECONDS: z.coerce.number().min(1).max(3600).default(12),
  ROUTER_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  ATTENTION_AFTER_SECONDS: z.coerce
    .number()
    .min(1)
    .max(30 * 86_400)
    .default(900),
  GRAPHQL_COMPILE_AFTER_RUNS: z.coerce.number().int().min(0).max(1_000_000).default(3),
  FLOWS_CONFIG: z.string().min(1).optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().min(3).default('Open edX receipts <receipts@localhost>'),
  SANCTIONS_API_URL: baseUrl.optional(),
  SANCTIONS_API_KEY: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(100),
});

/** Every variable the gateway reads: each has its row in the README's configuration table. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

type Environment = Record<string, string | undefined>;

/**
 * One problem as a phrase after the variable's name. A number's value is quoted as given (zod
 * would say "received NaN"); other values are not, since they may hold credentials.
 */
function describeIssue(issue: z.core.$ZodIssue, environment: Environment): string {
  const variable = issue.path.join('.') || 'environment';
  const given = environment[variable];
  const numeric =
    (issue.code === 'invalid_type' && issue.expected === 'number') ||
    ((issue.code === 'too_small' || issue.code === 'too_big') && issue.origin === 'number');
  if (!numeric || given === undefined) return `${variable} ${issue.message}`;
  const expected = issue.code === 'invalid_type' ? 'must be a number' : issue.message;
  return `${variable} ${expected}, got ${JSON.stringify(given)}`;
}

/**
 * `cgw:`, or with a sandbox serving an upstream, a prefix of that sandbox's own: two sandboxes
 * on one Redis (two `npm start` on different ports) must never take each other's jobs, whose
 * orders live in the other sandbox. A worker finds its gateway's by the same PORT.
 */
function defaultKeyPrefix(port: number, sandboxed: boolean): string {
  if (!sandboxed) return 'cgw:';
  // PORT=0 gives the sandbox ports nobody else can name, so nothing is shared with it.
  return port === 0 ? `cgw:sandbox-${randomUUID()}:` : `cgw:sandbox-${port + 100}:`;
}

function parseEnvironment<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  environment: Environment,
): z.infer<z.ZodObject<Shape>> {
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      `Invalid configuration: ${parsed.error.issues.map((issue) => describeIssue(issue, cleaned)).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Where traces go: OTLP over HTTP, or nowhere (null) when no endpoint is set. */
export interface TelemetryConfig {
  endpoint: string;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  /** The instrumentations to load: all of them unless OTEL_NODE_*_INSTRUMENTATIONS say less. */
  instrumentations: ReadonlySet<InstrumentationName>;
}

/**
 * The tracing settings alone, for server/telemetry.ts, which runs before the rest of the
 * program is loaded; throws ConfigError like loadConfig.
 */
export function loadTelemetryConfig(
  environment: Environment = process.env,
): TelemetryConfig | null {
  const env = parseEnvironment(z.object(telemetryVariables), environment);
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT === undefined) return null;
  return {
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL,
    serviceName: env.OTEL_SERVICE_NAME ?? 'commerce-gateway',
    instrumentations: new Set(
      // Empty is unset, as for the SDK's own variables.
      (env.OTEL_NODE_ENABLED_INSTRUMENTATIONS?.length
        ? env.OTEL_NODE_ENABLED_INSTRUMENTATIONS
        : INSTRUMENTATION_NAMES
      ).filter((name) => !env.OTEL_NODE_DISABLED_INSTRUMENTATIONS?.includes(name)),
    ),
  };
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(environment: Environment = process.env): GatewayConfig {
  const env = parseEnvironment(environmentSchema, environment);
  // Secrets the flows file names are read from the environment as it is now, not as it becomes.
  const environmentAtStart = { ...environment };
  const production = env.NODE_ENV === 'production';
  const redisTarget = resolveRedisTarget(env);

  // Every problem at once, so an operator fixes the environment in one go.
  const problems: string[] = [];
  if (typeof redisTarget === 'string') problems.push(redisTarget);
  const notServedBySandbox: string[] = [];
  const requireWith = (variable: string, value: string | undefined, because: string): string => {
    if (value === undefined) problems.push(`${variable} is required when ${because} is set`);
    return value ?? '';
  };
  const sandboxed = (variable: string): void => {
    notServedBySandbox.push(variable);
  };

  const discovery = env.DISCOVERY_URL ? { url: env.DISCOVERY_URL } : null;
  const lms = env.LMS_URL
    ? {
        url: env.LMS_URL,
        apiKey: requireWith('LMS_API_KEY', env.LMS_API_KEY, 'LMS_URL'),
        serviceClient: env.LMS_OAUTH_CLIENT_ID
          ? {
              clientId: env.LMS_OAUTH_CLIENT_ID,
              clientSecret: requireWith(
                'LMS_OAUTH_CLIENT_SECRET',
                env.LMS_OAUTH_CLIENT_SECRET,
                'LMS_OAUTH_CLIENT_ID',
              ),
            }
          : null,
      }
    : null;
  if (env.LMS_OAUTH_CLIENT_SECRET && !env.LMS_OAUTH_CLIENT_ID) {
    problems.push('LMS_OAUTH_CLIENT_ID is required when LMS_OAUTH_CLIENT_SECRET is set');
  }
  const stripe = env.STRIPE_API_URL
    ? {
        url: env.STRIPE_API_URL,
        secretKey: requireWith('STRIPE_SECRET_KEY', env.STRIPE_SECRET_KEY, 'STRIPE_API_URL'),
        webhookSecret: requireWith(
          'STRIPE_WEBHOOK_SECRET',
          env.STRIPE_WEBHOOK_SECRET,
          'STRIPE_API_URL',
        ),
      }
    : null;
  const commercetools = env.COMMERCETOOLS_API_URL
    ? {
        apiUrl: env.COMMERCETOOLS_API_URL,
        authUrl: requireWith(
          'COMMERCETOOLS_AUTH_URL',
          env.COMMERCETOOLS_AUTH_URL,
          'COMMERCETOOLS_API_URL',
        ),
        projectKey: requireWith(
          'COMMERCETOOLS_PROJECT_KEY',
          env.COMMERCETOOLS_PROJECT_KEY,
          'COMMERCETOOLS_API_URL',
        ),
        clientId: requireWith(
          'COMMERCETOOLS_CLIENT_ID',
          env.COMMERCETOOLS_CLIENT_ID,
          'COMMERCETOOLS_API_URL',
        ),
        clientSecret: requireWith(
          'COMMERCETOOLS_CLIENT_SECRET',
          env.COMMERCETOOLS_CLIENT_SECRET,
          'COMMERCETOOLS_API_URL',
        ),
      }
    : null;
  const screening = env.SANCTIONS_API_URL
    ? {
        url: env.SANCTIONS_API_URL,
        apiKey: requireWith('SANCTIONS_API_KEY', env.SANCTIONS_API_KEY, 'SANCTIONS_API_URL'),
      }
    : null;

  if (production) {
    if (!discovery) sandboxed('DISCOVERY_URL');
    if (!lms) sandboxed('LMS_URL');
    if (!stripe) sandboxed('STRIPE_API_URL');
    if (!commercetools) sandboxed('COMMERCETOOLS_API_URL');
    if (!env.JWT_ISSUER) sandboxed('JWT_ISSUER');
    if (!env.JWT_AUDIENCE) sandboxed('JWT_AUDIENCE');
    if (!env.JWT_PUBLIC_SIGNING_JWK_SET && !env.JWT_SECRET_KEY) {
      sandboxed('JWT_PUBLIC_SIGNING_JWK_SET (or JWT_SECRET_KEY)');
    }
    if (!env.ALLOWED_ORIGINS) sandboxed('ALLOWED_ORIGINS');
  }
  if (env.HTTP_HEADERS_TIMEOUT_SECONDS > env.HTTP_REQUEST_TIMEOUT_SECONDS) {
    problems.push('HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS');
  }
  if (notServedBySandbox.length > 0) {
    const [verb, pronoun] = notServedBySandbox.length === 1 ? ['is', 'it'] : ['are', 'them'];
    problems.push(
      `${notServedBySandbox.join(', ')} ${verb} not set, and the sandbox may not serve ${pronoun} when NODE_ENV=production`,
    );
  }
  if (problems.length > 0 || typeof redisTarget === 'string') {
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }

  // Shape-checked here; jose checks each key when it first verifies a token with it.
  const jwkSetGiven: JSONWebKeySet | null = env.JWT_PUBLIC_SIGNING_JWK_SET ?? null;
  return {
    port: env.PORT,
    host: env.HOST ?? null,
    nodeEnv: env.NODE_ENV,
    redis: {
      url: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      isDefault: env.REDIS_URL === undefined && redisTarget.mode === 'single',
      keyPrefix:
        env.REDIS_KEY_PREFIX ??
        defaultKeyPrefix(env.PORT, [discovery, lms, stripe, commercetools].includes(null)),
      target: redisTarget,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
      readyTimeoutMs: env.REDIS_READY_TIMEOUT_MS,
    },
    upstreams: { discovery, lms, stripe, commercetools },
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    catalogCacheTtlSeconds: env.CATALOG_CACHE_TTL_SECONDS,
    jwt: {
      issuer: env.JWT_ISSUER ?? DEVELOPMENT_JWT.issuer,
      audience: env.JWT_AUDIENCE ?? DEVELOPMENT_JWT.audience,
      publicSigningJwkSet: jwkSetGiven,
      secretKey: env.JWT_SECRET_KEY ?? (jwkSetGiven ? null : DEVELOPMENT_JWT.secretKey),
    },
    allowedOrigins: env.ALLOWED_ORIGINS ?? ['http://localhost:*', 'http://127.0.0.1:*'],
    logLevel: env.LOG_LEVEL,
    logFlushMs: env.LOG_FLUSH_MS,
    http: {
      headersTimeoutMs: Math.round(env.HTTP_HEADERS_TIMEOUT_SECONDS * 1000),
      requestTimeoutMs: Math.round(env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000),
      maxConnectionsPerClient: env.MAX_CONNECTIONS_PER_CLIENT,
    },
    subscriptions: {
      perSocket: env.SUBSCRIPTIONS_PER_SOCKET,
      perLearner: env.SUBSCRIPTIONS_PER_LEARNER,
      subscribesPerSecond: env.SUBSCRIBES_PER_SECOND,
      keepAliveMs: Math.round(env.WS_KEEPALIVE_SECONDS * 1000),
    },
    routerSecret: env.ROUTER_SECRET ?? null,
    metricsPort: env.METRICS_PORT ?? null,
    attentionAfterMs: Math.round(env.ATTENTION_AFTER_SECONDS * 1000),
    graphqlCompileAfterRuns: env.GRAPHQL_COMPILE_AFTER_RUNS,
    jobs: {
      workerInProcess: env.RUN_WORKER,
      concurrency: env.WORKER_CONCURRENCY,
      attempts: env.JOB_ATTEMPTS,
      backoffMs: env.JOB_BACKOFF_MS,
      lockMs: env.JOB_LOCK_MS,
      reconcileEveryMs: Math.round(env.RECONCILE_INTERVAL_SECONDS * 1000),
      reconcileQuietMs: Math.round(env.RECONCILE_AFTER_SECONDS * 1000),
      checkoutExpiresAfterMs: Math.round(env.CHECKOUT_EXPIRES_AFTER_SECONDS * 1000),
      failedJobRetentionDays: env.FAILED_JOB_RETENTION_DAYS ?? null,
    },
    mail: { smtpUrl: env.SMTP_URL ?? null, from: env.MAIL_FROM },
    screening,
    flows: {
      file: env.FLOWS_CONFIG ?? null,
      moduleByMode: env.FULFILLMENT_MODULES,
      secret: (name) => environmentAtStart[name] || undefined,
    },
  };
}
