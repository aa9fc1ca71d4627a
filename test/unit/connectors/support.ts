import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

import {
  createConnectors,
  type ConnectorOptions,
  type Connectors,
  type UpstreamRequestEvent,
} from '../../../connectors/index.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import {
  startSandbox,
  type SandboxServer,
  type SandboxStripeServer,
} from '../../../sandbox/index.js';

/** The sandbox with all four upstreams, which is what startSandbox() gives without `only`. */
export interface Sandbox {
  urls: Record<'discovery' | 'lms' | 'stripe' | 'commercetoolsApi' | 'commercetoolsAuth', string>;
  discovery: SandboxServer;
  lms: SandboxServer;
  stripe: SandboxStripeServer;
  commercetools: SandboxServer;
  close(): Promise<void>;
}

async function startFullSandbox(): Promise<Sandbox> {
  const sandbox = await startSandbox();
  const { urls, discovery, lms, stripe, commercetools } = sandbox;
  const { commercetoolsApi, commercetoolsAuth } = urls;
  if (
    !discovery ||
    !lms ||
    !stripe ||
    !commercetools ||
    !urls.discovery ||
    !urls.lms ||
    !urls.stripe ||
    !commercetoolsApi ||
    !commercetoolsAuth
  ) {
    await sandbox.close();
    throw new Error('The sandbox did not start every upstream');
  }
  return {
    urls: {
      discovery: urls.discovery,
      lms: urls.lms,
      stripe: urls.stripe,
      commercetoolsApi,
      commercetoolsAuth,
    },
    discovery,
    lms,
    stripe,
    commercetools,
    close: () => sandbox.close(),
  };
}

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** One test file's world: a fresh sandbox, a Redis connection and a key prefix nobody else uses. */
export interface ConnectorWorld {
  sandbox: Sandbox;
  redis: Redis;
  keyPrefix: string;
  events: UpstreamRequestEvent[];
  connectors: Connectors;
  /** Connectors with other options over the same sandbox, Redis and prefix. */
  connect(options?: Partial<ConnectorOptions>): Connectors;
  close(): Promise<void>;
}

export async function startWorld(): Promise<ConnectorWorld> {
  const sandbox = await startFullSandbox();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const keyPrefix = `test:connectors:${randomUUID()}:`;
  const events: UpstreamRequestEvent[] = [];
  const connect = (options: Partial<ConnectorOptions> = {}): Connectors =>
    createConnectors(settingsFor(sandbox), {
      redis,
      keyPrefix,
      timeoutMs: 2_000,
      catalogCacheTtlSeconds: 60,
      onRequest: (event) => events.push(event),
      ...options,
    });
  return {
    sandbox,
    redis,
    keyPrefix,
    events,
    connectors: connect(),
    connect,
    close: async () => {
      await deleteKeys(redis, keyPrefix);
      redis.disconnect();
      await sandbox.close();
    },
  };
}

export function settingsFor(sandbox: Sandbox): Parameters<typeof createConnectors>[0] {
  const ct = SANDBOX_CREDENTIALS.commercetools;
  return {
    discovery: { url: sandbox.urls.discovery },
    lms: {
      url: sandbox.urls.lms,
      apiKey: SANDBOX_CREDENTIALS.lmsApiKey,
      serviceClient: SANDBOX_CREDENTIALS.lmsServiceClient,
    },
    stripe: {
      url: sandbox.urls.stripe,
      secretKey: SANDBOX_CREDENTIALS.stripeSecretKey,
      webhookSecret: SANDBOX_CREDENTIALS.stripeWebhookSecret,
    },
    commercetools: {
      apiUrl: sandbox.urls.commercetoolsApi,
      authUrl: sandbox.urls.commercetoolsAuth,
      projectKey: ct.projectKey,
      clientId: ct.clientId,
      clientSecret: ct.clientSecret,
    },
  };
}

export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}

/** Sums the sandbox's request counts whose route key starts with `prefix`, e.g. `GET /api/v1/course_runs/`. */
export function requestsTo(stats: Record<string, number>, prefix: string): number {
  return Object.entries(stats)
    .filter(([route]) => route.startsWith(prefix))
    .reduce((sum, [, n]) => sum + n, 0);
}
