import { describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { loadConfig } from '../../../server/config.js';
import { configError, PRODUCTION } from '../../support/configuration.js';

describe('configuration', () => {
  it('leaves every upstream to the sandbox when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.host).toBeNull();
    expect(config.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      isDefault: true,
      keyPrefix: 'cgw:sandbox-4100:',
      target: { mode: 'single', url: 'redis://127.0.0.1:6379' },
      commandTimeoutMs: 1500,
      readyTimeoutMs: 10_000,
    });
    expect(config.jobs.failedJobRetentionDays).toBeNull();
    expect(config.subscriptions.keepAliveMs).toBe(12_000);
    expect(loadConfig({ WS_KEEPALIVE_SECONDS: '25' }).subscriptions.keepAliveMs).toBe(25_000);
    expect(config.logFlushMs).toBe(100);
    expect(loadConfig({ LOG_FLUSH_MS: '0' }).logFlushMs).toBe(0);
    expect(config.upstreams).toEqual({
      discovery: null,
      lms: null,
      stripe: null,
      commercetools: null,
    });
    expect(config.jwt.secretKey).toBe(SANDBOX_CREDENTIALS.jwt.secretKey);
    expect(config.allowedOrigins).toContain('http://localhost:*');
  });

  it('reads a full production configuration, trimming trailing slashes from URLs', () => {
    const config = loadConfig({ ...PRODUCTION, HOST: '10.1.2.3' });
    expect(config.host).toBe('10.1.2.3');
    expect(config.upstreams.discovery).toEqual({ url: 'https://discovery.example.org' });
    expect(config.jwt.secretKey).toBeNull();
    expect(config.jwt.publicSigningJwkSet?.keys).toHaveLength(1);
    expect(config.allowedOrigins).toEqual([
      'https://learning.example.org',
      'https://apps.example.org',
    ]);
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT /],
    [{ PORT: '70000' }, /^Invalid configuration: PORT /],
    [{ HOST: 'localhost' }, /^Invalid configuration: HOST must be an IPv4 address/],
    [{ HOST: '127.0.0.256' }, /^Invalid configuration: HOST must be an IPv4 address/],
    [{ HOST: '::1' }, /^Invalid configuration: HOST must be an IPv4 address/],
    [{ NODE_ENV: 'staging' }, /^Invalid configuration: NODE_ENV /],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, /^Invalid configuration: REDIS_URL /],
    [{ DISCOVERY_URL: 'ftp://discovery.example.org' }, /^Invalid configuration: DISCOVERY_URL /],
    [{ LMS_URL: 'https://courses.example.org' }, /LMS_API_KEY is required when LMS_URL is set/],
    [
      { LMS_URL: 'https://courses.example.org', LMS_API_KEY: 'k', LMS_OAUTH_CLIENT_ID: 'c' },
      /LMS_OAUTH_CLIENT_SECRET is required when LMS_OAUTH_CLIENT_ID is set/,
    ],
    [
      { LMS_URL: 'https://courses.example.org', LMS_API_KEY: 'k', LMS_OAUTH_CLIENT_SECRET: 's' },
      /LMS_OAUTH_CLIENT_ID is required when LMS_OAUTH_CLIENT_SECRET is set/,
    ],
    [
      { STRIPE_API_URL: 'https://api.stripe.com', STRIPE_SECRET_KEY: 'sk' },
      /STRIPE_WEBHOOK_SECRET is required/,
    ],
    [{ COMMERCETOOLS_API_URL: 'https://api.example.com' }, /COMMERCETOOLS_AUTH_URL is required/],
    [{ JWT_PUBLIC_SIGNING_JWK_SET: '{not json' }, /JWT_PUBLIC_SIGNING_JWK_SET is not valid JSON/],
    [
      { JWT_PUBLIC_SIGNING_JWK_SET: '{"keys": []}' },
      /^Invalid configuration: JWT_PUBLIC_SIGNING_JWK_SET/,
    ],
    [{ JWT_SECRET_KEY: 'short' }, /JWT_SECRET_KEY must be at least 16 characters/],
    [
      { ALLOWED_ORIGINS: 'https://ok.example.org,javascript:alert(1)' },
      /^Invalid configuration: ALLOWED_ORIGINS/,
    ],
    [{ UPSTREAM_TIMEOUT_MS: '5' }, /^Invalid configuration: UPSTREAM_TIMEOUT_MS/],
    [{ HTTP_REQUEST_TIMEOUT_SECONDS: '0' }, /HTTP_REQUEST_TIMEOUT_SECONDS .*, got "0"/],
    [
      { HTTP_HEADERS_TIMEOUT_SECONDS: '20', HTTP_REQUEST_TIMEOUT_SECONDS: '10' },
      /HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS/,
    ],
    [{ MAX_CONNECTIONS_PER_CLIENT: '-1' }, /MAX_CONNECTIONS_PER_CLIENT/],
    [{ WS_KEEPALIVE_SECONDS: '0.5' }, /^Invalid configuration: WS_KEEPALIVE_SECONDS /],
    [{ WS_KEEPALIVE_SECONDS: 'often' }, /^Invalid configuration: WS_KEEPALIVE_SECONDS /],
    [{ LOG_FLUSH_MS: '-1' }, /^Invalid configuration: LOG_FLUSH_MS /],
    [{ LOG_FLUSH_MS: '0.5' }, /^Invalid configuration: LOG_FLUSH_MS /],
    [{ LOG_FLUSH_MS: '60000' }, /^Invalid configuration: LOG_FLUSH_MS /],
  ])('stops on %o with one line naming the variable', (environment, message) => {
    const text = configError(environment);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('refuses to let the sandbox serve anything in production', () => {
    const { DISCOVERY_URL: _omitted, ...rest } = PRODUCTION;
    expect(configError(rest)).toMatch(/DISCOVERY_URL is not set, and the sandbox may not serve it/);
    const { ALLOWED_ORIGINS: _origins, ...noOrigins } = PRODUCTION;
    expect(configError(noOrigins)).toMatch(/ALLOWED_ORIGINS/);
  });

  it('keys the Redis prefix by the sandbox’s port, unless one is set or no sandbox serves', () => {
    expect(loadConfig({ PORT: '4000' }).redis.keyPrefix).toBe('cgw:sandbox-4100:');
    expect(loadConfig({ PORT: '5000' }).redis.keyPrefix).toBe('cgw:sandbox-5100:');
    expect(loadConfig({ DISCOVERY_URL: 'https://d.example.org' }).redis.keyPrefix).toBe(
      'cgw:sandbox-4100:',
    );
    const ephemeral = [loadConfig({ PORT: '0' }), loadConfig({ PORT: '0' })];
    expect(ephemeral[0]?.redis.keyPrefix).not.toBe(ephemeral[1]?.redis.keyPrefix);
    expect(loadConfig({ PORT: '4000', REDIS_KEY_PREFIX: 'mine:' }).redis.keyPrefix).toBe('mine:');
    expect(loadConfig(PRODUCTION).redis.keyPrefix).toBe('cgw:');
  });

  it('names every variable production is missing in one line', () => {
    const text = configError({ NODE_ENV: 'production', LMS_URL: 'https://courses.example.org' });
    expect(text).not.toContain('\n');
    expect(text).toMatch(/LMS_API_KEY is required when LMS_URL is set/);
    expect(text).toMatch(
      /DISCOVERY_URL, STRIPE_API_URL, COMMERCETOOLS_API_URL, JWT_ISSUER, JWT_AUDIENCE, JWT_PUBLIC_SIGNING_JWK_SET \(or JWT_SECRET_KEY\), ALLOWED_ORIGINS are not set, and the sandbox may not serve them when NODE_ENV=production/,
    );
  });

  it('quotes an invalid number as given, and names every invalid variable', () => {
    const text = configError({ PORT: 'eighty', JOB_ATTEMPTS: '0', WORKER_CONCURRENCY: '' });
    expect(text).not.toContain('\n');
    expect(text).not.toMatch(/NaN/);
    expect(text).toMatch(/PORT must be a number, got "eighty"/);
    expect(text).toMatch(/JOB_ATTEMPTS .*>=1, got "0"/);
  });

  it('never quotes a value that may be a secret', () => {
    const text = configError({ JWT_SECRET_KEY: 'short-secret' });
    expect(text).not.toContain('short-secret');
  });
});
