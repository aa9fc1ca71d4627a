import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { DEVELOPMENT_JWT } from './development-jwt.js';

/**
 * Configuration, read from the environment once at start-up and validated into this typed object.
 * Nothing else in the gateway reads process.env.
 */
export interface GatewayConfig {
  port: number;
  nodeEnv: 'development' | 'production' | 'test';
  redis: {
    url: string;
    /** True when REDIS_URL was not given, so a private redis-server may be started for development. */
    isDefault: boolean;
    keyPrefix: string;
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
  jobs: JobsConfig;
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
}

export interface DiscoveryConfig {
  url: string;
}
export interface LmsConfig {
  url: string;
  apiKey: string;
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
  /** Null in production without SMTP_URL: the flows may then send no mail. */
  smtp: { url: string; from: string } | null;
  /** Null in production without SCREENING_URL: sanctions screening then refuses every purchase. */
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

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('cgw:'),
  DISCOVERY_URL: baseUrl.optional(),
  LMS_URL: baseUrl.optional(),
  LMS_API_KEY: z.string().min(1).optional(),
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
  FULFILLMENT_MODULES: moduleMap.default(moduleMap.parse(DEFAULT_MODULES)),
  FLOWS_CONFIG: z.string().min(1).optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  SMTP_FROM: z.string().min(3).default('Open edX receipts <receipts@localhost>'),
  SCREENING_URL: baseUrl.optional(),
  SCREENING_API_KEY: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

type Environment = Record<string, string | undefined>;

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(environment: Environment = process.env): GatewayConfig {
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`Invalid configuration: ${variable} ${issue?.message ?? 'is invalid'}`);
  }
  const env = parsed.data;
  const production = env.NODE_ENV === 'production';

  const requireWith = (variable: string, value: string | undefined, because: string): string => {
    if (value === undefined) {
      throw new ConfigError(
        `Invalid configuration: ${variable} is required when ${because} is set`,
      );
    }
    return value;
  };
  const sandboxed = (variable: string): never => {
    throw new ConfigError(
      `Invalid configuration: ${variable} is not set, and the sandbox may not serve it when NODE_ENV=production`,
    );
  };

  const discovery = env.DISCOVERY_URL ? { url: env.DISCOVERY_URL } : null;
  const lms = env.LMS_URL
    ? { url: env.LMS_URL, apiKey: requireWith('LMS_API_KEY', env.LMS_API_KEY, 'LMS_URL') }
    : null;
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

  // Shape-checked here; jose checks each key when it first verifies a token with it.
  const jwkSetGiven: JSONWebKeySet | null = env.JWT_PUBLIC_SIGNING_JWK_SET ?? null;
  return {
    port: env.PORT,
    nodeEnv: env.NODE_ENV,
    redis: {
      url: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      isDefault: env.REDIS_URL === undefined,
      keyPrefix: env.REDIS_KEY_PREFIX,
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
    jobs: {
      workerInProcess: env.RUN_WORKER,
      concurrency: env.WORKER_CONCURRENCY,
      attempts: env.JOB_ATTEMPTS,
      backoffMs: env.JOB_BACKOFF_MS,
      lockMs: env.JOB_LOCK_MS,
      reconcileEveryMs: Math.round(env.RECONCILE_INTERVAL_SECONDS * 1000),
      reconcileQuietMs: Math.round(env.RECONCILE_AFTER_SECONDS * 1000),
    },
    mail: { smtpUrl: env.SMTP_URL ?? null, from: env.SMTP_FROM },
    screening: env.SCREENING_URL
      ? {
          url: env.SCREENING_URL,
          apiKey: requireWith('SCREENING_API_KEY', env.SCREENING_API_KEY, 'SCREENING_URL'),
        }
      : null,
    flows: {
      file: env.FLOWS_CONFIG ?? null,
      moduleByMode: env.FULFILLMENT_MODULES,
      secret: (name) => cleaned[name],
    },
  };
}
