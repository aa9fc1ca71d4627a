import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { loadConfig, type GatewayConfig, type UpstreamsConfig } from '../../server/config.js';
import { startGateway, type Gateway } from '../../server/gateway.js';
import { createLogger } from '../../server/logger.js';
import { resolveUpstreams } from '../../server/sandboxed-upstreams.js';

export const TEST_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface TestGateway {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  gateway: Gateway;
  sandbox: Sandbox;
  config: GatewayConfig;
  /** This gateway's Redis key prefix; every key under it is removed by close(). */
  keyPrefix: string;
  close(): Promise<void>;
}

/**
 * Boots the real gateway against a fresh sandbox on free ports and the real Redis, under a key
 * prefix of its own, as a client would meet it. close() removes everything it left in Redis.
 */
export async function startTestGateway(
  environment: Record<string, string> = {},
  options: {
    upstreamsFromEnvironment?: boolean;
    /** Another test gateway whose sandbox and Redis prefix this one shares (it closes neither). */
    sharing?: TestGateway;
    /** A sandbox the test started with options of its own; the gateway does not close it. */
    sandbox?: Sandbox;
    /** Listen here instead of 127.0.0.1: a test host's listenAddress, to be reached from it. */
    host?: string;
  } = {},
): Promise<TestGateway> {
  const keyPrefix = options.sharing?.keyPrefix ?? `test:${randomUUID()}:`;
  const baseEnvironment = {
    NODE_ENV: 'test',
    PORT: '0',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: keyPrefix,
    LOG_LEVEL: 'silent',
    UPSTREAM_TIMEOUT_MS: '2000',
    // Every document compiled on its first run: the path a recurring document takes in
    // production. compiled-execution.test.ts holds graphql-js's first runs up against it.
    GRAPHQL_COMPILE_AFTER_RUNS: '1',
  };
  let sandbox: Sandbox;
  let config: GatewayConfig;
  let upstreams: UpstreamsConfig;
  if (options.upstreamsFromEnvironment || options.sharing || options.sandbox) {
    // As an operator configures it: every upstream's URL and credentials set explicitly.
    sandbox = options.sharing?.sandbox ?? options.sandbox ?? (await startSandbox());
    config = loadConfig({
      ...baseEnvironment,
      ...sandboxEnvironment(sandbox),
      ...environment,
    });
    ({ upstreams } = await resolveUpstreams(config, { basePort: 0 }));
  } else {
    config = loadConfig({ ...baseEnvironment, ...environment });
    const resolved = await resolveUpstreams(config, { basePort: 0 });
    if (!resolved.sandbox) throw new Error('expected every upstream from the sandbox');
    ({ sandbox, upstreams } = resolved);
  }
  const gateway = await startGateway({
    config,
    upstreams,
    redis: config.redis.target,
    logger: createLogger(config.logLevel, config.logFlushMs),
    host: options.host ?? '127.0.0.1',
  });
  if (!options.sharing) sandbox.stripe?.setWebhookUrl(`${gateway.url}/webhooks/stripe`);
  return {
    url: gateway.url,
    gateway,
    sandbox,
    config,
    keyPrefix,
    async close() {
      await gateway.close();
      if (options.sharing) return;
      if (!options.sandbox) await sandbox.close();
      await deleteKeys(keyPrefix);
    },
  };
}

/** Removes every Redis key under the prefix. */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The environment an operator would set to point a gateway at this sandbox. */
export function sandboxEnvironment(sandbox: Sandbox): Record<string, string> {
  const { credentials, urls } = sandbox;
  return {
    DISCOVERY_URL: urls.discovery ?? '',
    LMS_URL: urls.lms ?? '',
    LMS_API_KEY: credentials.lmsApiKey,
    STRIPE_API_URL: urls.stripe ?? '',
    STRIPE_SECRET_KEY: credentials.stripeSecretKey,
    STRIPE_WEBHOOK_SECRET: credentials.stripeWebhookSecret,
    COMMERCETOOLS_API_URL: urls.commercetoolsApi ?? '',
    COMMERCETOOLS_AUTH_URL: urls.commercetoolsAuth ?? '',
    COMMERCETOOLS_PROJECT_KEY: credentials.commercetools.projectKey,
    COMMERCETOOLS_CLIENT_ID: credentials.commercetools.clientId,
    COMMERCETOOLS_CLIENT_SECRET: credentials.commercetools.clientSecret,
    SMTP_URL: urls.smtp ?? '',
    SANCTIONS_API_URL: urls.screening ?? '',
    SANCTIONS_API_KEY: credentials.screeningApiKey,
    JWT_ISSUER: SANDBOX_CREDENTIALS.jwt.issuer,
    JWT_AUDIENCE: SANDBOX_CREDENTIALS.jwt.audience,
    JWT_SECRET_KEY: SANDBOX_CREDENTIALS.jwt.secretKey,
    ALLOWED_ORIGINS: 'http://localhost:3000',
  };
}
