import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.js';

/** A complete production environment: every upstream configured, nothing left to the sandbox. */
export const PRODUCTION = {
  NODE_ENV: 'production',
  DISCOVERY_URL: 'https://discovery.example.org/',
  LMS_URL: 'https://courses.example.org',
  LMS_API_KEY: 'key',
  STRIPE_API_URL: 'https://api.stripe.com',
  STRIPE_SECRET_KEY: 'sk_live_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  COMMERCETOOLS_API_URL: 'https://api.europe-west1.gcp.commercetools.com',
  COMMERCETOOLS_AUTH_URL: 'https://auth.europe-west1.gcp.commercetools.com',
  COMMERCETOOLS_PROJECT_KEY: 'edx',
  COMMERCETOOLS_CLIENT_ID: 'id',
  COMMERCETOOLS_CLIENT_SECRET: 'secret',
  JWT_ISSUER: 'https://courses.example.org/oauth2',
  JWT_AUDIENCE: 'lms-key',
  JWT_PUBLIC_SIGNING_JWK_SET: JSON.stringify({ keys: [{ kty: 'RSA', n: 'abc', e: 'AQAB' }] }),
  ALLOWED_ORIGINS: 'https://learning.example.org, https://apps.example.org',
};

/** The message of the ConfigError that loading this environment throws; fails if none is. */
export function configError(environment: Record<string, string>): string {
  try {
    loadConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}
